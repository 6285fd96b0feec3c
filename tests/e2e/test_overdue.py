"""A case left undecided past its due time is flagged by triage's clock, for real.

The council here runs an emergency duty team (every day, round the clock) with a decision due
a few seconds after a contact arrives, so the running triage service flags the case overdue
while the test watches: the referrer hears it is still being looked at, and the dashboard's
queue shows it overdue.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import serving, sign_in_over_http
from domain.policy import DEFAULT_POLICY
from factories import encode, managers_file, recently, referral
from frontdoor.broker.local import free_port
from runtime.kafka.clients import make_producer
from schemas.status import Status, StatusUpdate
from schemas.triage import Decision, DecisionKind

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

POLICE = "cleveland-police"
PASSWORD = "a long test password"  # noqa: S105 - a test account's
DUE_IN_HOURS = 0.002  # about seven seconds


def hurried_policy(folder: Path) -> Path:
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    document["version"] = "always-open-1"
    document["calendar"] = {
        "day_start": "00:00",
        "day_end": "23:59:59",
        "weekdays": [0, 1, 2, 3, 4, 5, 6],
        "bank_holidays_off": False,
    }
    for level in document["levels"]:
        level["due"] = {"working_hours": DUE_IN_HOURS}
    folder.mkdir()
    (folder / "808.yaml").write_text(yaml.safe_dump(document))
    return folder


async def test_an_undecided_case_is_flagged_overdue_and_its_referrer_told(
    topics_ready, services, reader, tmp_path: Path
) -> None:
    kafka = topics_ready
    env = {"FRONTDOOR_POLICY_DIR": str(hurried_policy(tmp_path / "policies"))}
    services.start("intake", **env)
    services.start("triage", FRONTDOOR_TRIAGE_OVERDUE_CHECK_S="1", **env)
    services.start("notifier", **env)
    port = free_port()
    services.start_dashboard(
        port,
        FRONTDOOR_DASHBOARD_MANAGERS_FILE=str(
            managers_file(tmp_path, "kim.duty", PASSWORD, ["808"])
        ),
        **env,
    )
    document = referral(submitted_at=recently())
    producer = make_producer(kafka, client_id="test-partner")
    await producer.start()
    try:
        await producer.send_and_wait(kafka.topics.inbound(POLICE), encode(document))
    finally:
        await producer.stop()

    decisions = [
        d
        for d in (
            Decision.model_validate_json(r.value)
            for r in await reader([kafka.topics.decisions], count=4, timeout=90)
        )
        if d.kind is not DecisionKind.CHECKS_ASKED  # level 3: partners asked, beside the point
    ]
    # the case is overdue, and so is the person's screening decision on the policy's proposal
    assert [d.kind for d in decisions] == [
        DecisionKind.TRIAGED,
        DecisionKind.OVERDUE,
        DecisionKind.SCREENING_OVERDUE,
    ]
    assert decisions[1].decided_by == decisions[2].decided_by == "clock"

    updates = [
        StatusUpdate.model_validate_json(r.value)
        for r in await reader([kafka.topics.status(POLICE)], count=3, timeout=60)
    ]
    assert [u.status for u in updates] == [Status.RECEIVED, Status.TRIAGED, Status.OVERDUE]
    assert updates[2].message.startswith("Still being looked at")
    assert [u.sequence for u in updates] == [1, 2, 3]

    await serving(f"http://127.0.0.1:{port}")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        await sign_in_over_http(client, "kim.duty", PASSWORD)
        async with asyncio.timeout(30):
            while "OVERDUE by" not in (queues := (await client.get("/queues?la=808")).text):
                await asyncio.sleep(0.3)
        screening = (await client.get("/screening?la=808")).text
    assert "Smith" in queues
    assert 'data-count="overdue">1 overdue' in queues  # screening overdue, counted on the page
    assert "OVERDUE by" in screening
    assert "L3-DA" in screening
