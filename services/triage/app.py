"""Composition root of the triage service."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.broker.topics import ensure_topics
from services.observability.health import Health
from services.streaming.processor import Subscription, TransactionalProcessor
from services.streaming.runner import ServiceApp, ServiceSettings
from services.triage.handler import TriageHandler


class TriageSettings(ServiceSettings):
    """Triage's settings, from ``FRONTDOOR_TRIAGE_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_TRIAGE_", extra="ignore")


Settings = TriageSettings


def create_app(settings: TriageSettings) -> ServiceApp:
    """Wire the triage service; nothing connects until it runs."""
    topics = settings.kafka.topics
    health = Health("triage")
    processor = TransactionalProcessor(
        kafka=settings.kafka,
        service="triage",
        instance_id=settings.instance_id,
        subscription=Subscription(topics=(topics.accepted,)),
        handler=TriageHandler(topics),
        health=health,
    )

    async def prepare() -> None:
        await ensure_topics(settings.kafka, topics.specs_for([]))

    return ServiceApp("triage", processor, health, settings.health_port, prepare)
