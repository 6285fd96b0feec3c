"""The threshold policy's machinery, each test on a policy loaded inside it (its conditions
compiled afresh, its decisions not yet remembered): ``all``/``any``/``not`` and the count of
factors at a level, the RAG a decision carries, the clocks a council's calendar builds, the
time left on either clock, and who is told out of hours. Written so that `make mutate` kills a
change to domain/policy.py that the decision tables would not notice (they share one policy
compiled when their module loads)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import yaml
from pydantic import ValidationError

from domain.policy import DEFAULT_POLICY, ContactFacts, Policy, decide, load_policy
from schemas.codes import ConsentStatus, DashRisk, Factor
from schemas.triage import Level, Rag

TUESDAY_NOON = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)
SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def facts(
    *factors: str, dash: str | None = None, age: int | None = 8, prior: int = 0
) -> ContactFacts:
    return ContactFacts(
        factors=frozenset(Factor(f) for f in factors),
        immediate_risk=False,
        injury_observed=False,
        dash_risk=DashRisk(dash) if dash else None,
        age_years=age,
        consent=ConsentStatus("given"),
        prior_contacts=prior,
    )


def policy_with_rules(*rules: dict[str, object], **changes: object) -> Policy:
    document = yaml.safe_load(DEFAULT_POLICY.read_text())
    document["rules"] = [*rules, *document["rules"]]
    return Policy.model_validate(document | changes)


def test_a_not_condition_holds_when_its_inner_one_does_not() -> None:
    policy = policy_with_rules(
        {
            "id": "T-NOT-GRADED",
            "level": 4,
            "description": "domestic abuse not graded",
            "when": {"all": [{"factor_in": ["3A"]}, {"not": {"dash_risk_in": ["standard"]}}]},
        }
    )
    assert decide(policy, facts("3A")).rules == ("T-NOT-GRADED",)
    assert decide(policy, facts("3A", dash="standard")).level == Level.ADDITIONAL


def test_any_holds_when_one_part_does_and_all_when_every_part_does() -> None:
    policy = load_policy()
    # L3-PHYSICAL: any of 18B, or (18C and no injury)
    assert decide(policy, facts("18B")).rules == ("L3-PHYSICAL",)
    assert decide(policy, facts("18C")).rules == ("L3-PHYSICAL",)
    assert decide(policy, facts("21")).rules == ("L1-UNIVERSAL",)


def test_factors_each_at_a_level_alone_are_counted_distinctly() -> None:
    policy = load_policy()
    three = decide(policy, facts("1A", "5A", "14A"))  # three level-2 factors
    assert (three.level, three.rules) == (Level.COMPLEX, ("L3-ACCUMULATION",))
    assert decide(policy, facts("1A", "5A")).level == Level.ADDITIONAL  # two are not three
    # a level-3 factor does not count as a level-2 one: 1A, 5A and 16A reach 3 by 16A alone
    assert decide(policy, facts("1A", "5A", "16A")).rules == ("L3-NEGLECT",)


def test_a_factor_counts_at_a_level_by_itself_not_by_the_childs_history() -> None:
    # A council's rule making one earlier contact "additional" must not turn every factor of a
    # repeat contact into a level-2 factor: each is counted alone, with no history.
    policy = policy_with_rules(
        {
            "id": "T-SEEN-BEFORE",
            "level": 2,
            "description": "seen",
            "when": {"prior_contacts_at_least": 1},
        }
    )
    assert decide(policy, facts("21", prior=1)).rules == ("T-SEEN-BEFORE",)
    # under five, 1B, 2B and 4B are each level 3 alone, never level 2: no accumulation
    assert decide(policy, facts("1B", "2B", "4B", age=3, prior=1)).rules == ("L3-PARENT-UNDER5",)
    assert decide(policy, facts("1A", "5A", "14A", prior=1)).rules == ("L3-ACCUMULATION",)


def test_a_count_of_factors_nested_in_all_any_and_not_reads_the_same_policy() -> None:
    two_at_level_2 = {"factors_at_level": {"level": 2, "at_least": 2}}
    policy = policy_with_rules(
        {
            "id": "T-ALL",
            "level": 4,
            "description": "all",
            "when": {"all": [{"factor_in": ["7A"]}, two_at_level_2]},
        },
        {
            "id": "T-ANY",
            "level": 3,
            "description": "any",
            "when": {"any": [{"immediate_risk": True}, two_at_level_2]},
        },
        {
            "id": "T-NOT",
            "level": 3,
            "description": "not",
            "when": {"all": [{"factor_in": ["21"]}, {"not": two_at_level_2}]},
        },
    )
    assert decide(policy, facts("7A", "1A")).rules == ("T-ALL",)
    assert decide(policy, facts("7A")).rules == ("L2-CHILD",)  # one level-2 factor: not two
    assert decide(policy, facts("1A", "5A")).rules == ("T-ANY",)
    assert decide(policy, facts("21")).rules == ("T-NOT",)
    assert decide(policy, facts("21", "1A", "5A")).rules == ("T-ANY",)


@pytest.mark.parametrize("counted", [2, 3])
def test_a_rule_counting_factors_at_its_own_level_or_above_is_refused(counted: int) -> None:
    # Found by writing the test above: such a rule asked itself forever (RecursionError on
    # every contact), so a council's edit could stop triage. Now the policy is refused.
    nested = {"not": {"factors_at_level": {"level": counted, "at_least": 2}}}
    rule = {"id": "T-LOOP", "level": 2, "description": "loop", "when": {"all": [nested]}}
    with pytest.raises(
        ValidationError, match=f"rule T-LOOP \\(level 2\\) counts factors at level {counted}"
    ):
        policy_with_rules(rule)


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ({"factors_at_level": None}, "the test 'factors_at_level' is empty"),
        ({"all": None}, "the test 'all' is empty"),
        ({"factor_in": ["3A"], "born": True}, "a condition has exactly one test"),
    ],
)
def test_a_condition_without_exactly_one_test_is_refused(
    when: dict[str, object], said: str
) -> None:
    rule = {"id": "T-EMPTY", "level": 3, "description": "empty", "when": when}
    with pytest.raises(ValidationError, match=said):
        policy_with_rules(rule)


def test_a_rule_without_a_condition_always_holds() -> None:
    policy = policy_with_rules({"id": "T-ALWAYS", "level": 2, "description": "every contact"})
    assert decide(policy, facts("21")).rules == ("T-ALWAYS",)


def test_each_decision_carries_its_levels_rag() -> None:
    policy = load_policy()
    assert decide(policy, facts("16A")).rag is Rag.AMBER
    assert decide(policy, facts("21")).rag is policy.level(Level.UNIVERSAL).rag


def test_the_calendar_builds_the_clock_it_says() -> None:
    policy = policy_with_rules(
        calendar={"day_start": "08:00", "day_end": "18:30", "bank_holidays_off": False}
    )
    clock = policy.clock
    assert (clock.day_start, clock.day_end, clock.bank_holidays_off) == (
        time(8, 0),
        time(18, 30),
        False,
    )
    assert clock.is_working_day(date(2026, 12, 25))  # Christmas Day is worked here


def test_due_times_are_in_utc_and_time_left_is_on_the_levels_clock() -> None:
    policy = load_policy()
    red = policy.decision_due(Level.ACUTE, SATURDAY_NOON)
    assert red == datetime(2026, 11, 21, 16, 0, tzinfo=UTC)
    assert red.tzinfo is UTC
    # red: elapsed hours, round the clock; amber: working hours only
    assert policy.hours_left(Level.ACUTE, red, SATURDAY_NOON) == 4.0
    amber_due = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # Wednesday noon
    assert policy.hours_left(Level.COMPLEX, amber_due, TUESDAY_NOON) == 8.0
    assert policy.hours_left(Level.ACUTE, amber_due, TUESDAY_NOON) == 24.0


def test_only_a_round_the_clock_level_goes_to_the_emergency_duty_team() -> None:
    policy = load_policy()
    assert policy.emergency_duty(Level.ACUTE, SATURDAY_NOON)
    assert not policy.emergency_duty(Level.ACUTE, TUESDAY_NOON)
    assert not policy.emergency_duty(Level.COMPLEX, SATURDAY_NOON)
