"""Front Door's services: intake, triage, notifier, and the runtime they share."""
