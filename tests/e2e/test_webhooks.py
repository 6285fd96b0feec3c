"""Webhooks to a real HTTP server on 127.0.0.1 that fails, times out and recovers."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conftest import read_topics
from frontdoor.broker.local import free_port
from runtime.demo import DEMO_PARTNERS_FILE
from runtime.health import serve_asgi
from runtime.kafka.clients import make_producer
from schemas.status import Outcome, Status, StatusEvent, StatusUpdate
from services.notifier.webhooks import (
    ATTEMPT_HEADER,
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    verify_signature,
)

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@dataclass
class Endpoint:
    """A partner's receiver: fails the first ``failures`` requests, hangs ``hangs`` of them."""

    failures: int = 0
    hangs: int = 0
    down: bool = False
    delay_s: float = 0.0  # answers, but slowly (inside the notifier's timeout)
    seen: int = 0
    delivered: list[tuple[dict, StatusUpdate]] = field(default_factory=list)


def receiver(endpoints: dict[str, Endpoint]) -> Starlette:
    async def hook(request: Request) -> Response:
        endpoint = endpoints[request.path_params["name"]]
        endpoint.seen += 1
        if endpoint.hangs > 0:
            endpoint.hangs -= 1
            await asyncio.sleep(3)  # longer than the notifier's timeout
        await asyncio.sleep(endpoint.delay_s)
        if endpoint.down or endpoint.failures > 0:
            endpoint.failures -= 1
            return Response(status_code=503)
        body = await request.body()
        endpoint.delivered.append((dict(request.headers), StatusUpdate.model_validate_json(body)))
        return Response(status_code=204)

    return Starlette(routes=[Route("/hooks/{name}", hook, methods=["POST"])])


def registry_with_webhooks(tmp_path: Path, port: int, hooks: dict[str, str]) -> Path:
    document = yaml.safe_load(DEMO_PARTNERS_FILE.read_text())
    for partner in document["partners"]:
        if partner["id"] in hooks:
            partner["webhook"] = f"http://127.0.0.1:{port}/hooks/{hooks[partner['id']]}"
            partner["webhook_secret"] = f"secret-of-{partner['id']}"
    path = tmp_path / "partners.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


async def publish_events(kafka, org: str, contact: str, statuses: list[Status]) -> None:
    producer = make_producer(kafka, client_id="test-pipeline")
    await producer.start()
    try:
        for status in statuses:
            event = StatusEvent(
                contact_id=contact,
                referral_id=f"R-{contact}",
                organisation_id=org,
                status=status,
                outcome=Outcome.EARLY_HELP,
                occurred_at=datetime.now(UTC),
            )
            await producer.send_and_wait(
                kafka.topics.status_events, event.model_dump_json().encode(), key=contact.encode()
            )
    finally:
        await producer.stop()


FAST_RETRIES = {
    "FRONTDOOR_NOTIFIER_WEBHOOK_MAX_ATTEMPTS": "4",
    # long enough for a loaded test machine to answer (a timed-out request is retried, so a
    # tight limit could deliver twice), shorter than the endpoints that hang (3 s)
    "FRONTDOOR_NOTIFIER_WEBHOOK_TIMEOUT_S": "1.5",
    "FRONTDOOR_NOTIFIER_WEBHOOK_BACKOFF_INITIAL_S": "0.05",
    "FRONTDOOR_NOTIFIER_WEBHOOK_BACKOFF_MAX_S": "0.2",
}
FAST_ATTEMPTS = int(FAST_RETRIES["FRONTDOOR_NOTIFIER_WEBHOOK_MAX_ATTEMPTS"])
JOURNEY = [Status.RECEIVED, Status.TRIAGED, Status.ALLOCATED]
ROTATED = "rotated-secret"


async def wait_for(condition, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


async def test_deliveries_retry_recover_and_dead_letter_without_holding_up_others(
    topics_ready,
    services,
    tmp_path: Path,
) -> None:
    kafka = topics_ready
    port = free_port()
    endpoints = {
        "ok": Endpoint(),
        "flaky": Endpoint(failures=2, hangs=1),
        "down": Endpoint(down=True, hangs=8),
        "slow": Endpoint(delay_s=0.3),
    }
    hooks = {
        "stockton-riverside-academy": "ok",
        "cleveland-police": "flaky",
        "tees-valley-gp-group": "down",
        "north-tees-health-visiting": "slow",
    }
    registry = registry_with_webhooks(tmp_path, port, hooks)
    async with serve_asgi(receiver(endpoints), port):
        services.start("notifier", FRONTDOOR_PARTNERS_FILE=str(registry), **FAST_RETRIES)
        # The troubled partners' updates go first, and each step of the three is interleaved.
        partners = [
            ("tees-valley-gp-group", "c-down"),
            ("north-tees-health-visiting", "c-slow"),
            ("cleveland-police", "c-flaky"),
            ("stockton-riverside-academy", "c-ok"),
        ]
        for status in JOURNEY:
            for org, contact in partners:
                await publish_events(kafka, org, contact, [status])
        published = asyncio.get_running_loop().time()

        await wait_for(lambda: len(endpoints["ok"].delivered) == len(JOURNEY), timeout=15)
        ok_took = asyncio.get_running_loop().time() - published
        # while the down partner is still being retried, the healthy one was not held up
        assert endpoints["down"].seen < FAST_ATTEMPTS * len(JOURNEY)
        dead_so_far = await read_topics(
            kafka, [kafka.topics.dead_letter], count=0, timeout=5, settle=0.2
        )
        assert len(dead_so_far) < len(JOURNEY)
        assert ok_took < 5, f"the healthy partner waited {ok_took:.1f}s"
        await wait_for(lambda: len(endpoints["slow"].delivered) == len(JOURNEY))

        await wait_for(lambda: len(endpoints["flaky"].delivered) == len(JOURNEY))
        dead = await read_topics(kafka, [kafka.topics.dead_letter], count=len(JOURNEY), timeout=60)

    for name, org in [
        ("ok", "stockton-riverside-academy"),
        ("flaky", "cleveland-police"),
        ("slow", "north-tees-health-visiting"),
    ]:
        delivered = endpoints[name].delivered
        assert [u.sequence for _, u in delivered] == [1, 2, 3]  # in order
        assert [u.status for _, u in delivered] == JOURNEY
        for headers, update in delivered:
            body = update.model_dump_json().encode()
            assert verify_signature(f"secret-of-{org}", headers[SIGNATURE_HEADER.lower()], body)
            assert headers[IDEMPOTENCY_HEADER.lower()] == f"{update.contact_id}:{update.sequence}"
    assert (
        endpoints["flaky"].delivered[0][0][ATTEMPT_HEADER.lower()] == "4"
    )  # 2 failures and a timeout first
    assert endpoints["down"].delivered == []
    reasons = [dict(r.headers)["frontdoor-reason"].decode() for r in dead]
    assert all(reason.startswith("webhook undeliverable:") for reason in reasons)
    assert {dict(r.headers)["frontdoor-organisation"] for r in dead} == {b"tees-valley-gp-group"}
    assert [json.loads(r.value)["sequence"] for r in dead] == [1, 2, 3]


async def test_pending_retries_survive_a_restart(topics_ready, services, tmp_path: Path) -> None:
    kafka = topics_ready
    port = free_port()
    endpoints = {"later": Endpoint(down=True)}
    registry = registry_with_webhooks(tmp_path, port, {"cleveland-police": "later"})
    patient = FAST_RETRIES | {"FRONTDOOR_NOTIFIER_WEBHOOK_MAX_ATTEMPTS": "1000"}
    async with serve_asgi(receiver(endpoints), port):
        services.start("notifier", FRONTDOOR_PARTNERS_FILE=str(registry), **patient)
        await publish_events(kafka, "cleveland-police", "c-later", JOURNEY)
        await wait_for(lambda: endpoints["later"].seen >= 3)
        services.kill("notifier")  # while the first update is being retried

        endpoints["later"].down = False
        services.start("notifier", FRONTDOOR_PARTNERS_FILE=str(registry), **patient)
        await wait_for(lambda: len(endpoints["later"].delivered) >= len(JOURNEY))
        await asyncio.sleep(1)
    assert [u.sequence for _, u in endpoints["later"].delivered] == [1, 2, 3]


async def test_a_changed_url_a_rotated_secret_and_a_removed_webhook_apply_without_a_restart(
    topics_ready, services, tmp_path: Path
) -> None:
    kafka = topics_ready
    port = free_port()
    endpoints = {"first": Endpoint(), "second": Endpoint()}
    registry = registry_with_webhooks(tmp_path, port, {"cleveland-police": "first"})
    document = yaml.safe_load(registry.read_text())
    police = next(p for p in document["partners"] if p["id"] == "cleveland-police")

    def rewrite(**changes: object) -> None:
        police.update(changes)
        for key in [k for k, v in changes.items() if v is None]:
            del police[key]
        registry.write_text(yaml.safe_dump(document))

    async with serve_asgi(receiver(endpoints), port):
        services.start("notifier", FRONTDOOR_PARTNERS_FILE=str(registry), **FAST_RETRIES)
        await publish_events(kafka, "cleveland-police", "c-1", [Status.RECEIVED])
        await wait_for(lambda: len(endpoints["first"].delivered) == 1)

        rewrite(webhook=f"http://127.0.0.1:{port}/hooks/second", webhook_secret=ROTATED)
        await asyncio.sleep(2.5)  # the notifier looks at the registry every 2 s
        await publish_events(kafka, "cleveland-police", "c-2", [Status.RECEIVED])
        await wait_for(lambda: len(endpoints["second"].delivered) == 1)
        headers, update = endpoints["second"].delivered[0]
        body = update.model_dump_json().encode()
        assert verify_signature(ROTATED, headers[SIGNATURE_HEADER.lower()], body)

        rewrite(webhook=None, webhook_secret=None)
        await asyncio.sleep(2.5)
        await publish_events(kafka, "cleveland-police", "c-3", [Status.RECEIVED])
        await asyncio.sleep(3)
        assert [u.contact_id for _, u in endpoints["first"].delivered] == ["c-1"]
        assert [u.contact_id for _, u in endpoints["second"].delivered] == ["c-2"]

        rewrite(webhook=f"http://127.0.0.1:{port}/hooks/second", webhook_secret=ROTATED)
        await wait_for(lambda: len(endpoints["second"].delivered) == 2, timeout=30)
        assert endpoints["second"].delivered[1][1].contact_id == "c-3"  # kept, then delivered
