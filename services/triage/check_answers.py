"""The triage engine and partner checks: a manager asking, a partner answering."""

from __future__ import annotations

from datetime import datetime

from schemas.checks import CheckMessageKind, CheckReceipt, ReceivedAnswer
from schemas.status import FieldError
from schemas.triage import Case, Decision, DecisionKind
from services.triage import checks
from services.triage.checks import AnswerRefusedError, CheckChanges
from services.triage.core import Effects, EngineCore, _id


class CheckAnswers(EngineCore):
    """Checks asked by a duty manager, and every partner's answer recorded or refused."""

    def ask_checks(self, case: Case, at: datetime, manager: str) -> CheckChanges:
        """What a duty manager's request for partner checks on ``case`` asks."""
        return checks.asked_by_manager(
            case,
            at,
            self.check_partners(case.local_authority),
            self.policy(case.local_authority),
            manager,
        )

    def on_check_answer(self, received: ReceivedAnswer, partition: int) -> Effects:
        """Record one partner's answer to one request, or refuse it; the partner is told."""
        fx = Effects()
        answer, org, at = received.answer, received.organisation_id, received.received_at
        case_id = self.cases.check_case.get(answer.request_id)
        case = self.cases[case_id] if case_id is not None else None
        try:
            updated, check = checks.answered(case, org, answer, at)
        except AnswerRefusedError as refused:
            fx.check_messages.append(
                (
                    org,
                    CheckReceipt(
                        kind=CheckMessageKind.ANSWER_REFUSED,
                        request_id=answer.request_id,
                        errors=[FieldError(loc="request_id", msg=str(refused))],
                        occurred_at=at,
                    ),
                )
            )
            origin = received.origin
            fx.decisions.append(
                Decision(
                    decision_id=_id("d", origin.topic, origin.partition, origin.offset),
                    case_id=case.case_id if case is not None else None,
                    local_authority=received.local_authority,
                    kind=DecisionKind.CHECK_REFUSED,
                    decided_by=f"policy:{self.policy(received.local_authority).version}",
                    decided_at=at,
                    origin=origin,
                    reason=f"an answer from {org} to {answer.request_id} refused: {refused}",
                )
            )
            return fx
        assert case is not None  # noqa: S101 - answered() refuses an unknown case
        saved = self.save(case.model_copy(update={"checks": updated}), at, fx, partition)
        late = " (late)" if check.answer and check.answer.late else ""
        result = check.answer.result.value if check.answer else ""
        fx.decisions.append(
            self.decision(
                saved,
                DecisionKind.CHECK_ANSWERED,
                at,
                origin=received.origin,
                decided_by=f"{org}: {answer.answered_by.role}",
                reason=f"{org} ({check.agency}) answered {answer.request_id}: {result}{late}",
            )
        )
        fx.check_messages.append(
            (
                org,
                CheckReceipt(
                    kind=CheckMessageKind.ANSWER_RECORDED,
                    request_id=answer.request_id,
                    late=bool(check.answer and check.answer.late),
                    occurred_at=at,
                ),
            )
        )
        return fx
