"""The triage core: what each accepted referral and each manager action does to the cases.

Pure and in memory: the service feeds it records and writes the effects it returns (cases,
queue items, decisions, status events, retirements) in one Kafka transaction with the consumed
offsets; ``frontdoor replay`` feeds it a file. Its whole state can be rebuilt from the cases it
emitted.

The working set is bounded (DESIGN.md section 8): a case closed longer ago than its policy's
look-back window is *settled*. Decisions never read a settled case (no contact of it is within
the window, and only live cases take new contacts), so a contact about its child, or even a late
amendment of one of its contacts, opens a new case. The clock then retires settled cases (a
tombstone and the final state to the archive) a margin later; whether a settled case has been
retired yet or not, every decision is the same.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.cases import QUEUES, is_live
from domain.policies import PolicyBook
from domain.policy import Policy
from schemas.checks import CheckMessageKind, CheckReceipt, ReceivedAnswer
from schemas.contact import uuid5_hex
from schemas.encompass import Notice
from schemas.intake import AcceptedReferral, Origin
from schemas.status import FieldError, Outcome, Status, StatusEvent
from schemas.triage import (
    MAX_CONTACTS_PER_CASE,
    MAX_POSSIBLE_MATCHES,
    Case,
    CaseState,
    Check,
    CheckRequest,
    ContactRecord,
    Decision,
    DecisionKind,
    MatchKind,
    PossibleMatch,
    QueueItem,
    QueueReason,
    Rag,
)
from services.triage import checks
from services.triage.assessment import assess, child_identity, contact_record
from services.triage.checks import AnswerRefusedError, CheckChanges, CheckPartners
from services.triage.matching import IdentityMatch, match_child
from services.triage.working_set import Brief, WorkingSet

FULL_CASE = (
    f"the same child: their open case holds {MAX_CONTACTS_PER_CASE} contacts, as many as a case "
    "may, so this contact opened a case of its own"
)
ID_NAMESPACE = uuid.UUID("0b7c5a8e-2f4d-4e7a-9c1b-6d3e8f2a1c40")
# How long after it settles a case is retired: room for a referral accepted before then but
# triaged after (a backlog), so retiring never gets ahead of the decisions that ignore it.
RETIRE_MARGIN = timedelta(days=7)
RETIRE_BATCH = 2000  # cases retired per tick at most, so each transaction stays small


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


def _id(prefix: str, *parts: object) -> str:
    return f"{prefix}-" + uuid5_hex(ID_NAMESPACE, "\x1f".join(map(str, parts)))[:20]


class TriageEngine:
    """Holds the cases of the partitions this process owns and decides every input."""

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

    # --- referrals ---------------------------------------------------------------------------

    def on_referral(self, accepted: AcceptedReferral, partition: int) -> Effects:
        """Decide one accepted referral: duplicate, amendment, link, or a new case."""
        known_case = self.cases.contact_case.get(accepted.contact_id)
        if known_case is not None and not self.is_settled(known_case, accepted.received_at):
            case = self.cases[known_case]
            existing = case.contact(accepted.contact_id)
            if existing is not None and existing.content_hash == accepted.content_hash:
                return self._duplicate(case, existing, accepted)
            return self._amend(case, accepted, partition)
        matches = self._match(accepted)
        prior = self._prior_contacts(
            accepted.referral.local_authority, matches.same_any, accepted.received_at
        )
        contact = contact_record(self.policy(accepted.referral.local_authority), accepted, prior)
        takes = [case for case in matches.same_open if not case.full]
        if takes:
            target = max(takes, key=lambda c: c.opened_at)
            differs = matches.differences.get(target.case_id, ())
            return self._link(target, contact, accepted.origin, partition, differs)
        # The child's open cases are full: a case of its own, shown beside them for a person
        # to see (a case travels whole in one record and must stay under the broker's limit).
        full = [(case, IdentityMatch(MatchKind.SAME, (FULL_CASE,))) for case in matches.same_open]
        matches = _Matches([], matches.same_any, [*full, *matches.possible], matches.differences)
        return self._open(
            contact,
            matches,
            accepted.origin,
            partition,
            accepted.referral.local_authority,
        )

    def _match(self, accepted: AcceptedReferral) -> _Matches:
        la = accepted.referral.local_authority
        new = child_identity(accepted.referral.child)
        same_open: list[Case] = []
        same_any: list[Case] = []
        possible: list[tuple[Case, IdentityMatch]] = []
        differences: dict[str, tuple[str, ...]] = {}
        for case_id in sorted(self.cases.indexes[la].candidates(new)):
            if self.is_settled(case_id, accepted.received_at):
                continue
            case = self.cases[case_id]
            found = [m for c in case.contacts if (m := match_child(new, c.child)) is not None]
            same = [m for m in found if m.kind is MatchKind.SAME]
            if same:
                same_any.append(case)
                if is_live(case):
                    same_open.append(case)
                differences[case_id] = tuple(
                    dict.fromkeys(r for m in same for r in m.reasons if "differ" in r)
                )
            elif found and case.merged_into is None:
                possible.append((case, found[0]))
        return _Matches(same_open, same_any, possible, differences)

    def _prior_contacts(self, la: str, cases: list[Case], received_at: datetime) -> int:
        start = self.window_start(la, received_at)
        return sum(
            1
            for case in cases
            for contact in case.contacts
            if start <= contact.received_at <= received_at
        )

    def _duplicate(self, case: Case, contact: ContactRecord, accepted: AcceptedReferral) -> Effects:
        fx = Effects()
        fx.decisions.append(
            self.decision(
                case,
                DecisionKind.DUPLICATE,
                accepted.received_at,
                contact_id=contact.contact_id,
                origin=accepted.origin,
                reason="resubmission with identical content: nothing new",
            )
        )
        fx.statuses.append(self.status_event(contact, Status.DUPLICATE, case, accepted.received_at))
        return fx

    def _amend(self, case: Case, accepted: AcceptedReferral, partition: int) -> Effects:
        fx = Effects()
        old = case.contact(accepted.contact_id)
        assert old is not None  # noqa: S101 - contact_case points at the case holding it
        # Every fact as it stands: the child's other contacts in the window, in this case or in
        # any other (closed) case, so a corrected typo never undoes an escalation.
        cases = {case.case_id: case} | {c.case_id: c for c in self._match(accepted).same_any}
        start = self.window_start(case.local_authority, old.received_at)
        prior = sum(
            1
            for known in cases.values()
            if known.merged_into is None or known.case_id == case.case_id
            for c in known.contacts
            if c.contact_id != old.contact_id and start <= c.received_at <= old.received_at
        )
        amended = contact_record(self.policy(case.local_authority), accepted, prior).model_copy(
            update={"received_at": old.received_at},
        )
        contacts = [amended if c.contact_id == old.contact_id else c for c in case.contacts]
        updated = self.reassess(
            case.model_copy(update={"contacts": contacts}),
            accepted.received_at,
            fx,
            partition,
            reopen=True,
        )
        fx.decisions.append(
            self.decision(
                updated,
                DecisionKind.AMENDED,
                accepted.received_at,
                contact_id=amended.contact_id,
                origin=accepted.origin,
                before=case,
                reason="the referrer amended this contact",
            )
        )
        fx.statuses.append(
            self.status_event(amended, Status.AMENDED, updated, accepted.received_at)
        )
        self.announce_outcome_change(
            case, updated, accepted.received_at, fx, skip=amended.contact_id
        )
        return fx

    def _link(
        self,
        case: Case,
        contact: ContactRecord,
        origin: Origin,
        partition: int,
        differs: tuple[str, ...] = (),
    ) -> Effects:
        fx = Effects()
        # An equal NHS number links whatever else differs; the duty manager sees what does.
        noted = f"; check the record: {', '.join(differs)}" if differs else ""
        with_contact = case.model_copy(update={"contacts": [*case.contacts, contact]})
        updated = self.reassess(with_contact, contact.received_at, fx, partition)
        fx.decisions.append(
            self.decision(
                updated,
                DecisionKind.LINKED,
                contact.received_at,
                contact_id=contact.contact_id,
                origin=origin,
                before=case,
                reason="a contact about a child with an open case is linked to it" + noted,
            )
        )
        fx.statuses.append(self.status_event(contact, Status.LINKED, updated, contact.received_at))
        self.announce_outcome_change(
            case, updated, contact.received_at, fx, skip=contact.contact_id
        )
        return fx

    def _open(
        self,
        contact: ContactRecord,
        matches: _Matches,
        origin: Origin,
        partition: int,
        la: str,
    ) -> Effects:
        fx = Effects()
        at = contact.received_at
        policy = self.policy(la)
        # The same child's earlier (closed) cases lend the new one their child id.
        earlier = [c.child_id for c in sorted(matches.same_any, key=lambda c: c.opened_at)]
        # A late amendment of a settled case's contact opens a case of its own, under a new id.
        case_id = _id("case", contact.contact_id, at.isoformat())
        draft = Case(
            case_id=case_id,
            child_id=next((c for c in reversed(earlier) if c), None) or _id("child", case_id),
            local_authority=la,
            version=0,
            state=CaseState.OPEN,
            level=contact.level,
            rag=policy.level(contact.level).rag,
            outcome=contact.outcome,
            strategy_discussion=False,
            decision_due=at,
            rules=[],
            policy_version=policy.version,
            opened_at=at,
            updated_at=at,
            contacts=[contact],
            possible_matches=[
                PossibleMatch(case_id=case.case_id, reasons=list(match.reasons))
                for case, match in matches.possible[:MAX_POSSIBLE_MATCHES]
            ],
        )
        case = self.reassess(draft, at, fx, partition, opening=True)
        fx.decisions.append(
            self.decision(
                case,
                DecisionKind.TRIAGED,
                at,
                contact_id=contact.contact_id,
                origin=origin,
                reason=f"new case at level {case.level.value}: " + ", ".join(case.rules),
            )
        )
        fx.statuses.append(self.status_event(contact, Status.TRIAGED, case, at))
        return fx

    # --- the clock ---------------------------------------------------------------------------

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
                Decision(
                    decision_id=_id("d", case.case_id, "overdue", case.decision_due.isoformat()),
                    case_id=case.case_id,
                    local_authority=case.local_authority,
                    kind=DecisionKind.OVERDUE,
                    decided_by="clock",
                    decided_at=now,
                    to_level=case.level,
                    to_outcome=case.outcome,
                    rules=list(case.rules),
                    reason=(
                        f"decision was due at {case.decision_due.isoformat()}; "
                        "none made and not allocated"
                    ),
                )
            )
            fx.statuses += [
                self.status_event(c, Status.OVERDUE, flagged, now) for c in flagged.contacts
            ]
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
    ) -> Case:
        """Apply the policy to the case's contacts, move it between queues, save it."""
        policy = self.policy(case.local_authority)
        assessment = assess(case, policy)
        changed = opening or (assessment.level, assessment.outcome) != (case.level, case.outcome)
        raised = assessment.level > case.level
        state = case.state
        if assessment.outcome is Outcome.NO_FURTHER_ACTION and is_live(case):
            state = CaseState.CLOSED
        elif reopen and raised and state is CaseState.CLOSED:
            state = CaseState.OPEN
        update: dict[str, object] = {
            "level": assessment.level,
            "outcome": assessment.outcome,
            "rag": assessment.rag,
            "rules": assessment.rules,
            "strategy_discussion": assessment.strategy_discussion,
            "policy_version": policy.version,
            "state": state,
        }
        if state is CaseState.CLOSED and case.state is not CaseState.CLOSED:
            update["closed_reason"] = "no further action: advice and signposting"
        if changed:
            update["decision_due"] = policy.decision_due(assessment.level, at)
            update["overdue_since"] = None
        to_emergency_duty = (
            state is CaseState.OPEN
            and assessment.rag is Rag.RED
            and (opening or raised or case.state is CaseState.CLOSED)
            and not case.with_emergency_duty
            and policy.emergency_duty(assessment.level, at)
        )
        if to_emergency_duty:  # red does not wait for the office to open
            update |= {"emergency_duty_since": at, "handed_to_day_team_at": None}
        saved = self.save(case.model_copy(update=update), at, fx, partition)
        was_queued = not opening and is_live(case) and case.outcome in QUEUES
        now_queued = state is not CaseState.CLOSED and assessment.outcome in QUEUES
        reason: QueueReason = (
            "opened" if opening else "reopened" if case.state is CaseState.CLOSED else "moved"
        )
        if now_queued and (opening or not was_queued or assessment.outcome != case.outcome):
            fx.queue_items.append(QueueItem(queue=assessment.outcome, reason=reason, case=saved))
        if to_emergency_duty:
            fx.queue_items.append(
                QueueItem(queue=assessment.outcome, reason=reason, case=saved, emergency_duty=True)
            )
        return saved

    def announce_outcome_change(
        self,
        before: Case,
        after: Case,
        at: datetime,
        fx: Effects,
        skip: str | None = None,
    ) -> None:
        """Tell every referrer on the case (but ``skip``) that its outcome or state changed."""
        if before.outcome == after.outcome and before.state == after.state:
            return
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
            outcome=case.outcome,
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
        )
