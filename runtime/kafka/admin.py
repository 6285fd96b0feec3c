"""Create the registry's topics on the cluster, idempotently; broker auto-creation stays off."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import for_code

from runtime.kafka.clients import make_admin
from runtime.kafka.settings import KafkaSettings
from schemas.topics import TopicSpec

log = structlog.get_logger(__name__)

TOPIC_ALREADY_EXISTS = 36


@dataclass(frozen=True, slots=True)
class TopicsReport:
    """What ``ensure_topics`` found and did."""

    created: list[str]
    existing: list[str]


async def ensure_topics(
    kafka: KafkaSettings,
    named_specs: list[tuple[str, TopicSpec]],
    *,
    partitions: int | None = None,
) -> TopicsReport:
    """Create each named topic that does not exist yet; leave existing ones as they are.

    ``partitions`` overrides every spec's partition count (scale-out runs and benchmarks).
    """
    admin = make_admin(kafka)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [(name, spec) for name, spec in named_specs if name not in existing]
        created: list[str] = []
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(
                        name,
                        partitions or spec.partitions,
                        kafka.replication_factor,
                        topic_configs=spec.configs(),
                    )
                    for name, spec in missing
                ],
            )
            for name, code, *_ in response.topic_errors:
                if code == 0:
                    created.append(name)
                elif code != TOPIC_ALREADY_EXISTS:
                    raise for_code(code)(f"could not create topic {name}")
            await _wait_for_leaders(admin, [name for name, _ in missing])
    finally:
        await admin.close()
    log.info("topics ensured", created=len(created), existing=len(named_specs) - len(created))
    return TopicsReport(
        created=sorted(created),
        existing=sorted(name for name, _ in named_specs if name not in created),
    )


async def drop_topics(kafka: KafkaSettings) -> int:
    """Delete every topic under ``kafka``'s prefix (benchmark and test namespaces only)."""
    if not kafka.topic_prefix:
        raise ValueError("refusing to delete topics without a prefix")
    admin = make_admin(kafka)
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if n.startswith(kafka.topic_prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()
    return len(names)


async def _wait_for_leaders(
    admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30
) -> None:
    """Return once every partition of ``names`` has a leader, so writers do not race creation."""
    async with asyncio.timeout(timeout):
        while True:
            described = await admin.describe_topics(names)
            if all(
                topic["error_code"] == 0
                and topic["partitions"]
                and all(p["leader"] >= 0 for p in topic["partitions"])
                for topic in described
            ):
                return
            await asyncio.sleep(0.1)
