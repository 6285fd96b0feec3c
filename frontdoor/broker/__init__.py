"""A real Apache Kafka broker run from its jars on this machine, and its users' passwords."""
