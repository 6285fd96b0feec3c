"""Operation Encompass end to end on the real broker, every service a real process: a police
force publishes two notices; the one naming a registered school reaches the school's status
topic with the child's details, the school's system acknowledges it through the gateway's API,
and the force hears received, delivered and acknowledged; the other (no school found) is passed
to the council. Nothing the force is told names the child.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from conftest import read_topics
from factories import encode, notice, recently
from runtime.kafka.clients import make_producer
from schemas.encompass import notice_ref_for
from schemas.status import StatusUpdate

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
POLICE, SCHOOL = "cleveland-police", "stockton-riverside-academy"


async def send_notices(kafka, *documents: dict) -> None:
    producer = make_producer(kafka, client_id="test-police")
    await producer.start()
    try:
        for document in documents:
            await producer.send_and_wait(kafka.topics.encompass_inbound(POLICE), encode(document))
    finally:
        await producer.stop()


def recent_notice(notice_id: str, **fields: object) -> dict:
    incident = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0).isoformat()
    return notice(notice_id=notice_id, sent_at=recently(), incident_at=incident, **fields)


async def test_a_notice_reaches_the_school_is_acknowledged_and_the_police_hear_of_it(
    topics_ready, services, tmp_path: Path
) -> None:
    kafka = topics_ready
    keys = tmp_path / "api-keys.yaml"
    school_key = services.api_key(SCHOOL, keys)
    for name in ("intake", "triage", "notifier", "records"):
        services.start(name)
    base = await services.start_gateway(keys)
    await send_notices(
        kafka, recent_notice("ENC-E2E-1"), recent_notice("ENC-E2E-2", school_urn=None)
    )
    delivered, passed = (notice_ref_for(POLICE, n, "808") for n in ("ENC-E2E-1", "ENC-E2E-2"))

    (to_school,) = await read_topics(kafka, [kafka.topics.status(SCHOOL)], count=1)
    update = StatusUpdate.model_validate_json(to_school.value)
    assert update.status.value == "encompass"
    assert update.encompass is not None
    assert (update.encompass.notice_ref, update.encompass.family_name) == (delivered, "Hartley")

    auth = {"Authorization": f"Bearer {school_key}"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        async with asyncio.timeout(60):  # until the records service has written it
            while not (await client.get("/api/v1/encompass", headers=auth)).json()["notices"]:
                await asyncio.sleep(0.5)
        acknowledged = await client.post(
            f"/api/v1/encompass/{delivered}/acknowledge",
            json={"acknowledged_by": "Ms Key Adult"},
            headers=auth,
        )
        assert acknowledged.status_code == 202, acknowledged.text

        told = await read_topics(kafka, [kafka.topics.status(POLICE)], count=5, timeout=60)
        by_notice: dict[str, list[str]] = {}
        for record in told:
            said = StatusUpdate.model_validate_json(record.value)
            by_notice.setdefault(said.contact_id, []).append(said.status.value)
            assert said.encompass is None
            assert "Hartley" not in record.value.decode()
        assert by_notice == {
            delivered: ["received", "delivered", "acknowledged"],
            passed: ["received", "passed-to-council"],
        }
        async with asyncio.timeout(60):  # the records show it acknowledged: a second is refused
            while True:
                again = await client.post(
                    f"/api/v1/encompass/{delivered}/acknowledge",
                    json={"acknowledged_by": "Ms Key Adult"},
                    headers=auth,
                )
                if again.status_code == 409:
                    break
                await asyncio.sleep(0.5)
