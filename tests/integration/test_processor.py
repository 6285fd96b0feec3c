"""The transactional processor commits outputs and offsets together, on the real broker."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from runtime.health import Health
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_producer
from runtime.processor import Subscription, TransactionalProcessor
from runtime.records import Outgoing, Record
from schemas.topics import Cleanup, TopicSpec

pytestmark = pytest.mark.kafka


class Upper:
    """Writes each input upper-cased; fails on the call numbers it is told to."""

    def __init__(self, out_topic: str, fail_on_call: int | None = None) -> None:
        self.out_topic = out_topic
        self.fail_on_call = fail_on_call
        self.calls = 0

    async def __call__(self, records: Sequence[Record]) -> list[Outgoing]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("handler failed")
        return [Outgoing(self.out_topic, r.value.upper(), key=r.key) for r in records]


async def _setup(kafka) -> tuple[str, str]:
    source, sink = kafka.topic_prefix + "in", kafka.topic_prefix + "out"
    spec = TopicSpec("x", 2, -1, Cleanup.DELETE, "test")
    await ensure_topics(kafka, [(source, spec), (sink, spec)])
    return source, sink


async def _publish(kafka, topic: str, values: list[bytes]) -> None:
    producer = make_producer(kafka, client_id="test")
    await producer.start()
    try:
        for value in values:
            await producer.send(topic, value, key=value)
        await producer.flush()
    finally:
        await producer.stop()


def _processor(kafka, source: str, handler: Upper) -> TransactionalProcessor:
    return TransactionalProcessor(
        kafka=kafka,
        service="upper",
        instance_id="0",
        subscription=Subscription(topics=(source,)),
        handler=handler,
        health=Health("upper"),
    )


async def _run_until(processor: TransactionalProcessor, condition, timeout: float = 30) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(processor.run(stop))
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task


async def test_outputs_and_offsets_commit_together(kafka, reader) -> None:
    source, sink = await _setup(kafka)
    values = [f"m{i}".encode() for i in range(50)]
    await _publish(kafka, source, values)

    first = _processor(kafka, source, Upper(sink))
    await _run_until(first, lambda: first.health.counters.get("records_in", 0) >= 50)
    # A second run of the same group finds every offset committed: nothing is read again.
    second = _processor(kafka, source, Upper(sink))
    await _publish(kafka, source, [b"late"])
    await _run_until(second, lambda: second.health.counters.get("records_in", 0) >= 1)

    out = await reader([sink], count=51)
    assert len(out) == 51
    assert sorted(r.value for r in out) == sorted([v.upper() for v in values] + [b"LATE"])
    assert second.health.counters["records_in"] == 1


async def test_failed_batch_writes_nothing_and_is_read_again(kafka, reader) -> None:
    source, sink = await _setup(kafka)
    await _publish(kafka, source, [b"a", b"b", b"c"])

    failing = _processor(kafka, source, Upper(sink, fail_on_call=1))
    with pytest.raises(RuntimeError, match="handler failed"):
        await _run_until(failing, lambda: False)

    healthy = _processor(kafka, source, Upper(sink))
    await _run_until(healthy, lambda: healthy.health.counters.get("records_in", 0) >= 3)
    out = await reader([sink], count=3)
    assert sorted(r.value for r in out) == [b"A", b"B", b"C"]


async def test_tick_outputs_are_written_in_a_transaction_of_their_own(kafka, reader) -> None:
    source, sink = await _setup(kafka)
    calls = []

    def tick() -> list[Outgoing]:
        calls.append(1)
        return [Outgoing(sink, b"reminder")] if len(calls) == 1 else []

    processor = TransactionalProcessor(
        kafka=kafka,
        service="ticking",
        instance_id="0",
        subscription=Subscription(topics=(source,)),
        handler=Upper(sink),
        health=Health("ticking"),
        tick=tick,
        tick_every_s=0.2,
    )
    await _run_until(processor, lambda: len(calls) >= 3)
    out = await reader([sink], count=1)
    assert [r.value for r in out] == [b"reminder"]
