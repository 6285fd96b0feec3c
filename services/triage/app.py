"""Composition root of the triage service."""

from __future__ import annotations

from datetime import time
from pathlib import Path

from aiokafka import TopicPartition
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from domain.policy import load_policy
from domain.working_time import WorkingClock
from runtime.health import Health
from runtime.kafka.admin import ensure_topics
from runtime.partners import load_registry
from runtime.processor import Subscription, TransactionalProcessor
from runtime.runner import ServiceApp, ServiceSettings
from services.triage.engine import TriageEngine
from services.triage.handler import TriageHandler, restore_partitions


class TriageSettings(ServiceSettings):
    """Triage's settings, from ``FRONTDOOR_TRIAGE_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_TRIAGE_", extra="ignore")

    policy_file: Path | None = Field(
        default=None,
        description="Threshold policy (default: FRONTDOOR_POLICY_FILE or the default).",
    )
    day_start: time = Field(default=time(9, 0), description="Start of the working day.")
    day_end: time = Field(default=time(17, 0), description="End of the working day.")
    overdue_check_s: float = Field(
        default=30.0, gt=0, description="How often to look for overdue cases."
    )


Settings = TriageSettings


def create_app(settings: TriageSettings) -> ServiceApp:
    """Wire the triage service; nothing connects until it runs."""
    topics = settings.kafka.topics
    health = Health("triage")
    engine = TriageEngine(
        load_policy(settings.policy_file),
        WorkingClock(day_start=settings.day_start, day_end=settings.day_end),
    )

    async def on_assigned(assigned: set[TopicPartition]) -> None:
        await restore_partitions(settings.kafka, topics, engine, assigned)

    handler = TriageHandler(topics, engine)
    processor = TransactionalProcessor(
        kafka=settings.kafka,
        service="triage",
        instance_id=settings.instance_id,
        subscription=Subscription(topics=(topics.accepted, topics.actions)),
        handler=handler,
        health=health,
        on_assigned=on_assigned,
        tick=handler.tick,
        tick_every_s=settings.overdue_check_s,
    )

    async def prepare() -> None:
        if settings.create_topics:
            await ensure_topics(settings.kafka, topics.specs_for(load_registry().ids))

    return ServiceApp("triage", processor, health, settings.health_port, prepare)
