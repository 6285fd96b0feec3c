"""Status: internal status events (``referrals.status``) and referrers' updates (``status.<org>``).

A status event is what intake and triage say happened to a contact; the notifier turns each
into a ``StatusUpdate`` for the referrer, numbered and worded, with nothing about the child.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Status(StrEnum):
    """Where a referral stands, as its referrer is told."""

    RECEIVED = "received"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    AMENDED = "amended"
    LINKED = "linked"
    TRIAGED = "triaged"
    OUTCOME_CHANGED = "outcome-changed"
    ALLOCATED = "allocated"
    CLOSED = "closed"
    OVERDUE = "overdue"


class Outcome(StrEnum):
    """Where triage sent a contact."""

    ENQUIRY_ASSESSMENT = "enquiry-assessment"
    EARLY_HELP = "early-help"
    NO_FURTHER_ACTION = "no-further-action"


class FieldError(BaseModel):
    """One problem with a rejected message, located so a partner's developer can fix it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    loc: str = Field(description="Dotted path of the field at fault, e.g. `child.nhs_number`.")
    msg: str = Field(description="What is wrong, in plain words.")


class StatusEvent(BaseModel):
    """Internal: something happened to a contact that its referrer should hear about."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact_id: str = Field(description="Front Door's id of the contact.")
    referral_id: str = Field(description="The referrer's own reference.")
    organisation_id: str = Field(description="The referring organisation.")
    status: Status = Field(description="What happened.")
    outcome: Outcome | None = Field(default=None, description="Where the contact went, if decided.")
    decision_due: datetime | None = Field(default=None, description="When a decision is due.")
    errors: list[FieldError] = Field(default_factory=list, description="For `rejected` only.")
    occurred_at: datetime = Field(description="When it happened.")
    emergency_duty: bool = Field(
        default=False, description="The emergency duty team has it (red, out of office hours)."
    )


class StatusUpdate(BaseModel):
    """What a referrer receives on ``status.<organisation_id>``: its own referral, nothing more."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact_id: str = Field(description="Front Door's id of the contact.")
    referral_id: str = Field(description="The referrer's own reference.")
    organisation_id: str = Field(description="The referring organisation.")
    sequence: int = Field(ge=1, description="1, 2, 3... per contact, with no gaps or repeats.")
    status: Status = Field(description="What happened.")
    outcome: Outcome | None = Field(default=None, description="Where the contact went, if decided.")
    message: str = Field(description="One plain-English sentence for the referrer.")
    errors: list[FieldError] = Field(default_factory=list, description="For `rejected` only.")
    decision_due: datetime | None = Field(default=None, description="When a decision is due.")
    occurred_at: datetime = Field(description="When it happened.")
