"""The threshold policy as data, and the pure function that applies it to one contact.

A policy file is one council's: levels (RAG, outcome, response target), rules (id, level,
condition), the look-back window of repeat contacts, the acknowledgement target, and the
working calendar every due time is counted on. The highest level any rule reaches wins; a
consent override can change the outcome of a level without changing the level. Every decision
carries the rule ids and the policy version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Self, cast

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from domain.working_time import WorkingClock, before_next_school_day
from schemas.codes import ConsentStatus, DashRisk, Factor
from schemas.status import Outcome
from schemas.triage import Level, Rag

DEFAULT_POLICY = Path(str(resources.files("domain") / "default_policy.yaml"))  # package data


class _PolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Due(_PolicyModel):
    """A response target: in working time on the council's calendar, or in elapsed time.

    Elapsed ``hours`` run round the clock, evenings, weekends and bank holidays included (a
    red case does not wait for Monday); ``working_hours``/``working_days`` count only the
    council's working time. One or the other, never both.
    """

    hours: float = Field(default=0, ge=0, description="Elapsed hours, round the clock.")
    working_hours: float = Field(default=0, ge=0, description="Working hours.")
    working_days: float = Field(default=0, ge=0, description="Working days.")

    @model_validator(mode="after")
    def _one_clock(self) -> Self:
        if self.hours and (self.working_hours or self.working_days):
            raise ValueError("a due time counts elapsed hours or working time, not both")
        return self

    @property
    def round_the_clock(self) -> bool:
        """Whether this target counts elapsed time."""
        return bool(self.hours)


class Calendar(_PolicyModel):
    """The council's working calendar: its working day and its own closure days.

    Weekends and England's bank holidays never count; times are UK time.
    """

    day_start: time = Field(default=time(9, 0), description="When the working day starts.")
    day_end: time = Field(default=time(17, 0), description="When the working day ends.")
    closure_days: tuple[date, ...] = Field(
        default=(),
        description="The council's own closure days (e.g. between Christmas and New Year).",
    )
    weekdays: tuple[int, ...] = Field(
        default=(0, 1, 2, 3, 4),
        description="Working weekdays, Monday 0 to Sunday 6 (a 24/7 emergency duty team: all).",
    )
    bank_holidays_off: bool = Field(
        default=True, description="Whether England's bank holidays are days off."
    )

    @model_validator(mode="after")
    def _day_ends_after_it_starts(self) -> Self:
        if self.day_end <= self.day_start:
            raise ValueError("calendar: the working day must end after it starts")
        if not self.weekdays or not set(self.weekdays) <= set(range(7)):
            raise ValueError("calendar: weekdays are one or more of 0 (Monday) to 6 (Sunday)")
        return self

    def clock(self) -> WorkingClock:
        """The working-time clock of this calendar."""
        return WorkingClock(
            day_start=self.day_start,
            day_end=self.day_end,
            closure_days=frozenset(self.closure_days),
            weekdays=frozenset(self.weekdays),
            bank_holidays_off=self.bank_holidays_off,
        )


class LevelSpec(_PolicyModel):
    """What a level means: its RAG, its outcome and how soon a decision is due."""

    level: Level = Field(description="1 to 4.")
    name: str = Field(description="universal, additional, complex, acute, or a local name.")
    rag: Rag = Field(description="Urgency rating.")
    outcome: Outcome = Field(description="Where a contact at this level goes.")
    due: Due = Field(description="A decision is due within this (working or elapsed) time.")
    checks_due: Due | None = Field(
        default=None,
        description="Partner checks are due within this time after asking (none: not asked).",
    )
    strategy_discussion: bool = Field(default=False, description="Flag a strategy discussion.")


class FactorsAtLevel(_PolicyModel):
    """Counts the contact's distinct factors that would each, alone, reach ``level``."""

    level: Level = Field(description="The level each factor must reach on its own.")
    at_least: int = Field(ge=1, description="How many such factors are needed.")


class Condition(_PolicyModel):
    """One test on a contact; exactly one key is set. ``all``/``any``/``not`` combine tests."""

    all_of: list[Condition] | None = Field(default=None, alias="all")
    any_of: list[Condition] | None = Field(default=None, alias="any")
    none_of: Condition | None = Field(default=None, alias="not")
    factor_in: list[Factor] | None = None
    immediate_risk: bool | None = None
    injury_observed: bool | None = None
    dash_risk_in: list[DashRisk | None] | None = None
    born: bool | None = None
    age_under: int | None = Field(default=None, description="Years; an unborn child counts.")
    age_at_least: int | None = Field(default=None, description="Years; born children only.")
    consent: ConsentStatus | None = None
    prior_contacts_at_least: int | None = None
    factors_at_level: FactorsAtLevel | None = None

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Self:
        if len(self.model_fields_set) != 1:
            raise ValueError(
                f"a condition has exactly one test; got {sorted(self.model_fields_set)}"
            )
        (test,) = self.model_fields_set
        if getattr(self, test) is None:
            name = type(self).model_fields[test].alias or test
            raise ValueError(f"the test {name!r} is empty: give it a value")
        return self


class Rule(_PolicyModel):
    """A named rule: when its condition holds, the contact reaches its level."""

    id: str = Field(pattern=r"^[A-Z0-9-]+$", description="Recorded with every decision it makes.")
    level: Level = Field(description="The level it gives.")
    description: str = Field(description="What it means, for people.")
    when: Condition | None = Field(default=None, description="Its condition (none: always).")

    @model_validator(mode="after")
    def _counts_lower_levels_only(self) -> Self:
        # Counting factors at a level runs that level's rules: at the rule's own level or above,
        # deciding one contact would never end (a rule at 2 counting 2 asks itself forever).
        for counted in _counts(self.when):
            if counted.level >= self.level:
                raise ValueError(
                    f"rule {self.id} (level {self.level}) counts factors at level "
                    f"{counted.level}: a rule can count only factors at a level below its own"
                )
        return self


def _counts(condition: Condition | None) -> Iterator[FactorsAtLevel]:
    """Every count of factors at a level in ``condition``, however deeply nested."""
    if condition is None:
        return
    if condition.factors_at_level is not None:
        yield condition.factors_at_level
    for part in [*(condition.all_of or ()), *(condition.any_of or ()), condition.none_of]:
        yield from _counts(part)


class ConsentOverride(_PolicyModel):
    """At ``level``, when consent is ``consent``, the outcome becomes ``outcome``."""

    id: str = Field(pattern=r"^[A-Z0-9-]+$")
    level: Level
    consent: ConsentStatus
    outcome: Outcome
    description: str


class Signpost(_PolicyModel):
    """A universal service a referrer is pointed to when a concern does not meet a threshold."""

    name: str = Field(min_length=1, description="The service, as families know it.")
    offers: str = Field(min_length=1, description="What it offers and how to reach it.")


class Policy(_PolicyModel):
    """A complete threshold policy, as a local authority publishes it."""

    version: str = Field(min_length=1, description="Recorded with every decision.")
    name: str
    local_authority: str | None = Field(
        default=None,
        description="The DfE LA number this policy is for; absent in a policy for any council.",
    )
    repeat_window_days: int = Field(
        default=365,
        ge=1,
        description=(
            "The look-back window, in days: repeat contacts within it count, and a case closed "
            "longer ago leaves triage's working set."
        ),
    )
    acknowledge_within: Due = Field(
        default=Due(working_days=1),
        description="When a referrer is told a decision is due, counted from receipt.",
    )
    calendar: Calendar = Field(default_factory=Calendar, description="The working calendar.")
    levels: list[LevelSpec]
    rules: list[Rule]
    default_rule: Rule
    consent_overrides: list[ConsentOverride] = Field(default_factory=list)
    signposting: list[Signpost] = Field(
        default_factory=list,
        description="Universal services the referral forms point to for level-1 concerns.",
    )
    # Decisions are a pure function of the facts, and the same facts come up again and again
    # (a profile of the pipeline showed policy evaluation as a quarter of triage's time).
    _decisions: dict[ContactFacts, PolicyDecision] = PrivateAttr(default_factory=dict)
    _predicates: list[tuple[Rule, Predicate]] | None = PrivateAttr(default=None)
    _clock: WorkingClock | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if sorted(spec.level for spec in self.levels) != sorted(Level):
            raise ValueError("the policy must define each of the levels 1 to 4 exactly once")
        ids = [rule.id for rule in self.rules] + [self.default_rule.id]
        ids += [override.id for override in self.consent_overrides]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        return self

    def predicates(self) -> list[tuple[Rule, Predicate]]:
        """Each rule with its condition compiled, built on first use."""
        if self._predicates is None:
            self._predicates = [(rule, compile_condition(rule.when, self)) for rule in self.rules]
        return self._predicates

    def level(self, level: Level) -> LevelSpec:
        """The spec of a level."""
        return next(spec for spec in self.levels if spec.level == level)

    @property
    def clock(self) -> WorkingClock:
        """The working-time clock of this council's calendar, built on first use."""
        if self._clock is None:
            self._clock = self.calendar.clock()
        return self._clock

    def within(self, due: Due, since: datetime) -> datetime:
        """The instant ``due`` after ``since``: elapsed, or working time on this calendar.

        The one answer to "when is this due" that triage, the referrer's wording, the
        dashboard, the form's guidance and ``replay`` all use.
        """
        if due.round_the_clock:
            return (since + timedelta(hours=due.hours)).astimezone(UTC)
        clock = self.clock
        return clock.add_hours(since, due.working_hours + due.working_days * clock.hours_per_day)

    def notice_due(self, received_at: datetime) -> datetime:
        """When an Encompass notice received at ``received_at`` is due with the school.

        Before the next school day starts, on this council's calendar.
        """
        return before_next_school_day(received_at, self.clock)

    def decision_due(self, level: Level, since: datetime) -> datetime:
        """When a decision is due for a case at ``level`` whose clock started ``since``."""
        return self.within(self.level(level).due, since)

    def checks_due(self, level: Level, since: datetime) -> datetime | None:
        """When partner checks asked ``since`` are due for a case at ``level`` (None: none)."""
        due = self.level(level).checks_due
        return None if due is None else self.within(due, since)

    def hours_left(self, level: Level, due: datetime, now: datetime) -> float:
        """Time left until ``due`` on the clock of ``level`` (negative when past)."""
        if self.level(level).due.round_the_clock:
            return (due - now).total_seconds() / 3600
        return self.clock.hours_between(now, due)

    def out_of_hours(self, at: datetime) -> bool:
        """Whether ``at`` falls outside this council's working calendar (EDT's hours)."""
        return not self.clock.is_working_time(at)

    def emergency_duty(self, level: Level, at: datetime) -> bool:
        """Whether a case reaching ``level`` at ``at`` goes to the emergency duty team too.

        A round-the-clock (red) case received out of office hours, or due after the office
        closes (red at 16:30 on a Friday is due at 20:30: only EDT is there to decide).
        """
        if not self.level(level).due.round_the_clock:
            return False
        return self.out_of_hours(at) or self.out_of_hours(self.decision_due(level, at))

    def acknowledgement_due(self, received_at: datetime) -> datetime:
        """The decision time a referrer is promised on receipt (one working day by default)."""
        return self.within(self.acknowledge_within, received_at)


def load_policy(path: Path | None = None) -> Policy:
    """Read and validate a policy file (the shipped default when none is given)."""
    return Policy.model_validate(yaml.safe_load((path or DEFAULT_POLICY).read_text()))


@dataclass(frozen=True, slots=True)
class ContactFacts:
    """What the policy looks at in one contact."""

    factors: frozenset[Factor]
    immediate_risk: bool
    injury_observed: bool
    dash_risk: DashRisk | None
    age_years: int | None  # None for an unborn child
    consent: ConsentStatus
    prior_contacts: int  # about the same child within the repeat window, before this one


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """What the policy made of one contact."""

    level: Level
    rules: tuple[str, ...]
    outcome: Outcome
    rag: Rag
    policy_version: str


DECISIONS_REMEMBERED = 65_536


def decide(policy: Policy, facts: ContactFacts) -> PolicyDecision:
    """Apply ``policy`` to one contact: the highest level reached wins, with its rule ids."""
    decision = policy._decisions.get(facts)  # noqa: SLF001 - the policy's own memo
    if decision is None:
        decision = _evaluate(policy, facts)
        if len(policy._decisions) < DECISIONS_REMEMBERED:  # noqa: SLF001
            policy._decisions[facts] = decision  # noqa: SLF001
    return decision


def _evaluate(policy: Policy, facts: ContactFacts) -> PolicyDecision:
    fired = [rule for rule, holds in policy.predicates() if holds(facts)]
    level = max((rule.level for rule in fired), default=policy.default_rule.level)
    rules = [rule.id for rule in fired if rule.level == level] or [policy.default_rule.id]
    spec = policy.level(level)
    outcome = spec.outcome
    for override in policy.consent_overrides:
        if override.level == level and override.consent == facts.consent:
            outcome = override.outcome
            rules.append(override.id)
    return PolicyDecision(level, tuple(rules), outcome, spec.rag, policy.version)


Predicate = Callable[[ContactFacts], bool]


def compile_condition(condition: Condition | None, policy: Policy) -> Predicate:
    """A condition as a function of the facts, built once per policy rather than per contact."""
    if condition is None:
        return lambda _: True
    (test,) = condition.model_fields_set
    return _COMPILERS[test](condition, policy)


def _factors_at_level(test: FactorsAtLevel, facts: ContactFacts, policy: Policy) -> bool:
    rules = [holds for rule, holds in policy.predicates() if rule.level == test.level]
    alone = [
        replace(facts, factors=frozenset({factor}), prior_contacts=0) for factor in facts.factors
    ]
    reaching = sum(1 for single in alone if any(holds(single) for holds in rules))
    return reaching >= test.at_least


def _all(c: Condition, p: Policy) -> Predicate:
    parts = [compile_condition(x, p) for x in c.all_of or ()]
    return lambda f: all(part(f) for part in parts)


def _any(c: Condition, p: Policy) -> Predicate:
    parts = [compile_condition(x, p) for x in c.any_of or ()]
    return lambda f: any(part(f) for part in parts)


def _not(c: Condition, p: Policy) -> Predicate:
    inner = compile_condition(c.none_of, p)
    return lambda f: not inner(f)


def _factor_in(c: Condition, _: Policy) -> Predicate:
    wanted = frozenset(c.factor_in or ())
    return lambda f: not f.factors.isdisjoint(wanted)


def _at_level(c: Condition, p: Policy) -> Predicate:
    test = cast("FactorsAtLevel", c.factors_at_level)  # set: a condition's test is never empty
    return lambda f: _factors_at_level(test, f, p)


_COMPILERS: dict[str, Callable[[Condition, Policy], Predicate]] = {
    "all_of": _all,
    "any_of": _any,
    "none_of": _not,
    "factor_in": _factor_in,
    "immediate_risk": lambda c, _: lambda f: f.immediate_risk == c.immediate_risk,
    "injury_observed": lambda c, _: lambda f: f.injury_observed == c.injury_observed,
    "dash_risk_in": lambda c, _: lambda f: f.dash_risk in (c.dash_risk_in or ()),
    "born": lambda c, _: lambda f: (f.age_years is not None) == c.born,
    "age_under": lambda c, _: lambda f: f.age_years is None or f.age_years < (c.age_under or 0),
    "age_at_least": lambda c, _: (
        lambda f: f.age_years is not None and f.age_years >= (c.age_at_least or 0)
    ),
    "consent": lambda c, _: lambda f: f.consent == c.consent,
    "prior_contacts_at_least": lambda c, _: (
        lambda f: f.prior_contacts >= (c.prior_contacts_at_least or 0)
    ),
    "factors_at_level": _at_level,
}
