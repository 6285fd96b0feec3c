"""From the answers on the form's pages to Referral v1, and from the contract's errors back.

The form's fields are flat (``given_name``, ``postcode``, ``factors``...); a draft is the
answers so far. :func:`referral_document` builds the message the partner API would receive,
and the form's errors are the contract's own (:func:`domain.validation.validate_referral`),
each put beside its field; only the wording of "required" is the form's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from domain.validation import Accepted, Rejected, validate_referral
from schemas.codes import ConsentStatus, DashRisk, Factor
from schemas.partners import PartnerRegistry
from services.gateway.concerns import DOMESTIC_ABUSE
from services.gateway.guidance import Facts

Draft = dict[str, Any]  # field name -> str, or list[str] for the concerns

# Each page of the professional form, its fields, and its title.
STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "child": (
        "About the child",
        (
            "local_authority",
            "given_name",
            "family_name",
            "date_of_birth",
            "expected_date_of_birth",
            "sex",
            "ethnicity",
            "nhs_number",
            "upn",
            "address_line1",
            "address_line2",
            "town",
            "postcode",
            "first_language",
            "interpreter_needed",
        ),
    ),
    "concerns": ("What you are worried about", ("factors", "concern_detail")),
    "risk": ("Risk and injury", ("immediate_risk", "injury_observed", "dash_risk")),
    "consent": ("Consent", ("consent", "consent_reason")),
    "summary": ("What happened", ("summary", "referrer_phone")),
}

# Where each contract field is asked on the form.
FIELD_OF = {
    "local_authority": "local_authority",
    "child.given_name": "given_name",
    "child.family_name": "family_name",
    "child.date_of_birth": "date_of_birth",
    "child.expected_date_of_birth": "expected_date_of_birth",
    "child.sex": "sex",
    "child.ethnicity": "ethnicity",
    "child.nhs_number": "nhs_number",
    "child.upn": "upn",
    "child.address.line1": "address_line1",
    "child.address.line2": "address_line2",
    "child.address.town": "town",
    "child.address.postcode": "postcode",
    "child.first_language": "first_language",
    "child.interpreter_needed": "interpreter_needed",
    "concerns": "factors",
    "summary": "summary",
    "risk.immediate_risk": "immediate_risk",
    "risk.injury_observed": "injury_observed",
    "risk.dash_risk": "dash_risk",
    "consent.status": "consent",
    "consent.reason": "consent_reason",
    "referrer.phone": "referrer_phone",
    "referrer.name": "your_name",  # the public form's "your details"
    "referrer.email": "your_email",
}
REQUIRED = {
    "local_authority": "Select the council the child lives in",
    "given_name": "Enter the child's first name",
    "family_name": "Enter the child's last name",
    "date_of_birth": "Enter the child's date of birth, or the expected date if not yet born",
    "sex": "Select the child's sex, or 'Not known'",
    "address_line1": "Enter the first line of the child's address",
    "postcode": "Enter the postcode of the child's address",
    "factors": "Select at least one concern",
    "summary": "Describe what happened",
    "immediate_risk": "Select whether the child is at immediate risk",
    "injury_observed": "Select whether you saw an injury",
    "consent": "Select whether the family consented",
    "consent_reason": "Say why consent was not sought",
}
# What a form says when an answer is there but cannot be sent as it is: GOV.UK error message
# style (what happened, how to fix it), never the contract's words or its field names.
INVALID = {
    "local_authority": "Select the council the child lives in",
    "given_name": "Enter the child's first name in 100 characters or fewer",
    "family_name": "Enter the child's last name in 100 characters or fewer",
    "sex": "Select the child's sex, or 'Not known'",
    "ethnicity": "Select the child's ethnicity from the list, or 'Not obtained'",
    "nhs_number": "Enter the NHS number as it is on the child's health records: 10 digits, "
    "like 943 476 5919, or leave it empty",
    "upn": "Enter the unique pupil number as the school has it: a letter, 11 digits, then a "
    "letter or digit, or leave it empty",
    "address_line1": "Enter the first line of the address in 200 characters or fewer",
    "address_line2": "Enter the second line of the address in 200 characters or fewer",
    "town": "Enter the town or city in 200 characters or fewer",
    "postcode": "Enter a real UK postcode, like TS18 1AB",
    "first_language": "Enter the child's first language in 200 characters or fewer",
    "interpreter_needed": "Select whether the family needs an interpreter",
    "factors": "Select at least one concern from the list",
    "concern_detail": "Describe the concern in 2,000 characters or fewer",
    "summary": "Describe what happened in 20,000 characters or fewer",
    "immediate_risk": "Select whether the child is at immediate risk",
    "injury_observed": "Select whether you saw an injury",
    "dash_risk": "Select the DASH risk grade, or 'Not graded'",
    "consent": "Select whether the family consented",
    "consent_reason": "Say why consent was not sought, in 200 characters or fewer",
    "referrer_phone": "Enter a phone number, like 01642 000000 or +44 1642 000000, or leave it "
    "empty",
    "your_name": "Enter your name in 200 characters or fewer, or leave it empty",
    "your_email": "Enter an email address in the right format, like name@example.com, or leave "
    "it empty",
}
# The public form asks for less, and says so: a date of birth only if they know it.
PUBLIC_REQUIRED = {
    "date_of_birth": "Enter the child's date of birth if you know it, or their age in years",
}
SOMETHING_ELSE = "Something in this referral could not be sent. Check your answers and try again"


def _date_words(field: str, msg: str) -> str:
    what = "date of birth" if field == "date_of_birth" else "expected date of birth"
    if "future" in msg:
        return f"The {what} must be today or in the past"
    if "older than" in msg:
        return f"The {what} makes the child older than 25: check the year"
    if "between a month ago" in msg:
        return (
            "The expected date of birth must be within the next 300 days. If the baby has "
            "been born, enter the date of birth instead"
        )
    return f"Enter the {what} as a real date, for example 27 3 2016"


def plain_words(field: str, msg: str, *, public: bool = False) -> str:
    """What a form shows for a contract error ``msg`` about its ``field``."""
    missing = "required" in msg or "at least 1 item" in msg or "exactly one of" in msg
    if missing and public and field in PUBLIC_REQUIRED:
        return PUBLIC_REQUIRED[field]
    if missing and field in REQUIRED:
        return REQUIRED[field]
    if field in {"date_of_birth", "expected_date_of_birth"}:
        return _date_words(field, msg)
    return INVALID.get(field, SOMETHING_ELSE)


STEP_OF = {field: step for step, (_, fields) in STEPS.items() for field in fields}
YES_NO = {"yes": True, "no": False}
# What an unanswered page stands in with while an earlier page is checked, so that the
# contract's checks comparing fields (dates against today) run on the page being answered.
STAND_INS: Draft = {
    "local_authority": "",
    "given_name": "Stand",
    "family_name": "In",
    "date_of_birth": "2020-01-01",
    "sex": "U",
    "factors": ["21"],
    "summary": "-",
    "immediate_risk": "no",
    "injury_observed": "no",
    "consent": "given",
}


@dataclass(frozen=True, slots=True)
class FormError:
    """One problem, beside the field ``field`` (its element id)."""

    field: str
    msg: str


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sends: the organisation, its census source, and the person's details."""

    organisation_id: str
    source: str
    name: str | None = None
    role: str | None = None
    email: str | None = None


def _text(draft: Mapping[str, Any], name: str) -> str:
    value = draft.get(name)
    return value.strip() if isinstance(value, str) else ""


def factors_of(draft: Mapping[str, Any]) -> list[str]:
    """The concerns ticked, in the census's order."""
    ticked = draft.get("factors") or []
    chosen = {value for value in ticked if value in Factor.__members__.values()}
    return [f.value for f in Factor if f.value in chosen]


def _child(draft: Mapping[str, Any]) -> dict[str, Any]:
    names = ("given_name", "family_name", "date_of_birth", "expected_date_of_birth", "sex")
    optional = ("ethnicity", "nhs_number", "upn", "first_language")
    child: dict[str, Any] = {name: _text(draft, name) for name in (*names, *optional)}
    if _text(draft, "interpreter_needed") in YES_NO:
        child["interpreter_needed"] = YES_NO[_text(draft, "interpreter_needed")]
    parts = (("line1", "address_line1"), ("line2", "address_line2"), ("town", "town"))
    address = {key: _text(draft, name) for key, name in (*parts, ("postcode", "postcode"))}
    child["address"] = {key: value for key, value in address.items() if value} or None
    return {key: value for key, value in child.items() if value not in ("", None)}


def _risk(draft: Mapping[str, Any], factors: list[str]) -> dict[str, Any]:
    risk: dict[str, Any] = {
        name: YES_NO[_text(draft, name)]
        for name in ("immediate_risk", "injury_observed")
        if _text(draft, name) in YES_NO
    }
    dash = _text(draft, "dash_risk")
    if DOMESTIC_ABUSE & {Factor(f) for f in factors} and dash in DashRisk.__members__.values():
        risk["dash_risk"] = dash
    return risk


def referral_document(
    draft: Mapping[str, Any], referral_id: str, sender: Sender, now: datetime
) -> dict[str, Any]:
    """Referral v1 as the answers give it; a missing answer is left out, for the contract."""
    factors = factors_of(draft)
    detail = _text(draft, "concern_detail")
    consent = {"status": _text(draft, "consent"), "reason": _text(draft, "consent_reason")}
    referrer = {
        "organisation_id": sender.organisation_id,
        "source": sender.source,
        "name": sender.name,
        "role": sender.role,
        "email": sender.email,
        "phone": _text(draft, "referrer_phone"),
    }
    document: dict[str, Any] = {
        "schema_version": "1",
        "referral_id": referral_id,
        "submitted_at": now.isoformat(),
        "local_authority": _text(draft, "local_authority"),
        "referrer": {key: value for key, value in referrer.items() if value},
        "child": _child(draft),
        "concerns": [
            {"factor": f, "detail": detail if i == 0 else ""} for i, f in enumerate(factors)
        ],
        "summary": _text(draft, "summary"),
        "risk": _risk(draft, factors),
        "consent": {key: value for key, value in consent.items() if value},
    }
    if not document["summary"]:
        del document["summary"]
    return document


def encode(document: Mapping[str, Any]) -> bytes:
    """The message's bytes, as a partner system would send them."""
    return json.dumps(document, ensure_ascii=False).encode()


def check(
    document: Mapping[str, Any], registry: PartnerRegistry, now: datetime
) -> tuple[Accepted | Rejected, bytes]:
    """The contract's verdict on ``document`` (intake's own code), and the bytes it judged."""
    raw = encode(document)
    return validate_referral(
        raw, organisation_id=document["referrer"]["organisation_id"], registry=registry, now=now
    ), raw


def form_errors(
    verdict: Accepted | Rejected, fields: tuple[str, ...] | None = None, *, public: bool = False
) -> list[FormError]:
    """The contract's errors in the form's own words, only those of ``fields`` when given."""
    if isinstance(verdict, Accepted):
        return []
    found: list[FormError] = []
    for error in verdict.errors:
        field = FIELD_OF.get(error.loc) or FIELD_OF.get(error.loc.split("[")[0]) or "summary"
        if fields is not None and field not in fields:
            continue
        if all(e.field != field for e in found):
            found.append(FormError(field, plain_words(field, error.msg, public=public)))
    return found


def step_errors(
    draft: Draft, step: str, registry: PartnerRegistry, sender: Sender, now: datetime
) -> list[FormError]:
    """The problems with one page's answers, judged with the other pages stood in for."""
    fields = STEPS[step][1]
    answered = {k: v for k, v in draft.items() if STEP_OF.get(k) == step}
    stood_in = {k: v for k, v in STAND_INS.items() if STEP_OF.get(k) != step}
    if step != "child":
        stood_in["local_authority"] = draft.get("local_authority", "")
    document = referral_document(stood_in | answered, "FORM-CHECK", sender, now)
    verdict, _ = check(document, registry, now)
    errors = form_errors(verdict, fields)
    if step == "risk":
        for name in ("immediate_risk", "injury_observed"):
            if _text(draft, name) not in YES_NO:
                errors.append(FormError(name, REQUIRED[name]))
    return errors


def facts_of(draft: Mapping[str, Any]) -> Facts:
    """What the guidance looks at, from the answers so far."""
    born: date | None = None
    try:
        born = (
            date.fromisoformat(_text(draft, "date_of_birth"))
            if _text(draft, "date_of_birth")
            else None
        )
    except ValueError:
        born = None
    dash = _text(draft, "dash_risk")
    consent = _text(draft, "consent")
    return Facts(
        factors=frozenset(Factor(f) for f in factors_of(draft)),
        immediate_risk=_text(draft, "immediate_risk") == "yes",
        injury_observed=_text(draft, "injury_observed") == "yes",
        dash_risk=DashRisk(dash) if dash in DashRisk.__members__.values() else None,
        date_of_birth=born,
        consent=ConsentStatus(consent)
        if consent in ConsentStatus.__members__.values()
        else ConsentStatus.GIVEN,
    )
