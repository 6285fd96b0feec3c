"""Whatever bytes arrive, validation answers: accepted, or rejected with located errors."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.validation import MAX_ERRORS, Accepted, Rejected, validate_referral
from factories import NOW, encode, referral
from runtime.partners import load_registry
from schemas.referral import MAX_REFERRAL_BYTES

REGISTRY = load_registry()
SEGMENT = r'(\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\["([^"\\]|\\.)*"\])'
LOC = re.compile(rf"^(message|[A-Za-z_][A-Za-z0-9_]*{SEGMENT}*|{SEGMENT}+)$")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)


def verdict_of(raw: bytes) -> Accepted | Rejected:
    return validate_referral(raw, organisation_id="cleveland-police", registry=REGISTRY, now=NOW)


def assert_well_formed_rejection(verdict: Accepted | Rejected) -> None:
    assert isinstance(verdict, Rejected)
    assert 1 <= len(verdict.errors) <= MAX_ERRORS
    for error in verdict.errors:
        assert LOC.match(error.loc), error.loc
        assert error.msg


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_rejected_cleanly(raw: bytes) -> None:
    assert_well_formed_rejection(verdict_of(raw))


@given(json_values)
def test_arbitrary_json_is_rejected_cleanly(value: Any) -> None:
    assert_well_formed_rejection(verdict_of(json.dumps(value).encode()))


def _mutations() -> st.SearchStrategy[dict[str, Any]]:
    """A valid referral with one value somewhere replaced by an arbitrary JSON value."""
    paths = [
        ("referral_id",),
        ("submitted_at",),
        ("local_authority",),
        ("summary",),
        ("referrer", "source"),
        ("referrer", "email"),
        ("child", "sex"),
        ("child", "nhs_number"),
        ("child", "date_of_birth"),
        ("child", "given_name"),
        ("child", "address"),
        ("child", "address", "postcode"),
        ("concerns",),
        ("risk", "dash_risk"),
        ("risk", "immediate_risk"),
        ("consent", "status"),
        ("child",),
        ("risk",),
    ]

    def mutate(path: tuple[str, ...], value: Any) -> dict[str, Any]:
        document = referral()
        target = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return document

    return st.builds(mutate, st.sampled_from(paths), json_values)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_mutated_referrals_are_accepted_or_rejected_with_located_errors(document) -> None:
    verdict = verdict_of(encode(document))
    if isinstance(verdict, Rejected):
        assert_well_formed_rejection(verdict)
        assert (
            verdict.referral_id == "CP-2026-000123" or document["referral_id"] != "CP-2026-000123"
        )


@settings(max_examples=100)
@given(
    given_name=st.from_regex(r"[A-Z][a-z]{3,12}", fullmatch=True),
    family_name=st.from_regex(r"[A-Z][a-z]{3,12}", fullmatch=True),
    postcode=st.sampled_from(["TS18 1AB", "TS19 7QX", "TS20 2EW"]),
)
def test_errors_never_repeat_the_childs_details(given_name, family_name, postcode) -> None:
    child = referral()["child"] | {
        "given_name": given_name,
        "family_name": family_name,
        "nhs_number": "9434765918",  # wrong check digit
        "date_of_birth": "2031-02-03",  # in the future
        "address": {"line1": "1 High Street", "postcode": postcode, "extra": given_name},
    }
    verdict = verdict_of(encode(referral(child=child)))
    assert isinstance(verdict, Rejected)
    text = json.dumps([e.model_dump() for e in verdict.errors])
    for secret in (given_name, family_name, "9434765918", "2031-02-03", postcode):
        assert secret not in text


def test_oversized_message_is_rejected_by_size_with_its_referral_id() -> None:
    document = referral(summary="x" * (MAX_REFERRAL_BYTES + 10))
    verdict = verdict_of(encode(document))
    assert isinstance(verdict, Rejected)
    assert verdict.referral_id == "CP-2026-000123"
    assert "the limit is 256 KiB" in verdict.errors[0].msg


def test_ten_megabytes_of_garbage_is_rejected() -> None:
    verdict = verdict_of(b"\x00" * (10 * 1024 * 1024))
    assert_well_formed_rejection(verdict)
    assert verdict.referral_id is None


def test_deeply_nested_json_is_rejected() -> None:
    raw = b'{"summary":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    verdict = verdict_of(raw)
    assert_well_formed_rejection(verdict)
    assert "not valid JSON" in verdict.errors[0].msg


def test_wrongly_encoded_text_is_rejected() -> None:
    raw = encode(referral()).replace(b"Smith", "Sm\u00eftth".encode("latin-1"))
    assert_well_formed_rejection(verdict_of(raw))


def test_thousands_of_problems_are_capped_with_a_count() -> None:
    document = referral(**{f"unknown_{i}": i for i in range(1000)})
    verdict = verdict_of(encode(document))
    assert isinstance(verdict, Rejected)
    assert len(verdict.errors) == MAX_ERRORS
    assert verdict.errors[-1].msg == f"and {1000 - MAX_ERRORS + 1} more problems"
