"""What every Front Door service runs on.

The exactly-once processor loop, Kafka clients and settings, state restore, the heap, health,
logging, and the configuration files a running process watches.
"""
