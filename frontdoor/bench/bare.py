"""One hop of the bare aiokafka chains the pipeline is compared with: consume, produce, commit.

Run as its own process so that a chain, like the pipeline, has one process per hop:

- ``python -m frontdoor.bench.bare IN OUT``: the plain hop: each record copied once, no
  transactions (acks=all and idempotence; offsets committed after each batch's sends).
- ``python -m frontdoor.bench.bare IN OUT SIDE FORWARD EXTRA BYTES``: the **fair** hop: what a
  pipeline service writes, without its logic. Per record consumed, ``FORWARD`` records (on
  average) to ``OUT`` for the next hop and ``EXTRA`` more to ``SIDE`` (which no hop reads), each
  ``BYTES`` long, in one transaction per batch with the consumed offsets, as the services do.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings

MAX_BATCH = 500  # as the services' processor


@dataclass
class FanOut:
    """How many records a fair hop writes per record it reads, and how long they are."""

    forward: float
    extra: float
    size: int
    _forward_due: float = 0.0
    _extra_due: float = 0.0

    def counts(self) -> tuple[int, int]:
        """Records to write for the next input: whole numbers averaging the fractions."""
        self._forward_due += self.forward
        self._extra_due += self.extra
        forward, extra = int(self._forward_due), int(self._extra_due)
        self._forward_due -= forward
        self._extra_due -= extra
        return forward, extra


async def forward(source: str, sink: str) -> None:
    """Copy every record of ``source`` to ``sink`` until SIGTERM."""
    kafka = KafkaSettings()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    consumer = make_consumer(kafka, group_id=f"{source}-bare", client_id="bare", topics=[source])
    producer = make_producer(kafka, client_id="bare")
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=200, max_records=MAX_BATCH)
            futures = [
                await producer.send(sink, record.value, key=record.key)
                for records in batch.values()
                for record in records
            ]
            if futures:
                await asyncio.gather(*futures)
                await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()


async def _fair_batch(
    consumer: AIOKafkaConsumer,
    producer: AIOKafkaProducer,
    group: str,
    targets: tuple[str, str],
    fan_out: FanOut,
) -> None:
    batch = await consumer.getmany(timeout_ms=200, max_records=MAX_BATCH)
    if not batch:
        return
    sink, side = targets
    payload = b"x" * fan_out.size
    async with producer.transaction():
        for records in batch.values():
            for record in records:
                ahead, extra = fan_out.counts()
                for _ in range(ahead):
                    await producer.send(sink, payload, key=record.key)
                for _ in range(extra):
                    await producer.send(side, payload, key=record.key)
        offsets: dict[TopicPartition, int] = {
            tp: records[-1].offset + 1 for tp, records in batch.items() if records
        }
        await producer.send_offsets_to_transaction(offsets, group)


async def forward_fair(source: str, targets: tuple[str, str], fan_out: FanOut) -> None:
    """The fair hop: the pipeline's fan-out and sizes, transactions, no logic; until SIGTERM."""
    kafka = KafkaSettings()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    group = f"{source}-fair"
    consumer = make_consumer(kafka, group_id=group, client_id="fair", topics=[source])
    producer = make_producer(kafka, client_id="fair", transactional_id=f"{source}-fair")
    await consumer.start()
    await producer.start()
    try:
        while not stop.is_set():
            await _fair_batch(consumer, producer, group, targets, fan_out)
    finally:
        await consumer.stop()
        await producer.stop()


if __name__ == "__main__":
    if len(sys.argv) == 3:  # noqa: PLR2004 - IN OUT
        asyncio.run(forward(sys.argv[1], sys.argv[2]))
    else:
        source, sink, side, ahead, extra, size = sys.argv[1:7]
        asyncio.run(
            forward_fair(source, (sink, side), FanOut(float(ahead), float(extra), int(size)))
        )
