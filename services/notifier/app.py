"""Composition root of the notifier service."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiokafka import TopicPartition
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from runtime.health import Health
from runtime.kafka.admin import ensure_topics
from runtime.partners import PartnerDirectory
from runtime.processor import Subscription, TransactionalProcessor
from runtime.runner import ServiceApp, ServiceSettings
from runtime.watched_file import WatchedFile
from runtime.web.settings import OptionalFile
from schemas.partners import WebhookSecrets
from services.notifier.handler import NotifierHandler
from services.notifier.webhooks import RetryPolicy, WebhookDispatcher


class NotifierSettings(ServiceSettings):
    """Notifier's settings, from ``FRONTDOOR_NOTIFIER_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_NOTIFIER_", extra="ignore")

    webhook_max_attempts: int = Field(
        default=8, ge=1, description="Attempts before dead-lettering."
    )
    webhook_timeout_s: float = Field(default=5.0, gt=0, description="Timeout of one delivery.")
    webhook_secrets_file: OptionalFile = Field(
        default=None,
        description="YAML `secrets: {<organisation id>: <key>}`: each webhook's HMAC-SHA256 "
        "signing key. Only the notifier reads it (on Kubernetes a Secret mounted into the "
        "notifier alone); re-read when it changes. Unset: no keys but the registry's, which "
        "production refuses.",
    )
    webhook_backoff_initial_s: float = Field(default=0.5, gt=0, description="First retry delay.")
    webhook_backoff_max_s: float = Field(default=60.0, gt=0, description="Longest retry delay.")
    # Measured (frontdoor bench, 4 December): unpaced, the notifier committed ~45 small
    # transactions a second at a third of full speed and the two cores ran hot; at 100 ms its
    # batches fill, p99 publish-to-queue fell from ~400 to ~140 ms. A referrer's update waits up
    # to 100 ms longer. Intake and triage paced at 50 ms measured worse (p99 ~380 ms): unpaced.
    commit_interval_ms: int = Field(
        default=100,
        ge=0,
        le=5000,
        description="Pace transactions: take a batch no sooner than this after the last commit.",
    )


Settings = NotifierSettings


def secrets_of(path: Path | None, health: Health) -> Callable[[], WebhookSecrets]:
    """The webhook keys now: the file's last good version (a bad edit keeps it; /health warns)."""
    if path is None:
        none = WebhookSecrets()
        return lambda: none
    watched = WatchedFile(path, WebhookSecrets, "webhook secrets file")
    health.watch("webhook secrets", lambda: watched.problem)
    return lambda: watched.current


def create_app(settings: NotifierSettings) -> ServiceApp:
    """Wire the notifier service; nothing connects until it runs."""
    topics = settings.kafka.topics
    partners = PartnerDirectory()
    health = Health("notifier")
    health.watch("partners", lambda: partners.problem)
    handler = NotifierHandler(topics, partners)

    async def on_assigned(assigned: set[TopicPartition]) -> None:
        await handler.restore(settings.kafka, assigned)

    processor = TransactionalProcessor(
        kafka=settings.kafka,
        service="notifier",
        instance_id=settings.instance_id,
        subscription=Subscription(topics=(topics.status_events,)),
        handler=handler,
        health=health,
        commit_interval_s=settings.commit_interval_ms / 1000,
        on_assigned=on_assigned,
    )

    async def prepare() -> None:
        if settings.create_topics:
            await ensure_topics(settings.kafka, partners.registry.topic_specs(topics))

    webhooks = WebhookDispatcher(
        settings.kafka,
        partners,
        RetryPolicy(
            max_attempts=settings.webhook_max_attempts,
            initial_backoff_s=settings.webhook_backoff_initial_s,
            max_backoff_s=settings.webhook_backoff_max_s,
            timeout_s=settings.webhook_timeout_s,
        ),
        health,
        production=not settings.development,
        secrets=secrets_of(settings.webhook_secrets_file, health),
    )
    return ServiceApp(
        "notifier",
        processor,
        health,
        settings.health_port,
        prepare,
        background=[webhooks.run],
    )
