"""The shared kernel: rules every service reads the same way and states once.

Validation of Referral v1, the threshold policy and its working calendar (one per council),
working time, and what makes a case live or queued. Imports the contract (``schemas``) and
nothing else of ours: no service, no runtime, no Kafka client.
"""
