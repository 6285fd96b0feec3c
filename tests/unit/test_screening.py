"""A person decides every contact (DOMAIN B "Who decides"): the policy proposes, a person screens.

The machine may raise, never lower or close: enquiry and assessment acts at once; early help
and no further action wait for a person, told to nobody until then.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import NOW, accepted, another_child, referral, screen
from schemas.status import Outcome, Status
from schemas.triage import CaseState, DecisionKind, Level
from services.triage.engine import Effects, TriageEngine

_offsets = itertools.count()
SCHOOL = {"organisation_id": "stockton-riverside-academy", "source": "2A"}
QUIET = {"immediate_risk": False, "injury_observed": False}


@pytest.fixture
def engine() -> TriageEngine:
    return TriageEngine(PolicyBook.single(load_policy()))


def send(engine: TriageEngine, document: dict, at: datetime = NOW) -> Effects:
    document = document | {"submitted_at": (at - timedelta(minutes=5)).isoformat()}
    return engine.on_referral(accepted(document, at=at, offset=next(_offsets)), partition=0)


def school(n: int = 1, factor: str = "21", **fields) -> dict:
    """A school's contact about child ``n`` (its own NHS number-free identity)."""
    return referral(
        referral_id=f"S-{n}",
        referrer=SCHOOL,
        child=another_child(n),
        concerns=[{"factor": factor, "detail": "Seen in class."}],
        risk=QUIET,
        consent=fields.pop("consent", {"status": "given"}),
        **fields,
    )


def acute() -> dict:
    return referral(risk={"immediate_risk": True, "injury_observed": False})


def test_a_level_three_proposal_is_on_the_enquiry_and_assessment_queue_before_screening(
    engine,
) -> None:
    fx = send(engine, referral())  # police, DA with no DASH grade: level 3
    case = fx.cases[-1][0]
    assert (case.level, case.outcome, case.state) == (
        Level.COMPLEX,
        Outcome.ENQUIRY_ASSESSMENT,
        CaseState.OPEN,
    )
    queues = sorted((q.queue, q.screening) for q in fx.queue_items)
    assert queues == [(Outcome.ENQUIRY_ASSESSMENT, False), (Outcome.ENQUIRY_ASSESSMENT, True)]
    assert case.proposal is not None  # still waiting for a person to confirm or move it
    (told,) = fx.statuses
    assert (told.status, told.outcome) == (Status.TRIAGED, Outcome.ENQUIRY_ASSESSMENT)


def test_a_person_lowering_a_level_four_case_to_early_help_withdraws_the_ea_item(engine) -> None:
    case = send(engine, acute()).cases[-1][0]
    assert case.level is Level.ACUTE
    fx = screen(
        engine,
        case.case_id,
        at=NOW + timedelta(hours=1),
        level=Level.ADDITIONAL,
        outcome=Outcome.EARLY_HELP,
        reason="Spoke to the officer: the child is safe with grandparents tonight",
    )
    after = fx.cases[-1][0]
    assert (after.level, after.outcome, after.state) == (
        Level.ADDITIONAL,
        Outcome.EARLY_HELP,
        CaseState.OPEN,
    )
    assert [(q.queue, q.reason) for q in fx.queue_items] == [
        (Outcome.EARLY_HELP, "moved"),
        (Outcome.ENQUIRY_ASSESSMENT, "withdrawn"),
    ]
    (decision,) = fx.decisions
    assert (decision.kind, decision.agreed, decision.from_level, decision.to_level) == (
        DecisionKind.SCREENED,
        False,
        Level.ACUTE,
        Level.ADDITIONAL,
    )
    assert decision.proposal is not None
    assert decision.proposal.level is Level.ACUTE
    assert "grandparents" in decision.reason
    (told,) = fx.statuses
    assert (told.status, told.outcome) == (Status.OUTCOME_CHANGED, Outcome.EARLY_HELP)


def test_bulk_confirmation_of_five_contacts_makes_five_decisions_with_the_persons_name(
    engine,
) -> None:
    cases = [send(engine, school(n)).cases[-1][0] for n in range(5)]
    assert len({c.case_id for c in cases}) == 5
    assert all(c.held for c in cases)
    made = [  # the dashboard sends one action per contact selected
        d
        for case in cases
        for d in screen(
            engine, case.case_id, at=NOW + timedelta(hours=2), actor="pat.lee"
        ).decisions
    ]
    assert [(d.kind, d.decided_by, d.agreed) for d in made] == [
        (DecisionKind.SCREENED, "pat.lee", True)
    ] * 5
    assert sorted(d.case_id for d in made) == sorted(c.case_id for c in cases)
    trail = [engine.cases[c.case_id] for c in cases]
    assert all(c.state is CaseState.CLOSED and c.screened_by == "pat.lee" for c in trail)


def test_a_second_screen_by_the_same_action_id_changes_nothing(engine) -> None:
    case = send(engine, school(1, factor="14A")).cases[-1][0]  # level 2: early help, held
    first = screen(engine, case.case_id, at=NOW + timedelta(hours=1), action_id="act-1")
    assert [d.kind for d in first.decisions] == [DecisionKind.SCREENED]
    assert [q.queue for q in first.queue_items] == [Outcome.EARLY_HELP]
    again = screen(engine, case.case_id, at=NOW + timedelta(hours=2), action_id="act-1")
    assert (again.cases, again.decisions, again.statuses, again.queue_items) == ([], [], [], [])
    # another action on a case with nothing waiting is refused, and the refusal recorded
    other = screen(engine, case.case_id, at=NOW + timedelta(hours=3), action_id="act-2")
    (refused,) = other.decisions
    assert refused.kind is DecisionKind.ACTION_REFUSED
    assert "nothing on this case waits" in refused.reason


def test_screening_is_overdue_after_the_due_time_and_flagged_once(engine) -> None:
    case = send(engine, school(1)).cases[-1][0]  # level 1: due one working day later
    proposal = case.proposal
    assert proposal is not None
    assert engine.screening_overdue(proposal.due - timedelta(minutes=1)).decisions == []
    fx = engine.screening_overdue(proposal.due + timedelta(minutes=1))
    (decision,) = fx.decisions
    assert (decision.kind, decision.decided_by) == (DecisionKind.SCREENING_OVERDUE, "clock")
    flagged = fx.cases[-1][0].proposal
    assert flagged is not None
    assert flagged.overdue_since is not None
    assert engine.screening_overdue(proposal.due + timedelta(hours=2)).decisions == []
    # a person deciding clears it
    screen(engine, case.case_id, at=proposal.due + timedelta(hours=3))
    assert engine.cases[case.case_id].proposal is None


def test_early_help_without_the_familys_consent_needs_a_recorded_reason(engine) -> None:
    refused = {"status": "refused"}
    case = send(engine, school(1, factor="14A", consent=refused)).cases[-1][0]
    assert (case.outcome, case.rules) == (Outcome.NO_FURTHER_ACTION, ["L2-CHILD", "L2-NO-CONSENT"])
    at = NOW + timedelta(hours=1)
    bare = screen(engine, case.case_id, at=at, outcome=Outcome.EARLY_HELP, action_id="a-1")
    (no,) = bare.decisions
    assert no.kind is DecisionKind.ACTION_REFUSED
    assert engine.cases[case.case_id].proposal is not None  # still waiting
    why = "Mother asked for parenting support at the school gate since"
    fx = screen(
        engine, case.case_id, at=at, outcome=Outcome.EARLY_HELP, reason=why, action_id="a-2"
    )
    (yes,) = fx.decisions
    assert (yes.kind, yes.agreed, yes.to_outcome) == (
        DecisionKind.SCREENED,
        False,
        Outcome.EARLY_HELP,
    )
    assert why in yes.reason


def test_the_machine_never_lowers_a_case_a_person_decided(engine) -> None:
    police = referral()  # level 3
    case = send(engine, police).cases[-1][0]
    screen(engine, case.case_id, at=NOW + timedelta(hours=1))  # confirmed: E&A
    lowered = police | {"concerns": [{"factor": "21", "detail": "Typo: it was not DA."}]}
    fx = send(engine, lowered, at=NOW + timedelta(hours=2))  # an amendment: level 1 now
    after = fx.cases[-1][0]
    assert (after.level, after.outcome, after.state) == (
        Level.COMPLEX,
        Outcome.ENQUIRY_ASSESSMENT,
        CaseState.OPEN,
    )
    assert after.proposal is not None
    assert (after.proposal.level, after.proposal.outcome) == (
        Level.UNIVERSAL,
        Outcome.NO_FURTHER_ACTION,
    )
    assert not [q for q in fx.queue_items if not q.screening]
    closed = screen(engine, case.case_id, at=NOW + timedelta(hours=3)).cases[-1][0]
    assert (closed.state, closed.outcome) == (CaseState.CLOSED, Outcome.NO_FURTHER_ACTION)


def test_a_member_of_the_public_hears_we_looked_only_after_a_person_did(engine) -> None:
    public = school(1) | {"referrer": {"organisation_id": "public", "source": "1A"}}
    fx = send(engine, public)
    assert fx.statuses == []
    decided = screen(engine, fx.cases[-1][0].case_id, at=NOW + timedelta(hours=1))
    (told,) = decided.statuses
    assert (told.status, told.outcome) == (Status.TRIAGED, Outcome.NO_FURTHER_ACTION)
