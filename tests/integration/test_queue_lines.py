"""Queue pages from columns (issue 47), on SQLite and PostgreSQL.

A queue's and the screening page's rows are read from the columns written beside each case,
never from its document; a case written before those columns is still shown (from its
document); each queue shows its most urgent rows and "show more" shows more.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from test_dashboard_search import dashboard_over

from domain.cases import line_of, said_of
from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import NOW, accepted, another_child, referral
from runtime.records_db import tables
from runtime.records_db.database import make_engine
from runtime.records_db.reading import RecordsReader
from schemas.status import Outcome
from services.triage.engine import Effects, TriageEngine

POLICE_DA = referral()  # domestic abuse, no DASH grade: level 3, enquiry and assessment


def many(count: int) -> Effects:
    """``count`` children's level-3 cases, and as many held level-1 proposals."""
    engine = TriageEngine(PolicyBook.single(load_policy()))
    fx = Effects()
    for n in range(count):
        at = NOW + timedelta(minutes=n)
        born = date(2012, 1, 1) + timedelta(days=5 * n)  # a child each: no two born the same day
        child = another_child(0) | {"given_name": f"Kid{n}", "date_of_birth": born.isoformat()}
        for kind, document in (
            ("P", referral(referral_id=f"P-{n}", child=child)),
            (
                "S",
                referral(
                    referral_id=f"S-{n}",
                    referrer={"organisation_id": "stockton-riverside-academy", "source": "2A"},
                    child=child
                    | {
                        "given_name": f"Pupil{n}",
                        "family_name": f"School{n}",
                        "date_of_birth": (born + timedelta(days=2)).isoformat(),
                    },
                    concerns=[{"factor": "21", "detail": "Late."}],
                    risk={"immediate_risk": False, "injury_observed": False},
                    consent={"status": "given"},
                ),
            ),
        ):
            document["submitted_at"] = (at - timedelta(minutes=5)).isoformat()
            offset = 2 * n + (kind == "S")
            fx.extend(engine.on_referral(accepted(document, at=at, offset=offset), 0))
    return fx


async def test_rows_come_from_columns_and_show_more_shows_more(
    database_url: str, tmp_path: Path
) -> None:
    fx = many(60)
    newest = {case.case_id: case for case, _ in fx.cases}
    async with dashboard_over(fx, database_url, tmp_path) as client:
        engine = make_engine(database_url)
        reader = RecordsReader(engine)
        lines, total = reader.live_lines("808", Outcome.ENQUIRY_ASSESSMENT, NOW, 50)
        assert (len(lines), total) == (50, 60)
        assert all(line == line_of(newest[line.case_id]) for line in lines)
        waiting, held = reader.screening_lines("808", 200)
        assert held == 120  # every contact waits for a person: 60 raised, 60 held
        for row in waiting:
            case = newest[row.line.case_id]
            assert (row.proposal, row.waiting) == (case.proposal, said_of(case))

        # a case written before the columns is still shown, from its document
        with engine.begin() as connection:
            connection.execute(
                update(tables.Case)
                .where(tables.Case.case_id == lines[0].case_id)
                .values(child_name=None, sources=None, screening=None, contact_count=None)
            )
        again, _ = reader.live_lines("808", Outcome.ENQUIRY_ASSESSMENT, NOW, 50)
        assert again == lines
        again_waiting, _ = reader.screening_lines("808", 200)
        assert again_waiting == waiting
        engine.dispose()

        page = (await client.get("/queues?la=808")).text
        assert page.count("<tr class=") == 50  # the team queues' rows (the held are on none)
        assert "Show more (10 not shown)" in page
        more = re.search(r'href="(/queues\?la=808&amp;show=\d+)#q-enquiry-assessment"', page)
        assert more is not None
        page = (await client.get(more.group(1).replace("&amp;", "&"))).text
        assert page.count("<tr class=") == 60
        assert "Show more" not in page
        screening = (await client.get("/screening?la=808")).text
        assert screening.count("data-screening=") == 50
        assert "Show more (70 not shown)" in screening
        assert "Pupil7 School7" in (await client.get("/screening?la=808&show=120")).text


async def test_the_emergency_duty_queue_reads_its_mark_and_cases_written_before_it(
    database_url: str, tmp_path: Path
) -> None:
    engine = TriageEngine(PolicyBook.single(load_policy()))
    at = datetime(2026, 11, 17, 21, 0, tzinfo=UTC)  # a Tuesday evening: the office is closed
    fx = Effects()
    for n in range(2):
        document = referral(
            referral_id=f"EDT-{n}",
            child=another_child(n),
            risk={"immediate_risk": True, "injury_observed": False},
            submitted_at=(at - timedelta(minutes=5)).isoformat(),
        )
        fx.extend(engine.on_referral(accepted(document, at=at, offset=n), 0))
    red = [case for case, _ in fx.cases if case.with_emergency_duty]
    assert len({case.case_id for case in red}) == 2
    async with dashboard_over(fx, database_url, tmp_path):
        database = make_engine(database_url)
        reader = RecordsReader(database)
        marked = reader.emergency_duty_lines("808")
        assert sorted(line.case_id for line in marked) == sorted({c.case_id for c in red})
        with database.begin() as connection:  # one written before the columns existed
            connection.execute(
                update(tables.Case)
                .where(tables.Case.case_id == red[0].case_id)
                .values(child_name=None, emergency_duty=None, screening=None)
            )
        assert sorted(reader.emergency_duty_lines("808"), key=lambda line: line.case_id) == sorted(
            marked, key=lambda line: line.case_id
        )
        database.dispose()
