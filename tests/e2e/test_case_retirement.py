"""Retirement for real: a case closed two years ago leaves triage's working set, not the records.

The running triage service's clock retires it (a tombstone on ``triage.cases``, its final state
on ``triage.archive``, in one transaction); the records service marks it archived; a restarted
triage restores only the working set; a new contact about the same child opens a new case.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from factories import accepted, referral
from runtime.kafka.clients import make_producer
from runtime.records_db import tables
from runtime.records_db.database import make_engine
from schemas.triage import Case, CaseState, Decision, DecisionKind
from screening import about, proposals, screen_over_kafka

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

UNIVERSAL = {  # a school's universal-level worry: a person closed it with advice at once
    "referral_id": "SRA-2024-1",
    "referrer": {"organisation_id": "stockton-riverside-academy", "source": "2A"},
    "concerns": [{"factor": "21"}],
    "risk": {"immediate_risk": False, "injury_observed": False},
    "consent": {"status": "given"},
}
OTHER_CHILD = {
    "given_name": "Amelia",
    "family_name": "Jones",
    "date_of_birth": "2015-01-09",
    "sex": "F",
}


async def publish(kafka, *documents: tuple[dict, datetime, int]) -> None:
    producer = make_producer(kafka, client_id="test-accepted")
    await producer.start()
    try:
        for document, at, offset in documents:
            sent = document | {"submitted_at": (at - timedelta(minutes=5)).isoformat()}
            value = accepted(sent, at=at, offset=offset).model_dump_json().encode()
            await producer.send_and_wait(kafka.topics.accepted, value, key=b"808")
    finally:
        await producer.stop()


def restored(log: str) -> list[dict]:
    return [json.loads(line) for line in log.splitlines() if '"cases restored"' in line]


async def test_a_case_closed_two_years_ago_retires_and_the_records_keep_it(
    topics_ready, services, reader
) -> None:
    kafka = topics_ready
    long_ago = datetime.now(UTC) - timedelta(days=730)
    await publish(
        kafka,
        (referral(**UNIVERSAL), long_ago, 1),  # closed with advice two years ago
        (referral(referral_id="CP-2024-9", child=OTHER_CHILD), long_ago, 2),  # open since
    )
    fast_clock = {"FRONTDOOR_TRIAGE_OVERDUE_CHECK_S": "1"}
    services.start("triage", **fast_clock)
    services.start("records")
    # a duty manager confirmed the proposal of no further action within the hour, back then
    universal = about(await proposals(reader, kafka, count=2), "SRA-2024-1")
    await screen_over_kafka(kafka, [universal], at=long_ago + timedelta(hours=1))

    (archived,) = await reader([kafka.topics.archive], count=1, timeout=90)
    final = Case.model_validate_json(archived.value)
    assert final.state is CaseState.CLOSED
    assert final.retired_at is not None
    assert archived.key == final.case_id.encode()

    states = await reader([kafka.topics.cases], count=4)  # opened, screened, tombstone; other
    of_retired = [r for r in states if r.key == archived.key]
    assert of_retired[-1].value is None  # the tombstone, after its versions
    assert Case.model_validate_json(of_retired[-2].value).version == final.version - 1
    live = [r for r in states if r.key != archived.key]
    assert live
    assert all(r.value is not None for r in live)

    # restarted, triage holds the working set only: the live case
    services.kill("triage")
    services.start("triage", **fast_clock)
    async with asyncio.timeout(60):
        while len(restored(services.logs("triage"))) < 2:
            await asyncio.sleep(0.2)
    assert restored(services.logs("triage"))[-1]["cases"] == 1

    # the same child again: a new case, decided as a first contact
    now = datetime.now(UTC)
    await publish(kafka, (referral(**UNIVERSAL | {"referral_id": "SRA-2026-7"}), now, 3))
    async with asyncio.timeout(60):
        while not (
            again := [
                decision
                for r in await reader([kafka.topics.decisions], count=4, timeout=60)
                if (decision := Decision.model_validate_json(r.value)).origin is not None
                and decision.origin.offset == 3
            ]
        ):
            await asyncio.sleep(0.5)
    assert [(d.kind, d.case_id != final.case_id) for d in again] == [(DecisionKind.TRIAGED, True)]

    # the records keep the retired case, marked archived
    database = make_engine(services.database_url)
    try:
        async with asyncio.timeout(60):
            while True:
                with Session(database) as session:
                    row = session.scalar(
                        select(tables.Case).where(tables.Case.case_id == final.case_id)
                    )
                if row is not None and row.archived:
                    break
                await asyncio.sleep(0.3)
        assert (row.version, row.state) == (final.version, "closed")
    finally:
        database.dispose()
