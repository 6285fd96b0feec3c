"""Composition root of the notifier service."""

from __future__ import annotations

from aiokafka import TopicPartition
from pydantic_settings import SettingsConfigDict

from schemas.partners import PartnerDirectory
from services.broker.topics import ensure_topics
from services.notifier.handler import NotifierHandler
from services.observability.health import Health
from services.streaming.processor import Subscription, TransactionalProcessor
from services.streaming.runner import ServiceApp, ServiceSettings
from services.triage.working_time import WorkingClock


class NotifierSettings(ServiceSettings):
    """Notifier's settings, from ``FRONTDOOR_NOTIFIER_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_NOTIFIER_", extra="ignore")


Settings = NotifierSettings


def create_app(settings: NotifierSettings) -> ServiceApp:
    """Wire the notifier service; nothing connects until it runs."""
    topics = settings.kafka.topics
    partners = PartnerDirectory()
    health = Health("notifier")
    handler = NotifierHandler(topics, partners, WorkingClock())

    async def on_assigned(assigned: set[TopicPartition]) -> None:
        await handler.restore(settings.kafka, assigned)

    processor = TransactionalProcessor(
        kafka=settings.kafka,
        service="notifier",
        instance_id=settings.instance_id,
        subscription=Subscription(topics=(topics.status_events,)),
        handler=handler,
        health=health,
        on_assigned=on_assigned,
    )

    async def prepare() -> None:
        await ensure_topics(settings.kafka, topics.specs_for(partners.registry.ids))

    return ServiceApp("notifier", processor, health, settings.health_port, prepare)
