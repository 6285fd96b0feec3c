"""One hop of the bare aiokafka chain the pipeline is compared with: consume, produce, commit.

Run as its own process (``python -m frontdoor.bench.bare IN OUT``) so that the chain, like the
pipeline, has one process per hop. No validation, no state, no transactions: acks=all and
idempotence, offsets committed after each batch's sends are acknowledged.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings


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
            batch = await consumer.getmany(timeout_ms=200, max_records=500)
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


if __name__ == "__main__":
    asyncio.run(forward(sys.argv[1], sys.argv[2]))
