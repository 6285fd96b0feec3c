"""A partner registered while the dashboard runs is followed without a restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from conftest import serving
from factories import managers_file
from frontdoor.broker.local import free_port
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_producer
from runtime.records_db.database import make_engine
from runtime.records_db.reading import RecordsReader
from schemas.status import Status, StatusUpdate
from schemas.topics import STATUS_TEMPLATE

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def status_updates_recorded(database_url: str) -> int:
    """What the dashboard can show: the status updates in the records database it reads."""
    engine = make_engine(database_url)
    try:
        return RecordsReader(engine).counts()["status_updates"]
    finally:
        engine.dispose()


async def test_a_new_partners_status_topic_is_followed_within_seconds(
    topics_ready, services, tmp_path
) -> None:
    kafka = topics_ready
    port = free_port()
    managers = managers_file(tmp_path, "kim.duty", "a long password", ["808"])
    services.start_dashboard(
        port,
        FRONTDOOR_DASHBOARD_MANAGERS_FILE=str(managers),
    )
    await serving(f"http://127.0.0.1:{port}")
    await asyncio.sleep(2)  # running and settled before the partner exists
    assert status_updates_recorded(services.database_url) == 0

    newcomer = "new-nursery"
    await ensure_topics(kafka, [(kafka.topics.status(newcomer), STATUS_TEMPLATE)])
    update = StatusUpdate(
        contact_id="c-new",
        referral_id="N-1",
        organisation_id=newcomer,
        sequence=1,
        status=Status.RECEIVED,
        message="Received.",
        occurred_at=datetime.now(UTC),
    )
    producer = make_producer(kafka, client_id="test-notifier")
    await producer.start()
    try:
        await producer.send_and_wait(
            kafka.topics.status(newcomer), update.model_dump_json().encode(), key=b"c-new"
        )
    finally:
        await producer.stop()

    async with asyncio.timeout(30):  # metadata is refreshed every 5 s
        while status_updates_recorded(services.database_url) == 0:
            await asyncio.sleep(0.2)
