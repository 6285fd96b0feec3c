"""Duty managers' actions: screen, allocate, override, close, confirm or reject a match, hand over.

"Handed to the day team" is the emergency duty team's note (EDT's managers act like any
other). Each is checked, applied to the case, recorded in the audit trail with who did it and why,
and announced to the case's referrers where it changes what they see. An action that cannot
be applied is recorded as refused, with the reason: nothing a manager does is lost.
"""

from __future__ import annotations

from domain.cases import is_live, needs_reason, waiting_consent_refused
from domain.policy import Policy
from schemas.status import Outcome, Status
from schemas.triage import (
    MAX_CHECKS_PER_CASE,
    MAX_CONTACTS_PER_CASE,
    ActionKind,
    Case,
    CaseState,
    Decision,
    DecisionKind,
    ManagerAction,
    Proposal,
)
from services.triage.engine import Effects, TriageEngine, _id

RECENT_ACTIONS_KEPT = 20
LIVE_ONLY = (ActionKind.ALLOCATE, ActionKind.CLOSE, ActionKind.ASK_CHECKS)


class ActionRefusedError(ValueError):
    """An action that cannot be applied, and why."""


def apply_action(engine: TriageEngine, action: ManagerAction, partition: int) -> Effects:
    """Apply one manager action to the engine's cases."""
    case = engine.cases.get(action.case_id)
    if case is not None and action.action_id in case.recent_action_ids:
        return Effects()  # the same action sent twice: applied once
    try:
        _check_held(engine, action, case)
        _check(action, case)
        if action.kind is ActionKind.SCREEN and case is not None:
            _check_screening(action, case, engine.policy(case.local_authority))
    except ActionRefusedError as refused:
        return _refuse(action, str(refused))
    assert case is not None  # noqa: S101 - _check refuses unknown cases
    recorded = case.model_copy(
        update={
            "recent_action_ids": [*case.recent_action_ids, action.action_id][-RECENT_ACTIONS_KEPT:]
        },
    )
    handlers = {
        ActionKind.ALLOCATE: _allocate,
        ActionKind.OVERRIDE: _override,
        ActionKind.CLOSE: _close,
        ActionKind.CONFIRM_MATCH: _confirm_match,
        ActionKind.REJECT_MATCH: _reject_match,
        ActionKind.HAND_TO_DAY_TEAM: _hand_to_day_team,
        ActionKind.ASK_CHECKS: _ask_checks,
        ActionKind.SCREEN: _screen,
    }
    return handlers[action.kind](engine, recorded, action, partition)


def _check_held(engine: TriageEngine, action: ManagerAction, case: Case | None) -> None:
    """Refuse an action on a case that has left (or is due to leave) the working set."""
    matched = action.match_case_id
    if (
        case is not None
        and matched is not None
        and matched not in engine.cases
        and any(m.case_id == matched for m in case.possible_matches)  # retired since
    ):
        raise ActionRefusedError(_SETTLED.format(case_id=matched))
    for case_id in (action.case_id, matched):
        if (
            case_id is not None
            and case_id in engine.cases
            and engine.is_settled(case_id, action.submitted_at)
        ):
            raise ActionRefusedError(_SETTLED.format(case_id=case_id))


_SETTLED = (
    "case {case_id} was closed longer ago than the look-back window: it is kept in the "
    "records, not in triage's working set"
)


def _check(action: ManagerAction, case: Case | None) -> None:
    if case is None or case.local_authority != action.local_authority:
        raise ActionRefusedError("no such case in this local authority")
    if case.merged_into is not None:
        raise ActionRefusedError(f"the case was merged into {case.merged_into}")
    if needs_reason(action.kind) and not action.reason.strip():
        raise ActionRefusedError("a reason is required")
    if action.kind in LIVE_ONLY and not is_live(case):
        raise ActionRefusedError("the case is closed")
    if action.kind is ActionKind.ALLOCATE:
        _check_allocation(action, case)
    if action.kind is ActionKind.HAND_TO_DAY_TEAM and not case.with_emergency_duty:
        raise ActionRefusedError("the case is not with the emergency duty team")
    if action.kind is ActionKind.OVERRIDE and action.outcome is None and action.level is None:
        raise ActionRefusedError("an override sets an outcome, a level, or both")
    if action.kind in (ActionKind.CONFIRM_MATCH, ActionKind.REJECT_MATCH):
        pending = {m.case_id for m in case.possible_matches if m.status == "pending"}
        if action.match_case_id not in pending:
            raise ActionRefusedError("that case is not a possible match awaiting a decision")


def _check_allocation(action: ManagerAction, case: Case) -> None:
    """An allocation names a worker, of a case a person has placed on a team's queue."""
    if not (action.worker or "").strip():
        raise ActionRefusedError("say who the case is allocated to")
    if case.held:
        raise ActionRefusedError(
            "the case waits for its screening decision: decide where it goes first"
        )


def _check_screening(action: ManagerAction, case: Case, policy: Policy) -> None:
    """A screening decision needs a proposal to decide, and a reason to change it."""
    proposal = case.proposal
    if proposal is None:
        raise ActionRefusedError("nothing on this case waits for a screening decision")
    if _changes(action, proposal) and not action.reason.strip():
        raise ActionRefusedError("say why you change the policy's proposal")
    outcome = _screened_outcome(action, proposal, policy)
    if (
        outcome is Outcome.EARLY_HELP
        and waiting_consent_refused(case)
        and not action.reason.strip()
    ):
        raise ActionRefusedError(
            "early help is voluntary and the family refused consent: say why early help is "
            "still offered, or give information and advice instead"
        )


def _changes(action: ManagerAction, proposal: Proposal) -> bool:
    """Whether a screening decision changes the proposal's level or outcome."""
    return (action.level is not None and action.level != proposal.level) or (
        action.outcome is not None and action.outcome != proposal.outcome
    )


def _screened_outcome(action: ManagerAction, proposal: Proposal, policy: Policy) -> Outcome:
    """The outcome a screening decision leads to (a level alone: that level's outcome)."""
    if action.outcome is not None:
        return action.outcome
    if action.level is None or action.level == proposal.level:
        return proposal.outcome
    return policy.level(action.level).outcome


def _refuse(action: ManagerAction, why: str) -> Effects:
    fx = Effects()
    fx.decisions.append(
        Decision(
            decision_id=_id("d", action.action_id, "refused"),
            case_id=action.case_id,
            local_authority=action.local_authority,
            kind=DecisionKind.ACTION_REFUSED,
            decided_by=action.actor,
            decided_at=action.submitted_at,
            action_id=action.action_id,
            reason=f"{action.kind.value} refused: {why}",
        )
    )
    return fx


def _record(
    engine: TriageEngine,
    *,
    before: Case,
    after: Case,
    action: ManagerAction,
    kind: DecisionKind,
    reason: str,
) -> Decision:
    return engine.decision(
        after,
        kind,
        action.submitted_at,
        action_id=action.action_id,
        before=before,
        decided_by=action.actor,
        reason=reason,
        checks_outstanding=[c.organisation_id for c in before.checks if c.is_open],
    )


def _set_state(
    engine: TriageEngine,
    case: Case,
    action: ManagerAction,
    partition: int,
    *,
    update: dict[str, object],
    kind: DecisionKind,
    status: Status | None,
    reason: str,
) -> Effects:
    """Change the case, record who did it and why, and tell every referrer on it ``status``.

    No status for a change referrers do not see.
    """
    fx = Effects()
    after = engine.save(case.model_copy(update=update), action.submitted_at, fx, partition)
    fx.decisions.append(
        _record(engine, before=case, after=after, action=action, kind=kind, reason=reason),
    )
    if status is not None:
        fx.statuses += [
            engine.status_event(c, status, after, action.submitted_at) for c in after.contacts
        ]
    return fx


def _allocate(engine: TriageEngine, case: Case, action: ManagerAction, partition: int) -> Effects:
    note = f": {action.reason}" if action.reason else ""
    return _set_state(
        engine,
        case,
        action,
        partition,
        update={"state": CaseState.ALLOCATED, "allocated_to": action.worker},
        kind=DecisionKind.ALLOCATED,
        status=Status.ALLOCATED,
        reason=f"allocated to {action.worker}{note}",
    )


def _override(engine: TriageEngine, case: Case, action: ManagerAction, partition: int) -> Effects:
    fx = Effects()
    overridden = case.model_copy(
        update={
            "override_level": action.level or case.level,
            "override_outcome": action.outcome,
            "override_at": action.submitted_at,
        }
    )
    after = engine.reassess(
        overridden, action.submitted_at, fx, partition, reopen=True, person=action.actor
    )
    fx.decisions.append(
        _record(
            engine,
            before=case,
            after=after,
            action=action,
            kind=DecisionKind.OVERRIDDEN,
            reason=action.reason,
        )
    )
    engine.announce_outcome_change(case, after, action.submitted_at, fx)
    return fx


def _close(engine: TriageEngine, case: Case, action: ManagerAction, partition: int) -> Effects:
    return _set_state(
        engine,
        case,
        action,
        partition,
        update={"state": CaseState.CLOSED, "closed_reason": action.reason},
        kind=DecisionKind.CLOSED,
        status=Status.CLOSED,
        reason=action.reason,
    )


def _reject_match(
    engine: TriageEngine, case: Case, action: ManagerAction, partition: int
) -> Effects:
    fx = Effects()
    matches = [
        m.model_copy(update={"status": "rejected"}) if m.case_id == action.match_case_id else m
        for m in case.possible_matches
    ]
    after = engine.save(
        case.model_copy(update={"possible_matches": matches}), action.submitted_at, fx, partition
    )
    fx.decisions.append(
        _record(
            engine,
            before=case,
            after=after,
            action=action,
            kind=DecisionKind.MATCH_REJECTED,
            reason=f"not the same child as case {action.match_case_id}: {action.reason}",
        )
    )
    return fx


def _confirm_match(
    engine: TriageEngine, case: Case, action: ManagerAction, partition: int
) -> Effects:
    """Merge this case's contacts into the matched case, which carries on; this one closes."""
    target = engine.cases[action.match_case_id or ""]
    merged_contacts = sorted([*target.contacts, *case.contacts], key=lambda c: c.received_at)
    if len(merged_contacts) > MAX_CONTACTS_PER_CASE:
        return _refuse(
            action,
            f"the two cases hold {len(merged_contacts)} contacts between them, more than the "
            f"{MAX_CONTACTS_PER_CASE} a case may hold: they stay apart",
        )
    fx = Effects()
    revived = target.state is CaseState.CLOSED and is_live(case)
    combined = target.model_copy(
        update={
            "contacts": merged_contacts,
            "state": CaseState.OPEN if revived else target.state,
            "closed_reason": None if revived else target.closed_reason,
        }
    )
    # the merged case's contacts still waiting for a person wait on the combined case
    waiting = tuple(case.proposal.contact_ids) if case.proposal is not None else ()
    after = engine.reassess(combined, action.submitted_at, fx, partition, contact_ids=waiting)
    matches = [
        m.model_copy(update={"status": "confirmed"}) if m.case_id == target.case_id else m
        for m in case.possible_matches
    ]
    engine.save(
        case.model_copy(
            update={
                "state": CaseState.CLOSED,
                "merged_into": target.case_id,
                "possible_matches": matches,
                "closed_reason": f"same child as case {target.case_id}",
            }
        ),
        action.submitted_at,
        fx,
        partition,
    )
    fx.decisions.append(
        _record(
            engine,
            before=case,
            after=after,
            action=action,
            kind=DecisionKind.MATCH_CONFIRMED,
            reason=f"same child as case {case.case_id}, merged into it: {action.reason}",
        )
    )
    if not after.held:  # the outcome only proposed: nothing to tell until a person decides
        for contact in case.contacts:
            fx.statuses.append(
                engine.status_event(contact, Status.LINKED, after, action.submitted_at)
            )
    engine.announce_outcome_change(target, after, action.submitted_at, fx, skip=None)
    return fx


def _ask_checks(engine: TriageEngine, case: Case, action: ManagerAction, partition: int) -> Effects:
    """A duty manager asks the council's check partners what they know, at any level."""
    changes = engine.ask_checks(case, action.submitted_at, action.actor)
    if not changes.asked:
        if len(case.checks) >= MAX_CHECKS_PER_CASE:
            return _refuse(
                action,
                f"the case has had {len(case.checks)} checks, as many as a case may hold: ask "
                "the partners directly and record what they say",
            )
        return _refuse(
            action, "every partner that answers this council's checks has an open check already"
        )
    fx = Effects()
    asked = engine.with_checks(case, changes, action.submitted_at, fx)
    engine.save(asked, action.submitted_at, fx, partition)
    fx.decisions = [d for d in fx.decisions if d.kind is not DecisionKind.CHECKS_ASKED]
    partners = ", ".join(c.organisation_id for c in changes.asked)
    fx.decisions.append(
        _record(
            engine,
            before=case,
            after=asked,
            action=action,
            kind=DecisionKind.CHECKS_ASKED,
            reason=f"partner checks asked of {partners}: {action.reason}",
        )
    )
    return fx


def _hand_to_day_team(
    engine: TriageEngine, case: Case, action: ManagerAction, partition: int
) -> Effects:
    """EDT's note of what it did; the case leaves its queue (it stays on its team's)."""
    return _set_state(
        engine,
        case,
        action,
        partition,
        update={"handed_to_day_team_at": action.submitted_at},
        kind=DecisionKind.HANDED_TO_DAY_TEAM,
        status=None,  # nothing a referrer sees changes
        reason=action.reason,
    )


def _screen(engine: TriageEngine, case: Case, action: ManagerAction, partition: int) -> Effects:
    """A person's screening decision: confirm the policy's proposal, or change it with a reason.

    One transaction: the case's state, its queue items, the decision (the proposal, who
    decided, whether they agreed, why) and what each referrer is told.
    """
    proposal = case.proposal
    assert proposal is not None  # noqa: S101 - _check_screening refuses a case without one
    changes = _changes(action, proposal)
    decided = case
    if changes:  # as an override: it stands until a later contact raises the case further
        decided = case.model_copy(
            update={
                "override_level": action.level or proposal.level,
                "override_outcome": action.outcome,
                "override_at": action.submitted_at,
            }
        )
    fx = Effects()
    after = engine.reassess(
        decided, action.submitted_at, fx, partition, person=action.actor, screens=True
    )
    what = f"level {proposal.level.value}, {proposal.outcome.value}"
    rules = ", ".join(proposal.rules)
    note = f": {action.reason.strip()}" if action.reason.strip() else ""
    reason = (
        f"changed the policy's proposal ({what}; {rules}) to level {after.level.value}, "
        f"{after.outcome.value}{note}"
        if changes
        else f"confirmed the policy's proposal ({what}; {rules}){note}"
    )
    fx.decisions.append(
        engine.decision(
            after,
            DecisionKind.SCREENED,
            action.submitted_at,
            action_id=action.action_id,
            before=case,
            decided_by=action.actor,
            reason=reason,
            checks_outstanding=[c.organisation_id for c in case.checks if c.is_open],
            proposal=proposal,
            agreed=not changes,
        )
    )
    engine.announce_outcome_change(case, after, action.submitted_at, fx)
    return fx
