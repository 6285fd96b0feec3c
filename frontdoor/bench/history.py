"""``frontdoor bench history``: what years of a large council cost the read side.

A history is generated quickly, straight into the records database (not through the
pipeline): cases over N years, most long closed, a few thousand live, with their contacts,
decisions and status updates. Then, on that database: how long the dashboard takes to be
ready and how much memory it holds, how fast every queue page (the team queues, the emergency
duty team's, screening, partner checks, Encompass), a case page and a search answer, and how
long a year's Annex A export takes. The last days' contacts wait for a person's screening
decision, as at a real front door (a day or two's backlog). Figures, not pass/fail.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from frontdoor.bench.processes import peak_rss_mb
from frontdoor.broker.local import free_port, throwaway_broker
from frontdoor.cli.export import write_csv
from frontdoor.simulator.children import FAMILY_NAMES, GIVEN_NAMES
from runtime.records_db import tables
from runtime.records_db.database import make_engine, upgrade
from runtime.records_db.reports import annex_a_lists, workbook
from runtime.web.passwords import hash_password
from schemas.codes import Factor, ReferralSource
from schemas.status import Outcome, Status, StatusUpdate
from schemas.triage import (
    Case,
    CaseState,
    ChildIdentity,
    ContactRecord,
    Decision,
    DecisionKind,
    Level,
    Proposal,
    Rag,
)
from services.records.projection import Rows, add_case, add_decision, add_update

LA = "808"
CHUNK = 5000
LIVE_DAYS = 45  # cases opened in the last weeks are still open or allocated
SCREENING_DAYS = 2  # cases opened in the last days still wait for a person's screening decision
OPEN_SHARE = 0.7  # of live cases; the rest are allocated
OK = 200
SAMPLES = 50  # requests of each kind timed after the first
OUTCOMES = (Outcome.ENQUIRY_ASSESSMENT, Outcome.EARLY_HELP, Outcome.NO_FURTHER_ACTION)
LEVELS = {
    Outcome.ENQUIRY_ASSESSMENT: (Level.COMPLEX, Rag.AMBER),
    Outcome.EARLY_HELP: (Level.ADDITIONAL, Rag.GREEN),
    Outcome.NO_FURTHER_ACTION: (Level.UNIVERSAL, Rag.BLUE),
}
RULES = {
    Level.ACUTE: "L4-IMMEDIATE",
    Level.COMPLEX: "L3-DA",
    Level.ADDITIONAL: "L2-CHILD",
    Level.UNIVERSAL: "L1-UNIVERSAL",
}
RED_SHARE = 0.15  # of enquiry-and-assessment cases
OFFICE_OPENS_UTC = 8  # a red case opened before then went to the emergency duty team too
PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throwaway account on a throwaway db


@dataclass(frozen=True, slots=True)
class HistoryResult:
    """One run's figures."""

    years: int
    cases: int
    live_cases: int
    contacts: int
    decisions: int
    status_updates: int
    generate_s: float
    dashboard_ready_s: float
    dashboard_rss_mb: float
    first_queue_page_ms: float  # the first after start: templates compiled, caches cold
    queue_page_p95_ms: float  # enquiry and assessment, early help and emergency duty together
    screening_waiting: int
    first_screening_page_ms: float
    screening_page_p95_ms: float
    emergency_duty_page_p95_ms: float  # as the emergency duty team sees it: its queue alone
    checks_page_p95_ms: float
    encompass_page_p95_ms: float
    case_page_p95_ms: float
    search_p95_ms: float
    annex_a_year_s: float  # read the lists and write them as CSV (the command's default)
    annex_a_year_xlsx_s: float  # the same, as an xlsx workbook (openpyxl: slower)
    annex_a_rows: int


def _identity(rng: random.Random, born: date) -> ChildIdentity:
    return ChildIdentity(
        given_name=rng.choice(GIVEN_NAMES),
        family_name=rng.choice(FAMILY_NAMES),
        date_of_birth=born,
        sex=rng.choice("FM"),
        postcode=(
            f"TS{rng.randint(1, 29)} {rng.randint(1, 9)}"
            f"{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRST')}"
        ),
    )


def _cases(years: int, per_year: int, now: datetime, seed: int) -> Iterator[Case]:
    rng = random.Random(seed)
    span = timedelta(days=365 * years)
    for number in range(years * per_year):
        opened = now - span + timedelta(seconds=rng.uniform(0, span.total_seconds()))
        live = now - opened < timedelta(days=LIVE_DAYS)
        waiting = now - opened < timedelta(days=SCREENING_DAYS)
        outcome = rng.choice(OUTCOMES)
        level, rag = (
            (Level.ACUTE, Rag.RED)
            if outcome is Outcome.ENQUIRY_ASSESSMENT and rng.random() < RED_SHARE
            else LEVELS[outcome]
        )
        child = _identity(rng, (opened - timedelta(days=rng.randint(30, 17 * 365))).date())
        contacts = [
            ContactRecord(
                contact_id=f"c-{number:08d}-{k}",
                organisation_id=rng.choice(("cleveland-police", "stockton-riverside-academy")),
                referral_id=f"R-{number:08d}-{k}",
                source=rng.choice(
                    (ReferralSource("6"), ReferralSource("2A"), ReferralSource("3A"))
                ),
                received_at=opened + timedelta(days=20 * k),
                content_hash=f"{number:064d}",
                summary="Generated for the history benchmark.",
                factors=[rng.choice((Factor("3B"), Factor("14A"), Factor("16A")))],
                level=level,
                outcome=outcome,
                rules=[RULES[level]],
                child=child,
            )
            for k in range(rng.choice((1, 1, 2)))
        ]
        state = (
            CaseState.OPEN
            if waiting
            else (CaseState.OPEN if rng.random() < OPEN_SHARE else CaseState.ALLOCATED)
            if live and outcome is not Outcome.NO_FURTHER_ACTION
            else CaseState.CLOSED
        )
        proposal = (
            Proposal(
                level=level,
                outcome=outcome,
                rag=rag,
                rules=[RULES[level]],
                policy_version="default-2026.2",
                proposed_at=opened,
                due=opened + timedelta(hours=4 if rag is Rag.RED else 24),
                contact_ids=[c.contact_id for c in contacts],
            )
            if waiting
            else None
        )
        yield Case(
            case_id=f"case-{number:08d}",
            child_id=f"child-{number:08d}",
            local_authority=LA,
            version=len(contacts) + 1,
            state=state,
            level=level,
            rag=rag,
            outcome=outcome,
            strategy_discussion=level is Level.ACUTE,
            decision_due=opened + timedelta(hours=4 if rag is Rag.RED else 24),
            rules=[RULES[level]],
            policy_version="default-2026.2",
            allocated_to="A Worker" if state is CaseState.ALLOCATED else None,
            closed_reason=None if state is not CaseState.CLOSED else "episode ended",
            opened_at=opened,
            updated_at=min(now, opened + timedelta(days=30)),
            contacts=contacts,
            proposal=proposal,
            # a red case opened out of hours is with the emergency duty team
            emergency_duty_since=opened
            if rag is Rag.RED and live and opened.hour < OFFICE_OPENS_UTC
            else None,
        )


def _rows(case: Case) -> Rows:
    """The case as the records service would write it, through its own projection.

    With the decision and the referrer's three updates each contact brings.
    """
    rows = Rows()
    add_case(rows, case)
    for contact in case.contacts:
        add_decision(
            rows,
            Decision(
                decision_id=f"d-{contact.contact_id}",
                case_id=case.case_id,
                local_authority=LA,
                kind=DecisionKind.TRIAGED if contact is case.contacts[0] else DecisionKind.LINKED,
                decided_by="policy:default-2026.2",
                decided_at=contact.received_at,
                contact_id=contact.contact_id,
                to_level=Level.COMPLEX,
                to_outcome=case.outcome,
                rules=["L3-DA"],
                policy_version="default-2026.2",
                reason="generated",
            ),
        )
        for sequence, status in enumerate((Status.RECEIVED, Status.TRIAGED, Status.CLOSED), 1):
            add_update(
                rows,
                StatusUpdate(
                    contact_id=contact.contact_id,
                    referral_id=contact.referral_id,
                    organisation_id=contact.organisation_id,
                    sequence=sequence,
                    status=status,
                    outcome=case.outcome,
                    message="Generated.",
                    occurred_at=contact.received_at + timedelta(minutes=sequence),
                ),
            )
    return rows


TABLES = {
    "cases": tables.Case,
    "children": tables.Child,
    "contacts": tables.Contact,
    "decisions": tables.Decision,
    "status_updates": tables.StatusUpdate,
}


def generate(
    engine: Engine, years: int, per_year: int, seed: int, progress: Callable[[int], None]
) -> dict[str, int]:
    """Write the history straight into the database; the rows written per table."""
    now = datetime.now(UTC)
    counts = dict.fromkeys(TABLES, 0)
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}

    def flush() -> None:
        with Session(engine) as session, session.begin():
            for name, rows in pending.items():
                if rows:
                    session.execute(insert(TABLES[name]), rows)
                    counts[name] += len(rows)
                    rows.clear()

    for number, case in enumerate(_cases(years, per_year, now, seed), 1):
        rows = _rows(case)
        for name in TABLES:
            pending[name].extend(getattr(rows, name).values())
        if number % CHUNK == 0:
            flush()
            progress(CHUNK)
    flush()
    return counts


def _p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[18] * 1000, 1) if len(samples) > 1 else 0.0


async def _dashboard(url: str, folder: Path, kafka: str) -> tuple[float, float, dict[str, float]]:
    managers = folder / "managers.yaml"
    managers.write_text(
        json.dumps(
            {
                "managers": [
                    {
                        "username": "bench.manager",
                        "name": "Bench",
                        "password_hash": hash_password(PASSWORD),
                        "local_authorities": [LA],
                    },
                    {
                        "username": "bench.edt",
                        "name": "Bench EDT",
                        "password_hash": hash_password(PASSWORD),
                        "local_authorities": [LA],
                        "role": "edt",
                    },
                ]
            }
        )
    )
    port = free_port()
    env = {
        "FRONTDOOR_DATABASE_URL": url,
        "FRONTDOOR_DASHBOARD_MANAGERS_FILE": str(managers),
        "FRONTDOOR_DASHBOARD_ENVIRONMENT": "development",
        "FRONTDOOR_DASHBOARD_PORT": str(port),
        "FRONTDOOR_DASHBOARD_LOG_LEVEL": "WARNING",
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "PATH": "/usr/bin:/bin",
    }
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: ASYNC220 - the measured process, not work of ours
        [sys.executable, "-m", "frontdoor", "dashboard"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            async with asyncio.timeout(300):
                while True:
                    try:
                        if (await client.get("/health")).status_code == OK:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)
            ready = time.perf_counter() - started
            await _sign_in(client, "bench.manager")
            async with httpx.AsyncClient(base_url=base, timeout=60) as edt:
                await _sign_in(edt, "bench.edt")
                timings, first = await _timed(client, edt)
        figures = {name: _p95(samples) for name, samples in timings.items()}
        return ready, peak_rss_mb(process.pid), figures | first
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _sign_in(client: httpx.AsyncClient, username: str) -> None:
    page = (await client.get("/login")).text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )


PAGES = {  # what each figure times: (the duty manager's or EDT's session, path)
    "queue": (False, f"/queues?la={LA}"),
    "screening": (False, f"/screening?la={LA}"),
    "emergency_duty": (True, f"/queues?la={LA}"),
    "checks": (False, f"/checks?la={LA}"),
    "encompass": (False, f"/encompass?la={LA}"),
}


async def _timed(
    client: httpx.AsyncClient, edt: httpx.AsyncClient
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Every page's timings, and the first queue and screening pages' (timed apart)."""
    timings: dict[str, list[float]] = {name: [] for name in (*PAGES, "case", "search")}
    # The first request of each kind compiles its template and warms the database's cache:
    # timed apart (first_*_ms), as the pipeline bench reports its warm-up.
    first: dict[str, float] = {}
    for name in ("queue", "screening"):
        begun = time.perf_counter()
        (await client.get(PAGES[name][1])).raise_for_status()
        first[f"first_{name}"] = round((time.perf_counter() - begun) * 1000, 1)
    for warm in ("/cases/case-00000000", "/search?q=Smith", *(p for _, p in PAGES.values())):
        (await client.get(warm)).raise_for_status()
    (await edt.get(f"/queues?la={LA}")).raise_for_status()
    for n in range(1, SAMPLES + 1):
        paths = {name: (edt if as_edt else client, path) for name, (as_edt, path) in PAGES.items()}
        paths["case"] = (client, f"/cases/case-{n:08d}")
        paths["search"] = (client, f"/search?q={GIVEN_NAMES[n % 9]}+{FAMILY_NAMES[n % 11]}")
        for name, (session, path) in paths.items():
            begun = time.perf_counter()
            (await session.get(path)).raise_for_status()
            timings[name].append(time.perf_counter() - begun)
    return timings, first


def run(
    years: int, per_year: int, url: str | None, seed: int, progress: Callable[[int], None]
) -> HistoryResult:
    """Generate a history, then measure the read side on it."""
    with tempfile.TemporaryDirectory(prefix="frontdoor-history-") as folder:
        database = url or f"sqlite:///{folder}/records.db"
        engine = make_engine(database)
        upgrade(engine)
        started = time.perf_counter()
        counts = generate(engine, years, per_year, seed, progress)
        generate_s = time.perf_counter() - started
        today = datetime.now(UTC).date()
        begun = time.perf_counter()
        lists = annex_a_lists(engine, LA, today - timedelta(days=365), today)
        read_s = time.perf_counter() - begun
        begun = time.perf_counter()
        write_csv(Path(folder), "annex-a", lists)
        export_s = read_s + time.perf_counter() - begun
        begun = time.perf_counter()
        workbook(lists)
        export_xlsx_s = read_s + time.perf_counter() - begun
        live = sum(1 for _ in _live(engine))
        waiting = _waiting(engine)
        engine.dispose()
        with throwaway_broker(heap="384m") as broker:
            ready, rss, p95 = asyncio.run(
                _dashboard(database, Path(folder), broker.bootstrap_servers)
            )
    return HistoryResult(
        years=years,
        cases=counts["cases"],
        live_cases=live,
        contacts=counts["contacts"],
        decisions=counts["decisions"],
        status_updates=counts["status_updates"],
        generate_s=round(generate_s, 1),
        dashboard_ready_s=round(ready, 2),
        dashboard_rss_mb=rss,
        first_queue_page_ms=p95["first_queue"],
        queue_page_p95_ms=p95["queue"],
        screening_waiting=waiting,
        first_screening_page_ms=p95["first_screening"],
        screening_page_p95_ms=p95["screening"],
        emergency_duty_page_p95_ms=p95["emergency_duty"],
        checks_page_p95_ms=p95["checks"],
        encompass_page_p95_ms=p95["encompass"],
        case_page_p95_ms=p95["case"],
        search_p95_ms=p95["search"],
        annex_a_year_s=round(export_s, 2),
        annex_a_year_xlsx_s=round(export_xlsx_s, 2),
        annex_a_rows=sum(len(rows) for _, rows in lists.values()),
    )


def _live(engine: Engine) -> Iterator[str]:
    with Session(engine) as session:
        yield from session.scalars(
            tables.Case.__table__.select()
            .with_only_columns(tables.Case.case_id)
            .where(tables.Case.state != CaseState.CLOSED.value)
        )


def _waiting(engine: Engine) -> int:
    """How many proposals wait for a person's screening decision."""
    with Session(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(tables.Case)
                .where(tables.Case.screening_due.is_not(None))
            )
            or 0
        )
