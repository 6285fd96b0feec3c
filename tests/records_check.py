"""Comparing the records database with what a crash-free projection of the topics gives."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from runtime.kafka.clients import make_admin
from runtime.kafka.settings import KafkaSettings
from runtime.records_db import tables
from runtime.state import read_partitions
from services.records.app import recorded_pattern
from services.records.projection import Projection, Rows
from services.records.store import RecordsStore

TABLES: dict[str, type[tables.Base]] = {
    "cases": tables.Case,
    "children": tables.Child,
    "contacts": tables.Contact,
    "decisions": tables.Decision,
    "status_updates": tables.StatusUpdate,
    "rejections": tables.Rejection,
    "allocations": tables.Allocation,
    "checks": tables.PartnerCheck,
    "notices": tables.EncompassNotice,
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):  # both sides in UTC, the database's included
        return value.astimezone(UTC)
    return value


def snapshot_of_rows(rows: Rows) -> dict[str, set[tuple[Any, ...]]]:
    """Each table's rows, as sets of plain tuples (column order as in the table)."""
    out = {}
    for name, table in TABLES.items():
        columns = [c.name for c in table.__table__.columns]
        out[name] = {tuple(_plain(row[c]) for c in columns) for row in getattr(rows, name).values()}
    return out


def snapshot_of_database(engine: Engine) -> dict[str, set[tuple[Any, ...]]]:
    """The same, read from the database."""
    out = {}
    with Session(engine) as session:
        for name, table in TABLES.items():
            columns = list(table.__table__.columns)
            out[name] = {
                tuple(_plain(v) for v in row) for row in session.execute(select(*columns)).all()
            }
    return out


async def recorded_topics(kafka: KafkaSettings) -> dict[str, set[int]]:
    """Every topic the records service reads, with its partitions."""
    pattern = re.compile(recorded_pattern(kafka.topics))
    admin = make_admin(kafka, client_id="test-topics")
    await admin.start()
    try:
        names = [name for name in await admin.list_topics() if pattern.match(name)]
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {topic["topic"]: {p["partition"] for p in topic["partitions"]} for topic in described}


async def crash_free(kafka: KafkaSettings) -> tuple[Rows, dict[tuple[str, int], int]]:
    """What one pass over every recorded topic, in partition order, gives; and where each
    partition's last committed record is (+1: the offset the database must reach)."""
    records: list[Any] = []
    for topic, partitions in (await recorded_topics(kafka)).items():
        await read_partitions(kafka, topic, partitions, records.append)
    rows, unreadable = Projection(kafka.topics).rows(records)
    assert unreadable == []
    lasts: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        lasts[key] = max(lasts.get(key, 0), record.offset + 1)
    return rows, lasts


async def caught_up(
    store: RecordsStore, lasts: dict[tuple[str, int], int], timeout: float = 120
) -> None:
    """Return once the database's offsets are past every partition's last record."""
    async with asyncio.timeout(timeout):
        while True:
            stored = await asyncio.to_thread(store.next_offsets)
            if all(stored.get(key, 0) >= last for key, last in lasts.items()):
                return
            await asyncio.sleep(0.5)
