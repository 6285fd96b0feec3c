"""Two triage processes in one consumer group share the local authorities between them.

The second process joins while referrals flow, so partitions move (and their cases are
restored) mid-stream. Every accepted referral is still decided exactly once, and the
decisions are exactly those of one crash-free pass over each partition.
"""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from conftest import processing, read_topics
from expected import replay
from frontdoor.bench.stages import accepted_messages, send_messages, wide_registry
from frontdoor.broker.local import free_port
from runtime.kafka.admin import ensure_topics
from schemas.triage import Decision

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

REFERRALS = 1200
PARTITIONS = 6


async def records_in(port: int) -> int:
    async with httpx.AsyncClient() as client:
        health = (await client.get(f"http://127.0.0.1:{port}/health")).json()
    return int(health["counters"].get("records_in", 0))


async def joined(services, name: str, timeout: float = 60) -> None:
    """Return once the process ``name`` has been given partitions and restored their cases."""
    async with asyncio.timeout(timeout):
        while '"cases restored"' not in services.logs(name):
            await asyncio.sleep(0.1)


async def test_a_second_triage_process_takes_partitions_and_nothing_is_decided_twice(
    kafka, services
) -> None:
    registry = wide_registry(24)
    await ensure_topics(kafka, registry.topic_specs(kafka.topics), partitions=PARTITIONS)
    messages = accepted_messages(REFERRALS, registry, kafka.topics)
    ports = [free_port(), free_port()]

    def start(number: int) -> None:
        services.start(
            f"triage-{number}",
            "run",
            "triage",
            FRONTDOOR_TRIAGE_INSTANCE_ID=str(number),
            FRONTDOOR_TRIAGE_HEALTH_PORT=str(ports[number]),
        )

    start(0)
    await send_messages(kafka, messages[: REFERRALS // 3])
    # The first process must be deciding before the second starts (a second process that
    # happened to boot faster would otherwise take every partition first).
    never = asyncio.create_task(asyncio.Event().wait())
    try:
        await processing(ports[0], never, timeout=60)
    finally:
        never.cancel()
    start(1)  # joins while the middle third flows in, in small bursts
    for chunk in range(REFERRALS // 3, 2 * REFERRALS // 3, 100):
        await send_messages(kafka, messages[chunk : chunk + 100])
        await asyncio.sleep(0.3)
    # The last third only once the second process holds partitions (on a fast machine the
    # first could otherwise decide everything before the rebalance completes).
    await joined(services, "triage-1")
    for chunk in range(2 * REFERRALS // 3, REFERRALS, 100):
        await send_messages(kafka, messages[chunk : chunk + 100])

    accepted = await read_topics(kafka, [kafka.topics.accepted], count=REFERRALS, settle=0)
    expected = replay(accepted)
    decisions = await read_topics(
        kafka, [kafka.topics.decisions], count=len(expected.decisions), timeout=120
    )
    got = [Decision.model_validate_json(r.value) for r in decisions]
    origins = Counter(
        (d.origin.topic, d.origin.partition, d.origin.offset) for d in got if d.origin
    )
    handled = [await records_in(port) for port in ports]
    print(  # noqa: T201 - the counts a reader wants to see
        f"\n{len(accepted)} referrals over {PARTITIONS} partitions, {len(got)} decisions; "
        f"records handled by each process: {handled}"
    )
    assert len(origins) == REFERRALS
    assert set(origins.values()) == {1}
    by_id = {d.decision_id: d for d in expected.decisions}
    differ = [(d, by_id.get(d.decision_id)) for d in got if by_id.get(d.decision_id) != d]
    assert not differ, f"{len(differ)} decisions differ from a crash-free run; first: {differ[0]}"
    assert len(got) == len(expected.decisions)
    assert min(handled) > 0, "one process did all the work"
