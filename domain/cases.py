"""What a case's state means, stated once for triage, the dashboard and the records.

A case is **live** while open or allocated (and not merged into another); it stands on a
team's **queue** while live with an outcome that has a queue. Every manager action but an
allocation needs a reason, which the audit trail records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.codes import ConsentStatus
from schemas.status import Outcome
from schemas.triage import ActionKind, Case, CaseState, ChildIdentity, Level, Proposal, Rag

QUEUES = (Outcome.ENQUIRY_ASSESSMENT, Outcome.EARLY_HELP)
RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.BLUE: 3}
# a screening decision that confirms the proposal needs none; one that changes it does
REASON_REQUIRED = frozenset(set(ActionKind) - {ActionKind.ALLOCATE, ActionKind.SCREEN})


def is_live(case: Case) -> bool:
    """Open or allocated, and not merged into another case."""
    return case.state is not CaseState.CLOSED and case.merged_into is None


def is_queued(case: Case) -> bool:
    """Whether a case stands on a team's queue (a proposal waiting for a person does not)."""
    return is_live(case) and case.outcome in QUEUES and not case.held


def needs_reason(kind: ActionKind) -> bool:
    """Whether a manager must say why when taking this action."""
    return kind in REASON_REQUIRED


def known_child(case: Case) -> ChildIdentity:
    """The child as the case's contacts describe them: each detail as most recently given."""
    known: dict[str, object] = {}
    for contact in sorted(case.contacts, key=lambda c: c.received_at):
        known |= {
            name: value
            for name, value in contact.child.model_dump().items()
            if value is not None and not (name == "sex" and value == "U")
        }
    return ChildIdentity.model_validate(known)


SAID_KEPT_CHARS = 280  # what the screening page shows of each waiting contact's account


@dataclass(frozen=True, slots=True)
class CaseLine:
    """What a queue's row shows of a case, stored beside it so a page never parses a case."""

    case_id: str
    local_authority: str
    child_name: str
    state: CaseState
    level: Level
    rag: Rag
    outcome: Outcome
    decision_due: datetime
    strategy_discussion: bool
    sources: list[str]
    contacts: int
    pending_matches: int


@dataclass(frozen=True, slots=True)
class Said:
    """What the screening page shows of one contact waiting for a person's decision."""

    organisation_id: str
    received_at: datetime
    consent_refused: bool
    summary: str


@dataclass(frozen=True, slots=True)
class ScreeningLine:
    """A proposal as the screening page's row shows it."""

    line: CaseLine
    proposal: Proposal
    waiting: list[Said]
    screened_outcome: Outcome | None
    screened_by: str | None


def child_name(case: Case) -> str:
    """The child as a queue names them: as the newest contact did."""
    child = case.contacts[-1].child if case.contacts else ChildIdentity()
    return f"{child.given_name or 'Unborn'} {child.family_name or ''}".strip()


def line_of(case: Case) -> CaseLine:
    """What a queue's row shows of ``case``."""
    return CaseLine(
        case_id=case.case_id,
        local_authority=case.local_authority,
        child_name=child_name(case),
        state=case.state,
        level=case.level,
        rag=case.rag,
        outcome=case.outcome,
        decision_due=case.decision_due,
        strategy_discussion=case.strategy_discussion,
        sources=sorted({c.organisation_id for c in case.contacts}),
        contacts=len(case.contacts),
        pending_matches=sum(1 for m in case.possible_matches if m.status == "pending"),
    )


def waiting_consent_refused(case: Case) -> bool:
    """Whether the family refused consent on a contact waiting for a person's decision.

    Early help is voluntary: early help then needs a recorded reason (DOMAIN B "Who decides").
    """
    waiting = set(case.proposal.contact_ids) if case.proposal is not None else set()
    return any(c.consent is ConsentStatus.REFUSED for c in case.contacts if c.contact_id in waiting)


def said_of(case: Case) -> list[Said]:
    """What each contact waiting for a person's decision said (the start of each account)."""
    waiting = set(case.proposal.contact_ids) if case.proposal is not None else set()
    return [
        Said(
            organisation_id=c.organisation_id,
            received_at=c.received_at,
            consent_refused=c.consent is ConsentStatus.REFUSED,
            summary=c.summary[:SAID_KEPT_CHARS],
        )
        for c in case.contacts
        if c.contact_id in waiting
    ]
