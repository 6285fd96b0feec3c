"""What triage writes, and what duty managers send it.

Triage writes cases (``triage.cases``), queue items and decisions (the audit trail); duty
managers send actions (``triage.actions``).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.checks import (
    CheckAnswer,
    CheckFlag,
    CheckMessageKind,
    CheckResult,
)
from schemas.codes import ConsentStatus, Factor, ReferralSource
from schemas.intake import Origin
from schemas.referral import PlainText
from schemas.status import Outcome

# Internal models carry children's details: ValidationErrors never repeat their input.
INTERNAL = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

# A case travels whole in one Kafka record (``triage.cases`` and every queue item), and the
# broker refuses a record over 1 MB: so a case is bounded by design, whatever partners send.
# Each contact keeps the start of the referrer's account (the whole referral is kept by the
# records service, from ``referrals.accepted``); a full case takes no more contacts (the next
# one opens a case of its own, shown as a possible match); checks and matches are capped.
# tests/unit/test_case_bounds.py builds the largest case these allow and checks it fits.
SUMMARY_KEPT_CHARS = 1000
MAX_CONTACTS_PER_CASE = 50
MAX_CHECKS_PER_CASE = 10
MAX_POSSIBLE_MATCHES = 20
CASE_RECORD_MAX_BYTES = 1_000_000  # the topics' max.message.bytes is 1,048,588: room for headers


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
    summary: str = Field(
        description=f"The start of the referrer's account (its first {SUMMARY_KEPT_CHARS} "
        "characters; the records keep the whole referral)."
    )
    summary_cut: bool = Field(
        default=False, description="Whether the account is longer than what is kept here."
    )
    factors: list[Factor] = Field(description="The concerns' factor codes.")
    level: Level = Field(description="Level the policy gave this contact on its own.")
    outcome: Outcome = Field(description="Outcome the policy gave this contact on its own.")
    rules: list[str] = Field(description="Policy rule ids that fired for this contact.")
    child: ChildIdentity = Field(description="The child as this contact described them.")
    consent: ConsentStatus | None = Field(
        default=None,
        description="The family's consent as the referrer recorded it (early help is voluntary).",
    )


class CheckState(StrEnum):
    """Where a partner check stands (an open check past its due time is overdue)."""

    OPEN = "open"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"


class RecordedAnswer(BaseModel):
    """A partner's answer as the case keeps it: the answer, when it arrived, whether late."""

    model_config = INTERNAL

    result: CheckResult = Field(description="information, no-trace or declined.")
    information: str | None = Field(default=None, description="What the partner holds.")
    flags: list[CheckFlag] = Field(default_factory=list, description="Markers on information.")
    reason: str | None = Field(default=None, description="Why it declined.")
    answered_by_name: str = Field(description="Who answered.")
    answered_by_role: str = Field(description="Their role.")
    answered_at: datetime = Field(description="When they say they answered.")
    received_at: datetime = Field(description="When Front Door read the answer.")
    late: bool = Field(description="Received after the due time.")

    @classmethod
    def of(cls, answer: CheckAnswer, received_at: datetime, due: datetime) -> RecordedAnswer:
        """``answer`` as received at ``received_at`` for a check due at ``due``."""
        return cls(
            result=answer.result,
            information=answer.information,
            flags=list(answer.flags),
            reason=answer.reason,
            answered_by_name=answer.answered_by.name,
            answered_by_role=answer.answered_by.role,
            answered_at=answer.answered_at,
            received_at=received_at,
            late=received_at > due,
        )


class Check(BaseModel):
    """One partner check on a case: asked of one organisation, answered once, or withdrawn."""

    model_config = INTERNAL

    request_id: str = Field(description="chk-<LA>-<hex>, from case id + organisation + round.")
    organisation_id: str = Field(description="The partner asked.")
    agency: str = Field(description="As which agency: police, health, education, ...")
    round: int = Field(ge=1, description="1 for the first request to this partner on the case.")
    purpose: str = Field(description="Why it was asked, as the partner is told.")
    lawful_basis: str = Field(description="The basis of asking (and of the partner's answer).")
    rag: Rag = Field(description="The case's urgency rating when asked.")
    asked_by: str = Field(description="`policy:<version>` or the duty manager who asked.")
    asked_at: datetime = Field(description="When it was asked.")
    due: datetime = Field(description="When the answer is due.")
    remind_at: datetime = Field(description="When three quarters of the time have passed.")
    reminded_at: datetime | None = Field(default=None, description="When the reminder went.")
    overdue_at: datetime | None = Field(default=None, description="When it was found overdue.")
    withdrawn_at: datetime | None = Field(default=None, description="When it was withdrawn.")
    withdrawn_reason: str | None = Field(default=None, description="Why it was withdrawn.")
    answer: RecordedAnswer | None = Field(default=None, description="The answer, once given.")

    @property
    def state(self) -> CheckState:
        """Open, answered or withdrawn."""
        if self.answer is not None:
            return CheckState.ANSWERED
        return CheckState.OPEN if self.withdrawn_at is None else CheckState.WITHDRAWN

    @property
    def is_open(self) -> bool:
        """Asked, and neither answered nor withdrawn."""
        return self.state is CheckState.OPEN

    def next_tick(self) -> datetime | None:
        """When the clock next has something to do for this check: remind, or mark overdue."""
        if not self.is_open or self.overdue_at is not None:
            return None
        if self.reminded_at is None and self.remind_at < self.due:
            return self.remind_at
        return self.due


class CheckRequest(BaseModel):
    """Request v1 on ``checks.requests.<org>``: a check asked, reminded or withdrawn.

    It carries what the partner needs to search its records, and nothing of the concern beyond
    the urgency rating and the purpose.
    """

    model_config = INTERNAL

    kind: CheckMessageKind = Field(description="request, reminder or withdrawn.")
    request_id: str = Field(description="Answer with this id (chk-<LA>-<20 hex>).")
    case_ref: str = Field(description="The council's case reference.")
    local_authority: str = Field(description="DfE LA number of the council asking.")
    rag: Rag = Field(description="Urgency rating: red, amber, green or blue.")
    purpose: str = Field(description="Why the council asks.")
    lawful_basis: str = Field(description="The lawful basis of asking and answering.")
    asked_at: datetime = Field(description="When it was first asked.")
    due: datetime = Field(description="When the answer is due.")
    child: ChildIdentity = Field(description="Who to search for (as the council knows them).")
    sent_at: datetime = Field(description="When this message was written.")
    withdrawn_reason: str | None = Field(default=None, description="For withdrawn: why.")


class Proposal(BaseModel):
    """What the policy proposes for a case, waiting for a person's screening decision.

    The machine may raise, never lower or close (DOMAIN B "Who decides"): a proposal of
    enquiry and assessment acts at once and waits for a person to confirm or move it; a proposal
    of early help or of no further action only waits.
    """

    model_config = INTERNAL

    level: Level = Field(description="The level the policy proposes.")
    outcome: Outcome = Field(description="The outcome the policy proposes.")
    rag: Rag = Field(description="The urgency rating of that level.")
    rules: list[str] = Field(description="The policy rule ids behind it.")
    policy_version: str = Field(description="The policy that proposed it.")
    proposed_at: datetime = Field(description="When it was (last) proposed.")
    due: datetime = Field(description="When a person's screening decision is due.")
    contact_ids: list[str] = Field(
        description="The contacts this screening decides: those received since the last one."
    )
    overdue_since: datetime | None = Field(
        default=None, description="When its due time passed with nobody deciding, if it has."
    )


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
    checks: list[Check] = Field(
        default_factory=list,
        description="Partner checks asked on the case, oldest first (DOMAIN B).",
    )
    handed_to_day_team_at: datetime | None = Field(
        default=None,
        description="When the emergency duty team handed it to the day team (off EDT's queue).",
    )
    proposal: Proposal | None = Field(
        default=None,
        description="The policy's proposal waiting for a person's screening decision, if any.",
    )
    screened_by: str | None = Field(
        default=None, description="Who made the last screening decision."
    )
    screened_at: datetime | None = Field(default=None, description="When they made it.")
    screened_outcome: Outcome | None = Field(
        default=None, description="The outcome a person last decided (none yet: no person has)."
    )

    @property
    def held(self) -> bool:
        """Its outcome is the policy's proposal of early help or no further action, undecided.

        A held case is on no team's queue and its referrers are told no outcome: it waits on
        the screening queue for a person.
        """
        return (
            self.proposal is not None
            and self.screened_outcome is None
            and self.outcome is not Outcome.ENQUIRY_ASSESSMENT
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

    @property
    def full(self) -> bool:
        """Whether it holds as many contacts as a case may (the next opens a case of its own)."""
        return len(self.contacts) >= MAX_CONTACTS_PER_CASE

    def contact(self, contact_id: str) -> ContactRecord | None:
        """The contact with this id on this case, if any."""
        return next((c for c in self.contacts if c.contact_id == contact_id), None)


QueueReason = Literal["opened", "moved", "reopened", "withdrawn", "proposed"]


class QueueItem(BaseModel):
    """A case arriving on a team's queue (``triage.queue.*``), keyed by local authority."""

    model_config = INTERNAL

    queue: Outcome = Field(
        description="The queue: enquiry-assessment or early-help (on the screening queue: the "
        "outcome proposed)."
    )
    reason: QueueReason = Field(
        description="Why it arrived (opened, moved, reopened), or that it left the queue "
        "(withdrawn: moved elsewhere or closed by a person); `proposed` on the screening queue."
    )
    case: Case = Field(description="The case as it arrived.")
    emergency_duty: bool = Field(
        default=False,
        description="On the emergency duty team's queue (triage.queue.emergency-duty): a red "
        "case received out of office hours. The same case is on its team's queue too.",
    )
    screening: bool = Field(
        default=False,
        description="On the screening queue (triage.queue.screening): the policy's proposal "
        "waiting for a person's screening decision (`proposal` on the case).",
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
    CHECKS_ASKED = "checks-asked"
    CHECK_ANSWERED = "check-answered"
    CHECK_REFUSED = "check-answer-refused"
    CHECK_OVERDUE = "check-overdue"
    CHECKS_WITHDRAWN = "checks-withdrawn"
    SCREENED = "screened"
    SCREENING_OVERDUE = "screening-overdue"


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
    checks_outstanding: list[str] = Field(
        default_factory=list,
        description="A manager's decision: the partners whose checks were still open, by "
        "organisation id (decided without them).",
    )
    proposal: Proposal | None = Field(
        default=None, description="A screening decision: the policy's proposal it decided."
    )
    agreed: bool | None = Field(
        default=None,
        description="A screening decision: whether the person confirmed the policy's proposal "
        "(false: they changed the level or outcome).",
    )


class ActionKind(StrEnum):
    """What a duty manager can do to a case."""

    ALLOCATE = "allocate"
    OVERRIDE = "override"
    CLOSE = "close"
    CONFIRM_MATCH = "confirm-match"
    REJECT_MATCH = "reject-match"
    HAND_TO_DAY_TEAM = "hand-to-day-team"
    ASK_CHECKS = "ask-checks"
    ENCOMPASS_NOTE = "encompass-note"  # what a person did about a notice: case_id holds its ref
    SCREEN = "screen"  # a person's screening decision: confirm the proposal, or change it


class ManagerAction(PlainText):
    """A duty manager's action on ``triage.actions``, keyed by local authority."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action_id: str = Field(min_length=1, max_length=64, description="Unique id (idempotency).")
    kind: ActionKind = Field(description="What to do.")
    case_id: str = Field(description="The case (for encompass-note: the notice's reference).")
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
    outcome: Outcome | None = Field(
        default=None, description="Override, or screen to change: the new outcome."
    )
    level: Level | None = Field(
        default=None, description="Override, or screen to change: the new level."
    )
    match_case_id: str | None = Field(default=None, description="Confirm or reject: which match.")
    submitted_at: datetime = Field(description="When the manager acted.")
