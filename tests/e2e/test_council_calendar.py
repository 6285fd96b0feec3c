"""One council's own working calendar changes its due times everywhere, and only its own.

Stockton (808) keeps a 07:00-19:00 working day and is closed for the next fortnight; Hartlepool
(805) has the default policy. Triage's due times, the referrer's "decision due by", the
dashboard's time left and ``frontdoor replay`` must all count 808's time on 808's calendar.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import ROOT, serving, sign_in_over_http
from domain.policy import DEFAULT_POLICY
from domain.wording import when
from factories import encode, managers_file, recently, referral
from fakes import policy_with
from frontdoor.broker.local import free_port
from runtime.kafka.clients import make_producer
from schemas.contact import contact_id_for
from schemas.status import Status, StatusUpdate
from schemas.triage import QueueItem

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

POLICE = "cleveland-police"
PASSWORD = "a long test password"  # noqa: S105 - a test account's
CLOSED_DAYS = [(date.today() + timedelta(days=n)).isoformat() for n in range(15)]  # noqa: DTZ011
CALENDAR = {"day_start": "07:00", "day_end": "19:00", "closure_days": CLOSED_DAYS}


def _hours(value: float) -> tuple[int, int]:
    minutes = round(value * 60)
    return minutes // 60, minutes % 60


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    document |= {"version": "stockton-test-1", "calendar": CALENDAR}
    (folder / "808.yaml").write_text(yaml.safe_dump(document))
    return folder


def start_stack(services, policy_dir: Path, tmp_path: Path) -> int:
    """The pipeline and the dashboard, all reading the same policy folder; the dashboard port."""
    managers = managers_file(tmp_path, "cal.manager", PASSWORD, ["808", "805"])
    port = free_port()
    env = {"FRONTDOOR_POLICY_DIR": str(policy_dir)}
    for name in ("intake", "triage", "notifier"):
        services.start(name, **env)
    services.start_dashboard(
        port,
        FRONTDOOR_DASHBOARD_MANAGERS_FILE=str(managers),
        **env,
    )
    return port


async def case_page(port: int, case_id: str) -> tuple[str, datetime]:
    """A case's page as a signed-in manager sees it, and when it was fetched."""
    await serving(f"http://127.0.0.1:{port}")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await sign_in_over_http(client, "cal.manager", PASSWORD)
        assert response.status_code == 303
        async with asyncio.timeout(30):
            while "working time left" not in (page := (await client.get(f"/cases/{case_id}")).text):
                await asyncio.sleep(0.2)
        now = datetime.now(UTC)
    return page, now


async def test_a_councils_working_day_reaches_triage_referrer_dashboard_and_replay(
    topics_ready, services, reader, policy_dir: Path, tmp_path: Path
) -> None:
    kafka = topics_ready
    stockton = policy_with(version="stockton-test-1", calendar=CALENDAR)
    default = policy_with()
    port = start_stack(services, policy_dir, tmp_path)
    documents = {
        "808": referral(referral_id="CAL-808", submitted_at=recently()),
        "805": referral(
            referral_id="CAL-805",
            submitted_at=recently(),
            local_authority="805",
            child={**referral()["child"], "given_name": "Olu", "nhs_number": None, "upn": None},
        ),
    }
    producer = make_producer(kafka, client_id="test-partner")
    await producer.start()
    try:
        for document in documents.values():
            await producer.send_and_wait(kafka.topics.inbound(POLICE), encode(document))
    finally:
        await producer.stop()

    # Triage: each case's due time on its own council's calendar, with its policy's version.
    records = await reader([kafka.topics.queue_enquiry_assessment], count=2, timeout=90)
    cases = {
        c.local_authority: c for c in (QueueItem.model_validate_json(r.value).case for r in records)
    }
    assert cases["808"].decision_due == stockton.decision_due(3, cases["808"].opened_at)
    assert cases["805"].decision_due == default.decision_due(3, cases["805"].opened_at)
    assert cases["808"].decision_due > datetime.now(UTC) + timedelta(days=14)  # closed till then
    assert cases["805"].decision_due < datetime.now(UTC) + timedelta(days=6)
    assert cases["808"].policy_version == "stockton-test-1"
    assert cases["805"].policy_version == default.version

    # The referrer: "decision due by" on receipt and after triage, each on its council's calendar.
    updates = [
        StatusUpdate.model_validate_json(r.value)
        for r in await reader([kafka.topics.status(POLICE)], count=4, timeout=60)
    ]
    contact_808 = contact_id_for(POLICE, "CAL-808")
    received = next(
        u for u in updates if u.contact_id == contact_808 and u.status is Status.RECEIVED
    )
    triaged = next(u for u in updates if u.contact_id == contact_808 and u.status is Status.TRIAGED)
    assert received.decision_due is not None
    assert received.decision_due == stockton.acknowledgement_due(received.occurred_at)
    assert when(received.decision_due) in received.message
    assert triaged.decision_due == cases["808"].decision_due
    assert when(cases["808"].decision_due) in triaged.message

    # The dashboard: time left counted on 808's 12-hour working day (an 8-hour one has no 12h).
    page, now = await case_page(port, cases["808"].case_id)
    shown = re.search(r"(\d+)h (\d\d)m working time left", page)
    assert shown is not None
    expected = stockton.clock.hours_between(now, cases["808"].decision_due)
    shown_minutes = int(shown.group(1)) * 60 + int(shown.group(2))
    assert abs(shown_minutes - expected * 60) <= 2
    assert _hours(expected)[0] >= 11  # a full 12-hour day left

    # Replay: the same files give the same calendar, counted from submitted_at.
    replay_file = tmp_path / "referrals.jsonl"
    replay_file.write_bytes(b"\n".join(encode(d) for d in documents.values()) + b"\n")
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "frontdoor", "replay", str(replay_file)],
        env={**services.env(), "FRONTDOOR_POLICY_DIR": str(policy_dir)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = {
        line["referral_id"]: line
        for line in map(json.loads, result.stdout.splitlines())
        if "referral_id" in line
    }
    for la, document in documents.items():
        policy = stockton if la == "808" else default
        sent = datetime.fromisoformat(document["submitted_at"])
        assert (
            lines[document["referral_id"]]["decision_due"]
            == policy.decision_due(3, sent).isoformat()
        )
