"""Composition root of the triage service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError
from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from domain.school_roll import SchoolRoll, load_roll
from runtime.health import Health
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_admin
from runtime.kafka.settings import KafkaSettings
from runtime.partners import PartnerDirectory
from runtime.processor import Subscription, TransactionalProcessor
from runtime.runner import ServiceApp, ServiceSettings
from runtime.watched_file import WatchedFile
from services.triage.checks import from_registry, with_topics
from services.triage.encompass import EncompassRelay
from services.triage.engine import TriageEngine
from services.triage.handler import TriageHandler, restore_partitions


class TriageSettings(ServiceSettings):
    """Triage's settings, from ``FRONTDOOR_TRIAGE_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_TRIAGE_", extra="ignore")

    overdue_check_s: float = Field(
        default=30.0, gt=0, description="How often to look for overdue cases."
    )
    school_roll_file: Path | None = Field(  # type: ignore[pydantic-alias]
        default=None,
        validation_alias=AliasChoices(
            "FRONTDOOR_SCHOOL_ROLL_FILE", "FRONTDOOR_TRIAGE_SCHOOL_ROLL_FILE"
        ),
        description="The council's school roll for Operation Encompass (CSV: upn, given_name, "
        "family_name, date_of_birth, urn; FRONTDOOR_SCHOOL_ROLL_FILE), re-read when it "
        "changes; none: schools are found only by the URN the police give.",
    )


Settings = TriageSettings


def create_app(settings: TriageSettings) -> ServiceApp:
    """Wire the triage service; nothing connects until it runs."""
    topics = settings.kafka.topics
    health = Health("triage")
    partners = PartnerDirectory()
    health.watch("partners", lambda: partners.problem)
    requests_topics = RequestTopics(settings.kafka, lambda: partners.registry.checking_ids)
    health.watch("check topics", requests_topics.problem)
    engine = TriageEngine(
        settings.policy.load(),
        with_topics(from_registry(lambda: partners.registry), requests_topics.exists),
    )

    async def on_assigned(assigned: set[TopicPartition]) -> None:
        await restore_partitions(settings.kafka, topics, engine, assigned, relay)

    roll = (
        WatchedFile(settings.school_roll_file, SchoolRoll, "school roll", parse=load_roll)
        if settings.school_roll_file
        else None
    )
    if roll is not None:
        health.watch("school roll", lambda: roll.problem)
    relay = EncompassRelay(
        engine.policies,
        lambda: partners.registry,
        (lambda: roll.current) if roll is not None else SchoolRoll,
    )
    handler = TriageHandler(topics, engine, relay)
    processor = TransactionalProcessor(
        kafka=settings.kafka,
        service="triage",
        instance_id=settings.instance_id,
        subscription=Subscription(
            topics=(
                topics.accepted,
                topics.actions,
                topics.checks_received,
                topics.encompass_accepted,
                topics.encompass_acks,
            )
        ),
        handler=handler,
        health=health,
        commit_interval_s=settings.commit_interval_ms / 1000,
        on_assigned=on_assigned,
        tick=handler.tick,
        tick_every_s=settings.overdue_check_s,
    )

    async def prepare() -> None:
        if settings.create_topics:
            await ensure_topics(settings.kafka, partners.registry.topic_specs(topics))
        await requests_topics.refresh()  # before the first decision: who can be asked

    return ServiceApp(
        "triage", processor, health, settings.health_port, prepare, [requests_topics.follow]
    )


class RequestTopics:
    """Which check partners' ``checks.requests`` topics exist, looked at every few seconds."""

    def __init__(
        self, kafka: KafkaSettings, checking: Callable[[], list[str]], every_s: float = 10.0
    ) -> None:
        """Look for the topics of ``checking()`` on ``kafka`` every ``every_s`` seconds."""
        self.kafka = kafka
        self.checking = checking
        self.every_s = every_s
        self.known: set[str] = set()

    def exists(self, organisation_id: str) -> bool:
        """Whether the organisation's requests topic existed at the last look."""
        return self.kafka.topics.check_requests(organisation_id) in self.known

    def problem(self) -> str | None:
        """The check partners not asked for want of their topic, if any."""
        missing = [org for org in self.checking() if not self.exists(org)]
        if not missing:
            return None
        return (
            f"not asked for partner checks until their topics exist (frontdoor topics create): "
            f"{', '.join(missing)}"
        )

    async def refresh(self) -> None:
        """Look again."""
        admin = make_admin(self.kafka, client_id="frontdoor-triage-topics")
        await admin.start()
        try:
            self.known = set(await admin.list_topics())
        finally:
            await admin.close()

    async def follow(self, stop: asyncio.Event) -> None:
        """Look every ``every_s`` seconds until ``stop``."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.every_s)
            if not stop.is_set():
                with contextlib.suppress(KafkaError):  # the next look will do
                    await self.refresh()
