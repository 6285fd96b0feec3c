"""Throughput of a stage on the real broker: intake or triage, one process or several.

The inputs (simulated partners' referrals; for triage, the accepted referrals intake would
have written) are prepared in memory, the stage's processes are started in one consumer
group, and once every process has joined the inputs are sent and timed to their last output.
``processes`` and ``partitions`` give the scale-out figures. The result is one JSON object.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka.errors import GroupCoordinatorNotAvailableError

from domain.validation import Accepted, validate_referral
from frontdoor.simulator.stream import ReferralStream
from runtime.kafka.admin import drop_topics, ensure_topics
from runtime.kafka.clients import make_admin, make_consumer, make_producer, safe_client_id
from runtime.kafka.settings import KafkaSettings
from runtime.partners import load_registry
from schemas.intake import AcceptedReferral, Origin
from schemas.local_authorities import LOCAL_AUTHORITIES
from schemas.partners import PartnerRegistry
from schemas.topics import Topics

Message = tuple[str, bytes | None, bytes]  # topic, key, value


@dataclass(frozen=True, slots=True)
class StageResult:
    """Messages a stage handled per second, with how many processes and partitions."""

    stage: str
    messages: int
    seconds: float
    per_second: float
    mean_message_bytes: int
    processes: int = 1
    partitions: int | None = None  # None: the registry's default


def _inbound_messages(count: int, registry: PartnerRegistry, topics: Topics) -> list[Message]:
    """``count`` messages from the simulated partners, as they publish them."""
    stream = ReferralStream(registry, seed=3)
    return [
        (topics.inbound(p.organisation_id), None, p.value)
        for p in (stream.next() for _ in range(count))
    ]


def wide_registry(local_authorities: int) -> PartnerRegistry:
    """The registered partners, each referring children from the first ``local_authorities``.

    The shipped registry covers four LAs; a scale-out measurement needs more keys than
    partitions, as a real regional front door would have.
    """
    registry = load_registry()
    las = sorted(LOCAL_AUTHORITIES)[:local_authorities]
    return PartnerRegistry(
        partners=tuple(p.model_copy(update={"local_authorities": las}) for p in registry.partners)
    )


def accepted_messages(count: int, registry: PartnerRegistry, topics: Topics) -> list[Message]:
    """``count`` accepted referrals as intake would have written them for triage."""
    stream = ReferralStream(registry, seed=3)
    messages: list[Message] = []
    for publication in itertools.islice(stream, count * 2):
        if len(messages) == count:
            break
        verdict = validate_referral(publication.value)
        if not isinstance(verdict, Accepted):
            continue
        referral = verdict.referral
        accepted = AcceptedReferral.of(
            referral,
            publication.organisation_id,
            datetime.now(UTC),
            Origin(topic="bench", partition=0, offset=len(messages)),
        )
        key = referral.local_authority.encode()
        messages.append((topics.accepted, key, accepted.model_dump_json().encode()))
    if len(messages) < count:
        raise RuntimeError("the simulated partners sent too few valid referrals")
    return messages


async def send_messages(kafka: KafkaSettings, messages: list[Message]) -> None:
    """Send each (topic, key, value) and wait until the broker has them all."""
    producer = make_producer(kafka, client_id="bench", linger_ms=20)
    await producer.start()
    try:
        for topic, key, value in messages:
            await producer.send(topic, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


async def _group_members(kafka: KafkaSettings, group: str) -> int:
    admin = make_admin(kafka)
    await admin.start()
    try:
        try:
            (response,) = await admin.describe_consumer_groups([group])
        except GroupCoordinatorNotAvailableError:  # a fresh broker makes its offsets topic
            return 0
        (described,) = response.groups
        # A described group is: error code, group id, state, protocol type, protocol, members
        return len(described[5]) if described[2] == "Stable" else 0
    finally:
        await admin.close()


async def measure_stage(
    stage: str,
    count: int,
    bootstrap: str,
    *,
    processes: int = 1,
    partitions: int | None = None,
    local_authorities: int | None = None,
) -> StageResult:
    """Run ``processes`` of one stage in one group, then time ``count`` inputs through them.

    Inputs are prepared in memory first and sent once every process has joined, so the
    figure is the stage's, not the time to generate messages or to rebalance.
    """
    kafka = KafkaSettings(bootstrap_servers=bootstrap, topic_prefix=f"bench{uuid.uuid4().hex[:8]}.")
    registry = wide_registry(local_authorities) if local_authorities else load_registry()
    await ensure_topics(kafka, registry.topic_specs(kafka.topics), partitions=partitions)
    if stage == "intake":
        messages = _inbound_messages(count, registry, kafka.topics)
        outputs = [kafka.topics.accepted, kafka.topics.invalid]
    else:
        messages = accepted_messages(count, registry, kafka.topics)
        outputs = [kafka.topics.decisions]
    mean = sum(len(value) for _, _, value in messages) // count
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTDOOR_TOPIC_PREFIX": kafka.topic_prefix,
        f"FRONTDOOR_{stage.upper()}_LOG_LEVEL": "WARNING",
    }
    running = [
        subprocess.Popen(  # noqa: ASYNC220 - long-lived children, waited for in a thread
            [sys.executable, "-m", "frontdoor", "run", stage],
            env={**env, f"FRONTDOOR_{stage.upper()}_INSTANCE_ID": str(number)},
        )
        for number in range(processes)
    ]
    consumer = make_consumer(kafka, group_id=None, client_id="bench-reader", topics=outputs)
    await consumer.start()
    try:
        group = safe_client_id(kafka.topic_prefix + "frontdoor", stage)
        async with asyncio.timeout(120):
            while await _group_members(kafka, group) < processes:  # noqa: ASYNC110 - polls the broker
                await asyncio.sleep(0.2)
        started = time.monotonic()
        await send_messages(kafka, messages)
        seen = 0
        while seen < count:
            batch = await consumer.getmany(timeout_ms=500)
            seen += sum(len(records) for records in batch.values())
        seconds = time.monotonic() - started
    finally:
        await consumer.stop()
        for process in running:
            process.terminate()
        for process in running:
            await asyncio.to_thread(process.wait)
        await drop_topics(kafka)
    return StageResult(
        stage, seen, round(seconds, 2), round(seen / seconds), mean, processes, partitions
    )
