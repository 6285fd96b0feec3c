"""What a case's state means, stated once for triage, the dashboard and the records.

A case is **live** while open or allocated (and not merged into another); it stands on a
team's **queue** while live with an outcome that has a queue. Every manager action but an
allocation needs a reason, which the audit trail records.
"""

from __future__ import annotations

from schemas.status import Outcome
from schemas.triage import ActionKind, Case, CaseState, ChildIdentity, Rag

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
