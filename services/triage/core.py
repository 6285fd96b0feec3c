"""The triage engine's core: its state, saving a case, and the steps every decision shares.

The state is the working set of cases; a case is saved with its partner checks; the shared
steps reassess a case, announce a change to its referrers and record the decision.

:class:`services.triage.engine.TriageEngine` is this core with its inputs: referrals (there),
the clock (:mod:`services.triage.clock`) and partners' check answers
(:mod:`services.triage.check_answers`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.cases import QUEUES, is_live, is_queued
from domain.policies import PolicyBook
from domain.policy import Policy
from schemas.checks import CheckReceipt
from schemas.contact import uuid5_hex
from schemas.encompass import Notice
from schemas.intake import Origin
from schemas.status import Outcome, Status, StatusEvent
from schemas.triage import (
    Case,
    CaseState,
    Check,
    CheckRequest,
    ContactRecord,
    Decision,
    DecisionKind,
    Proposal,
    QueueItem,
    QueueReason,
    Rag,
)
from services.triage import checks
from services.triage.assessment import Assessment, assess
from services.triage.checks import CheckChanges, CheckPartners
from services.triage.matching import IdentityMatch
from services.triage.working_set import Brief, WorkingSet

ID_NAMESPACE = uuid.UUID("0b7c5a8e-2f4d-4e7a-9c1b-6d3e8f2a1c40")


@dataclass
class Effects:
    """What one input did: records to write, all in the input's transaction."""

    cases: list[tuple[Case, int]] = field(default_factory=list)
    queue_items: list[QueueItem] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    statuses: list[StatusEvent] = field(default_factory=list)
    retired: list[tuple[Case, int]] = field(default_factory=list)  # final state: the archive
    # to partners' checks.requests.<org>: requests, reminders, withdrawals, answer receipts
    check_messages: list[tuple[str, CheckRequest | CheckReceipt]] = field(default_factory=list)
    # Operation Encompass notices' new states, by partition (``encompass.notices``)
    notices: list[tuple[Notice, int]] = field(default_factory=list)
    # each saved case's JSON, by (case id, version): serialised once, for the working set and
    # for ``triage.cases`` alike
    case_json: dict[tuple[str, int], bytes] = field(default_factory=dict)

    def json_of(self, case: Case) -> bytes:
        """``case``'s JSON as saved (serialised now if it was not saved through these effects)."""
        json = self.case_json.get((case.case_id, case.version))
        return json if json is not None else case.model_dump_json().encode()

    def answering(self, origin: Origin) -> Decision:
        """The decision that answers the input read at ``origin`` (checks asked come beside)."""
        return next(d for d in self.decisions if d.origin == origin)

    def extend(self, other: Effects) -> None:
        """Append another input's effects after these."""
        self.cases += other.cases
        self.queue_items += other.queue_items
        self.decisions += other.decisions
        self.statuses += other.statuses
        self.retired += other.retired
        self.check_messages += other.check_messages
        self.notices += other.notices
        self.case_json |= other.case_json


@dataclass(frozen=True, slots=True)
class _Matches:
    same_open: list[Case]
    same_any: list[Case]
    possible: list[tuple[Case, IdentityMatch]]
    differences: dict[str, tuple[str, ...]]  # by case: what the new contact records otherwise


def _state_after(case: Case, outcome: Outcome, *, by_person: bool, reopens: bool) -> CaseState:
    """A case's state after a reassessment: only a person closes; a raise or a person reopens."""
    if by_person and outcome is Outcome.NO_FURTHER_ACTION and is_live(case):
        return CaseState.CLOSED
    if case.state is CaseState.CLOSED and (reopens or (by_person and outcome in QUEUES)):
        return CaseState.OPEN
    return case.state


def _id(prefix: str, *parts: object) -> str:
    return f"{prefix}-" + uuid5_hex(ID_NAMESPACE, "\x1f".join(map(str, parts)))[:20]


class EngineCore:
    """Holds the cases of the partitions this process owns; the steps every input shares."""

    def __init__(
        self, policies: PolicyBook, check_partners: CheckPartners = checks.no_partners
    ) -> None:
        """Decide each council's contacts with its policy, on its working calendar.

        ``check_partners`` says which organisations answer a council's partner checks (the
        partner registry, as it stands).
        """
        self.policies = policies
        self.check_partners = check_partners
        self.cases = WorkingSet()

    def policy(self, local_authority: str) -> Policy:
        """The policy of the council whose contacts are being decided."""
        return self.policies.for_la(local_authority)

    # --- state -------------------------------------------------------------------------------

    def load(self, case: Case, partition: int, json: bytes | None = None) -> None:
        """Take ``case`` as the current state of that case (restore, or after a change)."""
        self.cases.put(case, partition, json)

    def forget_partition(self, partition: int) -> None:
        """Drop the cases of a partition this process no longer owns."""
        self.cases.forget_partition(partition)

    def partition_of(self, case_id: str) -> int:
        """The partition a held case belongs to."""
        return self.cases.briefs[case_id].partition

    def settled(self, brief: Brief, at: datetime) -> bool:
        """Whether a case was closed longer ago than its policy's look-back window, at ``at``.

        Nothing of a settled case counts in a decision made at ``at``: none of its contacts is
        within the window, and a closed case takes no new contact.
        """
        return brief.state is CaseState.CLOSED and brief.settled_at < self.window_start(
            brief.local_authority, at
        )

    def window_start(self, la: str, at: datetime) -> datetime:
        """The start of ``la``'s look-back window for a decision made at ``at``."""
        return at - timedelta(days=self.policy(la).repeat_window_days)

    def is_settled(self, case_id: str, at: datetime) -> bool:
        """Whether the held case ``case_id`` is settled at ``at``."""
        return self.settled(self.cases.briefs[case_id], at)

    def save(self, case: Case, at: datetime, fx: Effects, partition: int) -> Case:
        """Store the next version of ``case`` and add it to the effects.

        Its partner checks follow it: asked when it stands at level 3 or 4, withdrawn when it
        falls below or closes, in the same transaction as the change.
        """
        policy = self.policy(case.local_authority)
        changes = checks.synced(case, at, self.check_partners(case.local_authority), policy)
        case = self.with_checks(case, changes, at, fx)
        saved = case.model_copy(update={"version": case.version + 1, "updated_at": at})
        json = saved.model_dump_json().encode()
        self.cases.put(saved, partition, json)
        fx.cases.append((saved, partition))
        fx.case_json[saved.case_id, saved.version] = json
        return saved

    # --- partner checks ----------------------------------------------------------------------

    def with_checks(self, case: Case, changes: CheckChanges, at: datetime, fx: Effects) -> Case:
        """``case`` with ``changes`` to its checks; their messages and decisions into ``fx``."""
        if not changes.changed:
            return case
        fx.check_messages += changes.messages
        for kind, done, what in (
            (DecisionKind.CHECKS_ASKED, changes.asked, "asked"),
            (DecisionKind.CHECKS_WITHDRAWN, changes.withdrawn, "withdrawn"),
            (DecisionKind.CHECK_OVERDUE, changes.overdue, "overdue"),
        ):
            if done:
                fx.decisions.append(self._check_decision(case, kind, done, at, what))
        return case.model_copy(update={"checks": changes.checks})

    def _check_decision(
        self, case: Case, kind: DecisionKind, done: list[Check], at: datetime, what: str
    ) -> Decision:
        ids = sorted(c.request_id for c in done)
        partners = ", ".join(f"{c.organisation_id} ({c.agency})" for c in done)
        due = {c.due for c in done}
        when = (
            f", due {min(due).isoformat(timespec='minutes')}"
            if kind is DecisionKind.CHECKS_ASKED
            else ""
        )
        reason = {
            DecisionKind.CHECKS_WITHDRAWN: f": {done[0].withdrawn_reason}",
            DecisionKind.CHECK_OVERDUE: ": no answer by the due time",
        }.get(kind, "")
        return Decision(
            decision_id=_id("d", case.case_id, kind.value, *ids),
            case_id=case.case_id,
            local_authority=case.local_authority,
            kind=kind,
            decided_by=done[0].asked_by if kind is DecisionKind.CHECKS_ASKED else "clock",
            decided_at=at,
            to_level=case.level,
            to_outcome=case.outcome,
            rules=list(case.rules),
            reason=f"partner checks {what}: {partners}{when}{reason}",
        )

    # --- shared steps --------------------------------------------------------------------------

    def reassess(
        self,
        case: Case,
        at: datetime,
        fx: Effects,
        partition: int,
        *,
        opening: bool = False,
        reopen: bool = False,
        contact_ids: tuple[str, ...] = (),
        person: str | None = None,
        screens: bool = False,
    ) -> Case:
        """Apply the policy to the case's contacts, move it between queues, save it.

        The policy *proposes* (DOMAIN B "Who decides"): new contacts (``contact_ids``) put the
        case on the screening queue with the policy's proposal, for a person to decide. The
        machine may raise, never lower or close: a proposal of enquiry and assessment acts at
        once; one of early help or no further action only waits (a new case *held* until a
        person decides). A ``person``'s decision (an override, a screening decision that
        ``screens``) acts whatever it is: no further action closes the case.
        """
        policy = self.policy(case.local_authority)
        assessment = assess(case, policy)
        proposal = self._proposal(case, assessment, at, contact_ids)
        held_before = case.held and not opening
        raises = assessment.outcome is Outcome.ENQUIRY_ASSESSMENT and (
            case.outcome is not Outcome.ENQUIRY_ASSESSMENT or assessment.level > case.level
        )
        takes = opening or person is not None or held_before or raises
        level, outcome = (
            (assessment.level, assessment.outcome) if takes else (case.level, case.outcome)
        )
        changed = opening or (level, outcome) != (case.level, case.outcome)
        state = _state_after(case, outcome, by_person=person is not None, reopens=reopen and raises)
        update: dict[str, object] = {"state": state, "proposal": None if screens else proposal}
        if takes:
            update |= {
                "level": assessment.level,
                "outcome": assessment.outcome,
                "rag": assessment.rag,
                "rules": assessment.rules,
                "strategy_discussion": assessment.strategy_discussion,
                "policy_version": policy.version,
            }
        if person is not None:
            update |= {"screened_outcome": outcome, "screened_by": person, "screened_at": at}
        if state is CaseState.CLOSED and case.state is not CaseState.CLOSED:
            update["closed_reason"] = "no further action: advice and signposting"
        elif state is not CaseState.CLOSED:
            update["closed_reason"] = None
        if changed:
            update["decision_due"] = policy.decision_due(level, at)
            update["overdue_since"] = None
        to_emergency_duty = (
            takes
            and state is CaseState.OPEN
            and assessment.rag is Rag.RED
            and (opening or raises or case.state is CaseState.CLOSED)
            and not case.with_emergency_duty
            and policy.emergency_duty(assessment.level, at)
        )
        if to_emergency_duty:  # red does not wait for the office to open
            update |= {"emergency_duty_since": at, "handed_to_day_team_at": None}
        saved = self.save(case.model_copy(update=update), at, fx, partition)
        self._queue(case, saved, fx, opening=opening or held_before)
        if to_emergency_duty:
            fx.queue_items.append(
                QueueItem(queue=saved.outcome, reason="opened", case=saved, emergency_duty=True)
            )
        if contact_ids and saved.proposal is not None:
            fx.queue_items.append(
                QueueItem(
                    queue=saved.proposal.outcome, reason="proposed", case=saved, screening=True
                )
            )
        return saved

    def _proposal(
        self, case: Case, assessment: Assessment, at: datetime, contact_ids: tuple[str, ...]
    ) -> Proposal | None:
        """The policy's proposal for ``case``, with new contacts; the pending one without."""
        pending = case.proposal
        if not contact_ids:
            return pending
        policy = self.policy(case.local_authority)
        due = policy.decision_due(assessment.level, at)
        if pending is not None and pending.due <= due:  # a new contact never gives more time
            due = pending.due
        waiting = list(pending.contact_ids) if pending is not None else []
        return Proposal(
            level=assessment.level,
            outcome=assessment.outcome,
            rag=assessment.rag,
            rules=assessment.rules,
            policy_version=policy.version,
            proposed_at=at,
            due=due,
            contact_ids=list(dict.fromkeys([*waiting, *contact_ids])),
            overdue_since=pending.overdue_since
            if pending is not None and pending.due == due
            else None,
        )

    @staticmethod
    def _queue(before: Case, after: Case, fx: Effects, *, opening: bool) -> None:
        """The team queues' items for a case that arrived on, moved between or left them."""
        was_queued = not opening and is_queued(before)
        now_queued = is_queued(after)
        moved = before.outcome != after.outcome
        if now_queued and (not was_queued or moved):
            reason: QueueReason = (
                "opened"
                if opening or before.held
                else "reopened"
                if before.state is CaseState.CLOSED
                else "moved"
            )
            fx.queue_items.append(QueueItem(queue=after.outcome, reason=reason, case=after))
        if was_queued and (not now_queued or moved):
            fx.queue_items.append(QueueItem(queue=before.outcome, reason="withdrawn", case=after))

    def announce_outcome_change(
        self,
        before: Case,
        after: Case,
        at: datetime,
        fx: Effects,
        skip: str | None = None,
    ) -> None:
        """Tell every referrer on the case (but ``skip``) that its outcome or state changed.

        Nobody is told an outcome the policy only proposed (a held case): when a person decides
        it, or the machine raises it to enquiry and assessment, they hear it for the first time.
        """
        if after.held:
            return
        if before.held:
            status = Status.TRIAGED
        elif before.outcome == after.outcome and before.state == after.state:
            return
        else:
            status = Status.CLOSED if after.state is CaseState.CLOSED else Status.OUTCOME_CHANGED
        for contact in after.contacts:
            if contact.contact_id != skip:
                fx.statuses.append(self.status_event(contact, status, after, at))

    def status_event(
        self, contact: ContactRecord, status: Status, case: Case, at: datetime
    ) -> StatusEvent:
        """The status event telling a contact's referrer where its case stands."""
        return StatusEvent(
            contact_id=contact.contact_id,
            referral_id=contact.referral_id,
            organisation_id=contact.organisation_id,
            status=status,
            outcome=None if case.held else case.outcome,  # a proposal is told to nobody
            decision_due=case.decision_due if is_live(case) else None,
            occurred_at=at,
            emergency_duty=case.with_emergency_duty,
        )

    def decision(
        self,
        case: Case,
        kind: DecisionKind,
        at: datetime,
        *,
        reason: str,
        contact_id: str | None = None,
        action_id: str | None = None,
        origin: Origin | None = None,
        before: Case | None = None,
        decided_by: str | None = None,
        checks_outstanding: list[str] | None = None,
        proposal: Proposal | None = None,
        agreed: bool | None = None,
    ) -> Decision:
        """An audit-trail entry for ``case``, decided by the policy or by a manager.

        A manager's decision names ``checks_outstanding``: the partners whose checks were still
        open (decided without them).
        """
        key = (origin.topic, origin.partition, origin.offset) if origin else (action_id, kind)
        version = self.policy(case.local_authority).version
        return Decision(
            decision_id=_id("d", *key),
            case_id=case.case_id,
            local_authority=case.local_authority,
            kind=kind,
            decided_by=decided_by or f"policy:{version}",
            decided_at=at,
            contact_id=contact_id,
            action_id=action_id,
            origin=origin,
            from_level=before.level if before else None,
            to_level=case.level,
            from_outcome=before.outcome if before else None,
            to_outcome=case.outcome,
            rules=list(case.rules),
            policy_version=version if decided_by is None else None,
            reason=reason,
            checks_outstanding=checks_outstanding or [],
            proposal=proposal,
            agreed=agreed,
        )
