"""Operation Encompass at its seams (DOMAIN.md B "Operation Encompass relay"): the notice
contract, its due time, finding the school, delivery, acknowledgement and what the police are
told; fake records in, records to write out.

The real-broker test (tests/e2e/test_encompass_kafka.py) is the proof of delivery end to end.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from test_handlers import TOPICS, partners

from domain.school_roll import SchoolRoll, load_roll, parse_roll
from domain.validation import NoticeRejected, validate_notice
from domain.working_time import WorkingClock, before_next_school_day
from factories import NOW, encode, notice
from fakes import FakeRecord, book, policy_with
from runtime.demo import DEMO_PARTNERS_FILE
from runtime.partners import load_registry
from runtime.watched_file import WatchedFile
from schemas.encompass import (
    AcceptedNotice,
    Acknowledgement,
    EncompassNotice,
    FoundBy,
    Notice,
    Routing,
    notice_ref_for,
)
from schemas.intake import Origin
from schemas.status import Status, StatusEvent, StatusUpdate, Subject
from schemas.triage import ActionKind, ManagerAction
from schemas.yaml_files import ConfigFileError
from services.intake.handler import IntakeHandler
from services.notifier.handler import NotifierHandler
from services.triage.encompass import SCHOOL_STREAM, EncompassRelay
from services.triage.engine import TriageEngine
from services.triage.handler import TriageHandler

POLICE = "cleveland-police"
SCHOOL = "stockton-riverside-academy"  # URN 149001 in the demo registry
CLOCK = WorkingClock()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- due time: before the next school day starts ------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # Friday evening: Monday 08:30 (GMT in December)
        ("2026-12-04T18:40:00+00:00", "2026-12-07T08:30:00+00:00"),
        # 07:00 on a Tuesday, a school day not yet started: 08:30 that day
        ("2026-12-08T07:00:00+00:00", "2026-12-08T08:30:00+00:00"),
        # during Tuesday's school day: Wednesday 08:30
        ("2026-12-08T10:00:00+00:00", "2026-12-09T08:30:00+00:00"),
        # Sunday before the early May bank holiday (Monday 3 May 2027): Tuesday 08:30 BST
        ("2027-05-02T20:00:00+01:00", "2027-05-04T08:30:00+01:00"),
        # exactly 08:30 is too late for that morning
        ("2026-12-08T08:30:00+00:00", "2026-12-09T08:30:00+00:00"),
    ],
)
def test_a_notice_is_due_before_the_next_school_day_starts(received: str, due: str) -> None:
    assert before_next_school_day(at(received), CLOCK) == at(due)


def test_a_council_closure_day_is_not_a_school_day_and_weekend_working_is_not_either() -> None:
    closed = policy_with(
        calendar={"closure_days": ["2026-12-07"], "weekdays": [0, 1, 2, 3, 4, 5, 6]}
    )
    # Friday evening; Saturday and Sunday are the council's working days but not school days,
    # and Monday is its closure day: Tuesday 08:30
    assert closed.notice_due(at("2026-12-04T18:40:00+00:00")) == at("2026-12-08T08:30:00+00:00")


# --- the contract ------------------------------------------------------------------------------


def errors_of(document: dict, org: str | None = POLICE) -> dict[str, str]:
    registry = load_registry(DEMO_PARTNERS_FILE)
    verdict = validate_notice(encode(document), organisation_id=org, registry=registry, now=NOW)
    assert isinstance(verdict, NoticeRejected)
    return {error.loc: error.msg for error in verdict.errors}


def test_a_valid_notice_is_accepted() -> None:
    registry = load_registry(DEMO_PARTNERS_FILE)
    verdict = validate_notice(encode(notice()), organisation_id=POLICE, registry=registry, now=NOW)
    assert isinstance(verdict, EncompassNotice)
    assert verdict.child_present.value == "yes"


def test_every_error_names_its_field_and_none_repeats_a_value() -> None:
    document = notice(
        perpetrator="the father",  # who did what: not in the contract
        school_urn="14900",
        child_present="maybe",
    )
    del document["police_reference"]
    document["child"] = {**document["child"], "date_of_birth": "09/05/2017"}
    errors = errors_of(document)
    assert set(errors) == {
        "perpetrator",
        "school_urn",
        "child_present",
        "police_reference",
        "child.date_of_birth",
    }
    assert "unknown field" in errors["perpetrator"]
    assert "the father" not in json.dumps(errors)


def test_the_dates_must_make_sense_all_at_once() -> None:
    errors = errors_of(
        notice(
            incident_at="2026-11-18T21:15:00Z",  # tomorrow
            child={"given_name": "Mia", "family_name": "Hartley", "date_of_birth": "2008-01-02"},
        )
    )
    assert errors == {
        "incident_at": "is in the future",
        "child.date_of_birth": "makes the child 18 or over at the incident",
    }
    assert "incident_at" in errors_of(notice(incident_at="2026-10-01T21:15:00Z"))  # too old


def test_only_a_police_force_serving_the_council_may_send_a_notice() -> None:
    assert "only police forces" in errors_of(notice(), org=SCHOOL)["message"]
    assert "not registered" in errors_of(notice(), org="someone-else")["message"]
    assert "local_authority" in errors_of(notice(local_authority="201"))  # not Cleveland's


# --- the school roll ---------------------------------------------------------------------------

ROLL = """upn,given_name,family_name,date_of_birth,urn
A123456789012,Jayden,Smith,2016-03-04,149001
,Katie,Jones,2015-01-02,111702
,Sam,Twin,2014-06-01,149001
,Sam,Twin,2014-06-01,111702
"""


def test_the_roll_finds_a_school_by_upn_or_by_name_and_birthday() -> None:
    roll = parse_roll(ROLL)
    assert roll.school_of("Anyone", "Else", date(2000, 1, 1), "A123456789012") == "149001"
    assert roll.school_of("Jaden", "Smith", date(2016, 3, 4)) == "149001"  # a spelling variant
    assert roll.school_of("Katy", "Jones", date(2015, 1, 2)) == "111702"
    assert roll.school_of("Katie", "Jones", date(2015, 2, 1)) is None  # another birthday
    assert roll.school_of("Kevin", "Jones", date(2015, 1, 2)) is None  # another child
    assert roll.school_of("Sam", "Twin", date(2014, 6, 1)) is None  # two schools fit: a person


def test_a_bad_roll_names_the_line_and_column_never_a_value() -> None:
    with pytest.raises(ConfigFileError, match=r"line 3: date_of_birth is not a date") as caught:
        parse_roll(ROLL.replace("2015-01-02", "02/01/2015"))
    assert "02/01/2015" not in str(caught.value)
    with pytest.raises(ConfigFileError, match="missing columns urn"):
        parse_roll("upn,given_name,family_name,date_of_birth\n")
    with pytest.raises(ConfigFileError, match="line 2: urn is not a six-digit URN"):
        parse_roll(ROLL.replace("149001", "14900X", 1))


def test_a_broken_roll_keeps_the_last_good_one_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "roll.csv"
    path.write_text(ROLL)
    watched = WatchedFile(path, SchoolRoll, "school roll", recheck_s=0, parse=load_roll)
    path.write_text(ROLL.replace("149001", "not-a-urn", 1))
    time.sleep(0.01)
    assert watched.current.school_of("Jayden", "Smith", date(2016, 3, 4)) == "149001"
    assert "line 2: urn" in (watched.problem or "")
    path.write_text(ROLL.replace("Katie", "Kate"))
    assert watched.problem is None


# --- intake ------------------------------------------------------------------------------------


def intake(tmp_path: Path) -> IntakeHandler:
    return IntakeHandler(TOPICS, partners(tmp_path), book(), clock=lambda: NOW)


def test_intake_passes_a_police_notice_to_triage_by_council(tmp_path: Path) -> None:
    (accepted,) = intake(tmp_path).handle(  # triage tells the force: it knows a resend
        FakeRecord(TOPICS.encompass_inbound(POLICE), encode(notice()))
    )
    assert (accepted.topic, accepted.key) == (TOPICS.encompass_accepted, b"808")
    ref = AcceptedNotice.model_validate_json(accepted.value).notice_ref
    assert ref == notice_ref_for(POLICE, "CLE-ENC-0001", "808")


def test_the_force_hears_received_once_with_the_due_time_then_where_it_went(
    tmp_path: Path,
) -> None:
    fx = relay(tmp_path).on_notice(accepted_notice(), 0)
    told = [e for e in fx.statuses if e.organisation_id == POLICE]
    assert [(e.status, e.subject) for e in told] == [
        (Status.RECEIVED, Subject.ENCOMPASS_NOTICE),
        (Status.DELIVERED, Subject.ENCOMPASS_NOTICE),
    ]
    assert told[0].decision_due == at("2026-11-18T08:30:00+00:00")  # Tuesday 09:30: Wednesday
    assert told[0].school_urn is None


def test_intake_rejects_a_notice_on_a_topic_that_is_not_a_police_forces(tmp_path: Path) -> None:
    *kept, told = intake(tmp_path).handle(
        FakeRecord(TOPICS.encompass_inbound(SCHOOL), encode(notice()))
    )
    assert [out.topic for out in kept] == [TOPICS.invalid, TOPICS.rejections]
    event = StatusEvent.model_validate_json(told.value)
    assert (event.organisation_id, event.status) == (SCHOOL, Status.REJECTED)
    assert "police" in event.errors[0].msg


# --- triage: the relay -------------------------------------------------------------------------


def relay(tmp_path: Path, roll: str = ROLL) -> EncompassRelay:
    registry = partners(tmp_path).registry
    parsed = parse_roll(roll)
    return EncompassRelay(book(), lambda: registry, lambda: parsed)


def accepted_notice(**fields: object) -> AcceptedNotice:
    sent = EncompassNotice.model_validate_json(encode(notice(**fields)))
    return AcceptedNotice(
        notice_ref=notice_ref_for(POLICE, sent.notice_id, sent.local_authority),
        organisation_id=POLICE,
        received_at=NOW,
        origin=Origin(topic="t", partition=0, offset=0),
        notice=sent,
    )


def by_org(fx_statuses: list[StatusEvent]) -> dict[str, StatusEvent]:
    return {event.organisation_id: event for event in fx_statuses}


def test_a_notice_naming_a_registered_school_is_delivered_to_it(tmp_path: Path) -> None:
    fx = relay(tmp_path).on_notice(accepted_notice(), 0)
    ((state, partition),) = fx.notices
    assert (state.routing, state.found_by, state.school_id, partition) == (
        Routing.SCHOOL,
        FoundBy.NOTICE,
        SCHOOL,
        0,
    )
    told = by_org(fx.statuses)
    school = told[SCHOOL]
    assert school.status is Status.ENCOMPASS
    assert school.contact_id == state.notice_ref + SCHOOL_STREAM  # numbered apart
    assert school.encompass is not None
    assert (school.encompass.given_name, school.encompass.police_force) == (
        "Mia",
        "Cleveland Police",
    )
    assert school.encompass.acknowledge_by == at("2026-11-18T08:30:00+00:00")
    police = told[POLICE]
    assert (police.status, police.school_urn) == (Status.DELIVERED, "149001")  # they named it


def test_a_school_found_on_the_roll_is_not_named_to_the_police(tmp_path: Path) -> None:
    child = {"given_name": "Jaden", "family_name": "Smith", "date_of_birth": "2016-03-04"}
    fx = relay(tmp_path).on_notice(accepted_notice(school_urn=None, child=child), 0)
    ((state, _),) = fx.notices
    assert (state.found_by, state.urn, state.school_id) == (FoundBy.ROLL, "149001", SCHOOL)
    police = by_org(fx.statuses)[POLICE]
    assert (police.status, police.school_urn) == (Status.DELIVERED, None)


@pytest.mark.parametrize(
    ("fields", "routing"),
    [
        ({"school_urn": None}, Routing.NO_SCHOOL),  # Mia is not on the roll
        ({"school_urn": "100001"}, Routing.NOT_REGISTERED),  # a school, not a partner
    ],
)
def test_a_notice_without_a_registered_school_goes_to_the_council(
    tmp_path: Path, fields: dict, routing: Routing
) -> None:
    fx = relay(tmp_path).on_notice(accepted_notice(**fields), 0)
    ((state, _),) = fx.notices
    assert (state.routing, state.school_id, state.with_council) == (routing, None, True)
    assert [(e.organisation_id, e.status) for e in fx.statuses] == [
        (POLICE, Status.RECEIVED),
        (POLICE, Status.PASSED_TO_COUNCIL),
    ]


def test_a_resent_notice_changes_nothing_and_the_force_hears_it_once(tmp_path: Path) -> None:
    """Third review, item 12: a resend got "received" again, then "Update on your notice."."""
    relaying = relay(tmp_path)
    relaying.on_notice(accepted_notice(), 0)
    resent = accepted_notice().model_copy(update={"received_at": NOW + timedelta(hours=2)})
    again = relaying.on_notice(resent, 0)
    assert again.notices == []
    (event,) = again.statuses
    assert (event.status, event.held_since) == (Status.DUPLICATE, NOW)
    from domain.wording import sentence  # noqa: PLC0415

    assert sentence(event, public=False) == (
        "Already held, received 09:30 on Tuesday 17 November: this copy changes nothing and "
        "nothing was sent again."
    )


def ack(ref: str, school: str = SCHOOL) -> Acknowledgement:
    return Acknowledgement(
        notice_ref=ref,
        organisation_id=school,
        acknowledged_by="Ms Key Adult",
        acknowledged_at=NOW + timedelta(hours=20),
    )


def test_the_school_acknowledges_once_and_the_police_hear_of_it(tmp_path: Path) -> None:
    relaying = relay(tmp_path)
    ref = relaying.on_notice(accepted_notice(), 0).notices[0][0].notice_ref

    assert relaying.on_acknowledgement(ack(ref, "hartlepool-high-school"), 0).notices == []
    done = relaying.on_acknowledgement(ack(ref), 0)
    ((state, _),) = done.notices
    assert (state.acknowledged_by, state.acknowledged_at) == (
        "Ms Key Adult",
        NOW + timedelta(hours=20),
    )
    assert [(e.organisation_id, e.status) for e in done.statuses] == [(POLICE, Status.ACKNOWLEDGED)]
    assert relaying.on_acknowledgement(ack(ref), 0).notices == []  # a second: refused
    assert relaying.on_acknowledgement(ack("enc-808-" + "0" * 20), 0).notices == []  # unknown


def test_an_unacknowledged_notice_is_overdue_at_its_due_time_once(tmp_path: Path) -> None:
    relaying = relay(tmp_path)
    relaying.on_notice(accepted_notice(), 0)
    relaying.on_notice(accepted_notice(notice_id="CLE-ENC-0002"), 0)
    ref = relaying.on_notice(accepted_notice(notice_id="CLE-ENC-0003"), 0).notices[0][0].notice_ref
    relaying.on_acknowledgement(ack(ref), 0)
    due = at("2026-11-18T08:30:00+00:00")

    assert relaying.overdue(due - timedelta(seconds=1)).notices == []
    overdue = relaying.overdue(due).notices
    assert sorted(n.notice.notice_id for n, _ in overdue) == ["CLE-ENC-0001", "CLE-ENC-0002"]
    assert all(n.overdue for n, _ in overdue)
    assert relaying.overdue(due + timedelta(hours=1)).notices == []


def test_triage_writes_the_notice_state_to_its_partition_and_restores_it(tmp_path: Path) -> None:
    relaying = relay(tmp_path)
    handler = TriageHandler(TOPICS, TriageEngine(book()), relaying)
    outputs = handler.handle(
        FakeRecord(
            TOPICS.encompass_accepted, accepted_notice().model_dump_json().encode(), partition=4
        )
    )
    (state,) = [o for o in outputs if o.topic == TOPICS.encompass_notices]
    assert state.partition == 4
    restored = relay(tmp_path)
    restored.load(Notice.model_validate_json(state.value), 4)
    assert restored.on_notice(accepted_notice(), 4).statuses[0].status is Status.DUPLICATE
    restored.forget_partition(4)
    assert restored.notices == {}


# --- the notifier: what each is told -----------------------------------------------------------


def test_the_school_gets_the_notice_and_the_police_never_the_childs_details(
    tmp_path: Path,
) -> None:
    fx = relay(tmp_path).on_notice(accepted_notice(), 0)
    notifier = NotifierHandler(TOPICS, partners(tmp_path))
    updates = {}
    for event in fx.statuses:
        out = notifier.handle(FakeRecord(TOPICS.status_events, event.model_dump_json().encode()))
        updates[event.organisation_id] = (
            out[0].topic,
            StatusUpdate.model_validate_json(out[0].value),
        )
    topic, school = updates[SCHOOL]
    assert topic == TOPICS.status(SCHOOL)
    assert school.encompass is not None
    assert school.encompass.family_name == "Hartley"
    assert "acknowledge it by 08:30 on Wednesday 18 November" in school.message
    topic, police = updates[POLICE]
    assert topic == TOPICS.status(POLICE)
    assert police.message == "Delivered to the child's school (URN 149001)."
    assert "Hartley" not in police.model_dump_json()
    # numbered apart, no gaps for either: the police heard "received" (1), then this (2)
    assert (police.sequence, school.sequence) == (2, 1)


def test_what_a_person_did_about_a_council_notice_is_recorded_once_and_it_is_not_overdue(
    tmp_path: Path,
) -> None:
    relaying = relay(tmp_path)
    ref = relaying.on_notice(accepted_notice(school_urn=None), 0).notices[0][0].notice_ref
    note = ManagerAction(
        action_id="a1",
        kind=ActionKind.ENCOMPASS_NOTE,
        case_id=ref,
        local_authority="808",
        actor="sam.duty",
        reason="Telephoned the school's DSL at 07:50; she will see Mia at the gate.",
        submitted_at=NOW + timedelta(hours=20),
    )
    ((state, _),) = relaying.on_council_note(note, 0).notices
    assert [(n.by, n.note) for n in state.council_notes] == [("sam.duty", note.reason)]
    assert relaying.on_council_note(note, 0).notices == []  # the same action twice: once
    assert relaying.overdue(at("2026-11-18T09:00:00+00:00")).notices == []  # it was acted on
    unknown = note.model_copy(update={"action_id": "a2", "case_id": "enc-808-" + "1" * 20})
    assert relaying.on_council_note(unknown, 0).notices == []
