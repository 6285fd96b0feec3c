"""Composition root of the triage service."""

from __future__ import annotations

from aiokafka import TopicPartition
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from runtime.health import Health
from runtime.kafka.admin import ensure_topics
from runtime.partners import PartnerDirectory
from runtime.processor import Subscription, TransactionalProcessor
from runtime.runner import ServiceApp, ServiceSettings
from services.triage.checks import from_registry
from services.triage.engine import TriageEngine
from services.triage.handler import TriageHandler, restore_partitions


class TriageSettings(ServiceSettings):
    """Triage's settings, from ``FRONTDOOR_TRIAGE_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_TRIAGE_", extra="ignore")

    overdue_check_s: float = Field(
        default=30.0, gt=0, description="How often to look for overdue cases."
    )


Settings = TriageSettings


def create_app(settings: TriageSettings) -> ServiceApp:
    """Wire the triage service; nothing connects until it runs."""
    topics = settings.kafka.topics
    health = Health("triage")
    partners = PartnerDirectory()
    health.watch("partners", lambda: partners.problem)
    engine = TriageEngine(settings.policy.load(), from_registry(lambda: partners.registry))

    async def on_assigned(assigned: set[TopicPartition]) -> None:
        await restore_partitions(settings.kafka, topics, engine, assigned)

    handler = TriageHandler(topics, engine)
    processor = TransactionalProcessor(
        kafka=settings.kafka,
        service="triage",
        instance_id=settings.instance_id,
        subscription=Subscription(topics=(topics.accepted, topics.actions, topics.checks_received)),
        handler=handler,
        health=health,
        on_assigned=on_assigned,
        tick=handler.tick,
        tick_every_s=settings.overdue_check_s,
    )

    async def prepare() -> None:
        if settings.create_topics:
            await ensure_topics(settings.kafka, partners.registry.topic_specs(topics))

    return ServiceApp("triage", processor, health, settings.health_port, prepare)
