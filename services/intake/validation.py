"""Decides, for one inbound message, whether it is a referral Front Door accepts.

Walking skeleton: checks the envelope only (JSON object, referral id, local authority, the
referrer's organisation). The full Referral v1 contract replaces it (issue: intake).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from schemas.status import FieldError


@dataclass(frozen=True, slots=True)
class Accepted:
    """A referral that passed validation, normalised."""

    referral_id: str
    local_authority: str
    document: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that did not, with every problem found."""

    referral_id: str | None
    errors: list[FieldError]


def validate_message(raw: bytes, organisation_id: str) -> Accepted | Rejected:
    """Validate the raw bytes a partner of ``organisation_id`` published."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return Rejected(None, [FieldError(loc="", msg="the message is not valid UTF-8 JSON")])
    if not isinstance(document, dict):
        return Rejected(None, [FieldError(loc="", msg="the message must be a JSON object")])
    referral_id = document.get("referral_id")
    errors: list[FieldError] = []
    if not isinstance(referral_id, str) or not referral_id:
        errors.append(FieldError(loc="referral_id", msg="a referral id is required"))
        referral_id = None
    local_authority = document.get("local_authority")
    if not isinstance(local_authority, str):
        errors.append(FieldError(loc="local_authority", msg="a local authority is required"))
    referrer = document.get("referrer")
    if not isinstance(referrer, dict) or referrer.get("organisation_id") != organisation_id:
        errors.append(
            FieldError(
                loc="referrer.organisation_id",
                msg="must equal the organisation whose topic the message was sent to",
            ),
        )
    if errors or referral_id is None or not isinstance(local_authority, str):
        return Rejected(referral_id, errors)
    return Accepted(referral_id, local_authority, document)
