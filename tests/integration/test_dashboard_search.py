"""Search and a child's history on the dashboard, from the records database (SQLite and PG)."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook

from conftest import sign_in_over_http
from domain.policies import PolicyBook
from domain.policy import load_policy
from domain.school_roll import SchoolRoll
from factories import accepted, encode, managers_file, notice, referral, screen
from fakes import FakeRecord
from runtime.partners import load_registry
from runtime.records_db.database import make_engine, upgrade
from schemas.encompass import AcceptedNotice, EncompassNotice, notice_ref_for
from schemas.intake import Origin
from schemas.topics import Topics
from services.dashboard.app import create_app
from services.dashboard.settings import DashboardSettings
from services.records.projection import Projection
from services.records.store import RecordsStore
from services.triage.checks import from_registry
from services.triage.encompass import EncompassRelay
from services.triage.engine import Effects, TriageEngine

TOPICS = Topics()
PASSWORD = "a long test password"  # noqa: S105 - a test account's
UNIVERSAL = {
    "concerns": [{"factor": "21"}],
    "risk": {"immediate_risk": False, "injury_observed": False},
}
SCHOOL = {"organisation_id": "stockton-riverside-academy", "source": "2A"}


def history() -> Effects:
    registry = load_registry()  # level 3 asks the demo's check partners
    engine = TriageEngine(PolicyBook.single(load_policy()), from_registry(lambda: registry))
    fx = Effects()
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    elsewhere = {
        **referral()["child"],
        "given_name": "Jayden",
        "nhs_number": None,
        "upn": None,
        "address": {"line1": "2 Low St", "town": "Hartlepool", "postcode": "TS24 7AA"},
    }
    sent = [
        # Jayden Smith (born 02/04/2018, TS18 1AB): a closed case, then a live one
        referral(referral_id="S-1", referrer=SCHOOL, consent={"status": "given"}, **UNIVERSAL),
        referral(referral_id="P-7"),
        # another Jayden Smith, in Hartlepool (805): not this manager's
        referral(referral_id="H-1", local_authority="805", child=elsewhere),
    ]
    for offset, document in enumerate(sent):
        at = start + timedelta(days=30 * offset)
        document["submitted_at"] = (at - timedelta(minutes=5)).isoformat()
        opened = engine.on_referral(accepted(document, at=at, offset=offset), 0)
        fx.extend(opened)
        if offset == 0:  # a person confirms the school's contact: no further action, closed
            fx.extend(screen(engine, opened.cases[-1][0].case_id, at=at + timedelta(hours=1)))
    # Encompass notices: about Jayden (spelt Jaden by the police), and about his sister Kayla
    relay = EncompassRelay(PolicyBook.single(load_policy()), lambda: registry, SchoolRoll)
    for number, given in enumerate(("Jaden", "Kayla")):
        sent_at = start + timedelta(days=70, hours=number)
        document = notice(
            notice_id=f"ENC-{number}",
            sent_at=sent_at.isoformat(),
            incident_at=(sent_at - timedelta(hours=8)).isoformat(),
            child={"given_name": given, "family_name": "Smith", "date_of_birth": "2018-04-02"},
        )
        fx.extend(
            relay.on_notice(
                AcceptedNotice(
                    notice_ref=notice_ref_for("cleveland-police", f"ENC-{number}", "808"),
                    organisation_id="cleveland-police",
                    received_at=sent_at,
                    origin=Origin(
                        topic="encompass.inbound.cleveland-police", partition=0, offset=number
                    ),
                    notice=EncompassNotice.model_validate_json(encode(document)),
                ),
                0,
            )
        )
    return fx


@pytest.fixture
async def client(database_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with dashboard_over(history(), database_url, tmp_path) as client:
        yield client


@contextlib.asynccontextmanager
async def dashboard_over(
    fx: Effects, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A signed-in client of a dashboard whose records hold what ``fx`` wrote."""
    engine = make_engine(database_url)
    upgrade(engine)
    records = [FakeRecord(TOPICS.cases, c.model_dump_json().encode()) for c, _ in fx.cases]
    records += [FakeRecord(TOPICS.archive, c.model_dump_json().encode()) for c, _ in fx.retired]
    records += [FakeRecord(TOPICS.decisions, d.model_dump_json().encode()) for d in fx.decisions]
    records += [
        FakeRecord(TOPICS.encompass_notices, n.model_dump_json().encode()) for n, _ in fx.notices
    ]
    RecordsStore(engine).write(Projection(TOPICS).rows(records)[0], {})
    engine.dispose()
    settings = DashboardSettings(
        environment="development",
        managers_file=managers_file(tmp_path, "kim.duty", PASSWORD, ["808"]),
        database={"url": database_url},  # type: ignore[arg-type]
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as client:
        assert (await sign_in_over_http(client, "kim.duty", PASSWORD)).status_code == 303
        yield client
    app.state.engine.dispose()  # no lifespan ran (no Kafka here)


def found_children(page: str) -> list[str]:
    return re.findall(r'href="/children/([^"]+)"', page)


@pytest.mark.parametrize(
    "query",
    [
        "Jaden Smith",
        "jayden smyth",
        "Smith",
        "943 476 5919",
        "9434765919",
        "02/04/2018",
        "2018-04-02",
        "ts18 1ab",
        "A12345678901B",
    ],
)
async def test_the_child_is_found_by_any_of_what_a_referrer_might_know(client, query) -> None:
    page = (await client.get("/search", params={"q": query})).text
    assert len(set(found_children(page))) == 1, query  # the 808 child only, never Hartlepool's


async def test_a_referral_is_found_by_its_reference(client) -> None:
    page = (await client.get("/search", params={"q": "P-7"})).text
    assert "P-7</a> from cleveland-police" in page


async def test_nothing_is_found_outside_the_managers_councils(client) -> None:
    page = (await client.get("/search", params={"q": "TS24 7AA"})).text
    assert found_children(page) == []
    assert (await client.get("/search", params={"q": "H-1"})).text.count("H-1</a>") == 0


async def test_a_childs_page_shows_every_case_live_or_closed(client) -> None:
    page = (await client.get("/search", params={"q": "Jayden Smith"})).text
    (child_id,) = set(found_children(page))
    history_page = (await client.get(f"/children/{child_id}")).text
    assert history_page.count('class="history"') == 2
    assert "closed, no-further-action" in history_page
    assert "open, enquiry-assessment" in history_page
    assert "S-1" in history_page
    # the live level-3 case's partner checks, in the child's history
    assert history_page.count('<tr data-check="open">') == 3
    assert "cleveland-police (police)" in history_page
    assert "P-7" in history_page
    # the police's Encompass notice about him (Jaden), not the one about his sister
    assert history_page.count("<tr data-notice=") == 1
    assert "stockton-riverside-academy (URN 149001)" in history_page


async def test_another_councils_child_page_is_not_shown(client, database_url: str) -> None:
    engine = make_engine(database_url)
    from sqlalchemy import select  # noqa: PLC0415

    from runtime.records_db import tables  # noqa: PLC0415

    with engine.connect() as connection:
        other = connection.execute(
            select(tables.Child.child_id).where(tables.Child.local_authority == "805")
        ).scalar_one()
    engine.dispose()
    assert (await client.get(f"/children/{other}")).status_code == 404


async def test_annex_a_is_a_download_for_a_chosen_period(client) -> None:
    response = await client.get(
        "/returns/annex-a", params={"la": "808", "from": "2026-01-01", "to": "2026-12-31"}
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith('annex-a-808-20260101-20261231.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["List 1", "List 3"]
    assert book["List 1"].max_row == 3  # the header and Jayden's two contacts (808 only)
    refused = await client.get(
        "/returns/annex-a", params={"la": "808", "from": "2026-02-01", "to": "2026-01-01"}
    )
    assert refused.status_code == 400


async def test_the_queue_page_reads_the_live_cases_from_the_database(client) -> None:
    page = (await client.get("/queues", params={"la": "808"})).text
    assert '<span class="count">1 open</span>' in page  # Jayden's live case; the closed one not
    assert "Jayden Smith" in page


async def test_a_case_page_shows_the_childs_earlier_cases_even_archived_ones(
    database_url: str, tmp_path: Path
) -> None:
    engine = TriageEngine(PolicyBook.single(load_policy()))
    fx = Effects()
    first = datetime(2024, 3, 4, 10, tzinfo=UTC)
    later = first + timedelta(days=500)
    for offset, (at, reference) in enumerate(((first, "S-2024"), (later, "S-2025"))):
        if at == later:
            fx.extend(engine.retire(later))  # the first case, closed with advice, retires
        document = referral(referral_id=reference, referrer=SCHOOL, **UNIVERSAL)
        document["submitted_at"] = (at - timedelta(minutes=5)).isoformat()
        opened = engine.on_referral(accepted(document, at=at, offset=offset), 0)
        fx.extend(opened)
        # a person confirms the proposal: no further action, closed with advice
        fx.extend(screen(engine, opened.cases[-1][0].case_id, at=at + timedelta(hours=1)))
    (old,) = [case for case, _ in fx.retired]
    new = fx.cases[-1][0]
    assert new.child_id != old.child_id  # nothing in the working set lent it the child's id

    async with dashboard_over(fx, database_url, tmp_path) as client:
        page = (await client.get(f"/cases/{new.case_id}")).text
        assert "Earlier cases about this child" in page
        assert f'href="/cases/{old.case_id}"' in page
        assert "(archived)" in page
        earlier = (await client.get(f"/cases/{old.case_id}")).text
        assert f'href="/cases/{new.case_id}"' in earlier  # and the other way round


@pytest.mark.parametrize(
    "query",
    ["Zebedee Okonkwo", "Okonkwo", "943 476 5900", "01/01/1999", "ZZ99 9ZZ", "B98765432109C"],
)
async def test_a_query_about_nobody_the_council_knows_finds_nobody(client, query) -> None:
    """A name, number, birthday, postcode or UPN of no child recorded: no child found (a search
    that returned every child for a name would pass every other test here)."""
    page = (await client.get("/search", params={"q": query})).text
    assert found_children(page) == [], query
