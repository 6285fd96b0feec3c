"""Reads the topics the dashboard shows, from the beginning, and keeps the view current."""

from __future__ import annotations

import structlog
from pydantic import ValidationError

from runtime.kafka.clients import make_consumer
from runtime.kafka.settings import KafkaSettings
from runtime.partners import PartnerDirectory
from runtime.records import Record
from schemas.status import StatusUpdate
from schemas.triage import Case, Decision
from services.dashboard.view import DashboardView

log = structlog.get_logger(__name__)


async def follow(kafka: KafkaSettings, partners: PartnerDirectory, view: DashboardView) -> None:
    """Fold every committed case, decision and status update into ``view``, forever."""
    topics = kafka.topics
    names = [topics.cases, topics.decisions, *(topics.status(org) for org in partners.registry.ids)]
    consumer = make_consumer(kafka, group_id=None, client_id="frontdoor-dashboard", topics=names)
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
