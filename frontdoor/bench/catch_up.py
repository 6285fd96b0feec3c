"""How fast the records service catches up with the topics: rows written per second.

A backlog of cases, decisions and referrers' updates is published to a throwaway namespace
first; then one records process starts on an empty database and the clock runs until the
offsets it stored reach the end of every partition.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition

from frontdoor.bench.history import _cases, _rows
from runtime.kafka.admin import drop_topics, ensure_topics
from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings
from runtime.records_db.database import make_engine, upgrade
from services.records.app import recorded_pattern
from services.records.store import RecordsStore

ORGANISATIONS = ("cleveland-police", "stockton-riverside-academy")
PARTITIONS = 6  # every topic of the namespace is made with this many


def _json(row: dict[str, Any]) -> bytes:
    return json.dumps(row, default=lambda value: value.isoformat()).encode()


async def _publish(kafka: KafkaSettings, cases: int) -> int:
    """The backlog: every case version, decision and update of ``cases`` generated cases."""
    topics = kafka.topics
    producer = make_producer(kafka, client_id="bench-backlog", linger_ms=20)
    await producer.start()
    sent = 0
    try:
        for case in _cases(1, cases, datetime.now(UTC), seed=5):
            rows = _rows(case)
            await producer.send(
                topics.cases, case.model_dump_json().encode(), key=case.case_id.encode()
            )
            for decision in rows.decisions.values():
                document = decision | {"rules": json.loads(decision["rules"])}
                await producer.send(topics.decisions, _json(document))
            for update in rows.status_updates.values():
                await producer.send(
                    topics.status(update["organisation_id"]),
                    _json(update),
                    key=update["contact_id"].encode(),
                )
            sent += 1 + len(rows.decisions) + len(rows.status_updates)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def _ends(kafka: KafkaSettings) -> dict[tuple[str, int], int]:
    import re  # noqa: PLC0415

    pattern = re.compile(recorded_pattern(kafka.topics))
    consumer = make_consumer(kafka, group_id=None, client_id="bench-ends")
    await consumer.start()
    try:
        names = [t for t in await consumer.topics() if pattern.match(t)]
        partitions = [TopicPartition(t, p) for t in names for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return {(tp.topic, tp.partition): end for tp, end in ends.items() if end}


async def catch_up(bootstrap: str, database_url: str, cases: int) -> dict[str, Any]:
    """Rows per second the records service writes while catching up with a backlog."""
    kafka = KafkaSettings(
        bootstrap_servers=bootstrap, topic_prefix=f"catchup{uuid.uuid4().hex[:6]}."
    )
    await ensure_topics(kafka, kafka.topics.specs_for(list(ORGANISATIONS)), partitions=PARTITIONS)
    try:
        records = await _publish(kafka, cases)
        ends = await _ends(kafka)
        engine = make_engine(database_url)
        upgrade(engine)
        store = RecordsStore(engine)
        env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "FRONTDOOR_TOPIC_PREFIX": kafka.topic_prefix,
            "FRONTDOOR_DATABASE_URL": database_url,
            "FRONTDOOR_RECORDS_CREATE_TOPICS": "false",
            "FRONTDOOR_RECORDS_LOG_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: ASYNC220 - the measured process
            [sys.executable, "-m", "frontdoor", "run", "records"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                stored = await asyncio.to_thread(store.next_offsets)
                if all(stored.get(key, 0) >= end for key, end in ends.items()):
                    break
                if process.poll() is not None:
                    raise RuntimeError("the records service stopped while catching up")
                await asyncio.sleep(0.2)
            elapsed = time.perf_counter() - started  # includes the process's start (~1 s)
        finally:
            process.terminate()
            process.wait(timeout=30)
            engine.dispose()
    finally:
        await drop_topics(kafka)
    return {
        "records": records,
        "seconds": round(elapsed, 1),
        "records_per_s": round(records / elapsed),
        "database": database_url.split(":", 1)[0],
    }


def run(bootstrap: str, database_url: str | None, cases: int, folder: Path) -> dict[str, Any]:
    """One catch-up measurement on a new SQLite file (or the given database)."""
    url = database_url or f"sqlite:///{folder / 'catch-up.db'}"
    return asyncio.run(catch_up(bootstrap, url, cases))
