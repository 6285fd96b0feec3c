"""Front Door's services: one package per process that runs in production.

Intake, triage, notifier, records, dashboard and gateway. What they share is in ``runtime/``,
``domain/`` and ``schemas/``; a service never imports another.
"""
