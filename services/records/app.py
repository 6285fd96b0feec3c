"""Composition root of the records service."""

from __future__ import annotations

import re

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from runtime.health import Health
from runtime.kafka.admin import ensure_topics
from runtime.partners import load_registry
from runtime.records_db.database import DatabaseSettings, make_engine, require_current_schema
from runtime.runner import ServiceApp, ServiceSettings
from schemas.topics import Topics
from services.records.projection import Projection
from services.records.sink import RecordsSink
from services.records.store import RecordsStore


class RecordsSettings(ServiceSettings):
    """The records service's settings, from ``FRONTDOOR_RECORDS_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_RECORDS_", extra="ignore")

    database: DatabaseSettings = Field(
        default_factory=DatabaseSettings,
        description="The records database (FRONTDOOR_DATABASE_URL).",
    )


Settings = RecordsSettings


def recorded_pattern(topics: Topics) -> str:
    """What the records service reads: every topic it keeps rows of.

    Cases (and retired ones), decisions, rejections, Encompass notices, every partner's status.
    """
    fixed = (
        topics.cases,
        topics.archive,
        topics.decisions,
        topics.rejections,
        topics.encompass_notices,
        topics.accepted,  # the whole referral: a case keeps only the start of its account
    )
    return "^(?:" + "|".join(re.escape(name) for name in fixed) + ")$|" + topics.status_pattern


def create_app(settings: RecordsSettings) -> ServiceApp:
    """Wire the records service; refuse a database whose schema is not this code's."""
    topics = settings.kafka.topics
    engine = make_engine(settings.database.url)
    require_current_schema(engine)
    health = Health("records")
    sink = RecordsSink(
        kafka=settings.kafka,
        pattern=recorded_pattern(topics),
        store=RecordsStore(engine),
        projection=Projection(topics),
        health=health,
    )

    async def prepare() -> None:
        if settings.create_topics:
            await ensure_topics(settings.kafka, load_registry().topic_specs(topics))

    return ServiceApp("records", sink, health, settings.health_port, prepare)
