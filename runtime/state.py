"""Rebuilding a service's state from a compacted topic, one partition at a time."""

from __future__ import annotations

from collections.abc import Callable

from aiokafka import TopicPartition

from runtime.kafka.clients import make_consumer
from runtime.kafka.settings import KafkaSettings
from runtime.records import Record


async def read_partitions(
    kafka: KafkaSettings,
    topic: str,
    partitions: set[int],
    on_record: Callable[[Record], None],
) -> int:
    """Feed every committed record of ``topic``'s ``partitions`` to ``on_record``, oldest first.

    Reads up to the last stable offset at the time of the call (``read_committed``): every
    transaction committed before it is included, and nothing aborted. Returns the count.
    """
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    if not assigned:
        return 0
    consumer = make_consumer(kafka, group_id=None, client_id="frontdoor-restore")
    await consumer.start()
    count = 0
    try:
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if ends[tp] > 0}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=500)
            for records in batch.values():
                for record in records:
                    on_record(record)
                    count += 1
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return count
