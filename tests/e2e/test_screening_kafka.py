"""A person decides, on the real broker: proposals, screening decisions, queues and referrers.

DOMAIN B "Who decides": the policy proposes; a named person confirms or changes each proposal;
the machine may raise, never lower or close.
"""

from __future__ import annotations

import pytest

from conftest import read_topics
from factories import another_child, encode, recently, referral
from runtime.kafka.clients import make_producer
from schemas.status import Outcome, Status, StatusUpdate
from schemas.triage import Decision, DecisionKind, Level, QueueItem
from screening import about, proposals, screen_over_kafka

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

SCHOOL = "stockton-riverside-academy"
QUIET = {"immediate_risk": False, "injury_observed": False}


def school_contact(n: int) -> dict:
    """A school's universal-level worry about child ``n``: the policy proposes NFA."""
    return referral(
        referral_id=f"S-{n}",
        referrer={"organisation_id": SCHOOL, "source": "2A"},
        child=another_child(n),
        concerns=[{"factor": "21", "detail": "Often late."}],
        risk=QUIET,
        consent={"status": "given"},
        submitted_at=recently(),
    )


async def test_screening_decisions_on_the_running_pipeline(topics_ready, services, reader) -> None:
    kafka = topics_ready
    for name in ("intake", "triage", "notifier"):
        services.start(name)
    acute = referral(referral_id="CP-4", risk={**QUIET, "immediate_risk": True})
    producer = make_producer(kafka, client_id="test-partners")
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(kafka.topics.inbound(SCHOOL), encode(school_contact(n)))
        acute["submitted_at"] = recently()
        await producer.send_and_wait(kafka.topics.inbound("cleveland-police"), encode(acute))
    finally:
        await producer.stop()

    waiting = await proposals(reader, kafka, count=6)
    red = about(waiting, "CP-4")
    held = [about(waiting, f"S-{n}") for n in range(5)]
    assert all(case.held for case in held)
    # a level-4 proposal is on the E&A queue before anyone screened it; the held ones on none
    teams = [
        QueueItem.model_validate_json(r.value)
        for r in await reader(
            [kafka.topics.queue_enquiry_assessment, kafka.topics.queue_early_help], count=1
        )
    ]
    assert [(i.queue, i.case.case_id) for i in teams] == [(Outcome.ENQUIRY_ASSESSMENT, red.case_id)]
    told = await reader([kafka.topics.status(SCHOOL)], count=5, timeout=60)
    assert {StatusUpdate.model_validate_json(r.value).status for r in told} == {Status.RECEIVED}

    # five confirmed together by one person; the red one lowered to early help with a reason;
    # then the same five actions again (a double click): nothing changes
    await screen_over_kafka(kafka, held, actor="pat.lee")
    await screen_over_kafka(
        kafka,
        [red],
        actor="pat.lee",
        change=lambda _: {
            "level": Level.ADDITIONAL,
            "outcome": Outcome.EARLY_HELP,
            "reason": "The officer says the child is safe with her grandmother tonight",
        },
    )
    await screen_over_kafka(kafka, held, actor="pat.lee")

    decisions = [
        Decision.model_validate_json(r.value)
        for r in await read_topics(kafka, [kafka.topics.decisions], count=13, timeout=60, settle=3)
    ]
    screened = [d for d in decisions if d.kind is DecisionKind.SCREENED]
    assert len(screened) == 6  # each its own decision, once, with the person's name
    assert {d.decided_by for d in screened} == {"pat.lee"}
    assert sorted(d.agreed for d in screened) == [False, *[True] * 5]
    assert not [d for d in decisions if d.kind is DecisionKind.ACTION_REFUSED]

    moved = [
        QueueItem.model_validate_json(r.value)
        for r in await reader(
            [kafka.topics.queue_enquiry_assessment, kafka.topics.queue_early_help], count=3
        )
    ]
    assert sorted((i.queue.value, i.reason) for i in moved if i.case.case_id == red.case_id) == [
        ("early-help", "moved"),
        ("enquiry-assessment", "opened"),
        ("enquiry-assessment", "withdrawn"),  # the person lowered it: the E&A item withdrawn
    ]
    updates = [
        StatusUpdate.model_validate_json(r.value)
        for r in await read_topics(
            kafka, [kafka.topics.status(SCHOOL)], count=10, timeout=60, settle=3
        )
    ]
    for n in range(5):  # each referrer told once, after the person decided
        mine = [u for u in updates if u.referral_id == f"S-{n}"]
        assert [(u.status, u.outcome) for u in mine] == [
            (Status.RECEIVED, None),
            (Status.TRIAGED, Outcome.NO_FURTHER_ACTION),
        ]
