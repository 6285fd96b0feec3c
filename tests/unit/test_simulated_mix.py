"""The demo tells the true story: most simulated contacts do not become referrals."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from domain.policies import PolicyBook
from domain.policy import load_policy
from domain.validation import Accepted, validate_referral
from factories import accepted
from frontdoor.simulator.stream import ReferralStream
from runtime.partners import load_registry
from services.triage.engine import TriageEngine


def share_to_enquiry_and_assessment(serious_share: float | None) -> float:
    """Where 2,000 simulated contacts' own decisions sent them."""
    registry = load_registry()
    options = {} if serious_share is None else {"serious_share": serious_share}
    stream = ReferralStream(registry, seed=11, **options)
    engine = TriageEngine(PolicyBook.single(load_policy()))
    outcomes: Counter[str] = Counter()
    for offset in range(2000):
        publication = stream.next()
        verdict = validate_referral(
            publication.value, organisation_id=publication.organisation_id, registry=registry
        )
        if not isinstance(verdict, Accepted):
            continue
        document = json.loads(publication.value)
        effects = engine.on_referral(accepted(document, at=datetime.now(UTC), offset=offset), 0)
        for decision in effects.decisions:
            if decision.kind.value in {"triaged", "linked"} and decision.to_outcome:
                outcomes[decision.to_outcome.value] += 1
    return outcomes["enquiry-assessment"] / sum(outcomes.values())


def test_about_a_third_go_to_enquiry_and_assessment_by_default() -> None:
    assert 0.25 <= share_to_enquiry_and_assessment(None) <= 0.35


@pytest.mark.parametrize(("serious", "at_least"), [(1.0, 0.6)])
def test_the_mix_is_configurable(serious: float, at_least: float) -> None:
    assert share_to_enquiry_and_assessment(serious) >= at_least
