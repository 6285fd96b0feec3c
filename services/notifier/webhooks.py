"""Signed webhook deliveries of status updates and check requests, for partners with an endpoint.

Each such partner has its own delivery task and its own consumer group on ``status.<org>``
(and, if it answers partner checks, another on ``checks.requests.<org>``: requests, reminders
and withdrawals; ``X-FrontDoor-Event`` says which stream a delivery is from):
updates are POSTed in order, retried with exponential backoff and jitter, and the offset is
committed only once an update was delivered or, after the last attempt, dead-lettered to
``notifier.dead-letter`` with the reason. A partner whose endpoint is slow or down holds up
only itself, and a restart resumes from the first update not yet delivered.

Signature: ``X-FrontDoor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import structlog

from runtime import metrics, tracing
from runtime.health import Health
from runtime.kafka.clients import make_consumer, make_producer, safe_client_id
from runtime.kafka.settings import KafkaSettings
from runtime.partners import PartnerDirectory
from runtime.records import Record
from schemas.partners import Partner, WebhookSecrets
from schemas.status import StatusUpdate
from services.notifier.webhook_rules import (
    Endpoint,
    Resolver,
    endpoint_for,
    resolve_host,
    webhook_shape_problem,
)

log = structlog.get_logger(__name__)

SIGNATURE_HEADER = "X-FrontDoor-Signature"
IDEMPOTENCY_HEADER = "X-FrontDoor-Idempotency-Key"
ATTEMPT_HEADER = "X-FrontDoor-Delivery-Attempt"
EVENT_HEADER = "X-FrontDoor-Event"
DELIVERED_CHECK_KINDS = {"request", "reminder", "withdrawn"}  # receipts answer Kafka answers
SIGNATURE_TOLERANCE_S = 300
ANSWER_READ_BYTES = 4096  # of a webhook answer: only its status matters


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_S,
) -> bool:
    """What a partner runs on each delivery: the signature matches and is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


@dataclass(frozen=True, slots=True)
class Stream:
    """What one delivery task reads and how each record is keyed (None: not delivered)."""

    event: str
    topic: Callable[[KafkaSettings, str], str]
    key: Callable[[bytes], str | None]


def _status_key(body: bytes) -> str | None:
    update = StatusUpdate.model_validate_json(body)
    return f"{update.contact_id}:{update.sequence}"  # the same on every attempt and restart


def _check_key(body: bytes) -> str | None:
    message = json.loads(body)
    if message.get("kind") not in DELIVERED_CHECK_KINDS:
        return None
    return f"{message.get('request_id')}:{message.get('kind')}"


STATUS = Stream("status-update", lambda kafka, org: kafka.topics.status(org), _status_key)
CHECKS = Stream("check", lambda kafka, org: kafka.topics.check_requests(org), _check_key)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry one delivery."""

    max_attempts: int = 8
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 60.0
    timeout_s: float = 5.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        The base doubles from ``initial_backoff_s``; jitter takes it anywhere from half to one
        and a half times that, and no wait is ever longer than ``max_backoff_s``.
        """
        base = min(self.max_backoff_s, self.initial_backoff_s * 2.0 ** (attempt - 1))
        return float(min(self.max_backoff_s, base * rng.uniform(0.5, 1.5)))


async def _read_at_most(response: httpx.Response, limit: int) -> None:
    """Read (and drop) at most ``limit`` bytes of an answer whose body nobody needs.

    Only the status counts; a hostile endpoint's endless or huge answer must never be held
    in memory (a 400 MB answer took the notifier past its memory limit, and the restart ran
    the same delivery again).
    """
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= limit:
            return


class PartnerDelivery:
    """Delivers one partner's status updates to its webhook, in order."""

    def __init__(
        self,
        kafka: KafkaSettings,
        partner: Partner,
        policy: RetryPolicy,
        health: Health,
        dead_letter: Callable[[Record, str, int], Awaitable[None]],
        *,
        current: Callable[[], Partner | None] | None = None,
        production: bool = False,
        resolve: Resolver = resolve_host,
        stream: Stream = STATUS,
    ) -> None:
        """Deliver ``stream`` to ``partner``'s endpoint; dead-letter through ``dead_letter``.

        In ``production`` each attempt resolves the host again, checks the addresses and
        connects to the checked one (:func:`endpoint_for`).

        ``current()`` gives the partner's entry as the registry stands now (None once it is
        removed, has no webhook or may not be called): a changed URL or secret is used from
        the next attempt on, and a removed partner's delivery stops.
        """
        self.kafka = kafka
        self.partner = partner
        self.current = current or (lambda: partner)
        self.policy = policy
        self.health = health
        self.dead_letter = dead_letter
        self.production = production
        self.resolve = resolve
        self.stream = stream
        self.rng = random.Random()  # noqa: S311 - jitter, not cryptography

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set."""
        topic = self.stream.topic(self.kafka, self.partner.id)
        parts = (
            ("webhooks", self.partner.id)
            if self.stream is STATUS
            else ("webhooks", "checks", self.partner.id)
        )
        group = safe_client_id(self.kafka.topic_prefix + "frontdoor", *parts)
        consumer = make_consumer(self.kafka, group_id=group, client_id=group, topics=[topic])
        await consumer.start()
        try:
            async with httpx.AsyncClient(timeout=self.policy.timeout_s) as client:
                while not stop.is_set():
                    batch = await consumer.getmany(timeout_ms=500, max_records=100)
                    for tp, records in batch.items():
                        for record in records:
                            with tracing.delivering(record):
                                delivered = await self._deliver(client, record, stop)
                            if not delivered:
                                return  # stopping mid-retry: the next run starts with this one
                            await consumer.commit({tp: record.offset + 1})
        finally:
            await consumer.stop()

    async def _attempt(
        self, client: httpx.AsyncClient, partner: Partner, body: bytes, key: str, attempt: int
    ) -> str | None:
        """One delivery attempt: None if delivered, else why not."""
        assert partner.webhook is not None  # noqa: S101 - the caller checked
        endpoint = await endpoint_for(
            partner.webhook, production=self.production, resolve=self.resolve
        )
        if isinstance(endpoint, str):  # resolved, now, to an address it may not call
            return f"{endpoint} (attempt {attempt})"
        try:
            response = await self._post(client, endpoint, body, partner, key, attempt)
        except (httpx.HTTPError, TimeoutError) as error:
            return f"{type(error).__name__} after {attempt} attempts"
        if response.is_success:
            return None
        return f"HTTP {response.status_code} after {attempt} attempts"

    async def _post(  # noqa: PLR0917 - one attempt's parts
        self,
        client: httpx.AsyncClient,
        endpoint: Endpoint,
        body: bytes,
        partner: Partner,
        key: str,
        attempt: int,
    ) -> httpx.Response:
        """One attempt; the answer's status (its body is read at most a few KB)."""
        # The whole request, not each step of it, has timeout_s: a partner that answers byte
        # by byte is as late as one that does not answer.
        async with (
            asyncio.timeout(self.policy.timeout_s),
            client.stream(
                "POST",
                endpoint.url,
                content=body,
                headers=self._headers(partner, body, key, attempt) | endpoint.headers,
                extensions=endpoint.extensions,
            ) as response,
        ):
            await _read_at_most(response, ANSWER_READ_BYTES)
        return response

    def _headers(self, partner: Partner, body: bytes, key: str, attempt: int) -> dict[str, str]:
        secret = partner.webhook_secret.get_secret_value() if partner.webhook_secret else ""
        return {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, int(time.time()), body),
            IDEMPOTENCY_HEADER: key,
            ATTEMPT_HEADER: str(attempt),
            EVENT_HEADER: self.stream.event,
            "User-Agent": "FrontDoor-Notifier/1",
        } | tracing.http_headers()  # the partner's system can continue the record's trace

    async def _deliver(
        self, client: httpx.AsyncClient, record: Record, stop: asyncio.Event
    ) -> bool:
        """Deliver or dead-letter one update.

        False if the service is stopping, or the partner's webhook is gone, before either.
        """
        body: bytes = record.value or b""
        key = self.stream.key(body)
        if key is None:
            return True  # not for the webhook: passed over
        reason = ""
        for attempt in range(1, self.policy.max_attempts + 1):
            partner = self.current()
            if partner is None or partner.webhook is None:
                log.info("webhook deliveries stopped", organisation=self.partner.id)
                return False
            failed = await self._attempt(client, partner, body, key, attempt)
            if failed is None:
                self.health.count("webhooks_delivered")
                metrics.WEBHOOKS.labels(self.partner.id, "delivered").inc()
                metrics.WEBHOOK_ATTEMPTS.labels(self.partner.id).observe(attempt)
                log.info(
                    "webhook delivered",
                    organisation=self.partner.id,
                    attempt=attempt,
                    partition=record.partition,
                    offset=record.offset,
                )
                return True
            reason = failed
            self.health.count("webhook_failures")
            metrics.WEBHOOKS.labels(self.partner.id, "failed-attempt").inc()
            log.warning(
                "webhook attempt failed",
                organisation=self.partner.id,
                attempt=attempt,
                reason=reason,
                offset=record.offset,
            )
            if attempt < self.policy.max_attempts:
                with contextlib.suppress(TimeoutError):  # wait, unless the service is stopping
                    await asyncio.wait_for(stop.wait(), self.policy.backoff(attempt, self.rng))
                if stop.is_set():
                    return False
        await self.dead_letter(record, reason, self.policy.max_attempts)
        metrics.WEBHOOKS.labels(self.partner.id, "dead-lettered").inc()
        metrics.WEBHOOK_ATTEMPTS.labels(self.partner.id).observe(self.policy.max_attempts)
        return True


NO_KEY = (
    "the webhook has no signing key: add it to the notifier's secrets file "
    "(FRONTDOOR_NOTIFIER_WEBHOOK_SECRETS_FILE)"
)
KEY_IN_REGISTRY = (
    "the webhook's signing key is in the partner registry, which every service reads: move it "
    "to the notifier's secrets file (FRONTDOOR_NOTIFIER_WEBHOOK_SECRETS_FILE)"
)


class WebhookDispatcher:
    """Runs one :class:`PartnerDelivery` per partner with a webhook; picks up new ones."""

    def __init__(
        self,
        kafka: KafkaSettings,
        partners: PartnerDirectory,
        policy: RetryPolicy,
        health: Health,
        *,
        production: bool = True,
        secrets: Callable[[], WebhookSecrets] = WebhookSecrets,
    ) -> None:
        """Deliver for the webhook partners of ``partners``, signed with ``secrets()``' keys.

        In production, only to the endpoints :func:`webhook_problem` allows, and only with a
        key from the notifier's own secrets file (never one from the registry every service
        reads).
        """
        self.kafka = kafka
        self.partners = partners
        self.policy = policy
        self.health = health
        self.production = production
        self.secrets = secrets
        self._verdicts: dict[tuple[str, str, str], str | None] = {}

    def allowed(self, partner_id: str) -> Partner | None:
        """The partner's entry now, if its webhook may be called (checked once per URL/secret).

        Its signing key is the secrets file's (else, outside production, the registry's).
        """
        partner = self.partners.registry.get(partner_id)
        if partner is None or partner.webhook is None:
            return None
        own = self.secrets().secrets.get(partner.id)
        in_registry = own is None and partner.webhook_secret is not None
        partner = partner.model_copy(update={"webhook_secret": own or partner.webhook_secret})
        secret = partner.webhook_secret.get_secret_value() if partner.webhook_secret else ""
        fingerprint = hashlib.sha256(secret.encode()).hexdigest()
        key = (partner.id, str(partner.webhook), fingerprint)
        if key not in self._verdicts:
            problem = self._problem(partner, keyed=bool(secret), in_registry=in_registry)
            self._verdicts[key] = problem
            if problem is not None:
                self.health.count("webhooks_refused")
                log.error("webhook refused", organisation=partner.id, reason=problem)
        return None if self._verdicts[key] else partner

    def _problem(self, partner: Partner, *, keyed: bool, in_registry: bool) -> str | None:
        """Why ``partner``'s webhook may not be called, if it may not."""
        if not keyed:
            return NO_KEY
        if not self.production:
            return None
        return KEY_IN_REGISTRY if in_registry else webhook_shape_problem(partner)

    def _deliveries(
        self, dead_letter: Callable[[Record, str, int], Awaitable[None]]
    ) -> list[tuple[str, PartnerDelivery]]:
        """A delivery per webhook partner and stream, by name (``<stream>:<organisation>``)."""
        found = []
        for partner in self.partners.registry.partners:
            allowed = self.allowed(partner.id)
            if allowed is None:
                continue
            for stream in (STATUS, CHECKS) if partner.checks is not None else (STATUS,):
                delivery = PartnerDelivery(
                    self.kafka,
                    allowed,
                    self.policy,
                    self.health,
                    dead_letter,
                    current=functools.partial(self.allowed, partner.id),
                    production=self.production,
                    stream=stream,
                )
                found.append((f"{stream.event}:{partner.id}", delivery))
        return found

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver for every webhook partner until ``stop``; a failing task stops the service."""
        producer = make_producer(self.kafka, client_id="frontdoor-webhooks-dead-letter")
        await producer.start()

        async def dead_letter(record: Record, reason: str, attempts: int) -> None:
            await producer.send_and_wait(
                self.kafka.topics.dead_letter,
                record.value,
                key=record.key,
                headers=[
                    ("frontdoor-reason", f"webhook undeliverable: {reason}".encode()),
                    ("frontdoor-organisation", record.topic.rsplit(".", 1)[-1].encode()),
                    ("frontdoor-attempts", str(attempts).encode()),
                ],
            )
            self.health.count("webhooks_dead_lettered")
            log.error("webhook dead-lettered", reason=reason, offset=record.offset)

        tasks: dict[str, asyncio.Task[None]] = {}
        try:
            while not stop.is_set():
                for name, delivery in self._deliveries(dead_letter):
                    if name not in tasks:
                        tasks[name] = asyncio.create_task(delivery.run(stop))
                for partner_id, task in list(tasks.items()):
                    if task.done() and not task.cancelled() and task.exception() is not None:
                        raise RuntimeError("a webhook delivery task failed") from task.exception()
                    if task.done():  # its partner left, or lost its webhook: may come back
                        del tasks[partner_id]
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 2.0)
        finally:
            if not stop.is_set():  # leaving on an error: the others must not run on alone
                for task in tasks.values():
                    task.cancel()
            await asyncio.gather(*tasks.values(), return_exceptions=True)
            await producer.stop()
