"""A duty manager's screening decisions on the running pipeline: what the dashboard sends.

The policy proposes and a person decides (DOMAIN B "Who decides"): on the real broker, a test
reads the proposals from ``triage.queue.screening`` and decides them on ``triage.actions``, the
path the dashboard's screening page takes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiokafka.errors import KafkaError

from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings
from schemas.triage import ActionKind, Case, ManagerAction, QueueItem


async def proposals(
    reader: Any, kafka: KafkaSettings, count: int, timeout: float = 60
) -> list[QueueItem]:
    """The first ``count`` proposals on the screening queue."""
    records = await reader([kafka.topics.queue_screening], count=count, timeout=timeout)
    return [QueueItem.model_validate_json(r.value) for r in records]


def about(items: list[QueueItem], referral_id: str) -> Case:
    """The newest proposal's case holding the contact ``referral_id``."""
    return [i.case for i in items if any(c.referral_id == referral_id for c in i.case.contacts)][-1]


async def screen_over_kafka(
    kafka: KafkaSettings,
    cases: Iterable[Case],
    *,
    actor: str = "sam.duty",
    change: Callable[[Case], dict[str, Any]] = lambda _: {},
    at: datetime | None = None,
) -> datetime:
    """Send a screening decision on each case (confirm, or ``change(case)``); when it was made.

    ``at``: when the person decided (default now).
    """
    at = at or datetime.now(UTC)
    producer = make_producer(kafka, client_id="test-duty-manager")
    try:
        await producer.start()  # inside: a broker restarting refuses the start, and it is closed
        for case in cases:
            action = ManagerAction(
                action_id=action_id(case),
                kind=ActionKind.SCREEN,
                case_id=case.case_id,
                local_authority=case.local_authority,
                actor=actor,
                submitted_at=at,
                **change(case),
            )
            await producer.send_and_wait(
                kafka.topics.actions,
                action.model_dump_json().encode(),
                key=case.local_authority.encode(),
            )
    finally:
        await producer.stop()
    return at


RETRIES = 30


def action_id(case: Case) -> str:
    """A screening action's id: one per version of a case (a repeat changes nothing)."""
    return f"screen-{case.case_id}-{case.version}"


NOTE = {"reason": "Read the referral and the history: the proposal stands"}


async def confirm_as_they_come(
    kafka: KafkaSettings, *, actor: str = "sam.duty", sent: list[str] | None = None
) -> None:
    """Confirm each held proposal as it reaches the screening queue, until cancelled.

    A stand-in for a duty manager at the screening page, so every referrer hears an outcome.
    Each action's id goes into ``sent``; a send the broker fails (it is restarting) is tried
    again.
    """
    consumer = make_consumer(
        kafka, group_id=None, client_id="test-screening", topics=[kafka.topics.queue_screening]
    )
    await consumer.start()
    try:
        async for record in consumer:
            case = QueueItem.model_validate_json(record.value).case
            if not case.held:
                continue
            for attempt in range(RETRIES):
                try:  # a note, as early help the family refused needs one
                    await screen_over_kafka(kafka, [case], actor=actor, change=lambda _: NOTE)
                    break
                except KafkaError:
                    if attempt == RETRIES - 1:
                        raise
                    await asyncio.sleep(1)
            if sent is not None:
                sent.append(action_id(case))
    finally:
        await consumer.stop()
