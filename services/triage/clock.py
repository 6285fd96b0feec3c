"""The triage engine's clock: cases overdue, partner checks to chase, settled cases retired."""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.status import Status
from schemas.triage import Case, CaseState, Decision, DecisionKind, Proposal
from services.triage import checks
from services.triage.core import Effects, EngineCore, _id

# How long after it settles a case is retired: room for a referral accepted before then but
# triaged after (a backlog), so retiring never gets ahead of the decisions that ignore it.
RETIRE_MARGIN = timedelta(days=7)
RETIRE_BATCH = 2000  # cases retired per tick at most, so each transaction stays small


def _flagged(
    case: Case,
    kind: DecisionKind,
    due: object,
    now: datetime,
    reason: str,
    *,
    proposal: Proposal | None = None,
) -> Decision:
    """The clock's record that what was due at ``due`` is overdue (one id per due time)."""
    return Decision(
        decision_id=_id("d", case.case_id, kind.value, due),
        case_id=case.case_id,
        local_authority=case.local_authority,
        kind=kind,
        decided_by="clock",
        decided_at=now,
        to_level=case.level,
        to_outcome=case.outcome,
        rules=list(proposal.rules if proposal is not None else case.rules),
        proposal=proposal,
        reason=reason,
    )


class EngineClock(EngineCore):
    """What the engine does when time passes rather than when a record arrives."""

    def overdue(self, now: datetime) -> Effects:
        """Flag open, unallocated cases whose decision due time has passed, once per due time.

        Duty managers see an ``overdue`` decision; every referrer on the case is told it is
        still being looked at.
        """
        fx = Effects()
        due = [
            case_id
            for case_id, brief in self.cases.briefs.items()
            if brief.state is CaseState.OPEN
            and not brief.merged
            and brief.overdue_since is None
            and brief.decision_due <= now
        ]
        for case_id in due:
            case = self.cases[case_id]
            flagged = self.save(
                case.model_copy(update={"overdue_since": now}),
                now,
                fx,
                self.partition_of(case_id),
            )
            fx.decisions.append(
                _flagged(
                    case,
                    DecisionKind.OVERDUE,
                    case.decision_due.isoformat(),  # the id it has always had
                    now,
                    f"decision was due at {case.decision_due.isoformat()}; "
                    "none made and not allocated",
                )
            )
            fx.statuses += [
                self.status_event(c, Status.OVERDUE, flagged, now) for c in flagged.contacts
            ]
        return fx

    def screening_overdue(self, now: datetime) -> Effects:
        """Flag proposals nobody has screened by their due time, once each.

        Duty managers see a ``screening-overdue`` decision (the dashboard and the metrics count
        them); the case's own overdue flag tells its referrers.
        """
        fx = Effects()
        due = [
            case_id
            for case_id, brief in self.cases.briefs.items()
            if brief.screening_due is not None
            and not brief.screening_flagged
            and not brief.merged
            and brief.screening_due <= now
        ]
        for case_id in due:
            case = self.cases[case_id]
            proposal = case.proposal
            assert proposal is not None  # noqa: S101 - the brief says one waits
            flagged = proposal.model_copy(update={"overdue_since": now})
            self.save(
                case.model_copy(update={"proposal": flagged}),
                now,
                fx,
                self.partition_of(case_id),
            )
            fx.decisions.append(
                _flagged(
                    case,
                    DecisionKind.SCREENING_OVERDUE,
                    proposal.due,
                    now,
                    f"screening was due at {proposal.due.isoformat()}; nobody has decided "
                    "the policy's proposal",
                    proposal=proposal,
                )
            )
        return fx

    def chase_checks(self, now: datetime) -> Effects:
        """Remind partners at three quarters of a check's time; mark checks overdue at its due."""
        fx = Effects()
        due = [
            case_id
            for case_id, brief in self.cases.briefs.items()
            if brief.next_check_at is not None and brief.next_check_at <= now
        ]
        for case_id in due:
            case = self.cases[case_id]
            changes = checks.chased(case, now)
            if changes.changed:
                chased = self.with_checks(case, changes, now, fx)
                self.save(chased, now, fx, self.partition_of(case_id))
        return fx

    def retire(self, now: datetime, limit: int = RETIRE_BATCH) -> Effects:
        """Retire (up to ``limit``) cases settled since a margin before ``now``.

        Each leaves the working set: the service writes a tombstone on ``triage.cases`` and the
        final state (one version on, with ``retired_at``) to ``triage.archive``, in one
        transaction with the rest of the tick.
        """
        fx = Effects()
        cutoffs: dict[str, datetime] = {}  # settled before it: one per council's window
        settled = []
        for case_id, brief in self.cases.briefs.items():
            if brief.state is not CaseState.CLOSED:
                continue
            la = brief.local_authority
            if la not in cutoffs:
                cutoffs[la] = self.window_start(la, now - RETIRE_MARGIN)
            if brief.settled_at < cutoffs[la]:
                settled.append(case_id)
        for case_id in settled[:limit]:
            case = self.cases[case_id]
            final = case.model_copy(update={"version": case.version + 1, "retired_at": now})
            fx.retired.append((final, self.partition_of(case_id)))
            self.cases.drop(case_id)
        return fx
