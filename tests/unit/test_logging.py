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


def test_a_failing_database_write_never_shows_its_values(json_log, tmp_path) -> None:
    """A write that fails (here a unique constraint) is logged by its kind, and even its
    error's text holds no parameter: children's names are parameters."""
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.exc import IntegrityError  # noqa: PLC0415

    from runtime.records_db.database import make_engine  # noqa: PLC0415

    engine = make_engine(f"sqlite:///{tmp_path / 'names.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE child (name TEXT UNIQUE)"))
        connection.execute(text("INSERT INTO child VALUES (:name)"), {"name": "Zara Okonkwo"})
    with pytest.raises(IntegrityError) as failed, engine.begin() as connection:
        connection.execute(text("INSERT INTO child VALUES (:name)"), {"name": "Zara Okonkwo"})
    engine.dispose()
    structlog.get_logger("records").exception("write failed", error=failed.value)
    assert "Zara" not in str(failed.value)
    assert all("Zara" not in json.dumps(line) for line in json_log())


async def test_a_web_servers_tracebacks_go_through_the_redactor(json_log) -> None:
    """uvicorn's own loggers reach the process's handler (and so the redactor), not handlers
    uvicorn would otherwise install for itself on stderr."""
    import httpx  # noqa: PLC0415

    from frontdoor.broker.local import free_port  # noqa: PLC0415
    from runtime.health import serve_asgi  # noqa: PLC0415

    async def failing(scope, receive, send) -> None:  # noqa: ARG001 - an ASGI app that fails
        raise RuntimeError("lookup failed for NHS 943 476 5919 born 11/02/2021")

    port = free_port()
    async with serve_asgi(failing, port), httpx.AsyncClient() as client:
        answer = await client.get(f"http://127.0.0.1:{port}/")
    assert answer.status_code == 500
    lines = json_log()
    assert any("Exception in ASGI application" in line["event"] for line in lines), lines
    logged = json.dumps(lines)
    assert "943 476 5919" not in logged
    assert "11/02/2021" not in logged
