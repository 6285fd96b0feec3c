"""What intake tells a partner, exactly: every validator's verdict in full, not a field name in it.

A partner's developer reads these messages to mend their system, and the referral id on a
rejection routes its status event back to them; so each is asserted whole — its location, its
wording, the id it carries — for referrals, check answers, Encompass notices and a school's
acknowledgement, with each size limit and each date's boundary on both sides. Written so that
`make mutate` kills a change to domain/validation.py, schemas/identifiers.py or
schemas/referral.py's date rules that the property tests would not notice (they ask only that
every error be located and never repeat a value).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from domain.validation import (
    MAX_ERRORS,
    AnswerRejected,
    NoticeRejected,
    Rejected,
    validate_acknowledgement,
    validate_answer,
    validate_notice,
    validate_referral,
)
from factories import NOW, encode, notice, referral
from runtime.partners import load_registry
from schemas.checks import MAX_ANSWER_BYTES
from schemas.encompass import MAX_NOTICE_BYTES, AcknowledgeBody
from schemas.identifiers import normalise_nhs_number, normalise_postcode, normalise_upn
from schemas.referral import MAX_REFERRAL_BYTES, age_on, date_problems
from schemas.status import FieldError

REGISTRY = load_registry()
POLICE, SCHOOL = "cleveland-police", "stockton-riverside-academy"
REQUEST_ID = "chk-808-" + "a" * 20
UNKNOWN = "unknown field: {} has no field of this name"


def fe(loc: str, msg: str) -> FieldError:
    return FieldError(loc=loc, msg=msg)


def answer(**fields: object) -> dict[str, Any]:
    return {
        "request_id": REQUEST_ID,
        "result": "no-trace",
        "answered_by": {"name": "A Person", "role": "Researcher"},
        "answered_at": NOW.isoformat(),
    } | fields


def padded(document: dict[str, Any], size: int) -> bytes:
    """``document`` as JSON of exactly ``size`` bytes (white space before its closing brace)."""
    raw = encode(document)
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


# --- referrals -------------------------------------------------------------------------------


def test_a_referral_at_the_size_limit_is_read_and_one_byte_more_is_refused_by_size() -> None:
    assert isinstance(
        validate_referral(padded(referral(), MAX_REFERRAL_BYTES), now=NOW).referral, object
    )
    assert not isinstance(
        validate_referral(padded(referral(), MAX_REFERRAL_BYTES), now=NOW), Rejected
    )
    # 300.6 KiB: said to the nearest KiB
    assert validate_referral(padded(referral(), 307_814), now=NOW) == Rejected(
        "CP-2026-000123", [fe("message", "the message is 301 KiB; the limit is 256 KiB")]
    )


def test_a_valid_referral_on_another_organisations_topic_is_refused_with_its_id() -> None:
    verdict = validate_referral(
        encode(referral()), organisation_id="tees-valley-gp-group", registry=REGISTRY, now=NOW
    )
    assert verdict == Rejected(
        "CP-2026-000123",
        [
            fe(
                "referrer.organisation_id",
                "must be 'tees-valley-gp-group', the organisation whose topic this was sent to",
            )
        ],
    )


def test_an_invalid_referral_from_an_unregistered_sender_hears_of_both() -> None:
    verdict = validate_referral(
        encode(referral(summary=5)), organisation_id="nobody", registry=REGISTRY, now=NOW
    )
    assert verdict == Rejected(
        "CP-2026-000123",
        [
            fe("summary", "must be a JSON string"),
            fe(
                "referrer.organisation_id",
                "must be 'nobody', the organisation whose topic this was sent to",
            ),
            fe(
                "referrer.organisation_id",
                "organisation 'nobody' is not registered with this front door; "
                "ask the local authority to register it",
            ),
        ],
    )


def test_a_referral_to_a_council_its_sender_does_not_serve_names_the_councils_it_does() -> None:
    verdict = validate_referral(
        encode(referral(local_authority="805")),
        organisation_id="north-tees-health-visiting",
        registry=REGISTRY,
        now=NOW,
    )
    assert isinstance(verdict, Rejected)
    assert verdict.errors[-1] == fe(
        "local_authority",
        "North Tees Health Visiting Service is not registered to refer to local authority 805 "
        "(Hartlepool); it refers to 806, 808",
    )


def test_a_rejections_referral_id_is_the_top_level_one_only() -> None:
    verdict = validate_referral(encode({"child": {"referral_id": "abc"}}), now=NOW)
    assert isinstance(verdict, Rejected)
    assert verdict.referral_id is None
    assert fe("child.referral_id", UNKNOWN.format("Referral v1")) in verdict.errors
    assert (
        validate_referral(encode(referral(referral_id="not an id!", x=1)), now=NOW).referral_id
        is None
    )


def test_an_unparseable_message_is_searched_for_its_id_in_its_first_64_kib_only() -> None:
    tail = b'"referral_id": "CP-9"'
    within = b"{" + b" " * (65536 - 1 - len(tail)) + tail  # ends on the 65,536th byte
    beyond = b"{" + b" " * (65536 - len(tail)) + tail  # one byte further
    assert validate_referral(within, now=NOW).referral_id == "CP-9"  # type: ignore[union-attr]
    assert validate_referral(beyond, now=NOW).referral_id is None  # type: ignore[union-attr]


def test_each_kind_of_field_error_is_worded_for_a_partners_developer() -> None:
    document = referral(colour="red")
    document["child"] = document["child"] | {"nhs_number": "943476591", "upn": "12"}
    document["concerns"] = [{"factor": "99"}]
    document["referrer"] = document["referrer"] | {"source": "9Z"}
    document["local_authority"] = "999"
    document["an odd key, " + "x" * 60] = 1
    verdict = validate_referral(encode(document), now=NOW)
    assert verdict == Rejected(
        "CP-2026-000123",
        [
            fe(
                "local_authority",
                "not a DfE local authority number (three digits, e.g. 808 for Stockton-on-Tees)",
            ),
            fe("referrer.source", "not a CIN census referral source code (e.g. 2A, 3A, 6)"),
            fe("child.nhs_number", "an NHS number is 10 digits (spaces between groups allowed)"),
            fe(
                "child.upn",
                "a UPN is a letter, then 11 digits, then a digit or letter (13 characters)",
            ),
            fe("concerns[0].factor", "not a CIN census factor code (e.g. 3B, 16A, 21)"),
            fe("colour", UNKNOWN.format("Referral v1")),
            fe('["an odd key, xxxxxxxxxxxxxxxxxxxxxxxxxxxx"]', UNKNOWN.format("Referral v1")),
        ],
    )


def test_not_json_says_where_it_stopped() -> None:
    assert validate_referral(b"", now=NOW) == Rejected(
        None,
        [
            fe(
                "message",
                "the message is not valid JSON (EOF while parsing a value at line 1 column 0)",
            )
        ],
    )


def test_a_check_across_fields_puts_its_message_beside_each_field_it_names() -> None:
    document = referral()
    del document["child"]["given_name"], document["child"]["sex"]
    verdict = validate_referral(encode(document), now=NOW)
    said = "this field is required for a child who is born"
    assert verdict == Rejected(
        "CP-2026-000123", [fe("child.given_name", said), fe("child.sex", said)]
    )


def test_dates_are_checked_even_when_other_fields_fail() -> None:
    document = referral(summary=5)
    document["child"] = {"expected_date_of_birth": "2026-01-01", "sex": "U", "family_name": "S"}
    verdict = validate_referral(encode(document), now=NOW)
    assert verdict == Rejected(
        "CP-2026-000123",
        [
            fe("summary", "must be a JSON string"),
            fe(
                "child.expected_date_of_birth",
                "must lie between a month ago and 300 days ahead; once the child is born, "
                "send date_of_birth",
            ),
        ],
    )


def many_unknown(count: int) -> bytes:
    return encode(referral(**{f"u{n}": n for n in range(count)}))


def test_errors_are_capped_past_200_and_the_rest_counted() -> None:
    exactly = validate_referral(many_unknown(MAX_ERRORS), now=NOW)
    assert isinstance(exactly, Rejected)
    assert len(exactly.errors) == MAX_ERRORS
    assert exactly.errors[-1] == fe(f"u{MAX_ERRORS - 1}", UNKNOWN.format("Referral v1"))
    over = validate_referral(many_unknown(MAX_ERRORS + 1), now=NOW)
    assert isinstance(over, Rejected)
    assert len(over.errors) == MAX_ERRORS
    assert over.errors[-1] == fe("message", "and 2 more problems")


# --- the dates' boundaries, on both sides --------------------------------------------------

SKEW, OLDEST = timedelta(minutes=10), timedelta(days=366)
TODAY = NOW.date()
GRACE, AHEAD = timedelta(days=31), timedelta(days=300)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("submitted", "born", "expected", "problems"),
    [
        (NOW + SKEW, None, None, []),
        (NOW + SKEW + TICK, None, None, [("submitted_at", "is in the future")]),
        (NOW - OLDEST, None, None, []),
        (NOW - OLDEST - TICK, None, None, [("submitted_at", "is more than a year ago")]),
        (None, TODAY, None, []),
        (None, TODAY + timedelta(days=1), None, [("child.date_of_birth", "is in the future")]),
        (None, date(2000, 11, 18), None, []),  # 25 until tomorrow
        (
            None,
            date(2000, 11, 17),
            None,
            [("child.date_of_birth", "makes the child older than 25")],
        ),
        (None, date(2001, 11, 17), None, []),  # 25 today
        (None, None, TODAY - GRACE, []),
        (None, None, TODAY + AHEAD, []),
    ],
)
def test_each_date_rule_at_its_boundary(
    submitted: Any, born: date | None, expected: date | None, problems: list[tuple[str, str]]
) -> None:
    assert date_problems(submitted, born, expected, NOW) == problems


@pytest.mark.parametrize(
    "expected", [TODAY - GRACE - timedelta(days=1), TODAY + AHEAD + timedelta(days=1)]
)
def test_an_expected_date_outside_its_window_is_refused(expected: date) -> None:
    ((field, _),) = date_problems(None, None, expected, NOW)
    assert field == "child.expected_date_of_birth"


def test_age_counts_whole_years_to_the_birthday() -> None:
    assert age_on(date(2018, 4, 2), date(2026, 4, 1)) == 7
    assert age_on(date(2018, 4, 2), date(2026, 4, 2)) == 8
    assert age_on(date(2018, 4, 2), date(2026, 12, 1)) == 8


def test_identifiers_are_normalised_or_refused_in_so_many_words() -> None:
    assert normalise_nhs_number("100 000 0060") == "1000000060"  # 11 - remainder 11: digit 0
    assert normalise_nhs_number("100-000-0001") == "1000000001"
    with pytest.raises(
        ValueError,
        match=r"^this NHS number's check digit is wrong: please check it was typed correctly$",
    ):
        normalise_nhs_number("1000000061")
    assert normalise_upn(" a12345678901b ") == "A12345678901B"
    assert normalise_postcode("ts181ab") == "TS18 1AB"
    with pytest.raises(ValueError, match=r"^this is not a UK postcode \(for example TS18 1AB\)$"):
        normalise_postcode("TS18")


# --- check answers --------------------------------------------------------------------------


def test_a_check_answer_over_its_limit_is_refused_by_size() -> None:
    assert not isinstance(
        validate_answer(padded(answer(), MAX_ANSWER_BYTES), now=NOW), AnswerRejected
    )
    assert validate_answer(padded(answer(), 72_223), now=NOW) == AnswerRejected(
        None,
        [fe("message", "the message is 71 KiB; the limit is 64 KiB")],  # 70.53 KiB
    )


def test_a_refused_check_answer_keeps_its_request_id_when_legible() -> None:
    assert validate_answer(encode(answer(colour=1)), now=NOW) == AnswerRejected(
        REQUEST_ID, [fe("colour", UNKNOWN.format("Answer v1"))]
    )
    assert validate_answer(encode(answer(colour=1, request_id="x y")), now=NOW) == AnswerRejected(
        None,
        [
            fe("request_id", "string should match pattern '^chk-(\\d{3})-[0-9a-f]{20}$'"),
            fe("colour", UNKNOWN.format("Answer v1")),
        ],
    )
    assert validate_answer(b"[]", now=NOW) == AnswerRejected(
        None, [fe("message", "must be a JSON object")]
    )
    late = answer(answered_at=(NOW + timedelta(hours=1)).isoformat())
    assert validate_answer(encode(late), now=NOW) == AnswerRejected(
        REQUEST_ID, [fe("answered_at", "is in the future")]
    )


# --- Encompass notices and acknowledgements --------------------------------------------------


def test_a_notice_over_its_limit_is_refused_by_size() -> None:
    assert not isinstance(
        validate_notice(padded(notice(), MAX_NOTICE_BYTES), now=NOW), NoticeRejected
    )
    assert validate_notice(padded(notice(), 21_010), now=NOW) == NoticeRejected(
        None,
        [fe("message", "the message is 21 KiB; the limit is 16 KiB")],  # 20.52 KiB
    )


def test_a_refused_notice_keeps_its_notice_id_when_legible() -> None:
    contract = UNKNOWN.format("Encompass notice v1")
    assert validate_notice(encode(notice(colour=1)), now=NOW) == NoticeRejected(
        "CLE-ENC-0001", [fe("colour", contract)]
    )
    refused = validate_notice(encode(notice(colour=1, notice_id="bad id!")), now=NOW)
    assert refused == NoticeRejected(
        None,
        [
            fe("notice_id", "string should match pattern '^[A-Za-z0-9._:/-]{1,64}$'"),
            fe("colour", contract),
        ],
    )
    assert validate_notice(b"[]", now=NOW) == NoticeRejected(
        None, [fe("message", "must be a JSON object")]
    )
    future = validate_notice(encode(notice(incident_at="2026-12-01T00:00:00Z")), now=NOW)
    assert future == NoticeRejected("CLE-ENC-0001", [fe("incident_at", "is in the future")])


def test_only_a_registered_police_force_serving_the_council_sends_a_notice() -> None:
    def sent_by(org: str, **fields: object) -> object:
        return validate_notice(
            encode(notice(**fields)), organisation_id=org, registry=REGISTRY, now=NOW
        )

    only = "only police forces send Operation Encompass notices"
    assert sent_by(SCHOOL, colour=1) == NoticeRejected(
        "CLE-ENC-0001",
        [
            fe("colour", UNKNOWN.format("Encompass notice v1")),
            fe("message", f"organisation '{SCHOOL}' is not a police force: {only}"),
        ],
    )
    assert sent_by("nobody") == NoticeRejected(
        "CLE-ENC-0001", [fe("message", f"organisation 'nobody' is not registered: {only}")]
    )
    assert sent_by(POLICE, colour=1, local_authority="202") == NoticeRejected(
        "CLE-ENC-0001",
        [
            fe("colour", UNKNOWN.format("Encompass notice v1")),
            fe(
                "local_authority",
                "Cleveland Police is not registered with local authority 202 (Camden); "
                "it serves 805, 806, 807, 808",
            ),
        ],
    )
    assert validate_notice(b"[]", organisation_id=POLICE, registry=REGISTRY, now=NOW) == (
        NoticeRejected(None, [fe("message", "must be a JSON object")])
    )
    # with no registry to ask (``frontdoor validate``), the sender is not judged
    unjudged = validate_notice(encode(notice()), organisation_id="nobody", now=NOW)
    assert not isinstance(unjudged, NoticeRejected)


def test_a_schools_acknowledgement_is_read_or_refused_field_by_field() -> None:
    assert validate_acknowledgement(b'{"acknowledged_by": " Ms Key "}') == AcknowledgeBody(
        acknowledged_by="Ms Key"
    )
    assert validate_acknowledgement(b'{"by": 1}') == [
        fe("acknowledged_by", "this field is required"),
        fe("by", UNKNOWN.format("an acknowledgement")),
    ]
