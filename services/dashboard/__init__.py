"""The duty managers' dashboard: live queues, case pages with the audit trail, actions, charts."""
