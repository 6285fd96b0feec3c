"""Throughput of one service process on the real broker: intake, or triage, alone.

The input is prepared on the broker first (simulated partners' referrals; for triage, the
accepted referrals intake would have written), then one service process is started and timed
from its first output to its last. The result is one JSON object.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from schemas.intake import AcceptedReferral, Origin
from schemas.partners import load_registry
from services.broker.clients import make_consumer, make_producer
from services.broker.settings import KafkaSettings
from services.broker.topics import ensure_topics
from services.intake.validation import Accepted, validate_referral
from services.simulator.stream import ReferralStream


@dataclass(frozen=True, slots=True)
class StageResult:
    """Messages one process handled per second."""

    stage: str
    messages: int
    seconds: float
    per_second: float
    mean_message_bytes: int


async def _prepare_inbound(kafka: KafkaSettings, count: int) -> int:
    stream = ReferralStream(load_registry(), seed=3)
    producer = make_producer(kafka, client_id="bench", linger_ms=20)
    await producer.start()
    size = 0
    try:
        for _ in range(count):
            publication = stream.next()
            size += len(publication.value)
            await producer.send(
                kafka.topics.inbound(publication.organisation_id), publication.value
            )
        await producer.flush()
    finally:
        await producer.stop()
    return size // count


async def _prepare_accepted(kafka: KafkaSettings, count: int) -> int:
    stream = ReferralStream(load_registry(), seed=3)
    producer = make_producer(kafka, client_id="bench", linger_ms=20)
    await producer.start()
    size = written = 0
    try:
        while written < count:
            publication = stream.next()
            verdict = validate_referral(publication.value)
            if not isinstance(verdict, Accepted):
                continue
            referral = verdict.referral
            value = (
                AcceptedReferral.of(
                    referral,
                    publication.organisation_id,
                    datetime.now(UTC),
                    Origin(topic="bench", partition=0, offset=written),
                )
                .model_dump_json()
                .encode()
            )
            size += len(value)
            written += 1
            await producer.send(kafka.topics.accepted, value, key=referral.local_authority.encode())
        await producer.flush()
    finally:
        await producer.stop()
    return size // count


async def measure_stage(stage: str, count: int, bootstrap: str) -> StageResult:
    """Prepare ``count`` inputs, run one ``stage`` process, time its outputs."""
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:8]}.")
    await ensure_topics(kafka, kafka.topics.specs_for(load_registry().ids))
    if stage == "intake":
        mean = await _prepare_inbound(kafka, count)
        outputs = [kafka.topics.accepted, kafka.topics.invalid]
    else:
        mean = await _prepare_accepted(kafka, count)
        outputs = [kafka.topics.decisions]
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTDOOR_TOPIC_PREFIX": kafka.topic_prefix,
        f"FRONTDOOR_{stage.upper()}_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited for in a thread
        [sys.executable, "-m", "services.cli.main", "run", stage],
        env=env,
    )
    consumer = make_consumer(kafka, group_id=None, client_id="bench-reader", topics=outputs)
    await consumer.start()
    seen, first = 0, None
    try:
        while seen < count:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                if records and first is None:
                    first = time.monotonic()
                seen += len(records)
        assert first is not None  # noqa: S101 - set with the first record
        seconds = time.monotonic() - first
    finally:
        await consumer.stop()
        process.terminate()
        await asyncio.to_thread(process.wait)
    return StageResult(stage, seen, round(seconds, 2), round(seen / seconds), mean)
