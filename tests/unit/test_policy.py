"""The default threshold policy behaves as DOMAIN.md part B says, rule by rule."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from domain.policy import DEFAULT_POLICY, ContactFacts, decide, load_policy
from schemas.codes import ConsentStatus, DashRisk, Factor
from schemas.status import Outcome
from schemas.triage import Level, Rag

POLICY = load_policy()


def facts(
    *factors: str,
    immediate: bool = False,
    injury: bool = False,
    dash: str | None = None,
    age: int | None = 8,
    consent: str = "given",
    prior: int = 0,
) -> ContactFacts:
    return ContactFacts(
        factors=frozenset(Factor(f) for f in factors),
        immediate_risk=immediate,
        injury_observed=injury,
        dash_risk=DashRisk(dash) if dash else None,
        age_years=age,
        consent=ConsentStatus(consent),
        prior_contacts=prior,
    )


@pytest.mark.parametrize(
    ("contact", "level", "rule"),
    [
        (facts("21", immediate=True), 4, "L4-IMMEDIATE"),
        (facts("19B"), 4, "L4-SEXUAL"),
        (facts("19C"), 4, "L4-SEXUAL"),
        (facts("18C", injury=True), 4, "L4-INJURY"),
        (facts("20", injury=True, age=0), 4, "L4-INFANT"),
        (facts("11A"), 4, "L4-EXPLOIT"),
        (facts("12A"), 4, "L4-EXPLOIT"),
        (facts("22A"), 4, "L4-EXPLOIT"),
        (facts("24A"), 4, "L4-EXPLOIT"),
        (facts("3A", dash="high"), 4, "L4-DA-HIGH"),
        (facts("3C", dash="high"), 4, "L4-DA-HIGH"),
        (facts("16A"), 3, "L3-NEGLECT"),
        (facts("17A"), 3, "L3-NEGLECT"),
        (facts("18B"), 3, "L3-PHYSICAL"),
        (facts("18C", injury=False), 3, "L3-PHYSICAL"),
        (facts("3B", dash="medium"), 3, "L3-DA"),
        (facts("3B"), 3, "L3-DA"),
        (facts("10A"), 3, "L3-HARM"),
        (facts("13A"), 3, "L3-HARM"),
        (facts("15A"), 3, "L3-HARM"),
        (facts("23A"), 3, "L3-HARM"),
        (facts("9A"), 3, "L3-STATUTORY"),
        (facts("8D"), 3, "L3-STATUTORY"),
        (facts("4B", age=4), 3, "L3-PARENT-UNDER5"),
        (facts("2B", age=None), 3, "L3-PARENT-UNDER5"),
        (facts("1A", "5A", "7A"), 3, "L3-ACCUMULATION"),
        (facts("21", prior=2), 3, "L3-REPEAT"),
        (facts("3A", dash="standard"), 2, "L2-DA"),
        (facts("1B", age=5), 2, "L2-PARENT"),
        (facts("4C"), 2, "L2-PARENT"),
        (facts("6B"), 2, "L2-PARENT"),
        (facts("14A"), 2, "L2-CHILD"),
        (facts("20"), 2, "L2-CHILD"),
        (facts("21"), 1, "L1-UNIVERSAL"),
        (facts(), 1, "L1-UNIVERSAL"),
    ],
)
def test_each_rule_reaches_its_level(contact: ContactFacts, level: int, rule: str) -> None:
    decision = decide(POLICY, contact)
    assert decision.level == level
    assert rule in decision.rules
    assert decision.policy_version == "default-2026.2"


@pytest.mark.parametrize(
    ("level", "rag", "outcome"),
    [
        (4, Rag.RED, Outcome.ENQUIRY_ASSESSMENT),
        (3, Rag.AMBER, Outcome.ENQUIRY_ASSESSMENT),
        (2, Rag.GREEN, Outcome.EARLY_HELP),
        (1, Rag.BLUE, Outcome.NO_FURTHER_ACTION),
    ],
)
def test_levels_map_to_rag_and_outcome(level: int, rag: Rag, outcome: Outcome) -> None:
    spec = POLICY.level(Level(level))
    assert (spec.rag, spec.outcome) == (rag, outcome)
    assert spec.strategy_discussion is (level == 4)


def test_highest_level_wins_and_only_its_rules_are_recorded() -> None:
    decision = decide(POLICY, facts("20", "16A", "19C"))
    assert decision.level == Level.ACUTE
    assert decision.rules == ("L4-SEXUAL",)


def test_several_rules_at_the_winning_level_are_all_recorded() -> None:
    decision = decide(POLICY, facts("16A", "10A"))
    assert set(decision.rules) == {"L3-NEGLECT", "L3-HARM"}


def test_injury_without_adult_physical_abuse_is_not_level_four_for_older_children() -> None:
    assert decide(POLICY, facts("20", injury=True, age=3)).level == Level.ADDITIONAL


def test_unborn_child_is_not_an_infant_with_an_injury() -> None:
    assert decide(POLICY, facts("20", injury=True, age=None)).level == Level.ADDITIONAL


def test_parental_concern_at_exactly_five_is_level_two() -> None:
    assert decide(POLICY, facts("4B", age=5)).rules == ("L2-PARENT",)
    assert decide(POLICY, facts("4B", age=4)).rules == ("L3-PARENT-UNDER5",)


def test_two_level_two_factors_do_not_accumulate() -> None:
    assert decide(POLICY, facts("1A", "5A")).level == Level.ADDITIONAL


def test_accumulation_counts_distinct_factors_each_at_level_two_alone() -> None:
    # 21 is level 1 alone: two level-2 factors plus 21 are not three
    assert decide(POLICY, facts("1A", "5A", "21")).level == Level.ADDITIONAL
    # standard DA counts as a level-2 factor; parental 4B for a 10-year-old too
    assert decide(POLICY, facts("3B", "4B", "14A", dash="standard", age=10)).rules == (
        "L3-ACCUMULATION",
    )


def test_second_contact_is_not_yet_a_repeat() -> None:
    assert decide(POLICY, facts("21", prior=1)).level == Level.UNIVERSAL


def test_refused_consent_turns_early_help_into_advice() -> None:
    decision = decide(POLICY, facts("14A", consent="refused"))
    assert decision.level == Level.ADDITIONAL
    assert decision.outcome == Outcome.NO_FURTHER_ACTION
    assert decision.rules == ("L2-CHILD", "L2-NO-CONSENT")


@pytest.mark.parametrize(
    "contact", [facts("16A", consent="refused"), facts("19C", consent="refused")]
)
def test_consent_never_changes_levels_three_and_four(contact: ContactFacts) -> None:
    decision = decide(POLICY, contact)
    assert decision.outcome == Outcome.ENQUIRY_ASSESSMENT
    assert "L2-NO-CONSENT" not in decision.rules


def test_a_policy_missing_a_level_is_refused(tmp_path: Path) -> None:
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    document["levels"] = document["levels"][:3]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ValidationError, match="each of the levels 1 to 4"):
        load_policy(path)


def test_a_condition_with_two_tests_is_refused(tmp_path: Path) -> None:
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    document["rules"][0]["when"] = {"immediate_risk": True, "injury_observed": True}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ValidationError, match="exactly one test"):
        load_policy(path)


def test_a_local_policy_changes_decisions(tmp_path: Path) -> None:
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    document["version"] = "stockton-2027.1"
    for rule in document["rules"]:
        if rule["id"] == "L3-REPEAT":
            rule["when"] = {"prior_contacts_at_least": 1}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    local = load_policy(path)
    decision = decide(local, facts("21", prior=1))
    assert (decision.level, decision.policy_version) == (Level.COMPLEX, "stockton-2027.1")
