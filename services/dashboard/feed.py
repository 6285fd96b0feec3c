"""Reads the topics the dashboard shows, from the beginning, and keeps the view current."""

from __future__ import annotations

import re

import structlog
from pydantic import ValidationError

from runtime.kafka.clients import make_consumer
from runtime.kafka.settings import KafkaSettings
from runtime.records import Record
from schemas.status import StatusUpdate
from schemas.topics import Topics
from schemas.triage import Case, Decision
from services.dashboard.view import DashboardView

log = structlog.get_logger(__name__)


def followed_pattern(topics: Topics) -> str:
    """Cases, decisions and every partner's status topic, those of partners added later too."""
    fixed = "|".join(re.escape(name) for name in (topics.cases, topics.decisions))
    return f"^(?:{fixed})$|{topics.status_pattern}"


async def follow(kafka: KafkaSettings, view: DashboardView) -> None:
    """Fold every committed case, decision and status update into ``view``, forever.

    A partner registered while the dashboard runs is followed within seconds (the consumer's
    metadata refresh finds its new status topic), without a restart.
    """
    topics = kafka.topics
    consumer = make_consumer(kafka, group_id=None, client_id="frontdoor-dashboard")
    consumer.subscribe(pattern=followed_pattern(topics))
    await consumer.start()
    try:
        async for record in consumer:
            if record.value is not None:
                _apply(view, topics.cases, topics.decisions, record)
    finally:
        await consumer.stop()


def _apply(view: DashboardView, cases: str, decisions: str, record: Record) -> None:
    value = record.value or b""
    try:
        if record.topic == cases:
            view.apply_case(Case.model_validate_json(value))
        elif record.topic == decisions:
            view.apply_decision(Decision.model_validate_json(value))
        else:
            view.apply_update(StatusUpdate.model_validate_json(value))
    except ValidationError:
        # A record this version cannot read (written by an older one): shown nowhere, said here.
        log.warning(
            "record skipped", topic=record.topic, partition=record.partition, offset=record.offset
        )
