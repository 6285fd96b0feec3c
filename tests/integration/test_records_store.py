"""The records store on SQLite and on a real PostgreSQL: schema, rows, offsets, idempotence."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from domain.policies import PolicyBook
from domain.policy import load_policy
from domain.school_roll import SchoolRoll
from factories import NOW, accepted, encode, notice, referral
from fakes import FakeRecord
from runtime.partners import load_registry
from runtime.records_db import tables
from runtime.records_db.database import (
    SchemaBehindError,
    make_engine,
    require_current_schema,
    upgrade,
)
from schemas.encompass import AcceptedNotice, EncompassNotice, notice_ref_for
from schemas.intake import Origin, Rejection
from schemas.status import FieldError, Status, StatusUpdate
from schemas.topics import Topics
from services.records.projection import Projection, Row, Rows
from services.records.store import RecordsStore
from services.triage.encompass import EncompassRelay
from services.triage.engine import Effects, TriageEngine

TOPICS = Topics()


def history() -> Effects:
    """Three referrals through the real triage engine: a case, a link, another child."""
    engine = TriageEngine(PolicyBook.single(load_policy()))
    effects = Effects()
    other = {**referral()["child"], "given_name": "Zara", "nhs_number": None, "upn": None}
    for offset, document in enumerate(
        [
            referral(referral_id="A-1", child=referral()["child"] | {"ethnicity": "WBRI"}),
            referral(referral_id="A-2"),
            referral(referral_id="B-1", child=other),
        ]
    ):
        at = NOW + timedelta(minutes=offset)
        document["submitted_at"] = (at - timedelta(minutes=1)).isoformat()
        effects.extend(engine.on_referral(accepted(document, at=at, offset=offset), 0))
    return effects


def records_of(effects: Effects) -> list[FakeRecord]:
    out = [FakeRecord(TOPICS.cases, c.model_dump_json().encode()) for c, _ in effects.cases]
    out += [FakeRecord(TOPICS.decisions, d.model_dump_json().encode()) for d in effects.decisions]
    for sequence, status in enumerate(effects.statuses, 1):
        update = StatusUpdate(
            contact_id=status.contact_id,
            referral_id=status.referral_id,
            organisation_id=status.organisation_id,
            sequence=sequence,
            status=status.status,
            message="Passed on.",
            occurred_at=status.occurred_at,
        )
        out.append(FakeRecord(TOPICS.status("cleveland-police"), update.model_dump_json().encode()))
    return out


def count(store: RecordsStore, table: type[tables.Base]) -> int:
    with Session(store.engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_database_behind_the_code_is_refused_until_upgraded(database_url: str) -> None:
    engine = make_engine(database_url)
    with pytest.raises(SchemaBehindError, match="run `frontdoor db upgrade`"):
        require_current_schema(engine)
    upgrade(engine)
    require_current_schema(engine)
    engine.dispose()


def test_a_batch_writes_every_table_and_its_offsets_together(store: RecordsStore) -> None:
    rows, unreadable = Projection(TOPICS).rows(records_of(history()))
    store.write(rows, {(TOPICS.cases, 0): 7, (TOPICS.decisions, 1): 3})

    assert unreadable == []
    assert count(store, tables.Case) == 2
    assert count(store, tables.Contact) == 3
    assert count(store, tables.Child) == 2
    assert count(store, tables.Decision) == 3
    assert count(store, tables.StatusUpdate) == 3
    assert store.next_offsets() == {(TOPICS.cases, 0): 7, (TOPICS.decisions, 1): 3}
    with Session(store.engine) as session:
        jayden = session.scalars(
            select(tables.Child).where(tables.Child.given_name == "Jayden")
        ).one()
        case = session.scalars(
            select(tables.Case).where(tables.Case.child_id == jayden.child_id)
        ).one()
    assert jayden.ethnicity == "WBRI"
    assert case.version == 2  # opened, then the link
    assert json.loads(case.rules)


def test_writing_the_same_batch_again_changes_nothing(store: RecordsStore) -> None:
    records = records_of(history())
    rows, _ = Projection(TOPICS).rows(records)
    store.write(rows, {(TOPICS.cases, 0): 7})
    before = [count(store, t) for t in (tables.Case, tables.Contact, tables.Decision)]
    store.write(rows, {(TOPICS.cases, 0): 7})
    assert [count(store, t) for t in (tables.Case, tables.Contact, tables.Decision)] == before


def test_an_older_version_of_a_case_never_replaces_a_newer_one(store: RecordsStore) -> None:
    effects = history()
    newest = Projection(TOPICS).rows(records_of(effects))[0]
    store.write(newest, {})
    first_version = Effects(cases=[effects.cases[0]])
    store.write(Projection(TOPICS).rows(records_of(first_version))[0], {})
    with Session(store.engine) as session:
        versions = session.scalars(select(tables.Case.version)).all()
    assert sorted(versions) == [1, 2]  # Jayden's case stays at 2; Zara's is 1


def notice_rows() -> Rows:
    """One police notice as triage relays it (version 1: delivered to the school)."""
    registry = load_registry()
    relay = EncompassRelay(PolicyBook.single(load_policy()), lambda: registry, SchoolRoll)
    fx = relay.on_notice(
        AcceptedNotice(
            notice_ref=notice_ref_for("cleveland-police", "ENC-1", "808"),
            organisation_id="cleveland-police",
            received_at=NOW,
            origin=Origin(topic="encompass.inbound.cleveland-police", partition=0, offset=1),
            notice=EncompassNotice.model_validate_json(encode(notice(notice_id="ENC-1"))),
        ),
        0,
    )
    records = [
        FakeRecord(TOPICS.encompass_notices, n.model_dump_json().encode()) for n, _ in fx.notices
    ]
    return Projection(TOPICS).rows(records)[0]


def read_row(store: RecordsStore, table: type[tables.Base]) -> dict[str, object]:
    with Session(store.engine) as session:
        found = session.scalars(select(table)).one()
        return {column.key: getattr(found, column.key) for column in table.__table__.columns}


def test_each_table_takes_a_newer_row_whole_and_never_an_older_one(store: RecordsStore) -> None:
    """Cases by version, children by when last recorded, notices by version, offsets by position:
    a newer row replaces every column, an older one (a replay, a slower writer) changes nothing."""
    effects = history()
    rows = Projection(TOPICS).rows(records_of(Effects(cases=[effects.cases[0]])))[0]
    ((case_id, case),) = rows.cases.items()
    ((child_id, child),) = rows.children.items()
    ((ref, notice_row),) = notice_rows().notices.items()
    topic = TOPICS.cases
    later = child["updated_at"] + timedelta(hours=1)

    def write(**tables_rows: dict[str, Row]) -> None:
        store.write(Rows(**tables_rows), {})

    write(cases={case_id: case}, children={child_id: child}, notices={ref: notice_row})
    store.write(Rows(), {(topic, 0): 10})
    # newer: every column replaced
    write(
        cases={case_id: case | {"version": 2, "state": "closed"}},
        children={child_id: child | {"updated_at": later, "ethnicity": "WIRI"}},
        notices={ref: notice_row | {"version": 2, "acknowledged_by": "Ms Key"}},
    )
    store.write(Rows(), {(topic, 0): 12})
    # older: nothing changes
    write(
        cases={case_id: case | {"state": "open"}},
        children={child_id: child | {"ethnicity": "WBRI"}},
        notices={ref: notice_row | {"acknowledged_by": "Someone else"}},
    )
    store.write(Rows(), {(topic, 0): 11})

    assert read_row(store, tables.Case)["version"] == 2
    assert read_row(store, tables.Case)["state"] == "closed"
    assert read_row(store, tables.Child)["ethnicity"] == "WIRI"
    assert read_row(store, tables.EncompassNotice)["version"] == 2
    assert read_row(store, tables.EncompassNotice)["acknowledged_by"] == "Ms Key"
    assert store.next_offsets() == {(topic, 0): 12}


def test_a_rejection_keeps_its_metadata_and_never_its_content(store: RecordsStore) -> None:
    rejection = Rejection(
        contact_id="c-x",
        organisation_id="cleveland-police",
        referral_id="R-9",
        received_at=NOW,
        origin={"topic": "referrals.inbound.cleveland-police", "partition": 0, "offset": 4},  # type: ignore[arg-type]
        size_bytes=812,
        sha256="ab" * 32,
        errors=[FieldError(loc="child.nhs_number", msg="not a valid NHS number")],
    )
    record = FakeRecord(TOPICS.rejections, rejection.model_dump_json().encode())
    rows, _ = Projection(TOPICS).rows([record])
    store.write(rows, {})
    with Session(store.engine) as session:
        row = session.scalars(select(tables.Rejection)).one()
    assert json.loads(row.error_locations) == ["child.nhs_number"]
    assert (row.size_bytes, row.organisation_id) == (812, "cleveland-police")


def test_an_unreadable_record_is_set_aside_and_the_rest_written(store: RecordsStore) -> None:
    records = [FakeRecord(TOPICS.decisions, b'{"not": "a decision"}'), *records_of(history())]
    rows, unreadable = Projection(TOPICS).rows(records)
    store.write(rows, {})
    assert unreadable == records[:1]
    assert count(store, tables.Decision) == 3


def test_status_updates_are_kept_in_order_per_contact(store: RecordsStore) -> None:
    rows, _ = Projection(TOPICS).rows(records_of(history()))
    store.write(rows, {})
    with Session(store.engine) as session:
        statuses = session.scalars(
            select(tables.StatusUpdate.status).order_by(tables.StatusUpdate.sequence)
        ).all()
    assert statuses[0] == Status.TRIAGED.value


def test_rows_and_offsets_are_one_transaction_a_failure_writing_offsets_keeps_no_row(
    store: RecordsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the offsets could not be written, no row may stay either: the batch is read again
    from the old offset, and rows kept without it would be written twice or skipped."""
    rows, _ = Projection(TOPICS).rows(records_of(history()))
    real = store._upsert

    def failing_on_offsets(session, table, batch, newer=""):  # type: ignore[no-untyped-def]
        if table is tables.ConsumedOffset:
            raise OperationalError("INSERT INTO consumed_offsets", {}, OSError("disk full"))
        return real(session, table, batch, newer)

    monkeypatch.setattr(store, "_upsert", failing_on_offsets)
    with pytest.raises(OperationalError):
        store.write(rows, {(TOPICS.cases, 0): 3})
    assert count(store, tables.Case) == count(store, tables.Decision) == 0
    assert store.next_offsets() == {}


def test_partner_checks_are_kept_with_their_answers_and_read_per_partner_and_overdue(
    store: RecordsStore,
) -> None:
    from runtime.records_db.checks import ChecksReader  # noqa: PLC0415
    from schemas.checks import CheckAnswer, ReceivedAnswer  # noqa: PLC0415
    from schemas.intake import Origin  # noqa: PLC0415
    from services.triage.checks import CheckPartner  # noqa: PLC0415

    partners = [CheckPartner("cleveland-police", "police"), CheckPartner("tees-health", "health")]
    engine = TriageEngine(PolicyBook.single(load_policy()), lambda _la: partners)
    document = referral(referral_id="A-1")  # DA, DASH medium: level 3, amber
    document["submitted_at"] = (NOW - timedelta(minutes=1)).isoformat()
    effects = engine.on_referral(accepted(document, at=NOW), 0)
    (case_id,) = engine.cases
    police = next(c for c in engine.cases[case_id].checks if c.agency == "police")
    answered_at = NOW + timedelta(hours=2)
    answer = CheckAnswer.model_validate_json(
        json.dumps(
            {
                "request_id": police.request_id,
                "result": "information",
                "information": "Two domestic incidents attended this year.",
                "flags": ["known-to-agency"],
                "answered_by": {"name": "Sam Researcher", "role": "MASH researcher"},
                "answered_at": answered_at.isoformat(),
            }
        )
    )
    received = ReceivedAnswer(
        organisation_id="cleveland-police",
        local_authority="808",
        received_at=answered_at,
        origin=Origin(topic="checks.answers.cleveland-police", partition=0, offset=0),
        answer=answer,
    )
    effects.extend(engine.on_check_answer(received, 0))
    effects.extend(engine.chase_checks(NOW + timedelta(days=3)))  # health's is overdue now
    rows, _ = Projection(TOPICS).rows(records_of(effects))
    store.write(rows, {})
    # an older version of the case arriving late never turns an answer back into a question
    store.write(Projection(TOPICS).rows(records_of(Effects(cases=[effects.cases[0]])))[0], {})

    reader = ChecksReader(store.engine)
    assert reader.for_partner("cleveland-police") == []  # answered: no longer open
    (mine,) = reader.for_partner("cleveland-police", open_only=False)
    assert (mine.state, mine.result, mine.late) == ("answered", "information", False)
    assert mine.child.family_name == "Smith"
    (overdue,) = reader.overdue(("808",), NOW + timedelta(days=3))
    assert overdue.organisation_id == "tees-health"
    assert reader.overdue(("805",), NOW + timedelta(days=3)) == []
    (times,) = reader.answer_times(("808",))
    assert (times.organisation_id, times.rag.value, times.answered) == (
        "cleveland-police",
        "amber",
        1,
    )
    assert times.median_hours == pytest.approx(2.0)
    with Session(store.engine) as session:
        row = session.get(tables.PartnerCheck, police.request_id)
        assert row is not None
        assert row.information == "Two domestic incidents attended this year."
        assert (row.answered_by_role, row.asked_by) == ("MASH researcher", "policy:default-2026.2")
        assert "6(1)(e)" in row.lawful_basis


def test_the_whole_referral_is_kept_by_contact_and_an_amendment_replaces_it(
    store: RecordsStore,
) -> None:
    """A case keeps the start of each account (it must fit one Kafka record); the records keep
    the whole referral from ``referrals.accepted``, so the case page can show all of it."""
    from runtime.records_db.reading import RecordsReader  # noqa: PLC0415

    long = "The child told her teacher " + "y" * 19_000
    first = accepted(referral(summary=long), at=NOW)
    amended = accepted(referral(summary=long + " More."), at=NOW + timedelta(hours=1), offset=1)
    projection = Projection(TOPICS)
    for version in (amended, first):  # the newer read first: the older never replaces it
        rows, unreadable = projection.rows(
            [FakeRecord(TOPICS.accepted, version.model_dump_json().encode())]
        )
        assert unreadable == []
        store.write(rows, {})
    whole = RecordsReader(store.engine).referrals([first.contact_id, "contact-unknown"])
    assert list(whole) == [first.contact_id]
    assert whole[first.contact_id].summary == long + " More."
