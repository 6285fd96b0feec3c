"""The records service never loses or doubles a row when its partitions move mid-batch.

A pattern subscription rebalances whenever a matching topic appears (every new partner's
``status.<org>``), and a second records process joining the group moves partitions too. The
batch fetched across such a move is dropped and must be read again from the offsets stored in
the database: before that fix, ``getmany`` had already moved past it and its rows were lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from runtime.health import Health
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_producer
from runtime.kafka.settings import KafkaSettings
from runtime.records_db import tables
from runtime.records_db.database import make_engine
from schemas.status import Status, StatusUpdate
from services.records import sink as sink_module
from services.records.app import recorded_pattern
from services.records.projection import Projection
from services.records.sink import RecordsSink
from services.records.store import RecordsStore

pytestmark = [pytest.mark.kafka]

ORGANISATIONS = ("police-a", "school-b", "health-c")
UPDATES_EACH = 120
BATCH = 40


async def publish_updates(kafka: KafkaSettings, organisations: tuple[str, ...]) -> int:
    """Distinct status updates on each organisation's status topic; how many."""
    producer = make_producer(kafka, client_id="test-updates")
    await producer.start()
    try:
        for org in organisations:
            for number in range(UPDATES_EACH):
                update = StatusUpdate(
                    contact_id=f"{org}-contact-{number}",
                    referral_id=f"R-{number}",
                    organisation_id=org,
                    sequence=1,
                    status=Status.RECEIVED,
                    message="Received.",
                    occurred_at=datetime(2026, 12, 4, 9, tzinfo=UTC),
                )
                await producer.send(kafka.topics.status(org), update.model_dump_json().encode())
        await producer.flush()
    finally:
        await producer.stop()
    return len(organisations) * UPDATES_EACH


def rows_in(engine: Any) -> tuple[int, int]:
    """Status update rows, and how many distinct (contact, sequence) they hold."""
    with Session(engine) as session:
        rows = session.scalar(select(func.count()).select_from(tables.StatusUpdate)) or 0
        distinct = session.scalar(
            select(func.count()).select_from(
                select(tables.StatusUpdate.contact_id, tables.StatusUpdate.sequence)
                .distinct()
                .subquery()
            )
        )
    return rows, distinct or 0


async def wait_for_rows(engine: Any, want: int, seconds: float) -> tuple[int, int]:
    """Rows once ``want`` are there, or whatever is there when ``seconds`` run out."""
    deadline = asyncio.get_running_loop().time() + seconds
    while rows_in(engine)[0] < want and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.25)
    await asyncio.sleep(1.0)  # and whatever else was coming has come
    return rows_in(engine)


def sink_for(kafka: KafkaSettings, engine: Any, health: Health) -> RecordsSink:
    return RecordsSink(
        kafka=kafka,
        pattern=recorded_pattern(kafka.topics),
        store=RecordsStore(engine),
        projection=Projection(kafka.topics),
        health=health,
        max_batch=BATCH,
    )


def moving_partitions_before_fetch(
    monkeypatch: pytest.MonkeyPatch,
    on_call: int,
    move: Callable[[], Awaitable[None]],
) -> None:
    """Make the first sink's ``on_call``-th fetch wait for ``move()`` (a rebalance) to finish
    first, so the batch it returns was fetched after the generation the sink noted before."""
    real_make_consumer = sink_module.make_consumer

    def make_consumer(*args: Any, **kwargs: Any) -> Any:
        consumer = real_make_consumer(*args, **kwargs)
        monkeypatch.setattr(sink_module, "make_consumer", real_make_consumer)  # the first only
        real_getmany = consumer.getmany
        calls = 0

        async def getmany(*a: Any, **kw: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == on_call:
                await move()
            return await real_getmany(*a, **kw)

        consumer.getmany = getmany
        return consumer

    monkeypatch.setattr(sink_module, "make_consumer", make_consumer)


def moved(sink: RecordsSink, generation: int) -> bool:
    """The sink's partitions were revoked and assigned again, and its listener has sought."""
    return sink.generation >= generation + 2 and not sink.lock.locked()


async def until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the rebalance never came"
        await asyncio.sleep(0.05)


async def test_a_rebalance_from_a_new_partner_topic_mid_batch_loses_no_row(
    kafka: KafkaSettings, records_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ensure_topics(kafka, kafka.topics.specs_for(ORGANISATIONS), partitions=2)
    sent = await publish_updates(kafka, ORGANISATIONS)
    engine = make_engine(records_url)
    sink = sink_for(kafka, engine, Health("records"))

    async def new_partner_topic() -> None:
        # a new partner's status topic matches the pattern: the group rebalances
        generation = sink.generation
        await ensure_topics(kafka, kafka.topics.specs_for(("newcomer-d",)), partitions=2)
        await until(lambda: moved(sink, generation), seconds=30)

    moving_partitions_before_fetch(monkeypatch, on_call=3, move=new_partner_topic)
    stop = asyncio.Event()
    running = asyncio.create_task(sink.run(stop))
    try:
        rows, distinct = await wait_for_rows(engine, sent, seconds=40)
    finally:
        stop.set()
        await running
        engine.dispose()
    assert (rows, distinct) == (sent, sent)


async def test_a_second_records_process_joining_mid_batch_loses_and_doubles_no_row(
    kafka: KafkaSettings, records_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ensure_topics(kafka, kafka.topics.specs_for(ORGANISATIONS), partitions=2)
    sent = await publish_updates(kafka, ORGANISATIONS)
    engine = make_engine(records_url)
    first = sink_for(kafka, engine, Health("records"))
    stop = asyncio.Event()
    joined: list[asyncio.Task[None]] = []

    async def second_member_joins() -> None:
        generation = first.generation
        second = sink_for(kafka, engine, Health("records"))
        joined.append(asyncio.create_task(second.run(stop)))
        await until(lambda: moved(first, generation), seconds=30)

    moving_partitions_before_fetch(monkeypatch, on_call=3, move=second_member_joins)
    running = asyncio.create_task(first.run(stop))
    try:
        rows, distinct = await wait_for_rows(engine, sent, seconds=40)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.gather(running, *joined)
        engine.dispose()
    assert (rows, distinct) == (sent, sent)
