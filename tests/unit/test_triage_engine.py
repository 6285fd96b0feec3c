"""The triage core against DOMAIN.md part B: cases, duplicates, links, queues, referrers told."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import NOW, accepted, referral, screen
from schemas.status import Outcome, Status
from schemas.triage import CaseState, DecisionKind, Level, Rag
from services.triage.engine import Effects, TriageEngine

_offsets = itertools.count()


@pytest.fixture
def engine() -> TriageEngine:
    return TriageEngine(PolicyBook.single(load_policy()))


def police(**fields) -> dict:
    return referral(**fields)


def school(**fields) -> dict:
    base = {
        "referral_id": fields.pop("referral_id", "SRA-1"),
        "referrer": {"organisation_id": "stockton-riverside-academy", "source": "2A"},
        "concerns": [{"factor": "14A", "detail": "Behaviour in class."}],
        "risk": {"immediate_risk": False, "injury_observed": False},
        "consent": {"status": "given"},
    }
    return referral(**(base | fields))


def send(engine: TriageEngine, document: dict, at: datetime = NOW) -> Effects:
    """The referral as received at ``at`` (sent five minutes before)."""
    document = document | {"submitted_at": (at - timedelta(minutes=5)).isoformat()}
    return engine.on_referral(accepted(document, at=at, offset=next(_offsets)), partition=0)


def only_case(fx: Effects):
    return fx.cases[-1][0]


def teams(fx: Effects) -> list[tuple[Outcome, str]]:
    """The team queues' items (each proposal is on the screening queue too)."""
    return [(q.queue, q.reason) for q in fx.queue_items if not q.screening]


def screened_nfa(engine: TriageEngine, fx: Effects, at: datetime):
    """The case ``fx`` opened, its proposal of no further action confirmed by a person."""
    case = only_case(fx)
    after = only_case(screen(engine, case.case_id, at=at + timedelta(hours=1)))
    assert after.state is CaseState.CLOSED
    return after


def test_new_referral_opens_a_case_on_the_right_queue(engine) -> None:
    fx = send(
        engine,
        police(risk={"immediate_risk": False, "injury_observed": False, "dash_risk": "high"}),
    )
    case = only_case(fx)
    assert (case.level, case.rag, case.outcome) == (
        Level.ACUTE,
        Rag.RED,
        Outcome.ENQUIRY_ASSESSMENT,
    )
    assert case.strategy_discussion
    assert case.rules == ["L4-DA-HIGH"]
    # the machine may raise: a level-4 proposal is on the E&A queue before anyone screens it
    assert teams(fx) == [(Outcome.ENQUIRY_ASSESSMENT, "opened")]
    (proposed,) = [q for q in fx.queue_items if q.screening]
    assert proposed.case.proposal is not None
    assert proposed.case.proposal.contact_ids == [case.contacts[0].contact_id]
    (decision,) = fx.decisions
    assert decision.kind is DecisionKind.TRIAGED
    assert decision.rules == ["L4-DA-HIGH"]
    assert decision.policy_version == "default-2026.2"
    assert decision.decided_by == "policy:default-2026.2"
    (status,) = fx.statuses
    assert (status.status, status.outcome) == (Status.TRIAGED, Outcome.ENQUIRY_ASSESSMENT)
    # received Tuesday 09:30 London: red is due 4 working hours later
    assert status.decision_due == datetime.fromisoformat("2026-11-17T13:30:00+00:00")


def test_resubmission_is_acknowledged_and_makes_nothing_new(engine) -> None:
    send(engine, police())
    fx = send(engine, police(), at=NOW + timedelta(minutes=10))
    assert fx.cases == []
    assert fx.queue_items == []
    assert [d.kind for d in fx.decisions] == [DecisionKind.DUPLICATE]
    assert [s.status for s in fx.statuses] == [Status.DUPLICATE]
    assert len(engine.cases) == 1


def test_amendment_is_triaged_again_and_moves_queue(engine) -> None:
    send(engine, school())
    fx = send(engine, school(concerns=[{"factor": "16A"}]), at=NOW + timedelta(hours=1))
    case = only_case(fx)
    assert (case.level, case.outcome, len(case.contacts)) == (
        Level.COMPLEX,
        Outcome.ENQUIRY_ASSESSMENT,
        1,
    )
    # the early-help proposal was held for a person; the amendment's level 3 acts at once
    assert teams(fx) == [(Outcome.ENQUIRY_ASSESSMENT, "opened")]
    (decision,) = fx.decisions
    assert (decision.kind, decision.from_outcome, decision.to_outcome) == (
        DecisionKind.AMENDED,
        Outcome.EARLY_HELP,
        Outcome.ENQUIRY_ASSESSMENT,
    )
    assert [s.status for s in fx.statuses] == [Status.AMENDED]


def test_police_high_risk_next_day_escalates_the_early_help_case(engine) -> None:
    first = send(engine, school())
    assert only_case(first).outcome is Outcome.EARLY_HELP
    fx = send(
        engine,
        police(risk={"immediate_risk": False, "injury_observed": False, "dash_risk": "high"}),
        at=NOW + timedelta(days=1),
    )
    case = only_case(fx)
    assert case.case_id == only_case(first).case_id
    assert (case.level, case.rag, case.outcome) == (
        Level.ACUTE,
        Rag.RED,
        Outcome.ENQUIRY_ASSESSMENT,
    )
    assert len(case.contacts) == 2
    assert teams(fx) == [(Outcome.ENQUIRY_ASSESSMENT, "opened")]
    assert [d.kind for d in fx.decisions] == [DecisionKind.LINKED]
    told = {(s.organisation_id, s.status) for s in fx.statuses}
    assert told == {
        ("cleveland-police", Status.LINKED),
        # the school was told nothing of the early-help proposal: this is its first outcome
        ("stockton-riverside-academy", Status.TRIAGED),
    }


def test_lower_level_contact_links_without_lowering_the_case(engine) -> None:
    send(engine, police())  # L3 DA medium
    fx = send(engine, school(), at=NOW + timedelta(hours=2))
    case = only_case(fx)
    assert (case.level, case.outcome) == (Level.COMPLEX, Outcome.ENQUIRY_ASSESSMENT)
    assert teams(fx) == []
    assert [q.screening for q in fx.queue_items] == [True]  # the new contact, for a person
    assert [s.status for s in fx.statuses] == [Status.LINKED]
    assert fx.statuses[0].outcome is Outcome.ENQUIRY_ASSESSMENT


def test_twins_get_a_case_each(engine) -> None:
    send(engine, police())
    twin = police(
        referral_id="CP-2",
        child=referral()["child"] | {"given_name": "Oscar", "nhs_number": None, "upn": None},
    )
    fx = send(engine, twin)
    assert len(engine.cases) == 2
    assert [d.kind for d in fx.decisions] == [DecisionKind.TRIAGED]
    assert only_case(fx).possible_matches == []


def test_sibling_gets_a_case_of_their_own(engine) -> None:
    send(engine, police())
    sibling = referral()["child"] | {
        "given_name": "Katie",
        "sex": "F",
        "date_of_birth": "2015-09-01",
        "nhs_number": None,
        "upn": None,
    }
    send(engine, police(referral_id="CP-3", child=sibling))
    assert len(engine.cases) == 2


def test_swapped_birthday_is_a_possible_match_not_a_link(engine) -> None:
    first = only_case(send(engine, police()))
    swapped = referral()["child"] | {"date_of_birth": "2018-02-04", "nhs_number": None, "upn": None}
    fx = send(engine, police(referral_id="CP-4", child=swapped))
    case = only_case(fx)
    assert case.case_id != first.case_id
    assert [m.case_id for m in case.possible_matches] == [first.case_id]
    assert "day and month of birth swapped" in case.possible_matches[0].reasons


def test_unborn_child_referred_twice_is_one_case(engine) -> None:
    unborn = {
        "family_name": "Smith",
        "expected_date_of_birth": "2027-02-01",
        "sex": "U",
        "address": {"line1": "1 High Street", "postcode": "TS18 1AB"},
    }
    health = {"organisation_id": "north-tees-health-visiting", "source": "3B"}
    first = send(
        engine,
        referral(
            referral_id="HV-1",
            referrer=health,
            child=unborn,
            concerns=[{"factor": "4B"}],
            risk={"immediate_risk": False, "injury_observed": False},
        ),
    )
    case = only_case(first)
    assert (case.level, case.rules) == (Level.COMPLEX, ["L3-PARENT-UNDER5"])
    second = send(engine, referral(child=unborn | {"expected_date_of_birth": "2027-02-06"}))
    assert only_case(second).case_id == case.case_id


def test_a_universal_contact_stays_open_and_unannounced_until_a_person_closes_it(engine) -> None:
    fx = send(engine, school(concerns=[{"factor": "21"}]))
    case = only_case(fx)
    assert (case.level, case.rag, case.outcome, case.state) == (
        Level.UNIVERSAL,
        Rag.BLUE,
        Outcome.NO_FURTHER_ACTION,
        CaseState.OPEN,  # the policy proposes; nobody closed it
    )
    assert case.held
    assert teams(fx) == []
    assert [q.screening for q in fx.queue_items] == [True]
    assert fx.statuses == []  # the referrer keeps intake's "received — a decision is due by"

    decided = screen(engine, case.case_id, at=NOW + timedelta(hours=2), actor="sam.duty")
    after = only_case(decided)
    assert (after.state, after.outcome, after.screened_by) == (
        CaseState.CLOSED,
        Outcome.NO_FURTHER_ACTION,
        "sam.duty",
    )
    assert after.proposal is None
    (decision,) = decided.decisions
    assert (decision.kind, decision.decided_by, decision.agreed) == (
        DecisionKind.SCREENED,
        "sam.duty",
        True,
    )
    assert decision.proposal is not None
    assert decision.proposal.rules == ["L1-UNIVERSAL"]
    (told,) = decided.statuses  # told once, now that a person decided
    assert (told.status, told.outcome) == (Status.TRIAGED, Outcome.NO_FURTHER_ACTION)
    assert decided.queue_items == []


def test_refused_consent_at_level_two_is_advice(engine) -> None:
    fx = send(engine, school(consent={"status": "refused"}))
    case = only_case(fx)
    assert (case.level, case.outcome, case.rules) == (
        Level.ADDITIONAL,
        Outcome.NO_FURTHER_ACTION,
        ["L2-CHILD", "L2-NO-CONSENT"],
    )


def test_third_contact_within_twelve_months_is_a_repeat(engine) -> None:
    low = {"concerns": [{"factor": "21"}]}
    for n, days in ((1, 200), (2, 100)):
        at = NOW - timedelta(days=days)
        screened_nfa(engine, send(engine, school(referral_id=f"S-{n}", **low), at=at), at)
    fx = send(engine, school(referral_id="S-3", **low))
    case = only_case(fx)
    assert (case.level, case.rules, case.outcome) == (
        Level.COMPLEX,
        ["L3-REPEAT"],
        Outcome.ENQUIRY_ASSESSMENT,
    )
    assert len(engine.cases) == 3  # the earlier ones were closed, so a new case opened


def test_contacts_older_than_twelve_months_do_not_count(engine) -> None:
    low = {"concerns": [{"factor": "21"}]}
    send(engine, school(referral_id="S-1", **low), at=NOW - timedelta(days=400))
    send(engine, school(referral_id="S-2", **low), at=NOW - timedelta(days=100))
    assert only_case(send(engine, school(referral_id="S-3", **low))).level == Level.UNIVERSAL


def test_no_link_across_local_authorities(engine) -> None:
    send(engine, police())
    other_la = police(referral_id="CP-9", local_authority="806")
    send(engine, other_la)
    assert len(engine.cases) == 2


def test_state_rebuilt_from_emitted_cases_decides_the_same(engine) -> None:
    emitted = send(engine, school()).cases
    restored = TriageEngine(PolicyBook.single(load_policy()))
    for case, partition in emitted:
        restored.load(case, partition)
    later = police(risk={"immediate_risk": True, "injury_observed": False})
    a = send(engine, later, at=NOW + timedelta(hours=3))
    later |= {"submitted_at": (NOW + timedelta(hours=3) - timedelta(minutes=5)).isoformat()}
    b = restored.on_referral(
        accepted(later, at=NOW + timedelta(hours=3), offset=a.decisions[0].origin.offset), 0
    )
    assert [c.model_dump() for c, _ in a.cases] == [c.model_dump() for c, _ in b.cases]
    assert a.decisions == b.decisions


def test_overdue_cases_are_flagged_once_and_referrers_told(engine) -> None:
    case = only_case(send(engine, police()))  # amber: due one working day later
    assert engine.overdue(case.decision_due - timedelta(minutes=1)).decisions == []
    fx = engine.overdue(case.decision_due + timedelta(minutes=1))
    (decision,) = fx.decisions
    assert (decision.kind, decision.decided_by) == (DecisionKind.OVERDUE, "clock")
    assert [s.status for s in fx.statuses] == [Status.OVERDUE]
    assert fx.cases[-1][0].overdue_since is not None
    assert engine.overdue(case.decision_due + timedelta(hours=1)).decisions == []  # once only


def test_allocated_or_closed_cases_are_never_overdue(engine) -> None:
    closed = screened_nfa(engine, send(engine, school(concerns=[{"factor": "21"}])), NOW)
    assert engine.overdue(closed.decision_due + timedelta(days=30)).decisions == []


def test_a_new_decision_due_time_resets_the_overdue_flag(engine) -> None:
    case = only_case(send(engine, school()))
    engine.overdue(case.decision_due + timedelta(minutes=1))
    later = NOW + timedelta(days=5)
    escalated = only_case(
        send(engine, police(risk={"immediate_risk": True, "injury_observed": False}), at=later)
    )
    assert escalated.overdue_since is None
    assert escalated.decision_due > later


def test_a_childs_later_case_keeps_the_child_id_and_another_child_gets_their_own(engine) -> None:
    universal = {
        "concerns": [{"factor": "21"}],
        "risk": {"immediate_risk": False, "injury_observed": False},
    }
    first = screened_nfa(engine, send(engine, school(referral_id="U-1", **universal)), NOW)
    later = send(engine, police(referral_id="P-9"), at=NOW + timedelta(days=30)).cases[-1][0]
    other_child = {**referral()["child"], "given_name": "Zara", "nhs_number": None, "upn": None}
    other = send(engine, police(referral_id="P-10", child=other_child)).cases[-1][0]

    assert later.case_id != first.case_id
    assert later.child_id == first.child_id
    assert first.child_id is not None
    assert other.child_id not in (None, first.child_id)
    assert first.child_id != referral()["child"]["nhs_number"]


def test_an_equal_nhs_number_links_though_sex_differs_and_the_manager_is_told(engine) -> None:
    send(engine, police(referral_id="P-1"))
    as_girl = {**referral()["child"], "sex": "F"}  # the same NHS number, sex recorded otherwise
    fx = send(engine, police(referral_id="P-2", child=as_girl), at=NOW + timedelta(hours=2))
    (decision,) = fx.decisions
    assert decision.kind is DecisionKind.LINKED
    assert "sex recorded differently" in decision.reason
    assert "F" not in decision.reason.split(": ")[-1].split()  # names the field, not the value


def test_correcting_a_typo_never_undoes_an_escalation_the_facts_still_support(engine) -> None:
    universal = {
        "concerns": [{"factor": "21"}],
        "risk": {"immediate_risk": False, "injury_observed": False},
    }
    first = screened_nfa(engine, send(engine, school(referral_id="S-1", **universal)), NOW)
    later = NOW + timedelta(days=30)
    second = screened_nfa(
        engine, send(engine, school(referral_id="S-2", **universal), at=later), later
    )
    assert first.case_id != second.case_id  # two closed cases about the child
    third = only_case(send(engine, school(referral_id="S-3"), at=NOW + timedelta(days=60)))
    assert (third.level, "L3-REPEAT" in third.rules) == (Level.COMPLEX, True)

    corrected = school(referral_id="S-3", summary="Behaviour in class (typo corrected).")
    fx = send(engine, corrected, at=NOW + timedelta(days=61))
    assert fx.decisions[-1].kind is DecisionKind.AMENDED
    after = only_case(fx)
    assert after.level is Level.COMPLEX  # still the third contact in 12 months
    assert "L3-REPEAT" in after.rules
    assert after.outcome is Outcome.ENQUIRY_ASSESSMENT
