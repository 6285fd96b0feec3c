"""Referral v1: what a partner publishes to ``referrals.inbound.<organisation_id>``.

Partner input is validated strictly: unknown fields are refused at every level, types are not
coerced, identifiers are checked (NHS number modulus 11, UPN and postcode shapes, DfE LA
numbers) and normalised, and the dates have to make sense on the day the message arrives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, ValuesView
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from schemas.codes import (
    ConsentStatus,
    DashRisk,
    Ethnicity,
    Factor,
    ParentalResponsibility,
    ReferralSource,
    Relationship,
    Sex,
)
from schemas.identifiers import normalise_nhs_number, normalise_postcode, normalise_upn
from schemas.local_authorities import LOCAL_AUTHORITIES
from schemas.topics import ORGANISATION_ID

MAX_REFERRAL_BYTES = 256 * 1024
REFERRAL_ID_CHARS = r"[A-Za-z0-9._:/-]{1,64}"
MAX_CONCERNS = 50
MAX_HOUSEHOLD = 30  # people named in one referral's household and family
OLDEST_PERSON_YEARS = 120
OLDEST_AGE_YEARS = 25  # care leavers are supported to 25
SUBMITTED_AT_SKEW = timedelta(minutes=10)
OLDEST_SUBMISSION = timedelta(days=366)
EXPECTED_BIRTH_GRACE = timedelta(days=31)
LONGEST_PREGNANCY_AHEAD = timedelta(days=300)


def age_on(born: date, day: date) -> int:
    """Age in whole years on ``day`` of someone born on ``born``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


CROSS_FIELD = "cross_field"


def about(*fields: str, msg: str) -> PydanticCustomError:
    """An error from a check that compares fields, naming the field(s) it is about.

    ``fields`` are dotted paths from the model that raises it; the validator turns them into
    each error's ``loc`` (a form puts the message beside that field).
    """
    return PydanticCustomError(CROSS_FIELD, msg, {"fields": fields})


def _known_la(value: str) -> str:
    if value not in LOCAL_AUTHORITIES:
        raise ValueError(
            "not a DfE local authority number (three digits, e.g. 808 for Stockton-on-Tees)"
        )
    return value


# What the published schema adds to what the types say (the validator checks the same, after
# trimming): text that is more than white space; the identifiers' shapes; the LA numbers.
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"  # what str.strip() would leave something of
POSTCODE_SHAPE = (
    r"^([Gg][Ii][Rr] ?0[Aa]{2}|[A-PR-UWYZa-pr-uwyz]"
    r"(\d{1,2}|[A-HK-Ya-hk-y]\d(\d|[ABEHMNPRV-Yabehmnprv-y])?|\d[A-HJKPS-UWa-hjkps-uw])"
    r" ?\d[ABD-HJLNP-UW-Zabd-hjlnp-uw-z]{2})$"
)
# Control characters: C0 but tab, new line and carriage return; DEL; C1. PostgreSQL refuses NUL
# in text (one in a summary once stopped the records for every council), and none belongs in
# what a person reads. One definition: the validator and the published patterns derive from it.
CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
EMAIL_PART = rf"[^@\s{CONTROLS}]"  # no control character (as in every text field)
NOT_BLANK_TEXT = Field(json_schema_extra={"pattern": NOT_BLANK})
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NOT_BLANK_TEXT
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NOT_BLANK_TEXT
]
ReferralId = Annotated[
    str,
    StringConstraints(pattern=rf"^{REFERRAL_ID_CHARS}$"),
    Field(description="The partner's own reference: 1-64 of A-Z a-z 0-9 . _ : / -"),
]
OrganisationId = Annotated[str, StringConstraints(pattern=ORGANISATION_ID.pattern)]
LaNumber = Annotated[
    str, AfterValidator(_known_la), Field(json_schema_extra={"enum": sorted(LOCAL_AUTHORITIES)})
]
NhsNumber = Annotated[
    str,
    AfterValidator(normalise_nhs_number),
    Field(json_schema_extra={"pattern": r"^\d{3}[ -]?\d{3}[ -]?\d{4}$"}),
]
Upn = Annotated[
    str,
    AfterValidator(normalise_upn),
    Field(json_schema_extra={"pattern": r"^[A-Za-z]\d{11}[0-9A-Za-z]$"}),
]
Postcode = Annotated[
    str, AfterValidator(normalise_postcode), Field(json_schema_extra={"pattern": POSTCODE_SHAPE})
]
Email = Annotated[
    str,
    # Python's \s also matches \x1c-\x1f and \x85, which JSON Schema's (ECMA) \s does not:
    # both are named, so that no address the published pattern allows is refused here
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=rf"^{EMAIL_PART}+@{EMAIL_PART}+\.{EMAIL_PART}+$",
    ),
]
Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,20}$"),
    # the published pattern is what is left after trimming: 6-20 characters, the first and last
    # not a space (a bare pattern would pass " (2328", which trims to five and is refused)
    Field(
        json_schema_extra={
            "pattern": r"^(?:\+[0-9 ()-]{5,19}[0-9()-]|[0-9()-][0-9 ()-]{4,18}[0-9()-])$"
        }
    ),
]


CONTROL_CHARACTER = re.compile(f"[{CONTROLS}]")


def refuse_control_characters(value: object) -> object:
    """``value`` unchanged, or a ValueError naming the first control character's code point.

    Strings are checked, and the strings in lists, tuples and dicts; models check themselves.
    """
    found = _first_control(value)
    if found is not None:
        raise ValueError(
            f"contains a control character (U+{ord(found):04X}); only tab, new line and "
            "carriage return may appear in text"
        )
    return value


def _first_control(value: object) -> str | None:
    if isinstance(value, str):
        match = CONTROL_CHARACTER.search(value)
        return match.group() if match else None
    items = value.values() if isinstance(value, dict) else value
    if isinstance(items, list | tuple | ValuesView):
        return next((c for item in items if (c := _first_control(item)) is not None), None)
    return None


# The same in the published JSON Schema (ECMA regex), so a partner's generated validator agrees.
TEXT_CHARACTER = f"[^{CONTROLS}]"
TEXT_PATTERN = f"^{TEXT_CHARACTER}*$"
NOT_BLANK_TEXT_PATTERN = rf"^{TEXT_CHARACTER}*[^\s{CONTROLS}]{TEXT_CHARACTER}*$"


def _published_text_patterns(schema: dict[str, Any], _model: type[BaseModel]) -> None:
    """Give every free-text string of a model's JSON Schema the control-character rule."""
    for field in schema.get("properties", {}).values():
        _text_pattern(field)


def text_patterns_and(extra: dict[str, Any]) -> Callable[[dict[str, Any], type[BaseModel]], None]:
    """A model's own JSON Schema additions (``extra``), and the control-character rule."""

    def add(schema: dict[str, Any], model: type[BaseModel]) -> None:
        _published_text_patterns(schema, model)
        schema.update(extra)

    return add


def _text_pattern(node: dict[str, Any]) -> None:
    for option in node.get("anyOf", []):
        _text_pattern(option)
    if isinstance(node.get("items"), dict):
        _text_pattern(node["items"])
    if node.get("type") != "string" or "format" in node or "enum" in node or "const" in node:
        return
    if node.get("pattern") == NOT_BLANK:
        node["pattern"] = NOT_BLANK_TEXT_PATTERN
    elif "pattern" not in node:
        node["pattern"] = TEXT_PATTERN


class PlainText(BaseModel):
    """A model none of whose text holds a control character (but tab, new line, return).

    Refused by :func:`refuse_control_characters`, with the field named.
    """

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        return refuse_control_characters(value)


class PartnerModel(PlainText):
    """Base of every part of partner input: strict types, no unknown fields, immutable.

    No text holds a control character (:class:`PlainText`), and the published JSON Schema says
    so.
    """

    # hide_input_in_errors: a ValidationError's text never repeats the child's details.
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        hide_input_in_errors=True,
        json_schema_extra=_published_text_patterns,
    )


class Address(PartnerModel):
    """Where the child lives."""

    line1: Text = Field(description="First line of the address.")
    line2: Text | None = Field(default=None, description="Second line of the address.")
    town: Text | None = Field(default=None, description="Town or city.")
    postcode: Postcode = Field(description="UK postcode; normalised to upper case with one space.")


class Child(PartnerModel):
    """The child the referral is about (or the unborn child)."""

    model_config = ConfigDict(
        json_schema_extra=text_patterns_and(
            {
                "oneOf": [
                    {
                        "title": "born: a date of birth, both names and sex",
                        "required": ["date_of_birth", "given_name", "family_name", "sex"],
                        "properties": {
                            "date_of_birth": {"type": "string"},
                            "given_name": {"type": "string"},
                            "family_name": {"type": "string"},
                            "expected_date_of_birth": {"type": "null"},
                        },
                    },
                    {
                        "title": "unborn: an expected date of birth",
                        "required": ["expected_date_of_birth"],
                        "properties": {
                            "expected_date_of_birth": {"type": "string"},
                            "date_of_birth": {"type": "null"},
                        },
                    },
                ]
            }
        )
    )

    given_name: Name | None = Field(default=None, description="Given name; required once born.")
    family_name: Name | None = Field(default=None, description="Family name; required once born.")
    date_of_birth: date | None = Field(default=None, description="Date of birth (YYYY-MM-DD).")
    expected_date_of_birth: date | None = Field(
        default=None,
        description="For an unborn child instead of date_of_birth (YYYY-MM-DD).",
    )
    sex: Sex = Field(
        default=Sex.UNKNOWN,
        description="F, M or U (unknown or not stated); required once born, optional for an "
        "unborn child (counts as U).",
    )
    ethnicity: Ethnicity | None = Field(
        default=None,
        description="The census's four-letter ethnicity code (e.g. WBRI; NOBT when not obtained).",
    )
    nhs_number: NhsNumber | None = Field(
        default=None,
        description="10-digit NHS number with a valid modulus-11 check digit.",
    )
    upn: Upn | None = Field(default=None, description="Unique Pupil Number (13 characters).")
    address: Address | None = Field(default=None, description="Where the child lives.")
    first_language: Text | None = Field(default=None, description="The child's first language.")
    interpreter_needed: bool | None = Field(
        default=None,
        description="Whether the family needs an interpreter.",
    )
    school_urn: Annotated[str, StringConstraints(pattern=r"^\d{6}$")] | None = Field(
        default=None, description="The child's school, by its URN (six digits), where known."
    )
    gp_practice: Annotated[str, StringConstraints(pattern=r"^[A-Z]\d{5}$")] | None = Field(
        default=None,
        description="The child's GP practice, by its ODS code (a letter and five digits).",
    )

    @model_validator(mode="after")
    def _born_or_expected(self) -> Self:
        if (self.date_of_birth is None) == (self.expected_date_of_birth is None):
            raise about(
                "date_of_birth",
                msg="give exactly one of date_of_birth and expected_date_of_birth (unborn)",
            )
        if self.date_of_birth is not None:
            missing = [
                name
                for name in ("given_name", "family_name", "sex")
                if name not in self.model_fields_set or getattr(self, name) is None
            ]
            if missing:
                raise about(*missing, msg="this field is required for a child who is born")
        return self

    @property
    def unborn(self) -> bool:
        """True for an unborn child."""
        return self.date_of_birth is None


def _whole_number(value: object) -> object:
    """A whole number written with a fraction (JSON's 34.0) is the integer it is."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class HouseholdMember(PartnerModel):
    """A member of the child's household or family, as the referrer knows them (DOMAIN B)."""

    model_config = ConfigDict(
        json_schema_extra=text_patterns_and(
            {  # a date of birth or an approximate age, not both
                "not": {
                    "required": ["date_of_birth", "approximate_age"],
                    "properties": {
                        "date_of_birth": {"type": "string"},
                        "approximate_age": {"type": "number"},
                    },
                }
            }
        )
    )

    relationship: Relationship = Field(
        description="How they are related to the child: mother, father, step-parent, carer, "
        "sibling, other-adult-in-household, other-family-member, person-alleged-to-pose-a-risk."
    )
    given_name: Name | None = Field(default=None, description="Given name, if known.")
    family_name: Name | None = Field(default=None, description="Family name, if known.")
    date_of_birth: date | None = Field(default=None, description="Date of birth, if known.")
    approximate_age: int | None = Field(
        default=None,
        ge=0,
        le=OLDEST_PERSON_YEARS,
        description="Age in years when the date of birth is not known.",
    )
    lives_with_child: bool | None = Field(
        default=None, description="Whether they live with the child."
    )
    parental_responsibility: ParentalResponsibility | None = Field(
        default=None, description="Whether they hold parental responsibility: yes, no, unknown."
    )
    address: Address | None = Field(
        default=None, description="Their address, if it differs from the child's."
    )
    first_language: Text | None = Field(default=None, description="Their first language.")
    interpreter_needed: bool | None = Field(
        default=None, description="Whether they need an interpreter."
    )
    knows_of_referral: bool | None = Field(
        default=None, description="Whether they know of this referral."
    )

    @field_validator("approximate_age", mode="before")
    @classmethod
    def _whole(cls, value: object) -> object:
        return _whole_number(value)

    @model_validator(mode="after")
    def _one_age(self) -> Self:
        if self.date_of_birth is not None and self.approximate_age is not None:
            raise about(
                "approximate_age", msg="give a date of birth or an approximate age, not both"
            )
        return self


class Referrer(PartnerModel):
    """Who is making the referral."""

    organisation_id: OrganisationId = Field(
        description="The referring organisation; must be the organisation of the topic.",
    )
    source: ReferralSource = Field(description="CIN census referral source code, e.g. 6 police.")
    name: Name | None = Field(default=None, description="The referrer's name.")
    role: Text | None = Field(default=None, description="The referrer's role.")
    email: Email | None = Field(default=None, description="Where the referrer can be reached.")
    phone: Phone | None = Field(default=None, description="The referrer's phone number.")


class Concern(PartnerModel):
    """One worry about the child, as a CIN factor code with the referrer's detail."""

    factor: Factor = Field(description="CIN census factor code, e.g. 3B domestic abuse.")
    detail: Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)] = Field(
        default="",
        description="What the referrer saw or was told.",
    )


class Risk(PartnerModel):
    """The referrer's view of immediate risk."""

    immediate_risk: bool = Field(description="The referrer believes the child is at risk now.")
    dash_risk: DashRisk | None = Field(
        default=None,
        description="DASH domestic-abuse grade, when police graded one.",
    )
    injury_observed: bool = Field(description="The referrer saw an injury.")


class Consent(PartnerModel):
    """Whether the family consented, and why not when it was not sought."""

    model_config = ConfigDict(
        json_schema_extra=text_patterns_and(
            {
                "if": {"properties": {"status": {"const": "not_sought"}}, "required": ["status"]},
                "then": {
                    "required": ["reason"],
                    "properties": {"reason": {"type": "string", "pattern": NOT_BLANK}},
                },
            }
        )
    )

    status: ConsentStatus = Field(description="given, refused or not_sought.")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = (
        Field(default=None, description="Why consent was not sought (required then).")
    )

    @model_validator(mode="after")
    def _reason_when_not_sought(self) -> Self:
        if self.status is ConsentStatus.NOT_SOUGHT and not self.reason:
            raise about(
                "reason", msg="say why consent was not sought (the decision must be recorded)"
            )
        return self


class Referral(PartnerModel):
    """Referral v1, as a partner publishes it."""

    schema_version: Literal["1"] = Field(description='Always "1" for this version.')
    referral_id: ReferralId
    submitted_at: AwareDatetime = Field(description="When it was sent: RFC 3339 with an offset.")
    local_authority: LaNumber = Field(description="DfE three-digit LA number, e.g. 808.")
    referrer: Referrer = Field(description="Who is referring.")
    child: Child = Field(description="The child.")
    concerns: list[Concern] = Field(
        min_length=1,
        max_length=MAX_CONCERNS,
        description="One or more concerns.",
    )
    summary: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)
    ] = Field(description="The referrer's account of what happened.")
    risk: Risk = Field(description="Immediate risk, injury and DASH grade.")
    consent: Consent = Field(description="The family's consent.")
    household: list[HouseholdMember] = Field(
        default_factory=list,
        max_length=MAX_HOUSEHOLD,
        description="The child's household and family, where known (optional): parents, "
        "carers, siblings, other adults, and any person alleged to pose a risk.",
    )

    @model_validator(mode="after")
    def _dates_make_sense(self, info: ValidationInfo) -> Self:
        """At intake (``context={"now": ...}``): dates must make sense on arrival.

        Records read back later (accepted referrals, replays) were checked when they arrived
        and are not judged against a later clock.
        """
        now: datetime | None = (info.context or {}).get("now")
        if now is None:
            return self
        problems = date_problems(
            self.submitted_at, self.child.date_of_birth, self.child.expected_date_of_birth, now
        ) + [
            (f"household[{n}].date_of_birth", "is in the future")
            for n, member in enumerate(self.household)
            if member.date_of_birth is not None and member.date_of_birth > now.date()
        ]
        if problems:
            field, msg = problems[0]
            raise about(field, msg=msg)
        return self


def date_problems(
    submitted_at: datetime | None, born: date | None, expected: date | None, now: datetime
) -> list[tuple[str, str]]:
    """Each date that does not make sense on arrival at ``now``: (its field, why).

    Also run on a referral that failed other checks, so a partner hears of every problem at
    once (a missing consent *and* a future date of birth), not one per attempt.
    """
    today = now.date()
    found: list[tuple[str, str]] = []
    if submitted_at is not None and submitted_at > now + SUBMITTED_AT_SKEW:
        found.append(("submitted_at", "is in the future"))
    elif submitted_at is not None and submitted_at < now - OLDEST_SUBMISSION:
        found.append(("submitted_at", "is more than a year ago"))
    if born is not None and born > today:
        found.append(("child.date_of_birth", "is in the future"))
    elif born is not None and age_on(born, today) > OLDEST_AGE_YEARS:
        found.append(("child.date_of_birth", f"makes the child older than {OLDEST_AGE_YEARS}"))
    if expected is not None and not (
        today - EXPECTED_BIRTH_GRACE <= expected <= today + LONGEST_PREGNANCY_AHEAD
    ):
        found.append(
            (
                "child.expected_date_of_birth",
                (
                    "must lie between a month ago and 300 days ahead; once the child is born, "
                    "send date_of_birth"
                ),
            )
        )
    return found
