"""Annex A from a small known history, every cell checked, on SQLite and PostgreSQL.

List 3 counts referrals as the census does (DOMAIN.md), from a person's screening decision,
never from the policy's proposal (DOMAIN B "Who decides"): a contact linked to a case already
with the enquiry and assessment team is List 1 only; one moving a case there is a referral;
"Referral NFA" only for a case closed without being allocated.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from domain.annex_a import LIST_1_COLUMNS, LIST_3_COLUMNS, list_1, list_3
from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import accepted, referral, screen
from fakes import FakeRecord
from frontdoor.cli.main import app
from runtime.records_db.database import make_engine, upgrade
from runtime.records_db.reports import annex_a_facts
from schemas.topics import Topics
from schemas.triage import ActionKind, ManagerAction
from services.records.projection import Projection
from services.records.store import RecordsStore
from services.triage.actions import apply_action
from services.triage.engine import Effects, TriageEngine

TOPICS = Topics()
NO_RISK = {"immediate_risk": False, "injury_observed": False}
SCHOOL = {"organisation_id": "stockton-riverside-academy", "source": "2A"}


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=10, tzinfo=UTC)


def history(*, screened: bool = True) -> Effects:
    """Six children of Stockton (808), their contacts and a duty manager's actions.

    ``screened``: a duty manager confirms each proposal within the hour (else nobody decides).
    """
    engine = TriageEngine(PolicyBook.single(load_policy()))
    fx = Effects()
    ayo = {**referral()["child"], "given_name": "Ayo", "ethnicity": "BAFR"}  # born 02/04/2018, M
    bea = {
        **referral()["child"],
        "given_name": "Bea",
        "sex": "F",
        "date_of_birth": "2025-03-15",
        "nhs_number": None,
        "upn": None,
        "address": {"line1": "1 Elm Row", "town": "Stockton-on-Tees", "postcode": "TS19 8AA"},
    }
    cal = {**bea, "given_name": "Cal", "sex": "U", "date_of_birth": "2012-12-01"}
    dee = {**bea, "given_name": "Dee", "sex": "M", "date_of_birth": "2010-07-07"}
    eve = {**bea, "given_name": "Eve", "sex": "F", "date_of_birth": "2014-09-09"}
    gus = {**bea, "given_name": "Gus", "sex": "M", "date_of_birth": "2016-01-20"}
    other_council = {**bea, "given_name": "Mo", "sex": "M", "date_of_birth": "2013-03-03"}
    sent = [
        # Ayo: police, domestic abuse (DASH medium), before the period: a referral
        ("2025-12-20", referral(referral_id="A-0", child=ayo)),
        # Ayo again in the period: his case is still open with E&A, so this links: List 1 only
        ("2026-01-10", referral(referral_id="A-1", child=ayo)),
        # Bea: school, behaviour only: early help, not a referral
        (
            "2026-02-03",
            referral(
                referral_id="B-1",
                referrer=SCHOOL,
                child=bea,
                concerns=[{"factor": "14A"}],
                risk=NO_RISK,
                consent={"status": "given"},
            ),
        ),
        # Cal: neglect, a referral, then overridden to no further action by a manager
        (
            "2026-03-04",
            referral(referral_id="C-1", child=cal, concerns=[{"factor": "16A"}], risk=NO_RISK),
        ),
        # Dee: no factors: no further action at once, not a referral
        (
            "2026-04-05",
            referral(
                referral_id="D-1",
                referrer=SCHOOL,
                child=dee,
                concerns=[{"factor": "21"}],
                risk=NO_RISK,
                consent={"status": "given"},
            ),
        ),
        # Eve: school, behaviour: early help; the next day the police: domestic abuse (DASH
        # medium) links and moves her case to E&A: that contact is a referral
        (
            "2026-05-01",
            referral(
                referral_id="E-1",
                referrer=SCHOOL,
                child=eve,
                concerns=[{"factor": "14A"}],
                risk=NO_RISK,
                consent={"status": "given"},
            ),
        ),
        ("2026-05-02", referral(referral_id="E-2", child=eve)),
        # Gus: a referral, allocated, then closed: not NFA (it was allocated)
        ("2026-07-01", referral(referral_id="G-1", child=gus)),
        # neither list holds these: another council's child, and a contact the day after the
        # period (inside the two days the database read takes in beyond it)
        ("2026-06-01", referral(referral_id="M-1", local_authority="806", child=other_council)),
        ("2027-01-01", referral(referral_id="A-9", child=ayo)),
    ]
    for offset, (day, document) in enumerate(sent):
        document["submitted_at"] = (at(day) - timedelta(minutes=5)).isoformat()
        opened = engine.on_referral(accepted(document, at=at(day), offset=offset), 0)
        fx.extend(opened)
        case = opened.cases[-1][0]
        if screened and case.proposal is not None:
            fx.extend(screen(engine, case.case_id, at=at(day) + timedelta(hours=1)))
    ayo_case = next(c for c, _ in fx.cases if c.contacts[0].referral_id == "A-0").case_id
    cal_case = next(c for c, _ in fx.cases if c.contacts[0].referral_id == "C-1").case_id
    gus_case = next(c for c, _ in fx.cases if c.contacts[0].referral_id == "G-1").case_id
    for action in (
        ManagerAction(
            action_id="act-1",
            kind=ActionKind.ALLOCATE,
            case_id=ayo_case,
            local_authority="808",
            actor="sam.duty",
            worker="Jo Worker",
            submitted_at=at("2026-01-12"),
        ),
        ManagerAction(
            action_id="act-2",
            kind=ActionKind.OVERRIDE,
            case_id=cal_case,
            local_authority="808",
            actor="sam.duty",
            outcome="no-further-action",
            level=1,
            reason="family already supported",
            submitted_at=at("2026-03-05"),
        ),
        ManagerAction(
            action_id="act-3",
            kind=ActionKind.ALLOCATE,
            case_id=gus_case,
            local_authority="808",
            actor="sam.duty",
            worker="Ola Worker",
            submitted_at=at("2026-07-02"),
        ),
        ManagerAction(
            action_id="act-4",
            kind=ActionKind.CLOSE,
            case_id=gus_case,
            local_authority="808",
            actor="case-management",
            reason="episode ended",
            submitted_at=at("2026-07-20"),
        ),
    ):
        fx.extend(apply_action(engine, action, 0))
    return fx


def record(database_url: str, fx: Effects) -> RecordsStore:
    """``fx`` written to a fresh records database, as the records service writes it."""
    engine = make_engine(database_url)
    upgrade(engine)
    records = [FakeRecord(TOPICS.cases, c.model_dump_json().encode()) for c, _ in fx.cases]
    records += [FakeRecord(TOPICS.decisions, d.model_dump_json().encode()) for d in fx.decisions]
    rows, unreadable = Projection(TOPICS).rows(records)
    assert unreadable == []
    store = RecordsStore(engine)
    store.write(rows, {})
    return store


@pytest.fixture
def recorded(database_url: str) -> Iterator[RecordsStore]:
    store = record(database_url, history())
    yield store
    store.engine.dispose()


def test_a_proposal_nobody_decided_is_a_contact_never_a_referral(database_url: str) -> None:
    store = record(database_url, history(screened=False))
    first, last = date(2026, 1, 1), date(2026, 12, 31)
    facts = annex_a_facts(store.engine, "808", first, last)
    store.engine.dispose()
    assert len(list_1(facts, first, last)) == 7  # every contact
    # Only a manager's override of Cal's case decided anything, and an override is no
    # screening decision: nobody screened a contact, so no contact is a referral yet.
    assert list_3(facts, first, last) == []


def test_every_cell_of_both_lists(recorded: RecordsStore) -> None:
    first, last = date(2026, 1, 1), date(2026, 12, 31)
    facts = annex_a_facts(recorded.engine, "808", first, last)
    ids = {f.date_of_birth: f.child_id for f in facts}
    ayo, bea, cal, dee, eve, gus = (
        ids[date(*d)]
        for d in (
            (2018, 4, 2),
            (2025, 3, 15),
            (2012, 12, 1),
            (2010, 7, 7),
            (2014, 9, 9),
            (2016, 1, 20),
        )
    )
    assert len({ayo, bea, cal, dee, eve, gus}) == 6
    assert all(i.startswith("child-") for i in (ayo, bea, cal, dee))  # never the NHS number

    assert list_1(facts, first, last) == [
        [ayo, "a) Male", "BAFR", "02/04/2018", "7", "10/01/2026", "6"],
        [bea, "b) Female", "NOBT", "15/03/2025", "0", "03/02/2026", "2A"],
        [cal, "c) Not stated/recorded", "NOBT", "01/12/2012", "13", "04/03/2026", "6"],
        [dee, "a) Male", "NOBT", "07/07/2010", "15", "05/04/2026", "2A"],
        [eve, "b) Female", "NOBT", "09/09/2014", "11", "01/05/2026", "2A"],
        [eve, "b) Female", "NOBT", "09/09/2014", "11", "02/05/2026", "6"],
        [gus, "a) Male", "NOBT", "20/01/2016", "10", "01/07/2026", "6"],
    ]
    assert list_3(facts, first, last) == [
        # (Ayo's contact of 10/01 linked to his case already with E&A: List 1 only)
        # Cal's referral, later overridden to no further action by a manager
        [
            cal,
            "c) Not stated/recorded",
            "NOBT",
            "01/12/2012",
            "13",
            "04/03/2026",
            "6",
            "Yes",
            "0",
            "",
            "",
        ],
        # Eve's second contact moved her early-help case to E&A: a referral
        [eve, "b) Female", "NOBT", "09/09/2014", "11", "02/05/2026", "6", "No", "0", "", ""],
        # Gus: allocated, then closed: not "no further action"
        [
            gus,
            "a) Male",
            "NOBT",
            "20/01/2016",
            "10",
            "01/07/2026",
            "6",
            "No",
            "0",
            "Enquiry and assessment",
            "Ola Worker",
        ],
    ]


@pytest.mark.usefixtures("recorded")
def test_the_command_writes_csv_and_xlsx_with_the_template_columns(
    database_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"FRONTDOOR_DATABASE_URL": database_url}
    base = ["export", "annex-a", "--la", "808", "--from", "2026-01-01", "--to", "2026-12-31"]
    result = runner.invoke(app, [*base, "--out", str(tmp_path / "csv")], env=env)
    assert result.exit_code == 0, result.output
    list_1_file, list_3_file = sorted((tmp_path / "csv").glob("*.csv"))
    with list_3_file.open() as rows:
        table = list(csv.reader(rows))
    assert tuple(table[0]) == LIST_3_COLUMNS
    assert [row[7] for row in table[1:]] == ["Yes", "No", "No"]
    with list_1_file.open() as rows:
        assert len(list(csv.reader(rows))) == 8  # the header and seven contacts

    result = runner.invoke(app, [*base, "--format", "xlsx", "--out", str(tmp_path / "x")], env=env)
    assert result.exit_code == 0, result.output
    (workbook,) = (tmp_path / "x").glob("*.xlsx")
    book = load_workbook(workbook)
    assert book.sheetnames == ["List 1", "List 3"]
    assert tuple(c.value for c in book["List 1"][1]) == LIST_1_COLUMNS
    assert book["List 3"].max_row == 4


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    result = CliRunner().invoke(
        app, ["export", "annex-a", "--la", "808", "--from", "2026-02-01", "--to", "2026-01-01"]
    )
    assert result.exit_code == 2
    assert "ends before it starts" in result.output
