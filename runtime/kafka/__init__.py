"""Talking to Kafka: connection settings, client factories, topic creation."""
