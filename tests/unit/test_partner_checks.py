"""Partner checks (DOMAIN B): asked at level 3 and 4, due by rating, chased, answered once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from domain.policies import PolicyBook
from domain.policy import load_policy
from domain.validation import AnswerRejected, validate_answer
from factories import accepted, encode, referral
from schemas.checks import CheckAnswer, CheckMessageKind, CheckReceipt, ReceivedAnswer
from schemas.intake import Origin
from schemas.partners import PartnerRegistry
from schemas.triage import (
    ActionKind,
    Case,
    CheckRequest,
    CheckState,
    DecisionKind,
    Level,
    ManagerAction,
)
from services.triage.actions import apply_action
from services.triage.checks import CheckPartner
from services.triage.engine import Effects, TriageEngine

UK = ZoneInfo("Europe/London")
FRIDAY_1630 = datetime(2026, 12, 4, 16, 30, tzinfo=UK)
TUESDAY_1000 = datetime(2026, 12, 1, 10, 0, tzinfo=UK)
POLICY = load_policy()
PARTNERS = {
    "808": [
        CheckPartner("cleveland-police", "police"),
        CheckPartner("north-tees-health", "health"),
        CheckPartner("stockton-education", "education"),
    ]
}
AMBER = {"immediate_risk": False, "dash_risk": "medium", "injury_observed": False}  # L3-DA
RED = {"immediate_risk": True, "injury_observed": False}  # L4-IMMEDIATE
GREEN = {"immediate_risk": False, "dash_risk": "standard", "injury_observed": False}  # L2-DA
CONCERN = "the child's father was arrested"


@pytest.fixture
def engine() -> TriageEngine:
    return TriageEngine(PolicyBook.single(POLICY), lambda la: PARTNERS.get(la, []))


def send(engine: TriageEngine, at: datetime, n: int, risk: dict, **child: object) -> Effects:
    document = referral(referral_id=f"CP-{n}", risk=risk, summary=CONCERN)
    document["submitted_at"] = (at - timedelta(minutes=5)).isoformat()
    document["child"] |= child
    return engine.on_referral(accepted(document, at=at, offset=n), partition=0)


def case_of(engine: TriageEngine) -> Case:
    (case_id,) = engine.cases
    return engine.cases[case_id]


def requests(fx: Effects, kind: CheckMessageKind) -> list[tuple[str, CheckRequest]]:
    return [
        (org, m) for org, m in fx.check_messages if isinstance(m, CheckRequest) and m.kind is kind
    ]


def answer(request_id: str, at: datetime, **fields: object) -> CheckAnswer:
    document = {
        "request_id": request_id,
        "result": "no-trace",
        "answered_by": {"name": "Sam Researcher", "role": "MASH police researcher"},
        "answered_at": at.isoformat(),
    } | fields
    return CheckAnswer.model_validate_json(encode(document))


def receive(
    engine: TriageEngine, org: str, check_answer: CheckAnswer, at: datetime, offset: int = 0
) -> Effects:
    received = ReceivedAnswer(
        organisation_id=org,
        local_authority="808",
        received_at=at,
        origin=Origin(topic=f"checks.answers.{org}", partition=0, offset=offset),
        answer=check_answer,
    )
    return engine.on_check_answer(received, partition=0)


def receipts(fx: Effects) -> list[CheckReceipt]:
    return [m for _, m in fx.check_messages if isinstance(m, CheckReceipt)]


def test_level_3_asks_police_health_and_education_in_the_decisions_transaction(engine) -> None:
    fx = send(engine, TUESDAY_1000, 1, AMBER)
    asked = requests(fx, CheckMessageKind.REQUEST)
    assert sorted(org for org, _ in asked) == sorted(p.organisation_id for p in PARTNERS["808"])
    case = case_of(engine)
    assert case.level is Level.COMPLEX
    assert {c.agency for c in case.checks} == {"police", "health", "education"}
    assert any(d.kind is DecisionKind.CHECKS_ASKED for d in fx.decisions)
    # the saved case in the same effects carries the checks
    assert fx.cases[-1][0].checks == case.checks


def test_level_2_asks_none(engine) -> None:
    fx = send(engine, TUESDAY_1000, 1, GREEN)
    assert fx.check_messages == []
    assert case_of(engine).checks == []


def test_a_request_carries_identity_rating_purpose_basis_and_due_and_nothing_of_the_concern(
    engine,
) -> None:
    fx = send(engine, TUESDAY_1000, 1, AMBER)
    _, request = requests(fx, CheckMessageKind.REQUEST)[0]
    assert request.child.family_name == "Smith"
    assert request.child.date_of_birth is not None
    assert request.child.nhs_number is not None
    assert request.rag.value == "amber"
    assert request.purpose == "assessment of need"
    assert "6(1)(e)" in request.lawful_basis
    assert request.case_ref == case_of(engine).case_id
    wire = request.model_dump_json()
    assert CONCERN not in wire
    assert "3B" not in wire  # no factor codes


@pytest.mark.parametrize(
    ("risk", "at", "due", "purpose"),
    [
        # red runs round the clock: 16:30 on a Friday is due by 18:30, not on Monday
        (RED, FRIDAY_1630, datetime(2026, 12, 4, 18, 30, tzinfo=UK), "child protection enquiry"),
        # amber counts six working hours: 1 on Friday, 5 on Monday from 09:00
        (AMBER, FRIDAY_1630, datetime(2026, 12, 7, 14, 30, tzinfo=UK), "assessment of need"),
        (AMBER, TUESDAY_1000, datetime(2026, 12, 1, 16, 0, tzinfo=UK), "assessment of need"),
    ],
)
def test_checks_are_due_by_the_ratings_clock(engine, risk, at, due, purpose) -> None:
    fx = send(engine, at, 1, risk)
    asked = requests(fx, CheckMessageKind.REQUEST)
    assert {m.due for _, m in asked} == {due}
    assert {m.purpose for _, m in asked} == {purpose}


def test_one_reminder_at_three_quarters_of_the_time_then_overdue_at_the_due_time(engine) -> None:
    send(engine, FRIDAY_1630, 1, RED)  # due 18:30: reminder at 18:00
    remind_at = datetime(2026, 12, 4, 18, 0, tzinfo=UK)
    assert engine.chase_checks(remind_at - timedelta(seconds=1)).check_messages == []
    fx = engine.chase_checks(remind_at)
    reminders = requests(fx, CheckMessageKind.REMINDER)
    assert len(reminders) == 3
    assert all(m.due == datetime(2026, 12, 4, 18, 30, tzinfo=UK) for _, m in reminders)
    assert engine.chase_checks(remind_at + timedelta(minutes=10)).check_messages == []
    due = datetime(2026, 12, 4, 18, 30, tzinfo=UK)
    assert engine.chase_checks(due - timedelta(seconds=1)).decisions == []
    fx = engine.chase_checks(due)
    assert [d.kind for d in fx.decisions] == [DecisionKind.CHECK_OVERDUE]
    assert fx.check_messages == []  # overdue is the front door's flag, not another message
    assert all(c.overdue_at == due for c in case_of(engine).checks)
    assert engine.chase_checks(due + timedelta(hours=1)).decisions == []


def test_an_answered_check_is_neither_reminded_nor_overdue(engine) -> None:
    fx = send(engine, FRIDAY_1630, 1, RED)
    org, request = requests(fx, CheckMessageKind.REQUEST)[0]
    receive(
        engine, org, answer(request.request_id, FRIDAY_1630), FRIDAY_1630 + timedelta(minutes=5)
    )
    fx = engine.chase_checks(datetime(2026, 12, 4, 18, 0, tzinfo=UK))
    assert len(requests(fx, CheckMessageKind.REMINDER)) == 2
    assert org not in {o for o, _ in fx.check_messages}


def test_falling_below_level_3_withdraws_open_checks_and_tells_the_partners(engine) -> None:
    send(engine, TUESDAY_1000, 1, AMBER)
    case = case_of(engine)
    first = case.checks[0]
    receive(engine, first.organisation_id, answer(first.request_id, TUESDAY_1000), TUESDAY_1000)
    action = ManagerAction(
        action_id="a-1",
        kind=ActionKind.OVERRIDE,
        case_id=case.case_id,
        local_authority="808",
        actor="Duty Manager",
        reason="the incident was minor on review",
        level=Level.ADDITIONAL,
        submitted_at=TUESDAY_1000 + timedelta(hours=1),
    )
    fx = apply_action(engine, action, 0)
    withdrawn = requests(fx, CheckMessageKind.WITHDRAWN)
    assert len(withdrawn) == 2  # the answered one stays answered
    assert all("below level 3" in (m.withdrawn_reason or "") for _, m in withdrawn)
    states = [c.state for c in case_of(engine).checks]
    assert states.count(CheckState.WITHDRAWN) == 2
    assert states.count(CheckState.ANSWERED) == 1
    overridden = next(d for d in fx.decisions if d.kind is DecisionKind.OVERRIDDEN)
    assert sorted(overridden.checks_outstanding) == sorted(o for o, _ in withdrawn)
    # rising again asks again, in a new round, only those not answered
    action2 = action.model_copy(
        update={"action_id": "a-2", "level": Level.COMPLEX, "submitted_at": action.submitted_at}
    )
    again = requests(apply_action(engine, action2, 0), CheckMessageKind.REQUEST)
    assert sorted(o for o, _ in again) == sorted(o for o, _ in withdrawn)
    assert {m.request_id for _, m in again}.isdisjoint({m.request_id for _, m in withdrawn})


def test_closing_the_case_withdraws_its_open_checks(engine) -> None:
    send(engine, TUESDAY_1000, 1, AMBER)
    case = case_of(engine)
    close = ManagerAction(
        action_id="c-1",
        kind=ActionKind.CLOSE,
        case_id=case.case_id,
        local_authority="808",
        actor="Duty Manager",
        reason="already known to the child protection team",
        submitted_at=TUESDAY_1000 + timedelta(hours=1),
    )
    fx = apply_action(engine, close, 0)
    assert len(requests(fx, CheckMessageKind.WITHDRAWN)) == 3
    closed = next(d for d in fx.decisions if d.kind is DecisionKind.CLOSED)
    assert len(closed.checks_outstanding) == 3


def test_a_late_answer_is_kept_and_marked_late(engine) -> None:
    fx = send(engine, FRIDAY_1630, 1, RED)
    org, request = requests(fx, CheckMessageKind.REQUEST)[0]
    late_at = request.due + timedelta(minutes=1)
    fx = receive(
        engine,
        org,
        answer(request.request_id, late_at, result="information", information="Known: 2 calls."),
        late_at,
    )
    (receipt,) = receipts(fx)
    assert receipt.kind is CheckMessageKind.ANSWER_RECORDED
    assert receipt.late
    check = next(c for c in case_of(engine).checks if c.request_id == request.request_id)
    assert check.answer is not None
    assert check.answer.late
    assert check.answer.information == "Known: 2 calls."
    answered = next(d for d in fx.decisions if d.kind is DecisionKind.CHECK_ANSWERED)
    assert "Known" not in answered.reason  # the audit trail says who and what kind, not what


def test_a_second_answer_is_refused_with_a_clear_error(engine) -> None:
    fx = send(engine, TUESDAY_1000, 1, AMBER)
    org, request = requests(fx, CheckMessageKind.REQUEST)[0]
    receive(engine, org, answer(request.request_id, TUESDAY_1000), TUESDAY_1000, offset=1)
    before = case_of(engine)
    fx = receive(
        engine,
        org,
        answer(request.request_id, TUESDAY_1000, result="information", information="More."),
        TUESDAY_1000,
        offset=2,
    )
    (receipt,) = receipts(fx)
    assert receipt.kind is CheckMessageKind.ANSWER_REFUSED
    assert "answered already" in receipt.errors[0].msg
    assert fx.cases == []
    assert case_of(engine) == before
    assert [d.kind for d in fx.decisions] == [DecisionKind.CHECK_REFUSED]


@pytest.mark.parametrize("which", ["another organisation's", "unknown"])
def test_an_answer_to_another_organisations_or_an_unknown_request_is_refused(engine, which) -> None:
    fx = send(engine, TUESDAY_1000, 1, AMBER)
    owner, request = requests(fx, CheckMessageKind.REQUEST)[0]
    other = next(p.organisation_id for p in PARTNERS["808"] if p.organisation_id != owner)
    request_id = request.request_id if which != "unknown" else "chk-808-" + "0" * 20
    fx = receive(engine, other, answer(request_id, TUESDAY_1000), TUESDAY_1000)
    (receipt,) = receipts(fx)
    assert receipt.kind is CheckMessageKind.ANSWER_REFUSED
    assert "no open request" in receipt.errors[0].msg
    assert all(c.answer is None for c in case_of(engine).checks)


def test_requests_are_deterministic_and_a_restart_never_asks_twice(engine) -> None:
    first = requests(send(engine, TUESDAY_1000, 1, AMBER), CheckMessageKind.REQUEST)
    replayed = TriageEngine(PolicyBook.single(POLICY), lambda la: PARTNERS.get(la, []))
    again = requests(send(replayed, TUESDAY_1000, 1, AMBER), CheckMessageKind.REQUEST)
    assert [m.request_id for _, m in first] == [m.request_id for _, m in again]
    restarted = TriageEngine(PolicyBook.single(POLICY), lambda la: PARTNERS.get(la, []))
    restarted.load(case_of(engine), 0)
    fx = send(restarted, TUESDAY_1000 + timedelta(hours=1), 2, AMBER)  # a linked contact
    assert requests(fx, CheckMessageKind.REQUEST) == []


def test_a_manager_asks_for_checks_at_level_2_with_a_reason(engine) -> None:
    send(engine, TUESDAY_1000, 1, GREEN)
    case = case_of(engine)
    ask = ManagerAction(
        action_id="k-1",
        kind=ActionKind.ASK_CHECKS,
        case_id=case.case_id,
        local_authority="808",
        actor="Duty Manager",
        reason="",
        submitted_at=TUESDAY_1000 + timedelta(minutes=30),
    )
    refused = apply_action(engine, ask, 0)
    assert [d.kind for d in refused.decisions] == [DecisionKind.ACTION_REFUSED]
    fx = apply_action(engine, ask.model_copy(update={"reason": "siblings known to police"}), 0)
    asked = requests(fx, CheckMessageKind.REQUEST)
    assert len(asked) == 3
    (decision,) = fx.decisions
    assert decision.kind is DecisionKind.CHECKS_ASKED
    assert decision.decided_by == "Duty Manager"
    assert "siblings known to police" in decision.reason
    # green's checks time: one working day
    assert {m.due for _, m in asked} == {datetime(2026, 12, 2, 10, 30, tzinfo=UK)}
    # a level-2 manager's check is not withdrawn because the case is below level 3
    fx = send(engine, TUESDAY_1000 + timedelta(hours=1), 2, GREEN)
    assert requests(fx, CheckMessageKind.WITHDRAWN) == []


def test_answers_are_validated_with_every_error_naming_its_field() -> None:
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UK)

    def errors(**fields: object) -> dict[str, str]:
        document = {
            "request_id": "chk-808-" + "a" * 20,
            "result": "no-trace",
            "answered_by": {"name": "A Person", "role": "Researcher"},
            "answered_at": now.isoformat(),
        } | fields
        verdict = validate_answer(encode(document), now=now)
        assert isinstance(verdict, AnswerRejected)
        return {e.loc: e.msg for e in verdict.errors}

    assert "reason" in errors(result="declined")
    assert "information" in errors(result="information")
    assert "information" in errors(result="no-trace", information="x")
    assert "information" in errors(result="information", information="x" * 10_001)
    assert "flags" in errors(result="no-trace", flags=["risk-markers"])
    assert "answer" in errors(answer="x")
    assert "request_id" in errors(request_id="CP-1")
    assert "answered_by.role" in errors(answered_by={"name": "A"})
    assert "answered_at" in errors(answered_at=(now + timedelta(hours=1)).isoformat())
    assert "result" in errors(result="maybe")
    assert all(CONCERN not in m for m in errors(result="declined", information=CONCERN).values())


def test_the_registry_refuses_a_check_duty_with_a_typo() -> None:
    good = {"id": "p-one", "name": "P", "source": "6", "local_authorities": ["808"]}
    PartnerRegistry.model_validate(
        {"partners": [good | {"checks": {"agency": "police", "local_authorities": ["808"]}}]}
    )
    for duty in (
        {"agency": "Police!", "local_authorities": ["808"]},
        {"agency": "police", "local_authorities": ["999"]},
        {"agency": "police", "local_authorities": []},
        {"agency": "police", "local_authorities": ["808"], "kind": "x"},
    ):
        with pytest.raises(ValidationError):
            PartnerRegistry.model_validate({"partners": [good | {"checks": duty}]})
