"""From a referral to a contact record, and from a case's contacts to its level and outcome.

Pure functions: the policy decides each contact on its own; a case takes the highest level of
its contacts (or a duty manager's override, until a later contact raises it further).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.policy import ContactFacts, Policy, decide
from schemas.intake import AcceptedReferral
from schemas.referral import Child, age_on
from schemas.status import Outcome
from schemas.triage import SUMMARY_KEPT_CHARS, Case, ChildIdentity, ContactRecord, Level, Rag


def child_identity(child: Child) -> ChildIdentity:
    """What identifies the child in a referral."""
    return ChildIdentity(
        given_name=child.given_name,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        expected_date_of_birth=child.expected_date_of_birth,
        sex=child.sex.value,
        ethnicity=child.ethnicity.value if child.ethnicity else None,
        nhs_number=child.nhs_number,
        upn=child.upn,
        postcode=child.address.postcode if child.address else None,
    )


def contact_record(
    policy: Policy,
    accepted: AcceptedReferral,
    prior_contacts: int,
) -> ContactRecord:
    """Apply the policy to one accepted referral, given how many contacts came before it."""
    referral = accepted.referral
    received_on: date = accepted.received_at.date()
    born = referral.child.date_of_birth
    facts = ContactFacts(
        factors=frozenset(concern.factor for concern in referral.concerns),
        immediate_risk=referral.risk.immediate_risk,
        injury_observed=referral.risk.injury_observed,
        dash_risk=referral.risk.dash_risk,
        age_years=None if born is None else age_on(born, received_on),
        consent=referral.consent.status,
        prior_contacts=prior_contacts,
    )
    decision = decide(policy, facts)
    return ContactRecord(
        contact_id=accepted.contact_id,
        organisation_id=accepted.organisation_id,
        referral_id=referral.referral_id,
        source=referral.referrer.source,
        received_at=accepted.received_at,
        content_hash=accepted.content_hash,
        summary=referral.summary[:SUMMARY_KEPT_CHARS],
        summary_cut=len(referral.summary) > SUMMARY_KEPT_CHARS,
        factors=sorted({concern.factor for concern in referral.concerns}),
        level=decision.level,
        outcome=decision.outcome,
        rules=list(decision.rules),
        child=child_identity(referral.child),
        consent=referral.consent.status,
    )


@dataclass(frozen=True, slots=True)
class Assessment:
    """Where a case should stand, given its contacts and any override."""

    level: Level
    outcome: Outcome
    rag: Rag
    rules: list[str]
    strategy_discussion: bool


OVERRIDE_RULE = "MANAGER-OVERRIDE"


def assess(case: Case, policy: Policy) -> Assessment:
    """The case's level, outcome and the rules behind them.

    The highest level of its contacts wins. A duty manager's override stands until a contact
    received after it reaches a higher level; then the policy decides again.
    """
    if case.override_at is None:
        return _from_contacts(case.contacts, policy)
    base = _from_contacts(case.contacts, policy)
    overridden_level = case.override_level or base.level
    later = [c for c in case.contacts if c.received_at > case.override_at]
    if later and max(c.level for c in later) > overridden_level:
        return _from_contacts(later, policy)
    spec = policy.level(overridden_level)
    outcome = case.override_outcome or (
        base.outcome if overridden_level == base.level else spec.outcome
    )
    return Assessment(
        overridden_level,
        outcome,
        spec.rag,
        [OVERRIDE_RULE],
        spec.strategy_discussion,
    )


def _from_contacts(contacts: list[ContactRecord], policy: Policy) -> Assessment:
    level = max((c.level for c in contacts), default=Level.UNIVERSAL)
    at_top = [c for c in contacts if c.level == level]
    spec = policy.level(level)
    # The level's outcome, unless every contact at that level says otherwise (consent refused).
    outcomes = {c.outcome for c in at_top}
    outcome = spec.outcome if spec.outcome in outcomes or not outcomes else at_top[-1].outcome
    rules = list(dict.fromkeys(rule for c in at_top for rule in c.rules))
    return Assessment(level, outcome, spec.rag, rules, spec.strategy_discussion)
