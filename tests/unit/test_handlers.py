"""The three pipeline handlers at their seams: fake records in, records to write out.

No broker and no process: these run in milliseconds beside the real-broker tests, which stay
the proof of delivery, ordering and exactly-once.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import yaml

from factories import NOW, accepted, encode, referral
from fakes import FakeRecord, book, policy_with
from runtime.demo import DEMO_PARTNERS_FILE
from runtime.partners import PartnerDirectory
from schemas.intake import AcceptedReferral, Rejection
from schemas.status import Outcome, Status, StatusEvent, StatusUpdate
from schemas.topics import Topics
from schemas.triage import Case, Decision, QueueItem
from services.intake.handler import REJECTION_HEADER, IntakeHandler
from services.notifier.handler import NotifierHandler
from services.triage.engine import TriageEngine
from services.triage.handler import TriageHandler

TOPICS = Topics()
POLICE = "cleveland-police"
# A council whose working day starts at 10:00 and that is closed on Wednesday 18 November.
LATE_START = policy_with(
    calendar={"day_start": "10:00", "day_end": "18:00", "closure_days": ["2026-11-18"]}
)


def partners(tmp_path: Path, *extra: dict[str, object]) -> PartnerDirectory:
    document = yaml.safe_load(DEMO_PARTNERS_FILE.read_text())
    document["partners"] += list(extra)
    path = tmp_path / "partners.yaml"
    path.write_text(yaml.safe_dump(document))
    return PartnerDirectory(path)


# --- intake ------------------------------------------------------------------------------------


def intake(tmp_path: Path) -> IntakeHandler:
    return IntakeHandler(TOPICS, partners(tmp_path), book(la_808=LATE_START), clock=lambda: NOW)


async def test_intake_writes_the_accepted_referral_and_a_received_status(tmp_path: Path) -> None:
    outputs = await intake(tmp_path)([FakeRecord(TOPICS.inbound(POLICE), encode(referral()))])

    main, status = outputs
    assert main.topic == TOPICS.accepted
    assert main.key == b"808"
    assert AcceptedReferral.model_validate_json(main.value).organisation_id == POLICE
    event = StatusEvent.model_validate_json(status.value)
    assert (status.topic, event.status) == (TOPICS.status_events, Status.RECEIVED)
    assert status.key == event.contact_id.encode()


async def test_the_promised_decision_time_follows_the_councils_own_calendar(
    tmp_path: Path,
) -> None:
    handler = intake(tmp_path)
    late, standard = (
        StatusEvent.model_validate_json(
            handler.handle(FakeRecord(TOPICS.inbound(POLICE), encode(referral(**fields))))[1].value
        )
        for fields in ({"local_authority": "808"}, {"local_authority": "805"})
    )
    # Received Tuesday 09:30: the late council's clock starts at 10:00 and runs 8 hours.
    assert late.decision_due == datetime(2026, 11, 17, 18, 0, tzinfo=UTC)
    assert standard.decision_due == datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


async def test_intake_rejects_with_the_original_bytes_and_every_error(tmp_path: Path) -> None:
    raw = encode(referral(local_authority="999", concerns=[]))
    main, audit, status = intake(tmp_path).handle(FakeRecord(TOPICS.inbound(POLICE), raw))

    assert (main.topic, main.value) == (TOPICS.invalid, raw)  # kept 90 days
    rejection = Rejection.model_validate_json(dict(main.headers)[REJECTION_HEADER])
    # the audit record outlives the bytes and holds nothing of the child
    assert (audit.topic, audit.value) == (TOPICS.rejections, rejection.model_dump_json().encode())
    assert b"Jayden" not in audit.value
    assert b"Jayden" in raw
    event = StatusEvent.model_validate_json(status.value)
    assert event.status is Status.REJECTED
    assert {e.loc for e in event.errors} == {e.loc for e in rejection.errors}
    assert {"local_authority", "concerns"} <= {e.loc for e in event.errors}


async def test_an_unregistered_organisations_referral_is_rejected_not_lost(tmp_path: Path) -> None:
    raw = encode(referral(referrer={**referral()["referrer"], "organisation_id": "stranger"}))
    main, audit, status = intake(tmp_path).handle(FakeRecord(TOPICS.inbound("stranger"), raw))

    assert (main.topic, audit.topic) == (TOPICS.invalid, TOPICS.rejections)
    event = StatusEvent.model_validate_json(status.value)
    assert event.organisation_id == "stranger"
    assert any("not registered" in e.msg for e in event.errors)


# --- triage ------------------------------------------------------------------------------------


def triage(policies: object = None) -> TriageHandler:
    return TriageHandler(TOPICS, TriageEngine(policies or book(la_808=LATE_START)))  # type: ignore[arg-type]


def accepted_record(document: dict[str, object] | None = None) -> FakeRecord:
    value = accepted(document).model_dump_json().encode()
    return FakeRecord(TOPICS.accepted, value, key=b"808", partition=1)


async def test_triage_writes_case_queue_item_decision_and_status_for_a_new_contact() -> None:
    outputs = await triage()([accepted_record()])

    by_topic = {out.topic: out for out in outputs}
    assert sorted(by_topic) == sorted(
        [
            TOPICS.cases,
            TOPICS.queue_enquiry_assessment,
            TOPICS.queue_screening,  # a level-3 proposal acts at once, and waits for a person
            TOPICS.decisions,
            TOPICS.status_events,
        ]
    )
    case = Case.model_validate_json(by_topic[TOPICS.cases].value)
    assert by_topic[TOPICS.cases].partition == 1  # the case lives with its LA's partition
    item = QueueItem.model_validate_json(by_topic[TOPICS.queue_enquiry_assessment].value)
    decision = Decision.model_validate_json(by_topic[TOPICS.decisions].value)
    assert item.case.case_id == decision.case_id == case.case_id
    assert decision.policy_version == LATE_START.version
    assert case.decision_due == LATE_START.decision_due(case.level, NOW)


async def test_a_councils_calendar_decides_its_due_times_and_no_other_councils() -> None:
    handler = triage()
    dues = {}
    for la in ("808", "805"):
        outputs = handler.handle(accepted_record(referral(local_authority=la, referral_id=la)))
        dues[la] = Case.model_validate_json(outputs[0].value).decision_due
    # Level 3, one working day from Tuesday 09:30: from 10:00 to 18:00 for the late council.
    assert dues["808"] == datetime(2026, 11, 17, 18, 0, tzinfo=UTC)
    assert dues["805"] == datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


async def test_a_malformed_action_goes_to_the_dead_letters_and_the_batch_goes_on() -> None:
    outputs = await triage()(
        [FakeRecord(TOPICS.actions, b'{"kind": "allocate"'), accepted_record()]
    )

    assert outputs[0].topic == TOPICS.dead_letter
    assert outputs[0].value == b'{"kind": "allocate"'
    assert dict(outputs[0].headers)["frontdoor-reason"] == b"malformed manager action"
    assert TOPICS.cases in {out.topic for out in outputs[1:]}


# --- notifier ----------------------------------------------------------------------------------


def status_record(contact: str, status: Status, org: str = POLICE, **fields: object) -> FakeRecord:
    event = StatusEvent(
        contact_id=contact,
        referral_id="R-" + contact,
        organisation_id=org,
        status=status,
        occurred_at=NOW,
        **fields,  # type: ignore[arg-type]
    )
    return FakeRecord(TOPICS.status_events, event.model_dump_json().encode(), partition=2)


SEQUENCES = TOPICS.notifier_sequences


async def test_each_contacts_updates_are_numbered_one_two_three(tmp_path: Path) -> None:
    handler = NotifierHandler(TOPICS, partners(tmp_path))
    records = [
        status_record("a", Status.RECEIVED),
        status_record("b", Status.RECEIVED),
        status_record("a", Status.TRIAGED, outcome=Outcome.EARLY_HELP),
        status_record("a", Status.ALLOCATED, outcome=Outcome.EARLY_HELP),
    ]
    outputs = await handler(records)

    updates = [StatusUpdate.model_validate_json(o.value) for o in outputs if o.topic != SEQUENCES]
    assert [(u.contact_id, u.sequence) for u in updates] == [("a", 1), ("b", 1), ("a", 2), ("a", 3)]
    assert {o.topic for o in outputs if o.topic != SEQUENCES} == {TOPICS.status(POLICE)}
    # each contact's new number once a batch (one transaction): its last
    sequences = [o for o in outputs if o.topic == SEQUENCES]
    assert [(o.key, json.loads(o.value)["sequence"]) for o in sequences] == [(b"b", 1), (b"a", 3)]
    assert {o.partition for o in sequences} == {2}
    # one record alone: its update and its number
    alone = handler.handle(status_record("c", Status.RECEIVED))
    assert [o.topic for o in alone] == [TOPICS.status(POLICE), SEQUENCES]


async def test_a_member_of_the_public_is_told_less(tmp_path: Path) -> None:
    public = {"id": "public", "name": "Public", "source": "1D", "local_authorities": ["808"]}
    handler = NotifierHandler(TOPICS, partners(tmp_path, public))
    due = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
    outputs = handler.handle(
        status_record(
            "p", Status.TRIAGED, "public", outcome=Outcome.ENQUIRY_ASSESSMENT, decision_due=due
        )
    )

    update = StatusUpdate.model_validate_json(outputs[0].value)
    assert update.outcome is None
    assert update.decision_due is None
    assert "enquiry" not in update.message
    assert "team" not in update.message


async def test_an_event_for_an_unregistered_organisation_is_dead_lettered(tmp_path: Path) -> None:
    (out,) = NotifierHandler(TOPICS, partners(tmp_path)).handle(
        status_record("x", Status.RECEIVED, "gone-away")
    )
    assert out.topic == TOPICS.dead_letter
    assert dict(out.headers)["frontdoor-reason"] == b"organisation not registered"


def test_a_closure_day_does_not_count() -> None:
    # Tuesday 17:00 plus two working hours: Wednesday is closed, so Thursday 11:00.
    tuesday_five = datetime(2026, 11, 17, 17, 0, tzinfo=UTC)
    assert LATE_START.clock.add_hours(tuesday_five, 2) == datetime(2026, 11, 19, 11, 0, tzinfo=UTC)
    assert (
        LATE_START.clock.hours_between(tuesday_five, datetime(2026, 11, 19, 10, 0, tzinfo=UTC)) == 1
    )


async def test_the_public_see_only_what_their_wording_allows_and_nothing_untrue(
    tmp_path: Path,
) -> None:
    public = {"id": "public", "name": "Public", "source": "9", "local_authorities": ["808"]}
    handler = NotifierHandler(TOPICS, partners(tmp_path, public))
    nfa, ea = Outcome.NO_FURTHER_ACTION, Outcome.ENQUIRY_ASSESSMENT
    events = [
        status_record("n", Status.RECEIVED, "public"),
        status_record("n", Status.TRIAGED, "public", outcome=nfa),
        status_record("l", Status.LINKED, "public", outcome=ea),  # the council had a case
        status_record("l", Status.OUTCOME_CHANGED, "public", outcome=nfa),
        status_record("l", Status.ALLOCATED, "public", outcome=ea),
        status_record("l", Status.CLOSED, "public", outcome=ea),
    ]
    updates = [
        StatusUpdate.model_validate_json(out.value)
        for out in await handler(events)
        if out.topic == TOPICS.status("public")
    ]

    assert [(u.contact_id, u.sequence, u.status) for u in updates] == [
        ("n", 1, Status.RECEIVED),
        ("n", 2, Status.TRIAGED),
        ("l", 1, Status.TRIAGED),  # linked reads as triaged
        ("l", 2, Status.CLOSED),  # outcome-changed and allocated are not sent
    ]
    assert "not taking further action" in updates[1].message
    assert "acting on it" not in updates[1].message
    assert "acting on it" in updates[2].message
    assert all(u.outcome is None and u.decision_due is None for u in updates)
