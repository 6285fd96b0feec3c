"""What triage writes, and what duty managers send it.

Triage writes cases (``triage.cases``), queue items and decisions (the audit trail); duty
managers send actions (``triage.actions``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.codes import Factor, ReferralSource
from schemas.intake import Origin
from schemas.status import Outcome

# Internal models carry children's details: ValidationErrors never repeat their input.
INTERNAL = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Level(IntEnum):
    """Level of need (1 universal, 2 additional, 3 complex, 4 acute)."""

    UNIVERSAL = 1
    ADDITIONAL = 2
    COMPLEX = 3
    ACUTE = 4


class Rag(StrEnum):
    """Urgency rating shown to duty managers."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    BLUE = "blue"


class CaseState(StrEnum):
    """Where a case is in its life."""

    OPEN = "open"
    ALLOCATED = "allocated"
    CLOSED = "closed"


class ChildIdentity(BaseModel):
    """What identifies a child, as one contact described them."""

    model_config = INTERNAL

    given_name: str | None = Field(default=None, description="Given name.")
    family_name: str | None = Field(default=None, description="Family name.")
    date_of_birth: date | None = Field(default=None, description="Date of birth.")
    expected_date_of_birth: date | None = Field(default=None, description="For an unborn child.")
    sex: str = Field(default="U", description="F, M or U.")
    ethnicity: str | None = Field(default=None, description="Census ethnicity code, if given.")
    nhs_number: str | None = Field(default=None, description="Valid NHS number.")
    upn: str | None = Field(default=None, description="Unique Pupil Number.")
    postcode: str | None = Field(default=None, description="Normalised postcode.")


class MatchKind(StrEnum):
    """How sure identity matching is."""

    SAME = "same"
    POSSIBLE = "possible"


class PossibleMatch(BaseModel):
    """Another case that may be about the same child, awaiting a duty manager's decision."""

    model_config = INTERNAL

    case_id: str = Field(description="The other case.")
    reasons: list[str] = Field(description="Why it may be the same child.")
    status: Literal["pending", "confirmed", "rejected"] = Field(
        default="pending",
        description="The duty manager's decision so far.",
    )


class ContactRecord(BaseModel):
    """One contact on a case: who sent it, what it said, and what the policy made of it."""

    model_config = INTERNAL

    contact_id: str = Field(description="Front Door's id of the contact.")
    organisation_id: str = Field(description="The referring organisation.")
    referral_id: str = Field(description="The referrer's own reference.")
    source: ReferralSource = Field(description="CIN referral source code.")
    received_at: datetime = Field(description="When intake received it.")
    content_hash: str = Field(description="Hash of its content (resubmissions compare equal).")
    summary: str = Field(description="The referrer's account.")
    factors: list[Factor] = Field(description="The concerns' factor codes.")
    level: Level = Field(description="Level the policy gave this contact on its own.")
    outcome: Outcome = Field(description="Outcome the policy gave this contact on its own.")
    rules: list[str] = Field(description="Policy rule ids that fired for this contact.")
    child: ChildIdentity = Field(description="The child as this contact described them.")


class Case(BaseModel):
    """A case: one child in one local authority, its contacts, and where it stands."""

    model_config = INTERNAL

    case_id: str = Field(description="Front Door's id of the case.")
    child_id: str | None = Field(
        default=None,
        description="The council's stable id of the child: shared by every case about the "
        "same child in the LA (the Annex A child id); never the NHS number.",
    )
    local_authority: str = Field(description="DfE LA number.")
    version: int = Field(ge=0, description="Increases by one on every change (1 when opened).")
    state: CaseState = Field(description="open, allocated or closed.")
    level: Level = Field(description="Level of need now.")
    rag: Rag = Field(description="Urgency rating now.")
    outcome: Outcome = Field(description="Where the case is now.")
    strategy_discussion: bool = Field(description="Level 4: a strategy discussion is flagged.")
    decision_due: datetime = Field(description="When a decision on the case is due.")
    rules: list[str] = Field(description="Rule ids behind the current level and outcome.")
    policy_version: str = Field(description="Version of the policy that decided it.")
    override_level: Level | None = Field(default=None, description="A manager's level, if set.")
    override_outcome: Outcome | None = Field(default=None, description="A manager's outcome.")
    override_at: datetime | None = Field(default=None, description="When it was overridden.")
    allocated_to: str | None = Field(default=None, description="Worker it is allocated to.")
    closed_reason: str | None = Field(default=None, description="Why it was closed.")
    opened_at: datetime = Field(description="When the first contact was received.")
    updated_at: datetime = Field(description="When it last changed.")
    contacts: list[ContactRecord] = Field(description="Every linked contact, oldest first.")
    possible_matches: list[PossibleMatch] = Field(
        default_factory=list,
        description="Other cases that may be the same child.",
    )
    merged_into: str | None = Field(default=None, description="Case it was merged into.")
    overdue_since: datetime | None = Field(
        default=None,
        description="When its decision due time passed unanswered, if it has.",
    )
    recent_action_ids: list[str] = Field(
        default_factory=list,
        description="Ids of the last actions applied (to ignore repeats).",
    )
    emergency_duty_since: datetime | None = Field(
        default=None,
        description="When it went to the emergency duty team: red, out of office hours.",
    )
    handed_to_day_team_at: datetime | None = Field(
        default=None,
        description="When the emergency duty team handed it to the day team (off EDT's queue).",
    )

    @property
    def with_emergency_duty(self) -> bool:
        """Whether it is on the emergency duty team's queue now."""
        return (
            self.emergency_duty_since is not None
            and self.handed_to_day_team_at is None
            and self.state is CaseState.OPEN
        )

    retired_at: datetime | None = Field(
        default=None,
        description=(
            "When it left triage's working set, closed longer ago than the look-back window "
            "(set only on `triage.archive`)."
        ),
    )

    def contact(self, contact_id: str) -> ContactRecord | None:
        """The contact with this id on this case, if any."""
        return next((c for c in self.contacts if c.contact_id == contact_id), None)


QueueReason = Literal["opened", "moved", "reopened"]


class QueueItem(BaseModel):
    """A case arriving on a team's queue (``triage.queue.*``), keyed by local authority."""

    model_config = INTERNAL

    queue: Outcome = Field(description="The queue: enquiry-assessment or early-help.")
    reason: QueueReason = Field(description="Why it arrived.")
    case: Case = Field(description="The case as it arrived.")
    emergency_duty: bool = Field(
        default=False,
        description="On the emergency duty team's queue (triage.queue.emergency-duty): a red "
        "case received out of office hours. The same case is on its team's queue too.",
    )


class DecisionKind(StrEnum):
    """What a decision record is about."""

    TRIAGED = "triaged"
    LINKED = "linked"
    DUPLICATE = "duplicate"
    AMENDED = "amended"
    OUTCOME_CHANGED = "outcome-changed"
    ALLOCATED = "allocated"
    OVERRIDDEN = "overridden"
    CLOSED = "closed"
    MATCH_CONFIRMED = "match-confirmed"
    MATCH_REJECTED = "match-rejected"
    ACTION_REFUSED = "action-refused"
    OVERDUE = "overdue"
    HANDED_TO_DAY_TEAM = "handed-to-day-team"


class Decision(BaseModel):
    """One entry of the audit trail (``triage.decisions``).

    Who or what decided, from what to what, and why.
    """

    model_config = INTERNAL

    decision_id: str = Field(description="Unique id of this decision.")
    case_id: str | None = Field(description="The case decided on (none for a refused action).")
    local_authority: str = Field(description="DfE LA number.")
    kind: DecisionKind = Field(description="What was decided.")
    decided_by: str = Field(description="`policy:<version>` or the manager who acted.")
    decided_at: datetime = Field(description="When.")
    contact_id: str | None = Field(default=None, description="The contact that caused it.")
    action_id: str | None = Field(default=None, description="The manager action that caused it.")
    origin: Origin | None = Field(default=None, description="The input record it answers.")
    from_level: Level | None = Field(default=None, description="Level before.")
    to_level: Level | None = Field(default=None, description="Level after.")
    from_outcome: Outcome | None = Field(default=None, description="Outcome before.")
    to_outcome: Outcome | None = Field(default=None, description="Outcome after.")
    rules: list[str] = Field(default_factory=list, description="Policy rule ids that applied.")
    policy_version: str | None = Field(default=None, description="Policy version, if policy.")
    reason: str = Field(description="Why, in words.")


class ActionKind(StrEnum):
    """What a duty manager can do to a case."""

    ALLOCATE = "allocate"
    OVERRIDE = "override"
    CLOSE = "close"
    CONFIRM_MATCH = "confirm-match"
    REJECT_MATCH = "reject-match"
    HAND_TO_DAY_TEAM = "hand-to-day-team"


class ManagerAction(BaseModel):
    """A duty manager's action on ``triage.actions``, keyed by local authority."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action_id: str = Field(min_length=1, max_length=64, description="Unique id (idempotency).")
    kind: ActionKind = Field(description="What to do.")
    case_id: str = Field(description="The case.")
    local_authority: str = Field(description="The case's LA (the partition key).")
    actor: str = Field(min_length=1, max_length=100, description="The signed-in duty manager.")
    reason: str = Field(
        default="", max_length=2000, description="Why (required except to allocate)."
    )
    worker: str | None = Field(
        default=None,
        max_length=100,
        # a name starts with a letter (so never with a spreadsheet formula's = + - @)
        pattern=r"^[^\W\d_][\w .'-]*$",
        description="Allocate: to whom, a person's or team's name (a letter first, then letters, "
        "digits, spaces, . ' -).",
    )
    outcome: Outcome | None = Field(default=None, description="Override: the new outcome.")
    level: Level | None = Field(default=None, description="Override: the new level.")
    match_case_id: str | None = Field(default=None, description="Confirm or reject: which match.")
    submitted_at: datetime = Field(description="When the manager acted.")
