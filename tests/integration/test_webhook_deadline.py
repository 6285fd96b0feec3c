"""The webhook timeout bounds the whole request: a trickling answer is a late answer."""

from __future__ import annotations

import asyncio
import time

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from fakes import FakeRecord
from frontdoor.broker.local import free_port
from runtime.health import Health, serve_asgi
from runtime.kafka.settings import KafkaSettings
from schemas.partners import Partner
from schemas.status import Status, StatusUpdate
from services.notifier.webhooks import PartnerDelivery, RetryPolicy

TRICKLE_S = 0.25  # between bytes: far inside any per-read timeout


def flooder() -> Starlette:
    """Answers 200 at once, then a body of 400 MB over more than the delivery's deadline."""

    async def hook(_request: Request) -> StreamingResponse:
        async def body():
            chunk = b"x" * 65536
            for _ in range(6400):
                yield chunk
                await asyncio.sleep(0.002)

        return StreamingResponse(body(), status_code=200)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def trickler() -> Starlette:
    async def hook(_request: Request) -> StreamingResponse:
        async def body():
            for _ in range(40):  # 10 s in all
                await asyncio.sleep(TRICKLE_S)
                yield b" "

        return StreamingResponse(body(), status_code=200)

    return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


def partner_on(port: int) -> Partner:
    return Partner(
        id="slow-school",
        name="Slow School",
        source="2A",
        local_authorities=("808",),
        webhook=f"http://127.0.0.1:{port}/hook",  # type: ignore[arg-type]
        webhook_secret="s" * 32,  # type: ignore[arg-type]
    )


def one_update() -> FakeRecord:
    update = StatusUpdate(
        contact_id="c-1",
        referral_id="R-1",
        organisation_id="slow-school",
        sequence=1,
        status=Status.RECEIVED,
        message="Received.",
        occurred_at="2026-11-17T09:30:00Z",  # type: ignore[arg-type]
    )
    return FakeRecord("status.slow-school", update.model_dump_json().encode())


async def test_a_huge_answer_is_not_read_the_delivery_counts_by_its_status() -> None:
    port, dead = free_port(), []

    async def dead_letter(_record, reason: str, _attempts: int) -> None:
        dead.append(reason)

    policy = RetryPolicy(max_attempts=1, timeout_s=5.0)
    health = Health("notifier")
    delivery = PartnerDelivery(KafkaSettings(), partner_on(port), policy, health, dead_letter)
    async with serve_asgi(flooder(), port), httpx.AsyncClient(timeout=5.0) as client:
        started = time.monotonic()
        assert await delivery._deliver(client, one_update(), asyncio.Event())
        took = time.monotonic() - started
    # delivered by its status, the rest of the answer never read (reading it all would hold
    # 400 MB and outlast the 5 s deadline: a dead letter)
    assert dead == []
    assert health.counters["webhooks_delivered"] == 1
    assert took < 2.5


async def test_an_answer_sent_byte_by_byte_times_out_as_a_whole() -> None:
    port = free_port()
    partner = partner_on(port)
    dead: list[str] = []

    async def dead_letter(_record, reason: str, _attempts: int) -> None:
        dead.append(reason)

    policy = RetryPolicy(max_attempts=2, initial_backoff_s=0.01, max_backoff_s=0.01, timeout_s=1.0)
    delivery = PartnerDelivery(KafkaSettings(), partner, policy, Health("notifier"), dead_letter)
    record = one_update()
    async with serve_asgi(trickler(), port), httpx.AsyncClient(timeout=1.0) as client:
        started = time.monotonic()
        assert await delivery._deliver(client, record, asyncio.Event())
        took = time.monotonic() - started
    assert dead == ["TimeoutError after 2 attempts"]
    assert took < 2 * 1.0 + 1.5  # two whole-request deadlines and a little, not 2 x 10 s
