"""Decides, for one inbound message, whether Front Door accepts it, and says exactly why not.

Pure functions: the intake service, ``frontdoor validate`` and ``frontdoor replay`` all call
:func:`validate_referral`; intake and the gateway call :func:`validate_answer` for partners'
check answers. Every problem found is reported, each located by a dotted path
(``child.nhs_number``, ``concerns[2].factor``) and worded for a partner's developer. No error
message repeats the value it complains about, so no personal data leaks into errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TypeVar

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from schemas.checks import MAX_ANSWER_BYTES, REQUEST_ID, CheckAnswer, answered_at_problems
from schemas.encompass import (
    MAX_NOTICE_BYTES,
    AcknowledgeBody,
    EncompassNotice,
    notice_date_problems,
)
from schemas.local_authorities import LOCAL_AUTHORITIES
from schemas.partners import PartnerRegistry
from schemas.referral import (
    CROSS_FIELD,
    MAX_REFERRAL_BYTES,
    REFERRAL_ID_CHARS,
    Referral,
    date_problems,
)
from schemas.status import FieldError

MAX_ERRORS = 200
WHOLE_MESSAGE = "message"
_REFERRAL_ID = re.compile(rb'"referral_id"\s*:\s*"(' + REFERRAL_ID_CHARS.encode() + rb')"')
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_FRIENDLY = {
    "missing": "this field is required",
    "extra_forbidden": "unknown field: {contract} has no field of this name",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "list_type": "must be a JSON array",
    "string_type": "must be a JSON string",
    "bool_type": "must be true or false",
    "date_from_datetime_inexact": "must be a date (YYYY-MM-DD)",
}


@dataclass(frozen=True, slots=True)
class Accepted:
    """A referral that passed every check, normalised."""

    referral: Referral


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message that did not, with every problem found and its referral id if one was legible."""

    referral_id: str | None
    errors: list[FieldError]


def validate_referral(
    raw: bytes,
    *,
    organisation_id: str | None = None,
    registry: PartnerRegistry | None = None,
    now: datetime | None = None,
) -> Accepted | Rejected:
    """Validate the bytes of one message.

    With ``organisation_id`` (the topic's organisation) the referrer must be that organisation;
    with ``registry`` too, it must be registered and serve the referral's local authority.
    """
    now = now or datetime.now(UTC)
    if len(raw) > MAX_REFERRAL_BYTES:
        size = f"{len(raw) / 1024:,.0f} KiB"
        return Rejected(
            _sniff_referral_id(raw),
            [FieldError(loc=WHOLE_MESSAGE, msg=f"the message is {size}; the limit is 256 KiB")],
        )
    try:
        referral = Referral.model_validate_json(raw, context={"now": now})
    except ValidationError as invalid:
        document = _parse_leniently(raw)
        errors = [e for detail in invalid.errors(include_url=False) for e in _field_errors(detail)]
        errors += _date_errors(document, now, {e.loc for e in errors})
        errors += _partner_errors(document, organisation_id, registry)
        return Rejected(_sniff_referral_id(raw, document), _capped(errors))
    partner_errors = _partner_errors(
        referral.model_dump(mode="json"),
        organisation_id,
        registry,
    )
    if partner_errors:
        return Rejected(referral.referral_id, partner_errors)
    return Accepted(referral)


@dataclass(frozen=True, slots=True)
class AnswerRejected:
    """A check answer that did not pass, with every problem and its request id if legible."""

    request_id: str | None
    errors: list[FieldError]


def validate_answer(raw: bytes, *, now: datetime) -> CheckAnswer | AnswerRejected:
    """Validate the bytes of one partner check answer (Answer v1) arriving at ``now``.

    Only the shape and the times: whether the request exists, is the sender's and is still
    open is for triage, which holds the case.
    """
    if len(raw) > MAX_ANSWER_BYTES:
        size = f"{len(raw) / 1024:,.0f} KiB"
        limit = f"{MAX_ANSWER_BYTES // 1024} KiB"
        return AnswerRejected(
            None,
            [FieldError(loc=WHOLE_MESSAGE, msg=f"the message is {size}; the limit is {limit}")],
        )
    try:
        answer = CheckAnswer.model_validate_json(raw)
    except ValidationError as invalid:
        document = _parse_leniently(raw)
        errors = [
            e
            for detail in invalid.errors(include_url=False)
            for e in _field_errors(detail, "Answer v1")
        ]
        found = document.get("request_id") if isinstance(document, dict) else None
        legible = found if isinstance(found, str) and REQUEST_ID.fullmatch(found) else None
        return AnswerRejected(legible, _capped(errors))
    problems = answered_at_problems(answer.answered_at, now)
    if problems:
        errors = [FieldError(loc=loc, msg=msg) for loc, msg in problems]
        return AnswerRejected(answer.request_id, errors)
    return answer


@dataclass(frozen=True, slots=True)
class NoticeRejected:
    """An Encompass notice that did not pass, with every problem and its id if legible."""

    notice_id: str | None
    errors: list[FieldError]


NOTICE_CONTRACT = "Encompass notice v1"


def validate_notice(
    raw: bytes,
    *,
    organisation_id: str | None = None,
    registry: PartnerRegistry | None = None,
    now: datetime,
) -> EncompassNotice | NoticeRejected:
    """Validate the bytes of one Operation Encompass notice arriving at ``now``.

    With ``organisation_id`` and ``registry``: the sender must be a registered police force
    serving the notice's local authority.
    """
    if len(raw) > MAX_NOTICE_BYTES:
        size = f"{len(raw) / 1024:,.0f} KiB"
        limit = f"{MAX_NOTICE_BYTES // 1024} KiB"
        return NoticeRejected(
            None,
            [FieldError(loc=WHOLE_MESSAGE, msg=f"the message is {size}; the limit is {limit}")],
        )
    document = _parse_leniently(raw)
    found = document.get("notice_id") if isinstance(document, dict) else None
    legible = found if isinstance(found, str) and re.fullmatch(REFERRAL_ID_CHARS, found) else None
    try:  # the shape first; then every date that does not make sense today, all at once
        notice = EncompassNotice.model_validate_json(raw)
    except ValidationError as invalid:
        errors = [
            e
            for detail in invalid.errors(include_url=False)
            for e in _field_errors(detail, NOTICE_CONTRACT)
        ]
        errors += _police_errors(document, organisation_id, registry)
        return NoticeRejected(legible, _capped(errors))
    errors = [FieldError(loc=loc, msg=msg) for loc, msg in notice_date_problems(notice, now)]
    errors += _police_errors(document, organisation_id, registry)
    if errors:
        return NoticeRejected(notice.notice_id, errors)
    return notice


def _police_errors(
    document: object, organisation_id: str | None, registry: PartnerRegistry | None
) -> list[FieldError]:
    """Whether the sender may send this notice: a registered police force serving its LA."""
    if organisation_id is None or registry is None:
        return []
    partner = registry.get(organisation_id)
    if partner is None or not partner.police:
        what = "is not registered" if partner is None else "is not a police force"
        return [
            FieldError(
                loc=WHOLE_MESSAGE,
                msg=f"organisation {organisation_id!r} {what}: only police forces send "
                "Operation Encompass notices",
            )
        ]
    la = document.get("local_authority") if isinstance(document, dict) else None
    if isinstance(la, str) and la in LOCAL_AUTHORITIES and la not in partner.local_authorities:
        return [
            FieldError(
                loc="local_authority",
                msg=f"{partner.name} is not registered with local authority {la} "
                f"({LOCAL_AUTHORITIES[la]}); it serves {', '.join(partner.local_authorities)}",
            )
        ]
    return []


def validate_acknowledgement(raw: bytes) -> AcknowledgeBody | list[FieldError]:
    """A school's acknowledgement of a notice (by HTTPS), or every problem with it."""
    try:
        return AcknowledgeBody.model_validate_json(raw)
    except ValidationError as invalid:
        return [
            e
            for detail in invalid.errors(include_url=False)
            for e in _field_errors(detail, "an acknowledgement")
        ]


T = TypeVar("T")


def _date_errors(document: object, now: datetime, reported: set[str]) -> list[FieldError]:
    """The date checks on a message that failed others: every problem in one answer."""
    if not isinstance(document, dict):
        return []
    found = document.get("child")
    child: dict[str, object] = found if isinstance(found, dict) else {}
    problems = date_problems(
        _lenient(document.get("submitted_at"), datetime.fromisoformat),
        _lenient(child.get("date_of_birth"), date.fromisoformat),
        _lenient(child.get("expected_date_of_birth"), date.fromisoformat),
        now,
    )
    return [FieldError(loc=loc, msg=msg) for loc, msg in problems if loc not in reported]


def _lenient(value: object, parse: Callable[[str], T]) -> T | None:
    """``value`` parsed, or None when it is not a string ``parse`` accepts.

    Its own error, if any, is reported already.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = parse(value)
    except ValueError:
        return None
    if isinstance(parsed, datetime) and parsed.tzinfo is None:
        return None
    return parsed


def _partner_errors(
    document: object,
    organisation_id: str | None,
    registry: PartnerRegistry | None,
) -> list[FieldError]:
    if organisation_id is None:
        return []
    referrer = document.get("referrer") if isinstance(document, dict) else None
    claimed = referrer.get("organisation_id") if isinstance(referrer, dict) else None
    errors: list[FieldError] = []
    if claimed is not None and claimed != organisation_id:
        errors.append(
            FieldError(
                loc="referrer.organisation_id",
                msg=f"must be {organisation_id!r}, the organisation whose topic this was sent to",
            )
        )
    if registry is None:
        return errors
    partner = registry.get(organisation_id)
    if partner is None:
        errors.append(
            FieldError(
                loc="referrer.organisation_id",
                msg=f"organisation {organisation_id!r} is not registered with this front door; "
                "ask the local authority to register it",
            )
        )
        return errors
    la = document.get("local_authority") if isinstance(document, dict) else None
    if isinstance(la, str) and la in LOCAL_AUTHORITIES and la not in partner.local_authorities:
        errors.append(
            FieldError(
                loc="local_authority",
                msg=f"{partner.name} is not registered to refer to local authority {la} "
                f"({LOCAL_AUTHORITIES[la]}); it refers to {', '.join(partner.local_authorities)}",
            )
        )
    return errors


def _field_errors(detail: ErrorDetails, contract: str = "Referral v1") -> list[FieldError]:
    """The errors of one pydantic error: a check comparing fields names each field it is about."""
    if detail["type"] == CROSS_FIELD:
        base = "".join(_loc_part(part) for part in detail["loc"])
        return [
            FieldError(loc=(base + "." + field).lstrip("."), msg=detail["msg"])
            for field in detail.get("ctx", {}).get("fields", ())
        ]
    return [_field_error(detail, contract)]


def _field_error(detail: ErrorDetails, contract: str) -> FieldError:
    loc = "".join(_loc_part(part) for part in detail["loc"]).lstrip(".")
    kind = detail["type"]
    if kind == "json_invalid":
        reason = str(detail.get("ctx", {}).get("error", "not JSON"))
        return FieldError(loc=WHOLE_MESSAGE, msg=f"the message is not valid JSON ({reason})")
    if kind == "enum" and loc.endswith(".factor"):
        return FieldError(loc=loc, msg="not a CIN census factor code (e.g. 3B, 16A, 21)")
    if kind == "enum" and loc == "referrer.source":
        return FieldError(loc=loc, msg="not a CIN census referral source code (e.g. 2A, 3A, 6)")
    if kind in _FRIENDLY:
        return FieldError(loc=loc or WHOLE_MESSAGE, msg=_FRIENDLY[kind].format(contract=contract))
    message = detail["msg"].removeprefix("Value error, ")
    return FieldError(loc=loc or WHOLE_MESSAGE, msg=message[0].lower() + message[1:])


def _loc_part(part: int | str) -> str:
    if isinstance(part, int):
        return f"[{part}]"
    if _IDENTIFIER.fullmatch(part):
        return f".{part}"
    return "[" + json.dumps(part[:40]) + "]"  # an odd unknown key: quoted, and kept short


def _capped(errors: list[FieldError]) -> list[FieldError]:
    if len(errors) <= MAX_ERRORS:
        return errors
    more = len(errors) - MAX_ERRORS + 1
    return [
        *errors[: MAX_ERRORS - 1],
        FieldError(loc=WHOLE_MESSAGE, msg=f"and {more} more problems"),
    ]


def _parse_leniently(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _sniff_referral_id(raw: bytes, document: object = None) -> str | None:
    """The referral id of a rejected message, if it carries a legible one."""
    if isinstance(document, dict):
        value = document.get("referral_id")
        if isinstance(value, str) and re.fullmatch(REFERRAL_ID_CHARS, value):
            return value
        return None
    found = _REFERRAL_ID.search(raw[:65536])
    return found.group(1).decode() if found else None
