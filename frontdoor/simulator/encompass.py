"""Simulated police forces sending Operation Encompass notices, and the school roll they meet.

The demo's council school roll lists made-up pupils of the registered schools; the notices are
a mix, as at a real front door: some name the child's school, some leave the front door to find
it on the roll, some are about a child the roll does not know (the council's queue), and a few
name a school that is not registered with the front door. Nothing here is real.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from aiokafka import AIOKafkaProducer

from frontdoor.simulator.children import FAMILY_NAMES, GIVEN_NAMES, make_upn
from runtime.kafka.clients import make_producer
from runtime.kafka.settings import KafkaSettings
from schemas.partners import PartnerRegistry

NAMED, ON_ROLL, NO_SCHOOL, NOT_REGISTERED = (
    "school named",
    "found on the roll",
    "no school found",
    "school not registered",
)
KINDS = ((0.4, NAMED), (0.3, ON_ROLL), (0.2, NO_SCHOOL), (0.1, NOT_REGISTERED))
PUPILS_PER_SCHOOL = 40
UNREGISTERED_URN = "100001"  # a school that is not a partner of the demo's front door


@dataclass(frozen=True, slots=True)
class Pupil:
    """A made-up pupil on the roll."""

    upn: str
    given_name: str
    family_name: str
    date_of_birth: date
    urn: str
    local_authority: str


class EncompassSimulation:
    """The demo's school roll, and an endless stream of notices from its police forces."""

    def __init__(self, registry: PartnerRegistry, seed: int, today: date | None = None) -> None:
        """Pupils of every registered school; notices from every police force of ``registry``."""
        self.rng = random.Random(seed)
        self.today = today or datetime.now(UTC).date()
        self.police = [p for p in registry.partners if p.police]
        self.pupils = [
            Pupil(
                upn=make_upn(self.rng),
                given_name=self.rng.choice(GIVEN_NAMES),
                family_name=self.rng.choice(FAMILY_NAMES),
                date_of_birth=self._birthday(),
                urn=school.urn,
                local_authority=school.local_authorities[0],
            )
            for school in registry.partners
            if school.urn is not None
            for _ in range(PUPILS_PER_SCHOOL)
        ]
        self.number = 0

    def _birthday(self) -> date:
        return self.today - timedelta(days=self.rng.randint(4 * 365, 16 * 365))

    def roll_csv(self) -> str:
        """The school roll as the council's education system would export it."""
        lines = ["upn,given_name,family_name,date_of_birth,urn"]
        lines += [
            f"{p.upn},{p.given_name},{p.family_name},{p.date_of_birth.isoformat()},{p.urn}"
            for p in self.pupils
        ]
        return "\n".join(lines) + "\n"

    def __iter__(self) -> Iterator[tuple[str, str, bytes]]:
        """Endless ``(police force, kind, notice)``."""
        while self.police:
            yield self.next()

    def next(self) -> tuple[str, str, bytes]:
        """One notice: from which force, which kind, its bytes."""
        self.number += 1
        force = self.rng.choice(self.police)
        roll = self.rng.random()
        kind = next(k for share, k in _cumulative(KINDS) if roll < share)
        pupils = [p for p in self.pupils if p.local_authority in force.local_authorities]
        if kind in {NAMED, ON_ROLL} and pupils:
            pupil = self.rng.choice(pupils)
            la, urn = pupil.local_authority, pupil.urn if kind == NAMED else None
            child = {
                "given_name": pupil.given_name,
                "family_name": pupil.family_name,
                "date_of_birth": pupil.date_of_birth.isoformat(),
            }
        else:
            kind = NOT_REGISTERED if kind == NOT_REGISTERED else NO_SCHOOL
            la = self.rng.choice(force.local_authorities)
            urn = UNREGISTERED_URN if kind == NOT_REGISTERED else None
            child = {
                "given_name": self.rng.choice(GIVEN_NAMES),
                "family_name": self.rng.choice(FAMILY_NAMES),
                "date_of_birth": self._birthday().isoformat(),
            }
        now = datetime.now(UTC).replace(microsecond=0)
        notice = {
            "schema_version": "1",
            "notice_id": f"ENC-{self.number:06d}-{self.rng.randrange(16**6):06x}",
            "sent_at": now.isoformat(),
            "local_authority": la,
            "police_reference": f"{force.id[:3].upper()}/{now:%y}/{self.rng.randrange(10**6):06d}",
            "incident_at": (now - timedelta(minutes=self.rng.randint(20, 600))).isoformat(),
            "child": child,
            "child_present": self.rng.choice(("yes", "yes", "no", "unknown")),
            "welfare_check_made": self.rng.random() < 0.8,
        }
        if urn is not None:
            notice["school_urn"] = urn
        return force.id, kind, json.dumps(notice).encode()


def _cumulative(shares: tuple[tuple[float, str], ...]) -> list[tuple[float, str]]:
    total, out = 0.0, []
    for share, kind in shares:
        total += share
        out.append((total, kind))
    out[-1] = (1.01, out[-1][1])
    return out


async def send_notices(
    kafka: KafkaSettings,
    simulation: EncompassSimulation,
    sent: Counter[str],
    as_partner: Callable[[str], KafkaSettings],
    *,
    every_s: float = 6.0,
    count: int | None = None,
) -> None:
    """Each police force sends its notices on ``encompass.inbound.<org>``, one every ``every_s``."""
    producers: dict[str, AIOKafkaProducer] = {}
    try:
        for force, kind, value in simulation:
            if count is not None and sent["encompass total"] >= count:
                break
            if force not in producers:
                producers[force] = make_producer(as_partner(force), client_id=f"simulated-{force}")
                await producers[force].start()
            await producers[force].send_and_wait(kafka.topics.encompass_inbound(force), value)
            sent[f"encompass {kind}"] += 1
            sent["encompass total"] += 1
            await asyncio.sleep(every_s)
    finally:
        for producer in producers.values():
            await producer.stop()
