"""A member of the public, followed through every outcome on the running pipeline.

The public are told less than professionals, never something untrue, and nothing that shows
the council already had a case.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from factories import encode, recently, referral
from runtime.demo import DEMO_PARTNERS_FILE
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_producer
from schemas.contact import contact_id_for
from schemas.status import Status, StatusUpdate
from schemas.triage import Decision, DecisionKind
from screening import about, proposals, screen_over_kafka

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

PUBLIC = "stockton-public"
PUBLIC_REFERRER = {"organisation_id": PUBLIC, "source": "1D"}
NO_RISK = {"immediate_risk": False, "injury_observed": False}


def child(given: str) -> dict:
    return {**referral()["child"], "given_name": given, "nhs_number": None, "upn": None}


async def test_the_public_hear_the_truth_about_each_outcome_and_nothing_more(
    topics_ready, services, reader, tmp_path: Path
) -> None:
    kafka = topics_ready
    registry = tmp_path / "partners.yaml"
    document = yaml.safe_load(DEMO_PARTNERS_FILE.read_text())
    document["partners"] = [p for p in document["partners"] if p["id"] != PUBLIC] + [
        {"id": PUBLIC, "name": "Stockton public", "source": "1D", "local_authorities": ["808"]}
    ]
    registry.write_text(yaml.safe_dump(document))
    await ensure_topics(kafka, kafka.topics.specs_for([PUBLIC]), partitions=2)
    for name in ("intake", "triage", "notifier"):
        services.start(name, FRONTDOOR_PARTNERS_FILE=str(registry))

    sent = {
        # universal need only, so no further action
        "P-NFA": referral(
            referral_id="P-NFA",
            referrer=PUBLIC_REFERRER,
            child=child("Ada"),
            concerns=[{"factor": "21"}],
            risk=NO_RISK,
            consent={"status": "given"},
        ),
        # the child's own needs, so early help
        "P-EH": referral(
            referral_id="P-EH",
            referrer=PUBLIC_REFERRER,
            child=child("Ben"),
            concerns=[{"factor": "14A"}],
            risk=NO_RISK,
            consent={"status": "given"},
        ),
        # neglect, so the enquiry and assessment team
        "P-EA": referral(
            referral_id="P-EA",
            referrer=PUBLIC_REFERRER,
            child=child("Cal"),
            concerns=[{"factor": "16A"}],
            risk=NO_RISK,
        ),
    }
    police_first = referral(referral_id="POL-1", child=child("Dee"), submitted_at=recently())
    linked = referral(
        referral_id="P-LINK",
        referrer=PUBLIC_REFERRER,
        child=child("Dee"),
        concerns=[{"factor": "16A"}],
        risk=NO_RISK,
    )
    producer = make_producer(kafka, client_id="test-partners")
    await producer.start()
    try:
        for doc in sent.values():
            doc["submitted_at"] = recently()
            await producer.send_and_wait(kafka.topics.inbound(PUBLIC), encode(doc))
        await producer.send_and_wait(kafka.topics.inbound("cleveland-police"), encode(police_first))
        await reader([kafka.topics.status("cleveland-police")], count=2, timeout=60)
        linked["submitted_at"] = recently()
        await producer.send_and_wait(kafka.topics.inbound(PUBLIC), encode(linked))
    finally:
        await producer.stop()

    # nobody is told "no further action" or "early help" before a person decides: those two
    # wait on the screening queue, told only "received"; then a duty manager confirms them
    waiting = await proposals(reader, kafka, count=5)
    held = [about(waiting, "P-NFA"), about(waiting, "P-EH")]
    assert all(case.held for case in held)
    early = await reader([kafka.topics.status(PUBLIC)], count=6, timeout=90)
    assert Counter(StatusUpdate.model_validate_json(r.value).referral_id for r in early) == {
        "P-NFA": 1,
        "P-EH": 1,
        "P-EA": 2,
        "P-LINK": 2,
    }
    screened_at = await screen_over_kafka(kafka, held, actor="sam.duty")

    records = await reader([kafka.topics.status(PUBLIC)], count=8, timeout=90)
    updates: dict[str, list[StatusUpdate]] = {}
    for record in records:
        update = StatusUpdate.model_validate_json(record.value)
        updates.setdefault(update.referral_id, []).append(update)

    for referral_id in (*sent, "P-LINK"):
        told = updates[referral_id]
        assert [u.status for u in told] == [Status.RECEIVED, Status.TRIAGED], referral_id
        assert [u.sequence for u in told] == [1, 2]
        assert all(u.outcome is None and u.decision_due is None for u in told)
        assert told[0].contact_id == contact_id_for(PUBLIC, referral_id)
    for decided in ("P-NFA", "P-EH"):
        assert updates[decided][1].occurred_at >= screened_at  # told once a person decided
    assert "not taking further action" in updates["P-NFA"][1].message
    assert "acting on it" not in updates["P-NFA"][1].message
    for acted_on in ("P-EH", "P-EA", "P-LINK"):
        message = updates[acted_on][1].message
        assert "acting on it" in message
        assert "team" not in message
        assert "early help" not in message
        assert "enquiry" not in message
    # ...and the public referral really joined the police's case: one decision says so, and
    # the police officer's referral and the public's are contacts of the same case
    decisions = [
        Decision.model_validate_json(r.value)
        for r in await reader([kafka.topics.decisions], count=5, timeout=60)
    ]
    (link,) = [d for d in decisions if d.contact_id == contact_id_for(PUBLIC, "P-LINK")]
    (police,) = [
        d for d in decisions if d.contact_id == contact_id_for("cleveland-police", "POL-1")
    ]
    assert link.kind is DecisionKind.LINKED
    assert link.case_id == police.case_id
