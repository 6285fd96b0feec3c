"""Duty managers' actions: each recorded with who and why, refused when incomplete."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import NOW, accepted, referral
from schemas.status import Outcome, Status
from schemas.triage import ActionKind, CaseState, DecisionKind, Level, ManagerAction
from services.triage.actions import apply_action
from services.triage.engine import TriageEngine

_ids = itertools.count()


@pytest.fixture
def engine() -> TriageEngine:
    return TriageEngine(PolicyBook.single(load_policy()))


def open_case(engine: TriageEngine, **fields):
    document = referral(**fields) | {"submitted_at": (NOW - timedelta(minutes=5)).isoformat()}
    fx = engine.on_referral(accepted(document, offset=next(_ids)), 0)
    return fx.cases[-1][0]


def act(engine: TriageEngine, case_id: str, kind: ActionKind, **fields):
    action = ManagerAction(
        action_id=fields.pop("action_id", f"a-{next(_ids)}"),
        kind=kind,
        case_id=case_id,
        local_authority=fields.pop("local_authority", "808"),
        actor="duty.manager@808",
        submitted_at=NOW + timedelta(hours=1),
        **fields,
    )
    return apply_action(engine, action, 0)


def test_allocate_records_the_manager_and_tells_referrers(engine) -> None:
    case = open_case(engine)
    fx = act(engine, case.case_id, ActionKind.ALLOCATE, worker="Sam Social-Worker")
    after = fx.cases[-1][0]
    assert (after.state, after.allocated_to, after.version) == (
        CaseState.ALLOCATED,
        "Sam Social-Worker",
        2,
    )
    (decision,) = fx.decisions
    assert (decision.kind, decision.decided_by) == (DecisionKind.ALLOCATED, "duty.manager@808")
    assert [s.status for s in fx.statuses] == [Status.ALLOCATED]


@pytest.mark.parametrize(
    ("kind", "fields", "why"),
    [
        (ActionKind.OVERRIDE, {"outcome": Outcome.EARLY_HELP}, "a reason is required"),
        (ActionKind.CLOSE, {"reason": "  "}, "a reason is required"),
        (ActionKind.ALLOCATE, {}, "say who"),
        (ActionKind.OVERRIDE, {"reason": "because"}, "an override sets"),
        (
            ActionKind.CONFIRM_MATCH,
            {"reason": "same", "match_case_id": "case-x"},
            "not a possible match",
        ),
        (ActionKind.CLOSE, {"reason": "x", "local_authority": "805"}, "no such case"),
    ],
)
def test_incomplete_actions_are_refused_and_recorded(engine, kind, fields, why) -> None:
    case = open_case(engine)
    fx = act(engine, case.case_id, kind, **fields)
    assert fx.cases == []
    assert fx.statuses == []
    (decision,) = fx.decisions
    assert decision.kind is DecisionKind.ACTION_REFUSED
    assert why in decision.reason


def test_override_moves_the_case_and_stands_until_new_information_raises_it(engine) -> None:
    case = open_case(engine)  # police DA medium: level 3, enquiry and assessment
    fx = act(
        engine,
        case.case_id,
        ActionKind.OVERRIDE,
        outcome=Outcome.EARLY_HELP,
        level=Level.ADDITIONAL,
        reason="Family already engaged with early help; no statutory threshold met",
    )
    after = fx.cases[-1][0]
    assert (after.level, after.outcome, after.rules) == (
        Level.ADDITIONAL,
        Outcome.EARLY_HELP,
        ["MANAGER-OVERRIDE"],
    )
    assert [(q.queue, q.reason) for q in fx.queue_items] == [
        (Outcome.EARLY_HELP, "moved"),
        (Outcome.ENQUIRY_ASSESSMENT, "withdrawn"),  # the team's queue hears it left
    ]
    (decision,) = fx.decisions
    assert (decision.kind, decision.from_outcome, decision.to_outcome) == (
        DecisionKind.OVERRIDDEN,
        Outcome.ENQUIRY_ASSESSMENT,
        Outcome.EARLY_HELP,
    )
    assert decision.reason.startswith("Family already engaged")
    assert [s.status for s in fx.statuses] == [Status.OUTCOME_CHANGED]

    # a lower-level contact afterwards does not undo the override...
    school = {"organisation_id": "stockton-riverside-academy", "source": "2A"}
    later = referral(
        referral_id="S-1",
        referrer=school,
        concerns=[{"factor": "14A"}],
        risk={"immediate_risk": False, "injury_observed": False},
        consent={"status": "given"},
    )
    later |= {"submitted_at": (NOW + timedelta(hours=2)).isoformat()}
    fx = engine.on_referral(accepted(later, at=NOW + timedelta(hours=2, minutes=5), offset=900), 0)
    assert fx.cases[-1][0].outcome is Outcome.EARLY_HELP
    # ...but a higher-level one does
    urgent = referral(referral_id="CP-77", risk={"immediate_risk": True, "injury_observed": False})
    urgent |= {"submitted_at": (NOW + timedelta(hours=3)).isoformat()}
    fx = engine.on_referral(accepted(urgent, at=NOW + timedelta(hours=3, minutes=5), offset=901), 0)
    assert (fx.cases[-1][0].level, fx.cases[-1][0].outcome) == (
        Level.ACUTE,
        Outcome.ENQUIRY_ASSESSMENT,
    )


def test_close_needs_a_reason_and_tells_referrers(engine) -> None:
    case = open_case(engine)
    fx = act(engine, case.case_id, ActionKind.CLOSE, reason="Strategy discussion held; NFA")
    assert fx.cases[-1][0].state is CaseState.CLOSED
    assert [s.status for s in fx.statuses] == [Status.CLOSED]
    assert (
        act(engine, case.case_id, ActionKind.CLOSE, reason="again").decisions[0].kind
        is DecisionKind.ACTION_REFUSED
    )


def test_the_same_action_twice_is_applied_once(engine) -> None:
    case = open_case(engine)
    first = act(engine, case.case_id, ActionKind.ALLOCATE, worker="Sam", action_id="a-same")
    second = act(engine, case.case_id, ActionKind.ALLOCATE, worker="Sam", action_id="a-same")
    assert len(first.decisions) == 1
    assert second.decisions == []


def _possible_pair(engine: TriageEngine):
    first = open_case(engine)
    swapped = referral()["child"] | {"date_of_birth": "2018-02-04", "nhs_number": None, "upn": None}
    second = open_case(engine, referral_id="CP-2", child=swapped)
    assert [m.case_id for m in second.possible_matches] == [first.case_id]
    return first, second


def test_confirming_a_possible_match_merges_the_cases(engine) -> None:
    first, second = _possible_pair(engine)
    fx = act(
        engine,
        second.case_id,
        ActionKind.CONFIRM_MATCH,
        match_case_id=first.case_id,
        reason="Same child: the school confirmed the date of birth",
    )
    survivor = engine.cases[first.case_id]
    merged = engine.cases[second.case_id]
    assert len(survivor.contacts) == 2
    assert (merged.state, merged.merged_into) == (CaseState.CLOSED, first.case_id)
    assert [d.kind for d in fx.decisions] == [DecisionKind.MATCH_CONFIRMED]
    assert [s.status for s in fx.statuses] == [Status.LINKED]
    # the merged contact's resubmission now finds the surviving case
    assert engine.cases.contact_case[second.contacts[0].contact_id] == first.case_id


def test_rejecting_a_possible_match_keeps_both_cases(engine) -> None:
    first, second = _possible_pair(engine)
    fx = act(
        engine,
        second.case_id,
        ActionKind.REJECT_MATCH,
        match_case_id=first.case_id,
        reason="Different child",
    )
    assert fx.cases[-1][0].possible_matches[0].status == "rejected"
    assert engine.cases[first.case_id].state is CaseState.OPEN
