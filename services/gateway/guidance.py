"""The threshold guidance a referrer sees while writing: the council's own policy, applied.

The very policy file triage loads for the council decides the level the facts given so far
would reach, and the page says why (the rules that fired, in the policy's words), what happens
next and by when, and for level 1 the universal services to turn to instead. Guidance informs:
the referrer still decides whether to send, and is never stopped from sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.policy import ContactFacts, Policy, Signpost, decide
from domain.wording import when
from schemas.codes import ConsentStatus, DashRisk, Factor
from schemas.referral import age_on
from schemas.status import Outcome
from schemas.triage import Level, Rag


@dataclass(frozen=True, slots=True)
class Facts:
    """What the referrer has said so far (anything unanswered counts as no)."""

    factors: frozenset[Factor]
    immediate_risk: bool = False
    injury_observed: bool = False
    dash_risk: DashRisk | None = None
    date_of_birth: date | None = None
    consent: ConsentStatus = ConsentStatus.GIVEN


@dataclass(frozen=True, slots=True)
class Guidance:
    """What the policy would make of the facts, in words for the referrer."""

    level: Level
    name: str
    rag: Rag
    outcome: Outcome
    reasons: tuple[str, ...]
    next_steps: str
    signposting: tuple[Signpost, ...]
    policy_version: str


def threshold_guidance(policy: Policy, facts: Facts, now: datetime) -> Guidance | None:
    """The guidance for ``facts`` under ``policy`` on ``now``; None before any concern is given."""
    if not facts.factors:
        return None
    decision = decide(
        policy,
        ContactFacts(
            factors=facts.factors,
            immediate_risk=facts.immediate_risk,
            injury_observed=facts.injury_observed,
            dash_risk=facts.dash_risk,
            age_years=None
            if facts.date_of_birth is None
            else age_on(facts.date_of_birth, now.date()),
            consent=facts.consent,
            prior_contacts=0,
        ),
    )
    spec = policy.level(decision.level)
    described = {rule.id: rule.description for rule in policy.rules}
    described[policy.default_rule.id] = policy.default_rule.description
    described |= {o.id: o.description for o in policy.consent_overrides}
    due = when(policy.decision_due(decision.level, now))
    if decision.outcome is Outcome.ENQUIRY_ASSESSMENT and spec.due.round_the_clock:
        who = (
            "The council's emergency duty team has it out of office hours, and a decision"
            if policy.emergency_duty(decision.level, now)
            else "A social worker in the enquiry and assessment team decides what to do, and"
        )
        steps = f"{who} is due by {due}: this clock runs round the clock, evenings and weekends."
        if spec.strategy_discussion:
            steps += " A strategy discussion with the police and health is considered at once."
    elif decision.outcome is Outcome.ENQUIRY_ASSESSMENT:
        steps = f"A social worker in the enquiry and assessment team decides what to do by {due}."
        if spec.strategy_discussion:
            steps += " A strategy discussion with the police and health is considered at once."
    elif decision.outcome is Outcome.EARLY_HELP:
        steps = (
            f"The early help team decides by {due} and offers the family support, which they "
            "may accept or decline."
        )
    else:
        steps = (
            f"Children's social care is unlikely to act on these facts alone; the council "
            f"replies with advice by {due}. The services below can help now."
        )
    return Guidance(
        level=decision.level,
        name=spec.name,
        rag=decision.rag,
        outcome=decision.outcome,
        reasons=tuple(described[rule] for rule in decision.rules),
        next_steps=steps,
        signposting=tuple(policy.signposting) if decision.level == Level(1) else (),
        policy_version=decision.policy_version,
    )
