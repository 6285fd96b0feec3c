"""Composition root of the intake service."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from runtime.health import Health
from runtime.kafka.admin import ensure_topics
from runtime.partners import PartnerDirectory
from runtime.processor import Subscription, TransactionalProcessor
from runtime.runner import ServiceApp, ServiceSettings
from schemas.topics import INVALID_MAX_MESSAGE_BYTES
from services.intake.handler import IntakeHandler

# Room for one whole oversized message per fetch, so it is read and rejected, never stuck.
INTAKE_FETCH_BYTES = INVALID_MAX_MESSAGE_BYTES


class IntakeSettings(ServiceSettings):
    """Intake's settings, from ``FRONTDOOR_INTAKE_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_INTAKE_", extra="ignore")


Settings = IntakeSettings


def create_app(settings: IntakeSettings) -> ServiceApp:
    """Wire the intake service; nothing connects until it runs."""
    topics = settings.kafka.topics
    partners = PartnerDirectory()
    health = Health("intake")
    health.watch("partners", lambda: partners.problem)
    processor = TransactionalProcessor(
        kafka=settings.kafka,
        service="intake",
        instance_id=settings.instance_id,
        subscription=Subscription(pattern=topics.partner_input_pattern),
        handler=IntakeHandler(topics, partners, settings.policy.load()),
        fetch_bytes=INTAKE_FETCH_BYTES,
        health=health,
        commit_interval_s=settings.commit_interval_ms / 1000,
    )

    async def prepare() -> None:
        if settings.create_topics:
            await ensure_topics(settings.kafka, partners.registry.topic_specs(topics))

    return ServiceApp("intake", processor, health, settings.health_port, prepare)
