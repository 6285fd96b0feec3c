"""Logs never carry personal data, whatever a caller passes."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
import structlog
from hypothesis import given
from hypothesis import strategies as st

from runtime.logs import configure_logging, redact_personal_data


@pytest.fixture
def json_log():
    stream = io.StringIO()
    configure_logging("test", json=True, stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def test_personal_fields_are_redacted_at_any_depth(json_log) -> None:
    log = structlog.get_logger("t")
    log.info(
        "handled",
        contact_id="c-1",
        given_name="Jayden",
        extra={"child": {"family_name": "Smith"}, "nested": [{"nhs_number": "9434765919"}]},
    )
    (line,) = json_log()
    text = json.dumps(line)
    assert line["contact_id"] == "c-1"
    for secret in ("Jayden", "Smith", "9434765919"):
        assert secret not in text


def test_identifier_shaped_values_are_masked_under_any_key(json_log) -> None:
    structlog.get_logger("t").warning(
        "odd",
        note="born 2015-03-02 at TS18 1AB, nhs 943 476 5919, upn A12345678901B",
    )
    (line,) = json_log()
    for secret in ("2015-03-02", "TS18 1AB", "943 476 5919", "A12345678901B"):
        assert secret not in line["note"]


def test_output_is_one_json_object_per_line_with_level_and_service(json_log) -> None:
    structlog.get_logger("t").info("hello", count=3)
    (line,) = json_log()
    assert line["event"] == "hello"
    assert line["level"] == "info"
    assert line["service"] == "test"
    assert line["count"] == 3


def test_standard_library_warnings_are_json_and_redacted(json_log) -> None:
    import logging  # noqa: PLC0415

    logging.getLogger("aiokafka.test").warning("retrying for TS18 1AB")
    (line,) = json_log()
    assert line["logger"] == "aiokafka.test"
    assert line["level"] == "warning"
    assert "TS18 1AB" not in line["event"]


def test_camel_case_and_hyphenated_personal_keys_are_redacted(json_log) -> None:
    structlog.get_logger("t").info(
        "handled",
        dateOfBirth="03/02/2015",
        extra={"nhsNumber": "9434765919", "given-name": "Ayesha", "FamilyName": "Okafor"},
    )
    text = json.dumps(json_log())
    for secret in ("03/02/2015", "9434765919", "Ayesha", "Okafor"):
        assert secret not in text


@given(
    nhs=st.from_regex(r"\A\d{10}\Z"),
    separator=st.sampled_from(["", " ", "-"]),
    born=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
    date_separator=st.sampled_from(["/", "-", "."]),
    key=st.sampled_from(["note", "detail_of_call", "msg", "context"]),
)
def test_identifiers_in_free_text_never_survive_whatever_their_spelling(
    nhs: str, separator: str, born: date, date_separator: str, key: str
) -> None:
    spelt_nhs = separator.join((nhs[:3], nhs[3:6], nhs[6:]))
    uk_date = date_separator.join((f"{born.day:02d}", f"{born.month:02d}", str(born.year)))
    masked = redact_personal_data(None, "info", {key: f"nhs {spelt_nhs}, born {uk_date}."})
    assert spelt_nhs not in masked[key]
    assert uk_date not in masked[key]
