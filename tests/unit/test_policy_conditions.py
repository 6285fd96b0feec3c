"""The threshold policy's machinery, each test on a policy loaded inside it (its conditions
compiled afresh, its decisions not yet remembered): ``all``/``any``/``not`` and the count of
factors at a level, the RAG a decision carries, the clocks a council's calendar builds, the
time left on either clock, and who is told out of hours. Written so that `make mutate` kills a
change to domain/policy.py that the decision tables would not notice (they share one policy
compiled when their module loads)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import yaml

from domain.policy import DEFAULT_POLICY, ContactFacts, Policy, decide, load_policy
from schemas.codes import ConsentStatus, DashRisk, Factor
from schemas.triage import Level, Rag

TUESDAY_NOON = datetime(2026, 11, 17, 12, 0, tzinfo=UTC)
SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def facts(*factors: str, dash: str | None = None, age: int | None = 8) -> ContactFacts:
    return ContactFacts(
        factors=frozenset(Factor(f) for f in factors),
        immediate_risk=False,
        injury_observed=False,
        dash_risk=DashRisk(dash) if dash else None,
        age_years=age,
        consent=ConsentStatus("given"),
        prior_contacts=0,
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
