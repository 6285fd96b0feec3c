"""``frontdoor bench history`` (triage's part): how long triage takes to restart after years.

The same generated history as the read side's (a large council's cases over N years, most long
closed) is written to a fresh ``triage.cases`` as triage would have left it, with retirement:

- **compacted**: what the log cleaner leaves: the working set only (live cases, and cases
  closed within the look-back window and margin), one version each;
- **uncleaned**: before the cleaner ever ran: every case's final version in time order, each
  retired case's tombstone at the moment it retired. (Real logs hold several versions of each
  case until cleaned; the cleaner runs every few minutes, so this is the worst case here.)

Then ``frontdoor run triage`` starts on it, and the time to its ``cases restored`` log line
and its peak memory (VmHWM) are read. Figures, not pass/fail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.policy import load_policy
from frontdoor.bench.history import _cases
from frontdoor.bench.processes import peak_rss_mb
from frontdoor.broker.local import free_port
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_producer
from runtime.kafka.settings import KafkaSettings
from schemas.triage import CaseState
from services.triage.engine import RETIRE_MARGIN

WINDOW = timedelta(days=load_policy().repeat_window_days)


@dataclass(frozen=True, slots=True)
class TriageRestart:
    """One restart's figures."""

    years: int
    layout: str  # compacted or uncleaned
    cases_ever: int
    working_set: int
    records_read: int
    ready_s: float
    rss_mb: float
    per_case_kb: float  # (peak RSS - RSS with no case) / cases held


Log = list[tuple[bytes, bytes | None]]


def _log(years: int, per_year: int, seed: int, *, compacted: bool) -> tuple[Log, int, int]:
    """The records of ``triage.cases`` in order: (key, value or None); cases ever; kept."""
    now = datetime.now(UTC)
    events: list[tuple[datetime, int, bytes, bytes | None]] = []
    ever = kept = 0
    for number, case in enumerate(_cases(years, per_year, now, seed)):
        ever += 1
        retires = (
            case.updated_at + WINDOW + RETIRE_MARGIN if case.state is CaseState.CLOSED else None
        )
        key = case.case_id.encode()
        if retires is None or retires > now:
            kept += 1
        elif compacted:
            continue
        events.append((case.updated_at, number, key, case.model_dump_json().encode()))
        if retires is not None and retires <= now:
            events.append((retires, number, key, None))
    events.sort(key=lambda e: (e[0], e[1]))
    return [(key, value) for _, _, key, value in events], ever, kept


async def _write(kafka: KafkaSettings, records: Log) -> None:
    topics = kafka.topics
    await ensure_topics(kafka, topics.specs_for([]))
    # a new topic's leader takes a moment to be known: the producer retries, quietly
    logging.getLogger("aiokafka.producer.sender").setLevel(logging.ERROR)
    producer = make_producer(kafka, client_id="bench-history", linger_ms=50)
    await producer.start()
    try:
        pending = []
        for key, value in records:
            pending.append(await producer.send(topics.cases, value, key=key, partition=0))
            if len(pending) >= 10_000:  # noqa: PLR2004 - a batch of acknowledgements
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def _restart(kafka: KafkaSettings, folder: Path) -> tuple[float, float, int, int]:
    """Start triage on the topics; seconds to restored, peak RSS, records read, cases held."""
    log_path = folder / "triage.log"
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "FRONTDOOR_TOPIC_PREFIX": kafka.topic_prefix,
        "FRONTDOOR_TRIAGE_HEALTH_PORT": str(free_port()),
        "PATH": "/usr/bin:/bin",
    }
    started = time.perf_counter()
    with log_path.open("wb") as out:
        process = subprocess.Popen(  # the measured process
            [sys.executable, "-m", "frontdoor", "run", "triage"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = started + 600
        while time.perf_counter() < deadline:
            for line in log_path.read_text().splitlines():
                if '"cases restored"' in line:
                    entry = json.loads(line)
                    ready = time.perf_counter() - started
                    return ready, peak_rss_mb(process.pid), entry["records"], entry["cases"]
            if process.poll() is not None:
                raise RuntimeError("triage stopped: " + log_path.read_text()[-2000:])
            time.sleep(0.02)
        raise RuntimeError("triage did not restore in 10 minutes")
    finally:
        process.terminate()
        process.wait(timeout=30)


def _baseline_rss(kafka: KafkaSettings, folder: Path) -> float:
    empty = _settings(kafka.bootstrap_servers, kafka.topic_prefix + "empty.")
    asyncio.run(ensure_topics(empty, empty.topics.specs_for([])))
    return _restart(empty, folder)[1]


def _settings(bootstrap_servers: str, prefix: str) -> KafkaSettings:
    return KafkaSettings().model_copy(
        update={"bootstrap_servers": bootstrap_servers, "topic_prefix": prefix}
    )


def run(  # noqa: PLR0917 - the history, and where to measure it
    years: int,
    per_year: int,
    seed: int,
    bootstrap_servers: str,
    folder: Path,
    prefix: str = "bench-",
) -> list[TriageRestart]:
    """Both layouts of one history length, on a running broker, in topics under ``prefix``."""
    results = []
    baseline = _baseline_rss(_settings(bootstrap_servers, prefix), folder)
    for layout in ("compacted", "uncleaned"):
        records, ever, kept = _log(years, per_year, seed, compacted=layout == "compacted")
        kafka = _settings(bootstrap_servers, f"{prefix}{years}y-{layout}.")
        asyncio.run(_write(kafka, records))
        del records
        ready, rss, read, held = _restart(kafka, folder)
        results.append(
            TriageRestart(
                years=years,
                layout=layout,
                cases_ever=ever,
                working_set=held,
                records_read=read,
                ready_s=round(ready, 2),
                rss_mb=rss,
                per_case_kb=round((rss - baseline) * 1024 / max(held, 1), 2),
            )
        )
        assert held == kept, (held, kept)  # noqa: S101 - the bench measures what it says
    return results
