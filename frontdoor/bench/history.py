"""``frontdoor bench history``: what years of a large council cost the read side.

A history is generated quickly, straight into the records database (not through the
pipeline): cases over N years, most long closed, a few thousand live, with their contacts,
decisions and status updates. Then, on that database: how long the dashboard takes to be
ready and how much memory it holds, how fast a queue page, a case page and a search answer,
and how long a year's Annex A export takes. Figures, not pass/fail.
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
from sqlalchemy import Engine, insert
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
    Rag,
)
from services.records.projection import Rows, add_case, add_decision, add_update

LA = "808"
CHUNK = 5000
LIVE_DAYS = 45  # cases opened in the last weeks are still open or allocated
OPEN_SHARE = 0.7  # of live cases; the rest are allocated
OK = 200
SAMPLES = 50  # requests of each kind timed after the first
OUTCOMES = (Outcome.ENQUIRY_ASSESSMENT, Outcome.EARLY_HELP, Outcome.NO_FURTHER_ACTION)
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
    queue_page_p95_ms: float
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
        outcome = rng.choice(OUTCOMES)
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
                level=Level.COMPLEX,
                outcome=outcome,
                rules=["L3-DA"],
                child=child,
            )
            for k in range(rng.choice((1, 1, 2)))
        ]
        state = (
            (CaseState.OPEN if rng.random() < OPEN_SHARE else CaseState.ALLOCATED)
            if live and outcome is not Outcome.NO_FURTHER_ACTION
            else CaseState.CLOSED
        )
        yield Case(
            case_id=f"case-{number:08d}",
            child_id=f"child-{number:08d}",
            local_authority=LA,
            version=len(contacts) + 1,
            state=state,
            level=Level.COMPLEX,
            rag=Rag.AMBER,
            outcome=outcome,
            strategy_discussion=False,
            decision_due=opened + timedelta(days=1),
            rules=["L3-DA"],
            policy_version="default-2026.2",
            allocated_to="A Worker" if state is CaseState.ALLOCATED else None,
            closed_reason=None if state is not CaseState.CLOSED else "episode ended",
            opened_at=opened,
            updated_at=min(now, opened + timedelta(days=30)),
            contacts=contacts,
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
                    }
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
            page = (await client.get("/login")).text
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            await client.post(
                "/login",
                data={"username": "bench.manager", "password": PASSWORD, "csrf_token": token},
            )
            timings: dict[str, list[float]] = {"queue": [], "case": [], "search": []}
            # The first request of each kind compiles its template and warms the database's
            # cache: timed apart (first_page_ms), as the pipeline bench reports its warm-up.
            begun = time.perf_counter()
            (await client.get(f"/queues?la={LA}")).raise_for_status()
            first = (time.perf_counter() - begun) * 1000
            (await client.get("/cases/case-00000000")).raise_for_status()
            (await client.get("/search?q=Smith")).raise_for_status()
            for n in range(1, SAMPLES + 1):
                for name, path in (
                    ("queue", f"/queues?la={LA}"),
                    ("case", f"/cases/case-{n:08d}"),
                    (
                        "search",
                        f"/search?q={GIVEN_NAMES[n % 9]}+{FAMILY_NAMES[n % 11]}",
                    ),
                ):
                    begun = time.perf_counter()
                    response = await client.get(path)
                    response.raise_for_status()
                    timings[name].append(time.perf_counter() - begun)
        figures = {name: _p95(samples) for name, samples in timings.items()}
        return ready, peak_rss_mb(process.pid), figures | {"first": round(first, 1)}
    finally:
        process.terminate()
        process.wait(timeout=30)


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
        first_queue_page_ms=p95["first"],
        queue_page_p95_ms=p95["queue"],
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
