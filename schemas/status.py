"""Status: internal status events (``referrals.status``) and referrers' updates (``status.<org>``).

A status event is what intake and triage say happened to a contact; the notifier turns each
into a ``StatusUpdate`` for the referrer, numbered and worded, with nothing about the child.
Operation Encompass uses the same path: the police force hears what became of its notice, and
the school's own status topic carries the notice itself (status ``encompass``), the one update
that names a child, sent only to the school the child attends.
"""

from __future__ import annotations

from datetime import date, datetime
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
    # Operation Encompass: to the police force about its notice...
    DELIVERED = "delivered"  # to the child's school
    ACKNOWLEDGED = "acknowledged"  # by the school's key adult
    PASSED_TO_COUNCIL = "passed-to-council"  # no school to deliver to: a person at the council
    # ...and to the school: the notice itself
    ENCOMPASS = "encompass"


class Subject(StrEnum):
    """What a status is about: a referral, or an Operation Encompass notice."""

    REFERRAL = "referral"
    ENCOMPASS_NOTICE = "encompass-notice"


class EncompassDelivery(BaseModel):
    """What a school is told of an Operation Encompass notice: enough to support the child."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notice_ref: str = Field(description="Front Door's id of the notice; acknowledge it by this.")
    given_name: str = Field(description="The child's given name.")
    family_name: str = Field(description="The child's family name.")
    date_of_birth: date = Field(description="The child's date of birth.")
    upn: str | None = Field(default=None, description="The child's UPN, if known.")
    incident_at: datetime = Field(description="When the incident happened.")
    child_present: str = Field(description="Whether the child was present: yes, no or unknown.")
    welfare_check_made: bool = Field(description="Whether officers checked on the child.")
    police_force: str = Field(description="The police force that sent it.")
    police_reference: str = Field(description="The police reference, to quote if calling.")
    acknowledge_by: datetime = Field(description="Before the school day starts.")


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
    subject: Subject = Field(default=Subject.REFERRAL, description="What it is about.")
    held_since: datetime | None = Field(
        default=None,
        description="A resent Encompass notice (`duplicate`): when the first copy was received.",
    )
    school_urn: str | None = Field(
        default=None, description="Encompass: the school told, only if the police named it."
    )
    encompass: EncompassDelivery | None = Field(
        default=None, description="To a school (`encompass`): the notice."
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
    subject: Subject = Field(
        default=Subject.REFERRAL, description="What it is about: a referral or an Encompass notice."
    )
    school_urn: str | None = Field(
        default=None, description="Encompass: the school told, only if the police named it."
    )
    encompass: EncompassDelivery | None = Field(
        default=None,
        description="To a school (status `encompass`): the Operation Encompass notice, to "
        "acknowledge with POST /api/v1/encompass/{notice_ref}/acknowledge.",
    )
