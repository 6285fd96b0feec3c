"""Kill the notifier mid-stream: every referrer still gets every update, in order, numbered
1, 2, 3... with no gap and no repeat."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from conftest import processing, read_topics
from frontdoor.broker.local import free_port
from runtime.kafka.clients import make_producer
from schemas.status import Outcome, Status, StatusEvent, StatusUpdate

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ORGS = ["cleveland-police", "tees-valley-gp-group", "stockton-riverside-academy"]
JOURNEY = [Status.RECEIVED, Status.TRIAGED, Status.OUTCOME_CHANGED, Status.ALLOCATED, Status.CLOSED]
CONTACTS = 400
KILLS = 2


def events() -> list[StatusEvent]:
    """Each contact's journey, interleaved across contacts as the pipeline would emit them."""
    rng = random.Random(3)
    at = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
    pending = {f"c-{n:04d}": list(JOURNEY) for n in range(CONTACTS)}
    out = []
    while pending:
        contact = rng.choice(sorted(pending))
        status = pending[contact].pop(0)
        if not pending[contact]:
            del pending[contact]
        at += timedelta(seconds=1)
        out.append(
            StatusEvent(
                contact_id=contact,
                referral_id=f"R-{contact}",
                organisation_id=ORGS[int(contact[2:]) % 3],
                status=status,
                outcome=Outcome.EARLY_HELP,
                occurred_at=at,
            )
        )
    return out


async def publish(kafka, stream: list[StatusEvent]) -> None:
    producer = make_producer(kafka, client_id="test-pipeline")
    await producer.start()
    try:
        for number, event in enumerate(stream):
            await producer.send(
                kafka.topics.status_events,
                event.model_dump_json().encode(),
                key=event.contact_id.encode(),
            )
            if number % 100 == 0:
                await asyncio.sleep(0.8)
        await producer.flush()
    finally:
        await producer.stop()


async def test_updates_stay_complete_and_in_sequence_across_kills(topics_ready, services) -> None:
    kafka = topics_ready
    stream = events()
    port = free_port()
    services.start("notifier", FRONTDOOR_NOTIFIER_HEALTH_PORT=str(port))
    publishing = asyncio.create_task(publish(kafka, stream))
    kills = 0
    while kills < KILLS and not publishing.done():
        await processing(port, publishing)
        await asyncio.sleep(random.uniform(0.1, 0.6))
        services.kill("notifier")
        services.start("notifier", FRONTDOOR_NOTIFIER_HEALTH_PORT=str(port))
        kills += 1
    await publishing
    assert kills == KILLS

    records = await read_topics(
        kafka, [kafka.topics.status(org) for org in ORGS], count=len(stream), timeout=120
    )
    by_contact = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.topic, r.partition, r.offset)):
        update = StatusUpdate.model_validate_json(record.value)
        assert record.topic == kafka.topics.status(update.organisation_id)
        by_contact[update.contact_id].append(update)
    assert len(records) == len(stream)
    for contact, updates in by_contact.items():
        assert [u.sequence for u in updates] == list(range(1, len(JOURNEY) + 1)), contact
        assert [u.status for u in updates] == JOURNEY, contact
