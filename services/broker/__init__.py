"""Everything that talks to Kafka itself: connection settings, clients, topics, a local broker."""
