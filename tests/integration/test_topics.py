"""Topics come from the registry and are created idempotently on the real broker."""

from __future__ import annotations

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_admin
from schemas.topics import CORE_TOPICS

pytestmark = pytest.mark.kafka


async def test_creating_twice_creates_once_with_registry_settings(kafka) -> None:
    wanted = kafka.topics.specs_for(["some-school"])
    first = await ensure_topics(kafka, wanted)
    second = await ensure_topics(kafka, wanted)

    assert sorted(first.created) == sorted(name for name, _ in wanted)
    assert second.created == []
    assert sorted(second.existing) == sorted(first.created)

    admin = make_admin(kafka)
    await admin.start()
    try:
        described = {t["topic"]: t for t in await admin.describe_topics([kafka.topics.cases])}
        configs = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, kafka.topics.cases)],
        )
    finally:
        await admin.close()
    cases_spec = next(s for s in CORE_TOPICS if s.name == "triage.cases")
    assert len(described[kafka.topics.cases]["partitions"]) == cases_spec.partitions
    entries = {entry[0]: entry[1] for entry in configs[0].resources[0][4]}
    assert entries["cleanup.policy"] == "compact"


async def test_broker_does_not_auto_create_topics(kafka) -> None:
    admin = make_admin(kafka)
    await admin.start()
    try:
        await admin.describe_topics([kafka.topics.accepted])
        assert kafka.topics.accepted not in await admin.list_topics()
    finally:
        await admin.close()
