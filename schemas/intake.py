"""What intake writes: accepted referrals and rejections.

Accepted referrals go to ``referrals.accepted``; rejections to ``referrals.invalid``.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.contact import contact_id_for
from schemas.referral import Referral
from schemas.status import FieldError


class Origin(BaseModel):
    """Where in Kafka a partner's message was read from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str = Field(description="The inbound topic.")
    partition: int = Field(description="Its partition.")
    offset: int = Field(description="Its offset.")


class AcceptedReferral(BaseModel):
    """A validated, normalised referral on ``referrals.accepted``, keyed by local authority."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    contact_id: str = Field(description="Derived from (organisation id, referral id).")
    organisation_id: str = Field(description="The referring organisation (the topic's).")
    received_at: datetime = Field(description="When intake read it.")
    content_hash: str = Field(
        description="SHA-256 of the normalised referral: equal for a resubmission, "
        "different for an amendment.",
    )
    origin: Origin = Field(description="Where it was read from.")
    referral: Referral = Field(description="The referral, normalised.")

    @classmethod
    def of(
        cls,
        referral: Referral,
        organisation_id: str,
        received_at: datetime,
        origin: Origin,
    ) -> AcceptedReferral:
        """The accepted record of a validated referral from ``organisation_id``."""
        return cls(
            contact_id=contact_id_for(organisation_id, referral.referral_id),
            organisation_id=organisation_id,
            received_at=received_at,
            content_hash=content_hash(referral),
            origin=origin,
            referral=referral,
        )


class Rejection(BaseModel):
    """Why a message was rejected.

    It is the header ``frontdoor-rejection`` of the record on ``referrals.invalid`` whose value
    is the original bytes, unchanged.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact_id: str = Field(description="Derived from (organisation, referral id or offset).")
    organisation_id: str = Field(description="The organisation whose topic it came from.")
    referral_id: str | None = Field(description="Its referral id, if one was legible.")
    received_at: datetime = Field(description="When intake read it.")
    origin: Origin = Field(description="Where it was read from.")
    size_bytes: int = Field(description="Size of the original message.")
    sha256: str = Field(description="SHA-256 of the original bytes.")
    errors: list[FieldError] = Field(description="Every problem found.")


def content_hash(referral: Referral) -> str:
    """A stable hash of a referral's normalised content (when it was sent does not count)."""
    # Fields added since v1 was first published count only when given: a referral sent before
    # they existed hashes as it did, so resending it after an upgrade is a resubmission.
    exclude: dict[str, Any] = {"submitted_at": True}
    if not referral.household:
        exclude["household"] = True
    unset = {
        name for name in ("school_urn", "gp_practice") if getattr(referral.child, name) is None
    }
    if unset:
        exclude["child"] = dict.fromkeys(unset, True)
    content = referral.model_dump_json(exclude=exclude)
    return hashlib.sha256(content.encode()).hexdigest()
