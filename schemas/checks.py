"""Partner checks on the wire: what a partner answers, and the receipts it gets back.

A check request (``schemas.triage.CheckRequest``, what triage writes) asks a partner what its
own records hold about a child; the partner answers once, on ``checks.answers.<org>`` or through
the gateway, with Answer v1 (:class:`CheckAnswer`), validated as strictly as a referral: unknown
fields refused, types not coerced, every error naming its field. Each answer read from Kafka is
acknowledged on ``checks.requests.<org>`` by a :class:`CheckReceipt` (recorded, or refused with
the reasons).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.config import JsonDict

from schemas.intake import Origin
from schemas.referral import NOT_BLANK_TEXT, PartnerModel, Text, about, text_patterns_and
from schemas.status import FieldError

MAX_INFORMATION_CHARS = 10_000
MAX_ANSWER_BYTES = 64 * 1024
ANSWERED_AT_SKEW = timedelta(minutes=10)
# chk-<LA>-<20 hex>: the council's number in the id lets intake key an answer to the partition
# that holds the case, without a lookup.
REQUEST_ID = re.compile(r"^chk-(\d{3})-[0-9a-f]{20}$")
AGENCY = re.compile(r"^[a-z][a-z-]{1,30}$")
POLICE, HEALTH, EDUCATION = "police", "health", "education"
DEFAULT_AGENCIES = (POLICE, HEALTH, EDUCATION)

# DOMAIN A, "Data protection": the basis every request states, for the partner's own records.
LAWFUL_BASIS = (
    "UK GDPR Art. 6(1)(e) public task; for special category data Art. 9(2)(g) and Data "
    "Protection Act 2018 Sch. 1 para 18 (safeguarding of children and individuals at risk); "
    "Children Act 2004 s.16LA duty to share (Children's Wellbeing and Schools Act 2026). "
    "Consent not sought: seeking it could place the child at risk."
)


class CheckResult(StrEnum):
    """What a partner's records hold."""

    INFORMATION = "information"
    NO_TRACE = "no-trace"
    DECLINED = "declined"


class CheckFlag(StrEnum):
    """Optional markers on an ``information`` answer."""

    KNOWN_TO_AGENCY = "known-to-agency"
    OPEN_INVOLVEMENT = "open-involvement"
    RISK_MARKERS = "risk-markers"


class CheckMessageKind(StrEnum):
    """What a message on ``checks.requests.<org>`` is."""

    REQUEST = "request"
    REMINDER = "reminder"
    WITHDRAWN = "withdrawn"
    ANSWER_RECORDED = "answer-recorded"
    ANSWER_REFUSED = "answer-refused"


RequestId = Annotated[
    str,
    StringConstraints(pattern=REQUEST_ID.pattern),
    Field(description="The request answered, as the request gave it (chk-<LA>-<20 hex>)."),
]
Information = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_INFORMATION_CHARS),
    NOT_BLANK_TEXT,
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NOT_BLANK_TEXT
]


class AnsweredBy(PartnerModel):
    """Who answered, for the audit of every disclosure."""

    name: Text = Field(description="The person who answered.")
    role: Text = Field(description="Their role, e.g. 'MASH police researcher'.")


def _when(result: CheckResult, then: JsonDict) -> JsonDict:
    return {
        "if": {"properties": {"result": {"const": result.value}}, "required": ["result"]},
        "then": then,
    }


NOTHING: JsonDict = {"type": "null"}


class CheckAnswer(PartnerModel):
    """Answer v1: one partner's answer to one check request (``checks.answers.<org>``)."""

    # What the validator checks across fields, said in the published schema too.
    model_config = ConfigDict(
        json_schema_extra=text_patterns_and(
            {
                "allOf": [
                    _when(
                        CheckResult.INFORMATION,
                        {
                            "required": ["information"],
                            "properties": {"information": {"type": "string"}},
                        },
                    ),
                    _when(
                        CheckResult.NO_TRACE,
                        {"properties": {"information": NOTHING, "flags": {"maxItems": 0}}},
                    ),
                    _when(
                        CheckResult.DECLINED,
                        {
                            "required": ["reason"],
                            "properties": {
                                "information": NOTHING,
                                "flags": {"maxItems": 0},
                                "reason": {"type": "string"},
                            },
                        },
                    ),
                ]
            }
        )
    )

    request_id: RequestId
    result: CheckResult = Field(description="information, no-trace or declined.")
    information: Information | None = Field(
        default=None,
        description="What the agency's records hold (only for `information`; at most 10,000 "
        "characters).",
    )
    flags: list[CheckFlag] = Field(
        default_factory=list,
        max_length=3,
        json_schema_extra={"uniqueItems": True},
        description="For `information`: known-to-agency, open-involvement, risk-markers.",
    )
    reason: Reason | None = Field(
        default=None,
        description="Required for `declined`: why (e.g. disclosure would be more detrimental "
        "to the child than not disclosing; not the right agency).",
    )
    answered_by: AnsweredBy = Field(description="Who answered: name and role.")
    answered_at: AwareDatetime = Field(description="When: RFC 3339 with an offset.")

    @model_validator(mode="after")
    def _fits_its_result(self) -> Self:
        if self.result is CheckResult.INFORMATION and self.information is None:
            raise about("information", msg="an 'information' answer says what is held")
        if self.result is not CheckResult.INFORMATION and self.information is not None:
            raise about("information", msg="only an 'information' answer carries information")
        if self.result is not CheckResult.INFORMATION and self.flags:
            raise about("flags", msg="only an 'information' answer carries flags")
        if self.result is CheckResult.DECLINED and self.reason is None:
            raise about("reason", msg="a declined check needs its reason")
        if len(set(self.flags)) != len(self.flags):
            raise about("flags", msg="each flag at most once")
        return self


def answered_at_problems(answered_at: datetime, now: datetime) -> list[tuple[str, str]]:
    """The checks of ``answered_at`` that need the time of arrival."""
    if answered_at > now + ANSWERED_AT_SKEW:
        return [("answered_at", "is in the future")]
    return []


def local_authority_of(request_id: str) -> str | None:
    """The council whose request this is, from its id (None if it is not a request id)."""
    found = REQUEST_ID.fullmatch(request_id)
    return found.group(1) if found else None


class CheckReceipt(BaseModel):
    """What became of an answer read from ``checks.answers.<org>``: recorded, or refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal[CheckMessageKind.ANSWER_RECORDED, CheckMessageKind.ANSWER_REFUSED] = Field(
        description="answer-recorded or answer-refused."
    )
    request_id: str | None = Field(description="The request the answer named, if legible.")
    late: bool = Field(default=False, description="Recorded after the request's due time.")
    errors: list[FieldError] = Field(
        default_factory=list, description="For answer-refused: every problem, by field."
    )
    occurred_at: datetime = Field(description="When it was decided.")


class ReceivedAnswer(BaseModel):
    """An answer that passed validation (``checks.received``, keyed by local authority)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    organisation_id: str = Field(description="The organisation whose topic (or key) sent it.")
    local_authority: str = Field(description="The council of the request (from its id).")
    received_at: datetime = Field(description="When Front Door read it.")
    origin: Origin = Field(description="Where it was read: topic, partition, offset.")
    answer: CheckAnswer = Field(description="The answer, as validated.")
