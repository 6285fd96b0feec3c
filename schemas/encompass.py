"""Operation Encompass: police notices relayed to the child's school before the next school day.

A police force tells the front door that a child may be a victim of domestic abuse; the
front door finds the child's school and tells it (DOMAIN.md A "Domestic abuse and schools",
B "Operation Encompass relay"; DESIGN.md section 11).

Encompass notice v1 is what police publish to ``encompass.inbound.<org>``: the child, the
school if known, when the incident was, whether the child was there and whether a welfare
check was made, the police reference. Nothing about who did what: a field the contract does
not list is refused. A notice is not a contact and not a referral: it never reaches triage's
thresholds or Annex A.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from schemas.intake import Origin
from schemas.partners import URN_PATTERN
from schemas.referral import (
    SUBMITTED_AT_SKEW,
    LaNumber,
    Name,
    PartnerModel,
    ReferralId,
    Upn,
    about,
    age_on,
)

MAX_NOTICE_BYTES = 16 * 1024
CHILD_AGE_LIMIT = 18  # Operation Encompass is about children under 18
OLDEST_INCIDENT = timedelta(days=31)  # a notice is about a recent incident
NOTICE_REF = re.compile(r"^enc-(\d{3})-[0-9a-f]{20}$")
Urn = Annotated[
    str,
    Field(
        pattern=URN_PATTERN,
        description="The school's unique reference number (six digits, as in Get Information "
        "about Schools).",
    ),
]
PoliceReference = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9._:/-]{1,64}$",
        description="The police incident or occurrence reference: 1-64 of A-Z a-z 0-9 . _ : / -",
    ),
]


class ChildPresent(StrEnum):
    """Whether the child was present at the incident."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class NoticeChild(PartnerModel):
    """The child the notice is about: enough for the school to know them, and no more."""

    given_name: Name = Field(description="Given name.")
    family_name: Name = Field(description="Family name.")
    date_of_birth: date = Field(description="Date of birth (YYYY-MM-DD).")
    upn: Upn | None = Field(
        default=None, description="Unique pupil number, if the police know it (rarely)."
    )


class EncompassNotice(PartnerModel):
    """Encompass notice v1, as a police force publishes it."""

    schema_version: Literal["1"] = Field(description='Always "1" for this version.')
    notice_id: ReferralId = Field(
        description="The force's own reference for this notice (a resend with the same id is "
        "the same notice): 1-64 of A-Z a-z 0-9 . _ : / -"
    )
    sent_at: AwareDatetime = Field(description="When it was sent: RFC 3339 with an offset.")
    local_authority: LaNumber = Field(description="DfE three-digit LA number of the child's area.")
    police_reference: PoliceReference
    incident_at: AwareDatetime = Field(description="When the incident happened (RFC 3339).")
    child: NoticeChild = Field(description="The child.")
    school_urn: Urn | None = Field(
        default=None, description="The child's school, if the police know it."
    )
    child_present: ChildPresent = Field(description="Whether the child was present.")
    welfare_check_made: bool = Field(description="Whether officers checked on the child.")

    @model_validator(mode="after")
    def _dates_make_sense(self, info: ValidationInfo) -> Self:
        """At intake (``context={"now": ...}``): the dates must make sense on arrival."""
        now: datetime | None = (info.context or {}).get("now")
        if now is None:
            return self
        problems = notice_date_problems(self, now)
        if problems:
            field, msg = problems[0]
            raise about(field, msg=msg)
        return self


def notice_date_problems(notice: EncompassNotice, now: datetime) -> list[tuple[str, str]]:
    """Each date of ``notice`` that does not make sense on arrival at ``now``: (field, why)."""
    found: list[tuple[str, str]] = []
    if notice.sent_at > now + SUBMITTED_AT_SKEW:
        found.append(("sent_at", "is in the future"))
    if notice.incident_at > now + SUBMITTED_AT_SKEW:
        found.append(("incident_at", "is in the future"))
    elif notice.incident_at < now - OLDEST_INCIDENT:
        found.append(("incident_at", "is more than 31 days ago; tell the school directly"))
    born = notice.child.date_of_birth
    if born > now.date():
        found.append(("child.date_of_birth", "is in the future"))
    elif age_on(born, notice.incident_at.date()) >= CHILD_AGE_LIMIT:
        found.append(("child.date_of_birth", "makes the child 18 or over at the incident"))
    return found


def notice_ref_for(organisation_id: str, notice_id: str, local_authority: str) -> str:
    """Front Door's id of a notice: the same for every resend of it, the council's LA in it."""
    digest = hashlib.sha256(f"{organisation_id}\x1f{notice_id}".encode()).hexdigest()[:20]
    return f"enc-{local_authority}-{digest}"


def local_authority_of_notice(notice_ref: str) -> str | None:
    """The council a notice reference belongs to (its partition key); None if malformed."""
    found = NOTICE_REF.fullmatch(notice_ref)
    return found.group(1) if found else None


class AcceptedNotice(BaseModel):
    """Internal (``encompass.accepted``, keyed by LA): a notice intake accepted, for triage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notice_ref: str = Field(description="Front Door's id of the notice (enc-<LA>-<hex>).")
    organisation_id: str = Field(description="The police force that sent it.")
    received_at: datetime = Field(description="When the front door received it.")
    origin: Origin = Field(description="Where it was read from.")
    notice: EncompassNotice = Field(description="The notice as sent, normalised.")


class AcknowledgeBody(PartnerModel):
    """What a school's system sends to acknowledge a notice (the notice is in the path)."""

    acknowledged_by: Name = Field(
        description="Who read it: the key adult's name, or the school's system's."
    )


class Acknowledgement(BaseModel):
    """Internal (``encompass.acks``, keyed by LA): a school's key adult read the notice."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notice_ref: str = Field(pattern=NOTICE_REF.pattern, description="The notice acknowledged.")
    organisation_id: str = Field(description="The school that acknowledged it.")
    acknowledged_by: Name = Field(description="The key adult's name (or the school's system).")
    acknowledged_at: datetime = Field(description="When.")


class Routing(StrEnum):
    """Where a notice went."""

    SCHOOL = "school"  # delivered to the registered school
    NO_SCHOOL = "no-school-found"  # no URN, and the roll does not know the child
    NOT_REGISTERED = "school-not-registered"  # a school found, not a partner


class FoundBy(StrEnum):
    """How the school was found."""

    NOTICE = "notice"  # the police gave the URN
    ROLL = "school-roll"  # the council's school roll
    NONE = "none"


# A notice's state travels whole in one record on ``encompass.notices``: its notes are capped so
# that it stays under the broker's 1 MB limit (tests/unit/test_case_bounds.py checks the largest).
MAX_COUNCIL_NOTES = 50


class CouncilNote(BaseModel):
    """What a person at the council did about a notice on its Encompass queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action_id: str = Field(description="The manager's action that recorded it (idempotency).")
    by: str = Field(description="Who (the manager's name).")
    at: datetime = Field(description="When.")
    note: str = Field(max_length=2000, description="What they did.")


class Notice(BaseModel):
    """Triage's state of one notice (``encompass.notices``, compacted, keyed by notice ref)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    notice_ref: str
    version: int = Field(default=1, ge=1, description="1, 2, 3... as the notice's state moves.")
    organisation_id: str = Field(description="The police force.")
    local_authority: str
    received_at: datetime
    due_at: datetime = Field(description="Before the next school day starts.")
    routing: Routing
    found_by: FoundBy
    urn: str | None = Field(default=None, description="The school's URN, if found.")
    school_id: str | None = Field(default=None, description="The school's organisation, if one.")
    delivered_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    overdue: bool = Field(default=False, description="Unacknowledged at its due time.")
    council_notes: tuple[CouncilNote, ...] = ()
    notice: EncompassNotice

    @property
    def with_council(self) -> bool:
        """Whether it is on the council's Encompass queue (no school to deliver to)."""
        return self.routing is not Routing.SCHOOL
