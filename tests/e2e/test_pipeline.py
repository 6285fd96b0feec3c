"""A referral published by a partner travels intake -> triage -> notifier on the real broker."""

from __future__ import annotations

import pytest

from factories import encode, recently, referral
from runtime.kafka.clients import make_producer
from schemas.contact import contact_id_for
from schemas.status import Outcome, StatusUpdate
from schemas.triage import Decision, QueueItem

pytestmark = pytest.mark.kafka


async def test_referral_reaches_queue_and_referrer_hears_each_step(
    topics_ready,
    services,
    reader,
) -> None:
    kafka = topics_ready
    document = referral(submitted_at=recently())  # police: domestic abuse, DASH medium
    org = document["referrer"]["organisation_id"]
    for name in ("intake", "triage", "notifier"):
        services.start(name)

    producer = make_producer(kafka, client_id="test-partner")
    await producer.start()
    try:
        await producer.send_and_wait(kafka.topics.inbound(org), encode(document))
    finally:
        await producer.stop()

    (record,) = await reader([kafka.topics.queue_enquiry_assessment], count=1, timeout=60)
    item = QueueItem.model_validate_json(record.value)
    assert record.key == b"808"
    assert (item.case.level, item.case.rules, item.reason) == (3, ["L3-DA"], "opened")
    decisions = [
        Decision.model_validate_json(r.value)
        for r in await reader([kafka.topics.decisions], count=2)
    ]
    # level 3: the case is triaged and its partner checks asked, in one transaction
    assert sorted(d.kind.value for d in decisions) == ["checks-asked", "triaged"]
    assert {d.case_id for d in decisions} == {item.case.case_id}

    updates = await reader([kafka.topics.status(org)], count=2, timeout=30)
    parsed = [StatusUpdate.model_validate_json(r.value) for r in updates]
    contact_id = contact_id_for(org, document["referral_id"])
    assert [(u.contact_id, u.sequence, u.status.value) for u in parsed] == [
        (contact_id, 1, "received"),
        (contact_id, 2, "triaged"),
    ]
    assert parsed[1].outcome is Outcome.ENQUIRY_ASSESSMENT
    assert parsed[1].decision_due == item.case.decision_due
    assert all(r.key == contact_id.encode() for r in updates)


async def test_service_stops_cleanly_on_sigterm(topics_ready, services, reader) -> None:
    kafka = topics_ready
    services.start("intake")
    producer = make_producer(kafka, client_id="test-partner")
    await producer.start()
    try:
        await producer.send_and_wait(kafka.topics.inbound("cleveland-police"), b"not json")
    finally:
        await producer.stop()
    await reader([kafka.topics.invalid], count=1, timeout=60)

    assert services.terminate("intake", timeout=30) == 0
    assert '"event": "service stopped"' in services.logs("intake")


async def test_rejected_referral_tells_its_partner_every_problem(
    topics_ready, services, reader
) -> None:
    kafka = topics_ready
    services.start("intake")
    services.start("notifier")
    child = referral()["child"] | {"nhs_number": "9434765918", "given_name": "Zebedee"}
    document = referral(submitted_at=recently(), local_authority="999", child=child)
    producer = make_producer(kafka, client_id="test-partner")
    await producer.start()
    try:
        await producer.send_and_wait(kafka.topics.inbound("cleveland-police"), encode(document))
    finally:
        await producer.stop()

    (record,) = await reader([kafka.topics.status("cleveland-police")], count=1, timeout=60)
    update = StatusUpdate.model_validate_json(record.value)
    assert update.status.value == "rejected"
    assert update.referral_id == document["referral_id"]
    assert update.sequence == 1
    assert {e.loc for e in update.errors} == {"local_authority", "child.nhs_number"}
    assert b"Zebedee" not in record.value
    assert b"9434765918" not in record.value
    assert await reader([kafka.topics.status("tees-valley-gp-group")], count=0, timeout=5) == []
