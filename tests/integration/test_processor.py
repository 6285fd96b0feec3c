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


class Counting(Upper):
    """Upper, counting the records it has seen."""

    def __init__(self, out_topic: str) -> None:
        super().__init__(out_topic)
        self.seen = 0

    async def __call__(self, records: Sequence[Record]) -> list[Outgoing]:
        self.seen += len(records)
        return await super().__call__(records)


async def _until(condition, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def test_after_a_rebalance_a_batch_held_while_its_partition_moved_away_and_back_is_done_once(
    kafka, reader, monkeypatch
) -> None:
    """A fetches a batch; before it is processed, B joins, takes a partition, processes and
    commits it all, and leaves; the partition comes back to A. A's batch is dropped and A reads
    on from what the group committed: every record is written once (the batch's own first
    offset, behind B's commits, would process B's records again)."""
    from runtime import processor as processor_module  # noqa: PLC0415 - patched for this test

    source, sink = await _setup(kafka)
    values = [f"m{i}".encode() for i in range(200)]
    await _publish(kafka, source, values)
    first, second = Counting(sink), Counting(sink)
    a = _processor(kafka, source, first)
    b = TransactionalProcessor(
        kafka=kafka,
        service="upper",
        instance_id="1",
        subscription=Subscription(topics=(source,)),
        handler=second,
        health=Health("upper"),
    )
    held: list[set[int]] = []
    real_make_consumer = processor_module.make_consumer

    def make_consumer(*args, **kwargs):
        consumer = real_make_consumer(*args, **kwargs)
        monkeypatch.setattr(processor_module, "make_consumer", real_make_consumer)  # A's only
        real_getmany = consumer.getmany

        async def getmany(*a_, **kw):
            batch = await real_getmany(*a_, **kw)
            while batch and not held and len(batch) < 2:  # hold records of both partitions
                for tp, records in (await real_getmany(*a_, **kw)).items():
                    batch.setdefault(tp, []).extend(records)
            if batch and not held:
                held.append({tp.partition for tp in batch})
                generation = a._rebalance.generation
                b_stop = asyncio.Event()
                b_running = asyncio.create_task(b.run(b_stop))
                await _until(lambda: b.health.counters.get("batches", 0) > 0)
                await asyncio.sleep(2)  # B reads its partition to the end and commits
                b_stop.set()
                await b_running
                await _until(lambda: a._rebalance.generation >= generation + 4)
            return batch

        consumer.getmany = getmany
        return consumer

    monkeypatch.setattr(processor_module, "make_consumer", make_consumer)
    await _run_until(a, lambda: first.seen + second.seen >= 200 and bool(held), timeout=60)
    assert held == [{0, 1}]  # the held batch had records of both partitions: one moved
    await asyncio.sleep(2)  # anything A would do twice, it has done by now
    out = await reader([sink], count=200)
    assert sorted(r.value for r in out) == sorted(v.upper() for v in values)


async def test_paced_transactions_take_no_batch_sooner_than_the_interval_and_lose_nothing(
    kafka, reader
) -> None:
    source, sink = await _setup(kafka)
    processor = _processor(kafka, source, Upper(sink))
    processor.commit_interval_s = 0.5
    values = [f"t{i}".encode() for i in range(40)]

    async def trickle() -> None:
        for value in values:  # one every 40 ms: unpaced, nearly a transaction each
            await _publish(kafka, source, [value])
            await asyncio.sleep(0.04)

    loop = asyncio.get_running_loop()
    started = loop.time()
    sending = asyncio.create_task(trickle())
    await _run_until(processor, lambda: processor.health.counters.get("records_in", 0) >= 40)
    elapsed = loop.time() - started
    await sending
    batches = processor.health.counters["batches"]
    assert batches <= elapsed / 0.5 + 1  # at most one commit per interval, the first at once
    out = await reader([sink], count=40)
    assert sorted(r.value for r in out) == sorted(v.upper() for v in values)  # each once


class OneTooLarge(Upper):
    """Upper, plus one record per batch larger than the output topic takes, in the middle."""

    def __init__(self, out_topic: str, big: int) -> None:
        super().__init__(out_topic)
        self.big = big

    async def __call__(self, records: Sequence[Record]) -> list[Outgoing]:
        outputs = await super().__call__(records)
        middle = len(outputs) // 2
        return [*outputs[:middle], Outgoing(self.out_topic, b"x" * self.big), *outputs[middle:]]


async def test_a_record_the_broker_refuses_aborts_the_whole_transaction(kafka, reader) -> None:
    """Third review, item 1: every send is awaited before the commit, so a refused record
    aborts its batch (nothing written, no offset committed) instead of committing without it."""
    source, sink = kafka.topic_prefix + "in", kafka.topic_prefix + "small-out"
    await ensure_topics(
        kafka,
        [
            (source, TopicSpec("x", 1, -1, Cleanup.DELETE, "test")),
            (sink, TopicSpec("x", 1, -1, Cleanup.DELETE, "test", max_message_bytes=10_000)),
        ],
    )
    await _publish(kafka, source, [b"a", b"b", b"c"])

    # the producer would send it (under its own limit); the topic's limit refuses it
    refusing = _processor(kafka, source, OneTooLarge(sink, big=50_000))
    with pytest.raises(Exception, match=r"(?i)too ?large"):
        await _run_until(refusing, lambda: False)

    healthy = _processor(kafka, source, Upper(sink))
    await _run_until(healthy, lambda: healthy.health.counters.get("records_in", 0) >= 3)
    out = await reader([sink], count=3)
    # the aborted batch's a, b, c never became visible: each is there once, from the healthy run
    assert sorted(r.value for r in out) == [b"A", b"B", b"C"]
    assert healthy.health.counters["records_in"] == 3
