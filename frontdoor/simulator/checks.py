"""Simulated partners answering partner checks as real ones do: in time, late, or never.

Some have nothing to say (no trace), a few decline.

Each partner that answers checks reads its own ``checks.requests.<org>`` (under its own consumer
group, as its own Kafka user) and answers on its own ``checks.answers.<org>``. What a partner does
with a request is drawn from the request id, so the same request always gets the same answer.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer

from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings
from schemas.checks import CheckMessageKind

# What a partner does with a request: (share, behaviour)
IN_TIME, LATE, NEVER = "in time", "late", "never"
BEHAVIOURS = ((0.6, IN_TIME), (0.2, LATE), (0.2, NEVER))
RESULTS = (
    (0.45, "no-trace"),
    (0.45, "information"),
    (0.10, "declined"),
)
INFORMATION = (
    "Known to the agency: two attendances at the address this year, no arrests.",
    "Registered with the practice; missed two immunisation appointments; no safeguarding flag.",
    "Attendance 81 % this term; the school's designated safeguarding lead has no open concern.",
    "Open involvement: a worker visits monthly; the last visit found the home adequate.",
)
ROLES = {
    "police": "MASH police researcher",
    "health": "Named nurse, safeguarding",
    "education": "Education safeguarding officer",
}


@dataclass(frozen=True, slots=True)
class Plan:
    """What one simulated partner does with one request."""

    behaviour: str
    result: str
    delay_s: float


def plan(request_id: str, due_in_s: float) -> Plan:
    """What a partner does with ``request_id``: the same request, the same plan.

    In time (a few seconds), late (after the due time), or never; and which result.
    """
    rng = random.Random(request_id)
    behaviour = _pick(rng, BEHAVIOURS)
    result = _pick(rng, RESULTS)
    if behaviour == IN_TIME:
        delay = rng.uniform(1.0, max(1.5, min(10.0, due_in_s / 2)))
    else:
        delay = max(0.0, due_in_s) + rng.uniform(3.0, 15.0)
    return Plan(behaviour, result, delay)


def _pick(rng: random.Random, shares: tuple[tuple[float, str], ...]) -> str:
    roll = rng.random()
    for share, value in shares:
        if roll < share:
            return value
        roll -= share
    return shares[-1][1]


def answer_for(request_id: str, agency: str, result: str, now: datetime) -> bytes:
    """An Answer v1 document for ``request_id``."""
    rng = random.Random(request_id + result)
    document: dict[str, object] = {
        "request_id": request_id,
        "result": result,
        "answered_by": {"name": "Simulated researcher", "role": ROLES.get(agency, "Researcher")},
        "answered_at": now.isoformat(),
    }
    if result == "information":
        document["information"] = rng.choice(INFORMATION)
        document["flags"] = rng.sample(["known-to-agency", "open-involvement"], k=rng.randint(0, 2))
    elif result == "declined":
        document["reason"] = "Not the right agency: the family moved out of our area last year."
    return json.dumps(document).encode()


async def answer_checks(
    kafka: KafkaSettings,
    partners: dict[str, str],
    counts: Counter[str],
    as_partner: Callable[[str], KafkaSettings],
) -> None:
    """Each partner in ``partners`` (organisation id: agency) answers its requests.

    Until cancelled; ``counts`` says how many were answered in time, late, or never.
    """
    await asyncio.gather(
        *(
            _one_partner(kafka, org, agency, counts, as_partner(org))
            for org, agency in partners.items()
        )
    )


async def _one_partner(
    kafka: KafkaSettings,
    org: str,
    agency: str,
    counts: Counter[str],
    own: KafkaSettings,
) -> None:
    topics = kafka.topics
    consumer = make_consumer(
        own,
        group_id=f"{topics.prefix}{org}.simulated-checks",
        client_id=f"simulated-{org}-checks",
        topics=[topics.check_requests(org)],
    )
    producer = make_producer(own, client_id=f"simulated-{org}-answers")
    await consumer.start()
    await producer.start()
    pending: set[asyncio.Task[None]] = set()
    try:
        async for record in consumer:
            message = json.loads(record.value or b"{}")
            if message.get("kind") != CheckMessageKind.REQUEST:
                continue
            due = datetime.fromisoformat(message["due"])
            chosen = plan(message["request_id"], (due - datetime.now(UTC)).total_seconds())
            counts[f"checks {chosen.behaviour}"] += 1
            if chosen.behaviour == NEVER:
                continue
            task = asyncio.create_task(
                _answer_later(
                    producer, topics.check_answers(org), message["request_id"], agency, chosen
                )
            )
            pending.add(task)
            task.add_done_callback(pending.discard)
    finally:
        for task in pending:
            task.cancel()
        await consumer.stop()
        await producer.stop()


async def _answer_later(
    producer: AIOKafkaProducer, topic: str, request_id: str, agency: str, chosen: Plan
) -> None:
    await asyncio.sleep(chosen.delay_s)
    now = datetime.now(UTC) - timedelta(seconds=1)
    await producer.send_and_wait(
        topic, answer_for(request_id, agency, chosen.result, now), key=request_id.encode()
    )
