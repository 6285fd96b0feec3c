"""Clocks that match the risk (DOMAIN.md B, "Clocks"): red runs round the clock and reaches the
emergency duty team out of hours; amber, green and blue count working time."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.policies import PolicyBook
from domain.policy import load_policy
from domain.wording import sentence
from factories import accepted, referral
from schemas.status import Outcome, Status, StatusEvent
from schemas.triage import ActionKind, DecisionKind, Level, ManagerAction, Rag
from services.triage.actions import apply_action
from services.triage.engine import Effects, TriageEngine
from services.triage.handler import TriageHandler

UK = ZoneInfo("Europe/London")
FRIDAY_1630 = datetime(2026, 12, 4, 16, 30, tzinfo=UK)
TUESDAY_1000 = datetime(2026, 12, 1, 10, 0, tzinfo=UK)
BANK_HOLIDAY_0930 = datetime(2026, 8, 31, 9, 30, tzinfo=UK)  # Summer bank holiday (England)
POLICY = load_policy()

RED = {"immediate_risk": True, "injury_observed": False}  # L4-IMMEDIATE
GREEN = {"immediate_risk": False, "dash_risk": "standard", "injury_observed": False}  # L2-DA


def send(engine: TriageEngine, at: datetime, n: int, risk: dict) -> Effects:
    document = referral(referral_id=f"CP-{n}", risk=risk)
    document["submitted_at"] = (at - timedelta(minutes=5)).isoformat()
    return engine.on_referral(accepted(document, at=at, offset=n), partition=0)


@pytest.fixture
def engine() -> TriageEngine:
    return TriageEngine(PolicyBook.single(POLICY))


@pytest.mark.parametrize(
    ("level", "received", "due"),
    [
        (Level.ACUTE, FRIDAY_1630, datetime(2026, 12, 4, 20, 30, tzinfo=UK)),  # not Monday
        (Level.ACUTE, TUESDAY_1000, datetime(2026, 12, 1, 14, 0, tzinfo=UK)),
        (Level.ACUTE, BANK_HOLIDAY_0930, datetime(2026, 8, 31, 13, 30, tzinfo=UK)),
        (Level.COMPLEX, FRIDAY_1630, datetime(2026, 12, 7, 16, 30, tzinfo=UK)),  # working time
    ],
)
def test_decision_due_counts_on_the_ratings_own_clock(level, received, due) -> None:
    assert POLICY.decision_due(level, received) == due


def test_partner_checks_are_due_on_the_ratings_clock_and_level_one_asks_none() -> None:
    assert POLICY.checks_due(Level.ACUTE, FRIDAY_1630) == datetime(2026, 12, 4, 18, 30, tzinfo=UK)
    assert POLICY.checks_due(Level.COMPLEX, FRIDAY_1630) == datetime(2026, 12, 7, 14, 30, tzinfo=UK)
    assert POLICY.checks_due(Level.UNIVERSAL, FRIDAY_1630) is None


def test_a_red_case_out_of_hours_is_on_the_emergency_duty_queue_too(engine) -> None:
    fx = send(engine, FRIDAY_1630 + timedelta(hours=1), 1, RED)  # 17:30: the office has closed
    case = fx.cases[-1][0]
    assert case.rag is Rag.RED
    assert case.decision_due == datetime(2026, 12, 4, 21, 30, tzinfo=UK)
    assert case.with_emergency_duty
    queues = sorted(
        (item.queue, item.emergency_duty) for item in fx.queue_items if not item.screening
    )
    assert queues == [(Outcome.ENQUIRY_ASSESSMENT, False), (Outcome.ENQUIRY_ASSESSMENT, True)]
    # ... and on the screening queue, for a person to confirm or move (DOMAIN B "Who decides")
    assert [item.screening for item in fx.queue_items].count(True) == 1
    records = TriageHandler(engine_topics(), engine).records(fx)
    assert engine_topics().queue_emergency_duty in {r.topic for r in records}
    (event,) = [s for s in fx.statuses if s.status is Status.TRIAGED]
    assert event.emergency_duty


def test_a_red_case_at_1630_on_a_friday_is_due_at_2030_with_the_emergency_duty_team(
    engine,
) -> None:
    fx = send(engine, FRIDAY_1630, 9, RED)  # received in hours, due after the office closes
    case = fx.cases[-1][0]
    assert case.decision_due == datetime(2026, 12, 4, 20, 30, tzinfo=UK)
    assert case.with_emergency_duty
    teams = [item for item in fx.queue_items if not item.screening]
    assert sorted(item.emergency_duty for item in teams) == [False, True]


def test_a_red_case_in_office_hours_is_not(engine) -> None:
    fx = send(engine, TUESDAY_1000, 2, RED)
    assert not fx.cases[-1][0].with_emergency_duty
    assert [item.emergency_duty for item in fx.queue_items if not item.screening] == [False]


def test_a_red_case_on_a_bank_holiday_morning_goes_to_the_emergency_duty_team(engine) -> None:
    fx = send(engine, BANK_HOLIDAY_0930, 3, RED)
    assert fx.cases[-1][0].with_emergency_duty
    assert fx.cases[-1][0].decision_due == datetime(2026, 8, 31, 13, 30, tzinfo=UK)


def test_an_amber_case_on_a_friday_evening_waits_for_monday_and_no_emergency_duty(engine) -> None:
    fx = send(
        engine,
        FRIDAY_1630 + timedelta(hours=2),
        4,
        {"immediate_risk": False, "injury_observed": False},
    )
    case = fx.cases[-1][0]
    assert case.rag is Rag.AMBER
    assert not case.with_emergency_duty
    assert case.decision_due == datetime(2026, 12, 7, 17, 0, tzinfo=UK)


def test_a_case_rising_from_green_to_red_out_of_hours_goes_to_the_emergency_duty_team_then(
    engine,
) -> None:
    first = send(engine, TUESDAY_1000, 5, GREEN)
    assert first.cases[-1][0].rag is Rag.GREEN
    rising = send(engine, FRIDAY_1630 + timedelta(hours=3), 6, RED)  # the same child, linked
    case = rising.cases[-1][0]
    assert case.case_id == first.cases[-1][0].case_id
    assert case.rag is Rag.RED
    assert case.with_emergency_duty
    assert [i.emergency_duty for i in rising.queue_items if i.emergency_duty] == [True]


def test_the_emergency_duty_team_hands_over_with_a_note_and_only_its_own_cases(engine) -> None:
    fx = send(engine, FRIDAY_1630 + timedelta(hours=1), 7, RED)
    case = fx.cases[-1][0]

    def act(kind: ActionKind, reason: str, n: int) -> Effects:
        action = ManagerAction(
            action_id=f"a-{n}",
            kind=kind,
            case_id=case.case_id,
            local_authority=case.local_authority,
            actor="edt.manager",
            reason=reason,
            submitted_at=FRIDAY_1630 + timedelta(hours=2),
        )
        return apply_action(engine, action, partition=0)

    refused = act(ActionKind.HAND_TO_DAY_TEAM, "  ", 1)
    assert refused.decisions[0].kind is DecisionKind.ACTION_REFUSED  # a note is required
    handed = act(ActionKind.HAND_TO_DAY_TEAM, "Police visited; child safe with grandmother.", 2)
    (decision,) = handed.decisions
    assert (decision.kind, decision.decided_by) == (DecisionKind.HANDED_TO_DAY_TEAM, "edt.manager")
    assert not engine.cases[case.case_id].with_emergency_duty
    again = act(ActionKind.HAND_TO_DAY_TEAM, "twice", 3)
    assert again.decisions[0].kind is DecisionKind.ACTION_REFUSED


def test_re_rating_needs_a_reason_on_every_path(engine) -> None:
    fx = send(engine, FRIDAY_1630 + timedelta(hours=1), 8, RED)
    case = fx.cases[-1][0]
    action = ManagerAction(
        action_id="a-rerate",
        kind=ActionKind.OVERRIDE,
        case_id=case.case_id,
        local_authority=case.local_authority,
        actor="edt.manager",
        level=Level.COMPLEX,
        reason="",
        submitted_at=FRIDAY_1630 + timedelta(hours=2),
    )
    (decision,) = apply_action(engine, action, partition=0).decisions
    assert decision.kind is DecisionKind.ACTION_REFUSED
    assert "reason" in (decision.reason or "")


@pytest.mark.parametrize("public", [False, True])
def test_referrers_are_told_the_emergency_duty_team_has_it(public: bool) -> None:
    event = StatusEvent(
        contact_id="c-1",
        referral_id="R-1",
        organisation_id="cleveland-police",
        status=Status.TRIAGED,
        outcome=Outcome.ENQUIRY_ASSESSMENT,
        decision_due=datetime(2026, 12, 4, 20, 30, tzinfo=UK),
        occurred_at=FRIDAY_1630,
        emergency_duty=True,
    )
    said = sentence(event, public=public)
    assert "emergency duty team" in said
    if public:  # the public are told who, not where it went nor when
        assert "20:30" not in said
        assert "enquiry" not in said
    else:
        assert "20:30 on Friday 4 December" in said


def engine_topics():
    from schemas.topics import Topics  # noqa: PLC0415

    return Topics()


@pytest.mark.parametrize(
    ("now", "edt", "due"),
    [
        (FRIDAY_1630, True, "20:30 on Friday 4 December"),
        (TUESDAY_1000, False, "14:00 on Tuesday 1"),
    ],
)
def test_the_forms_guidance_gives_the_same_due_time_and_says_when_edt_has_it(
    now: datetime, edt: bool, due: str
) -> None:
    from schemas.codes import Factor  # noqa: PLC0415
    from services.gateway.guidance import Facts, threshold_guidance  # noqa: PLC0415

    guidance = threshold_guidance(
        POLICY, Facts(factors=frozenset({Factor("20")}), immediate_risk=True), now
    )
    assert guidance is not None
    assert guidance.rag is Rag.RED
    assert due in guidance.next_steps
    assert POLICY.emergency_duty(Level.ACUTE, now) is edt
    assert ("emergency duty team" in guidance.next_steps) is edt


@given(
    start=st.datetimes(  # hypothesis takes naive bounds and adds the zone itself
        min_value=datetime(2019, 1, 1),  # noqa: DTZ001
        max_value=datetime(2031, 1, 1),  # noqa: DTZ001
        timezones=st.just(UK),
    ),
    span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=800)),
)
def test_working_hours_between_two_moments_are_those_of_a_walk_through_the_calendar(
    start: datetime, span: timedelta
) -> None:
    """Whole days counted from each year's running total equal a day-by-day walk (bank
    holidays, the council's closure days and New Year's Eves included)."""
    clock = POLICY.clock
    end = start + span
    walked = timedelta()
    day = start.astimezone(UK).date()
    while day <= end.astimezone(UK).date():
        if clock.is_working_day(day):
            opens = datetime.combine(day, clock.day_start, UK)
            closes = datetime.combine(day, clock.day_end, UK)
            lower, upper = max(opens, start), min(closes, end)
            walked += max(upper - lower, timedelta())
        day += timedelta(days=1)
    assert clock.hours_between(start, end) == pytest.approx(walked.total_seconds() / 3600)
    assert clock.hours_between(end, start) == pytest.approx(-walked.total_seconds() / 3600)
