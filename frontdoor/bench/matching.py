"""How triage's decision time per referral grows with the number of open cases.

Builds an engine holding N open cases in one local authority (the worst case: one index),
then times the decision on new referrals about other children and about known ones.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from domain.policies import PolicyBook
from domain.policy import load_policy
from frontdoor.simulator.children import FAMILY_NAMES, GIVEN_NAMES, TOWNS
from frontdoor.simulator.stream import ReferralStream
from schemas.codes import ReferralSource
from schemas.intake import AcceptedReferral, Origin
from schemas.partners import Partner, PartnerRegistry
from schemas.referral import Referral
from schemas.status import Outcome
from schemas.triage import Case, CaseState, ChildIdentity, ContactRecord, Level, Rag
from services.triage.assessment import child_identity
from services.triage.engine import TriageEngine

LA = "808"
NOW = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class MatchingResult:
    """Decision time per referral with ``open_cases`` cases held."""

    open_cases: int
    referrals: int
    mean_us: float
    p99_us: float
    mean_candidates: float


def _case(number: int, child: ChildIdentity) -> Case:
    contact = ContactRecord(
        contact_id=f"c-{number}",
        organisation_id="bench",
        referral_id=f"B-{number}",
        source=ReferralSource.SCHOOLS,
        received_at=NOW - timedelta(days=number % 300),
        content_hash="x",
        summary="",
        factors=[],
        level=Level.ADDITIONAL,
        outcome=Outcome.EARLY_HELP,
        rules=["L2-CHILD"],
        child=child,
    )
    return Case(
        case_id=f"case-{number}",
        local_authority=LA,
        version=1,
        state=CaseState.OPEN,
        level=Level.ADDITIONAL,
        rag=Rag.GREEN,
        outcome=Outcome.EARLY_HELP,
        strategy_discussion=False,
        decision_due=NOW,
        rules=["L2-CHILD"],
        policy_version="bench",
        opened_at=contact.received_at,
        updated_at=contact.received_at,
        contacts=[contact],
    )


def _identity(rng: random.Random) -> ChildIdentity:
    _, *districts = TOWNS[LA]
    return ChildIdentity(
        given_name=rng.choice(GIVEN_NAMES),
        family_name=rng.choice(FAMILY_NAMES),
        date_of_birth=date(2008, 1, 1) + timedelta(days=rng.randrange(17 * 365)),
        sex=rng.choice("FM"),
        postcode=(
            f"{rng.choice(districts)} {rng.randint(1, 9)}"
            f"{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRST')}"
        ),
    )


def measure(open_cases: int, referrals: int = 2000, seed: int = 1) -> MatchingResult:
    """Time ``referrals`` decisions against ``open_cases`` open cases."""
    rng = random.Random(seed)
    engine = TriageEngine(PolicyBook.single(load_policy()))
    for number in range(open_cases):
        engine.load(_case(number, _identity(rng)), 0)
    stream = ReferralStream(
        PartnerRegistry(
            partners=(
                Partner(id="bench-school", name="Bench", source="2A", local_authorities=(LA,)),
            ),
        ),
        seed=seed,
    )
    timings: list[float] = []
    candidates: list[int] = []
    for offset in range(referrals):
        publication = stream.next()
        while publication.kind not in ("new", "repeat"):
            publication = stream.next()
        referral = Referral.model_validate_json(publication.value)
        accepted = AcceptedReferral.of(
            referral,
            "bench",
            NOW,
            Origin(topic="bench", partition=0, offset=offset),
        )
        candidates.append(len(engine.cases.indexes[LA].candidates(child_identity(referral.child))))
        started = time.perf_counter()
        engine.on_referral(accepted, 0)
        timings.append((time.perf_counter() - started) * 1e6)
    timings.sort()
    return MatchingResult(
        open_cases=open_cases,
        referrals=referrals,
        mean_us=round(statistics.fmean(timings), 1),
        p99_us=round(timings[int(len(timings) * 0.99) - 1], 1),
        mean_candidates=round(statistics.fmean(candidates), 1),
    )
