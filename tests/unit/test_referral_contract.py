"""Referral v1: valid referrals pass; each malformed variant is rejected naming its field."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.validation import Accepted, Rejected, validate_referral
from factories import DELETE, NOW, encode, household, referral, with_path
from runtime.partners import load_registry
from schemas.referral import Referral

REGISTRY = load_registry()


def check(document: object, org: str | None = "cleveland-police") -> Accepted | Rejected:
    return validate_referral(encode(document), organisation_id=org, registry=REGISTRY, now=NOW)


def errors_of(document: object, org: str | None = "cleveland-police") -> dict[str, str]:
    verdict = check(document, org)
    assert isinstance(verdict, Rejected), "expected a rejection"
    return {error.loc: error.msg for error in verdict.errors}


def test_valid_referral_is_accepted_and_normalised() -> None:
    verdict = check(
        referral(
            child=referral()["child"]
            | {
                "nhs_number": "943 476 5919",
                "upn": "a12345678901b",
                "address": {"line1": " 12 Church Street ", "postcode": "ts181ab"},
            },
        ),
    )
    assert isinstance(verdict, Accepted)
    child = verdict.referral.child
    assert child.nhs_number == "9434765919"
    assert child.upn == "A12345678901B"
    assert child.address is not None
    assert child.address.postcode == "TS18 1AB"
    assert child.address.line1 == "12 Church Street"


def test_unborn_child_needs_no_names() -> None:
    child = {"expected_date_of_birth": "2027-02-01", "sex": "U", "family_name": "Smith"}
    assert isinstance(check(referral(child=child)), Accepted)


def test_minimal_referral_is_accepted() -> None:
    minimal = referral(
        referrer={"organisation_id": "cleveland-police", "source": "6"},
        child={"given_name": "A", "family_name": "B", "date_of_birth": "2020-01-01", "sex": "U"},
        consent={"status": "given"},
        risk={"immediate_risk": False, "injury_observed": False},
    )
    assert isinstance(check(minimal), Accepted)


@pytest.mark.parametrize(
    ("path", "value", "loc", "words"),
    [
        ("schema_version", "2", "schema_version", "'1'"),
        ("schema_version", 1, "schema_version", "'1'"),
        ("referral_id", "", "referral_id", "pattern"),
        ("referral_id", "has space", "referral_id", "pattern"),
        ("referral_id", "x" * 65, "referral_id", "pattern"),
        ("referral_id", DELETE, "referral_id", "required"),
        ("submitted_at", "2026-11-17T09:15:00", "submitted_at", "timezone"),
        ("submitted_at", "yesterday", "submitted_at", "datetime"),
        ("submitted_at", "2026-12-17T09:15:00+00:00", "submitted_at", "future"),
        ("submitted_at", "2020-01-01T00:00:00Z", "submitted_at", "more than a year ago"),
        ("local_authority", "999", "local_authority", "DfE local authority"),
        ("local_authority", 808, "local_authority", "string"),
        ("local_authority", "330", "local_authority", "not registered to refer"),
        (
            "referrer.organisation_id",
            "someone-else",
            "referrer.organisation_id",
            "must be 'cleveland-police'",
        ),
        ("referrer.source", "11", "referrer.source", "referral source code"),
        ("referrer.email", "not-an-email", "referrer.email", "pattern"),
        ("referrer.phone", "call me", "referrer.phone", "pattern"),
        ("referrer.badge", "123", "referrer.badge", "unknown field"),
        ("child.nhs_number", "9434765918", "child.nhs_number", "check digit"),
        ("child.nhs_number", "943476591", "child.nhs_number", "10 digits"),
        ("child.nhs_number", 9434765919, "child.nhs_number", "string"),
        ("child.upn", "123456789012", "child.upn", "letter, then 11 digits"),
        ("child.address.postcode", "NOT A CODE", "child.address.postcode", "UK postcode"),
        ("child.address.postcode", DELETE, "child.address.postcode", "required"),
        ("child.address.line1", "", "child.address.line1", "at least 1"),
        ("child.sex", "X", "child.sex", "'F', 'M' or 'U'"),
        ("child.sex", DELETE, "child.sex", "required for a child who is born"),
        ("child.date_of_birth", "2018-02-30", "child.date_of_birth", "date"),
        ("child.date_of_birth", "1800-01-01", "child.date_of_birth", "older than 25"),
        ("child.date_of_birth", "2027-01-01", "child.date_of_birth", "future"),
        ("child.given_name", DELETE, "child.given_name", "required for a child who is born"),
        ("child.given_name", "x" * 101, "child.given_name", "at most 100"),
        ("child.interpreter_needed", "yes", "child.interpreter_needed", "true or false"),
        ("child.eye_colour", "blue", "child.eye_colour", "unknown field"),
        ("concerns", [], "concerns", "at least 1"),
        ("concerns", [{"factor": "3B"}] * 51, "concerns", "at most 50"),
        ("concerns.0.factor", "99Z", "concerns[0].factor", "CIN census factor code"),
        ("concerns.0.detail", "x" * 4001, "concerns[0].detail", "at most 4000"),
        ("concerns.0.severity", "high", "concerns[0].severity", "unknown field"),
        ("summary", "   ", "summary", "at least 1"),
        ("summary", DELETE, "summary", "required"),
        ("risk.immediate_risk", DELETE, "risk.immediate_risk", "required"),
        ("risk.immediate_risk", "false", "risk.immediate_risk", "true or false"),
        ("risk.dash_risk", "severe", "risk.dash_risk", "'standard', 'medium' or 'high'"),
        ("consent.status", "maybe", "consent.status", "'given', 'refused' or 'not_sought'"),
        ("consent.reason", DELETE, "consent.reason", "why consent was not sought"),
        ("colour", "blue", "colour", "unknown field"),
    ],
)
def test_each_malformed_variant_is_rejected_naming_its_field(path, value, loc, words) -> None:
    errors = errors_of(with_path(referral(), path, value))
    assert loc in errors, errors
    assert words in errors[loc]


def test_both_birth_dates_is_one_problem() -> None:
    child = referral()["child"] | {"expected_date_of_birth": "2027-01-01"}
    assert (
        "exactly one of date_of_birth and expected_date_of_birth"
        in errors_of(referral(child=child))["child.date_of_birth"]
    )


def test_neither_birth_date_is_one_problem() -> None:
    child = {k: v for k, v in referral()["child"].items() if k != "date_of_birth"}
    assert "exactly one of" in errors_of(referral(child=child))["child.date_of_birth"]


def test_expected_birth_long_past_asks_for_date_of_birth() -> None:
    child = {"expected_date_of_birth": "2026-06-01", "sex": "U"}
    assert "send date_of_birth" in errors_of(referral(child=child))["child.expected_date_of_birth"]


def test_an_unborn_childs_sex_may_be_absent_and_counts_as_unknown() -> None:
    child = {"expected_date_of_birth": (NOW.date() + timedelta(days=90)).isoformat()}
    verdict = check(referral(child=child))
    assert isinstance(verdict, Accepted), verdict
    assert verdict.referral.child.sex.value == "U"


def test_a_born_child_missing_both_names_has_an_error_beside_each() -> None:
    child = {k: v for k, v in referral()["child"].items() if k not in {"given_name", "family_name"}}
    errors = errors_of(referral(child=child))
    assert "required for a child who is born" in errors["child.given_name"]
    assert "required for a child who is born" in errors["child.family_name"]


def test_every_problem_is_listed_not_just_the_first() -> None:
    document = with_path(referral(), "child.nhs_number", "1234567890")
    document = with_path(document, "local_authority", "000")
    document = with_path(document, "concerns.0.factor", "nope")
    document = with_path(document, "referrer.organisation_id", "another-org")
    errors = errors_of(document)
    assert {
        "child.nhs_number",
        "local_authority",
        "concerns[0].factor",
        "referrer.organisation_id",
    } <= set(errors)


def test_unregistered_organisation_is_rejected() -> None:
    document = with_path(referral(), "referrer.organisation_id", "unheard-of")
    errors = errors_of(document, org="unheard-of")
    assert "not registered" in errors["referrer.organisation_id"]


def test_without_organisation_only_the_contract_is_checked() -> None:
    document = with_path(referral(), "referrer.organisation_id", "unheard-of")
    assert isinstance(check(document, org=None), Accepted)


def test_a_field_error_and_a_date_problem_are_both_listed() -> None:
    """A missing consent *and* a future date of birth: both at once, so a partner mends both."""
    document = with_path(referral(), "consent", DELETE)
    document = with_path(
        document, "child.date_of_birth", (NOW + timedelta(days=3)).date().isoformat()
    )
    document = with_path(document, "submitted_at", (NOW + timedelta(days=1)).isoformat())
    errors = errors_of(document)
    assert set(errors) == {"consent", "child.date_of_birth", "submitted_at"}
    assert errors["child.date_of_birth"] == "is in the future"
    assert errors["submitted_at"] == "is in the future"


def test_a_date_that_is_not_a_date_is_reported_once_by_its_own_check() -> None:
    document = with_path(referral(), "consent", DELETE)
    document = with_path(document, "child.date_of_birth", "31/02/2020")
    errors = errors_of(document)
    assert set(errors) == {"consent", "child.date_of_birth"}
    assert "future" not in errors["child.date_of_birth"]


PHONE_PATTERN = Referral.model_json_schema()["$defs"]["Referrer"]["properties"]["phone"]["anyOf"][
    0
]["pattern"]


@settings(max_examples=300, deadline=None)
@given(phone=st.from_regex(PHONE_PATTERN, fullmatch=True))
def test_every_phone_number_the_published_schema_allows_is_accepted(phone: str) -> None:
    """The schema promises what the validator keeps: a pattern bare of the trimming passed
    " (2328", which trims to five characters and was refused (schemathesis found it)."""
    document = referral(referrer=referral()["referrer"] | {"phone": phone})
    verdict = validate_referral(encode(document), now=NOW)
    assert isinstance(verdict, Accepted), verdict


# JSON Schema's \s is ECMA's: Python's also matches \x1c-\x1f and \x85 (and not \ufeff)
ECMA_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
EMAIL_PATTERN = Referral.model_json_schema()["$defs"]["Referrer"]["properties"]["email"]["anyOf"][
    0
]["pattern"].replace(r"\s", ECMA_SPACE)


@settings(max_examples=300, deadline=None)
@given(email=st.from_regex(EMAIL_PATTERN, fullmatch=True))
def test_every_email_address_the_published_schema_allows_is_accepted(email: str) -> None:
    """Read with ECMA's \\s, as a JSON Schema validator does: an address holding \\x85 or \\x1f
    matched the published pattern and was refused here (schemathesis found it)."""
    document = referral(referrer=referral()["referrer"] | {"email": email})
    verdict = validate_referral(encode(document), now=NOW)
    assert isinstance(verdict, Accepted), verdict


# --- the household and family (DOMAIN B "The whole story"): optional, additive to v1 ---------

FAMILY = household()


def test_an_old_v1_referral_without_a_household_is_accepted_and_hashes_as_before() -> None:
    from schemas.intake import AcceptedReferral, Origin, content_hash  # noqa: PLC0415

    verdict = check(referral())
    assert isinstance(verdict, Accepted)
    assert verdict.referral.household == []
    assert verdict.referral.child.school_urn is verdict.referral.child.gp_practice is None
    # the hash before the household existed (5fa9ca1): a resend after the upgrade is a duplicate
    assert content_hash(verdict.referral) == (
        "8975e4dcba936ee2280c975888abef541abb167189e7a4a379d25774f52c2c2a"
    )
    origin = Origin(topic="t", partition=0, offset=0)
    with_family = check(referral(household=FAMILY))
    assert isinstance(with_family, Accepted)
    assert AcceptedReferral.of(
        with_family.referral, "cleveland-police", NOW, origin
    ).content_hash != content_hash(verdict.referral)


def test_a_household_with_two_people_and_the_childs_school_and_gp_is_kept_whole() -> None:
    document = referral(household=FAMILY)
    document["child"] |= {"school_urn": "149001", "gp_practice": "A81001"}
    verdict = check(document)
    assert isinstance(verdict, Accepted)
    mother, alleged = verdict.referral.household
    assert (mother.relationship.value, mother.first_language, mother.knows_of_referral) == (
        "mother",
        "Polish",
        False,
    )
    assert alleged.approximate_age == 34
    assert alleged.address is not None
    assert alleged.address.postcode == "TS17 6AB"
    assert verdict.referral.child.school_urn == "149001"


def test_each_problem_with_the_household_is_beside_its_field_and_repeats_no_value() -> None:
    future = (NOW + timedelta(days=30)).date().isoformat()
    document = referral(
        household=[
            {"relationship": "neighbour", "given_name": "Zebedee"},
            {"relationship": "father", "date_of_birth": "1980-01-01", "approximate_age": 46},
            {"relationship": "sibling", "date_of_birth": future},
            {"relationship": "carer", "approximate_age": 140},
        ]
    )
    document["child"] |= {"school_urn": "14900", "gp_practice": "a81001"}
    errors = errors_of(document)
    assert set(errors) >= {
        "household[0].relationship",
        "household[1].approximate_age",
        "household[3].approximate_age",
        "child.school_urn",
        "child.gp_practice",
    }
    assert "neighbour" not in " ".join(errors.values())
    assert "14900" not in " ".join(errors.values())
    # a date in the future is about that person's date, once the rest is right
    assert errors_of(
        referral(household=[{"relationship": "sibling", "date_of_birth": future}])
    ) == {"household[0].date_of_birth": "is in the future"}


def test_the_readmes_example_referral_with_a_household_is_valid() -> None:
    from pathlib import Path  # noqa: PLC0415

    example = Path(__file__).parents[2] / "examples" / "referral.json"
    sent = datetime.fromisoformat("2026-12-08T10:00:00+00:00")  # an hour after it says it was
    verdict = validate_referral(
        example.read_bytes(), organisation_id="cleveland-police", registry=REGISTRY, now=sent
    )
    assert isinstance(verdict, Accepted), verdict
    assert [p.relationship.value for p in verdict.referral.household] == [
        "mother",
        "sibling",
        "person-alleged-to-pose-a-risk",
    ]
    assert "examples/referral.json" in (example.parents[1] / "README.md").read_text()


def test_an_approximate_age_written_as_a_whole_number_with_a_fraction_is_that_number() -> None:
    """JSON Schema's integer includes 34.0, so the published contract allows it: so do we."""
    verdict = check(referral(household=[{"relationship": "father", "approximate_age": 34.0}]))
    assert isinstance(verdict, Accepted)
    assert verdict.referral.household[0].approximate_age == 34
    assert set(errors_of(referral(household=[{"relationship": "father", "approximate_age": 34.5}])))
    both = {"relationship": "father", "approximate_age": 34, "date_of_birth": "1990-01-01"}
    assert errors_of(referral(household=[both])) == {
        "household[0].approximate_age": "give a date of birth or an approximate age, not both"
    }
