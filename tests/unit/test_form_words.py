"""Every message a form shows is plain English written for that form (GOV.UK style): never a
contract message, a field name or a ``loc`` (issue: "the public form speaks in field names")."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gateway_app import gateway
from test_gateway_forms import CHILD, PUBLIC_ANSWERS, answer, csrf, signed_in

from services.gateway.drafts import FIELD_OF, INVALID, REQUIRED, STEPS, plain_words

# What the contract (and pydantic) say, which a form must never show as it is.
CONTRACT_PHRASES = (
    "exactly one of",
    "date_of_birth",
    "field required",
    "must be '",
    "not a CIN",
    "string",
    "pattern",
    "input should",
    "loc",
    "organisation",
    "value error",
    "(unborn)",
    "is in the future",
)
CONTRACT_MESSAGES = (
    "Field required",
    "give exactly one of date_of_birth and expected_date_of_birth (unborn)",
    "this field is required for a child who is born",
    "is in the future",
    "makes the child older than 25",
    "must lie between a month ago and 300 days ahead; once the child is born, send date_of_birth",
    "String should have at most 100 characters",
    "not a valid NHS number (its check digit is wrong)",
    "not a CIN census factor code (e.g. 3B, 16A, 21)",
    "String should match pattern '^[A-Za-z]'",
    "List should have at least 1 item after validation, not 0",
    "Input should be 'given', 'refused' or 'not_sought'",
)
ERROR_LINK = re.compile(r'<li><a href="[^"]*#([a-z_0-9]+)">([^<]+)</a></li>')


def plain(message: str) -> list[str]:
    """What is wrong with ``message`` as a form's words (nothing, for a good one)."""
    problems = [f"says {p!r}" for p in CONTRACT_PHRASES if p.lower() in message.lower()]
    if "_" in message:
        problems.append("has an underscore")
    if not message[:1].isupper():
        problems.append("does not start with a capital")
    return problems


@pytest.mark.parametrize("public", [False, True])
def test_every_contract_error_on_every_field_reads_as_the_forms_own_words(public: bool) -> None:
    fields = set(FIELD_OF.values())
    assert fields <= set(INVALID) | set(REQUIRED) | {"date_of_birth", "expected_date_of_birth"}
    for field in sorted(fields):
        for message in CONTRACT_MESSAGES:
            said = plain_words(field, message, public=public)
            assert plain(said) == [], (field, message, said)


def shown(page: str) -> dict[str, str]:
    return {field: html.unescape(msg) for field, msg in ERROR_LINK.findall(page)}


async def test_the_public_form_empty_and_wrong_speaks_plainly(tmp_path: Path) -> None:
    running = gateway(tmp_path)
    future = (datetime.now(UTC).date() + timedelta(days=9)).isoformat()
    async with running.client() as client:
        token = csrf((await client.get("/refer/public")).text)
        nothing = shown((await client.post("/refer/public", data={"csrf_token": token})).text)
        empty = shown(
            (
                await client.post(
                    "/refer/public", data={"csrf_token": token, "local_authority": "808"}
                )
            ).text
        )
        wrong = shown(
            (
                await client.post(
                    "/refer/public",
                    data={
                        "csrf_token": token,
                        **PUBLIC_ANSWERS,
                        "age": "",
                        "date_of_birth": future,
                        "postcode": "not a postcode",
                        "your_email": "nobody-at-example",
                    },
                )
            ).text
        )
    assert empty["date_of_birth"] == (
        "Enter the child's date of birth if you know it, or their age in years"
    )
    assert wrong["date_of_birth"] == "The date of birth must be today or in the past"
    assert nothing == {"local_authority": "Select the council the child lives in"}
    assert {"relationship", "factors", "summary"} <= set(empty)
    for message in [*empty.values(), *wrong.values()]:
        assert plain(message) == [], message


async def test_every_page_of_the_professional_form_speaks_plainly(tmp_path: Path) -> None:
    running = gateway(tmp_path)
    wrong_child = CHILD | {
        "date_of_birth": "2016-02-31",
        "nhs_number": "1234567890",
        "upn": "nope",
        "postcode": "XX",
        "given_name": "x" * 300,
    }
    said: dict[str, str] = {}
    async with running.client() as client:
        token = await signed_in(client)
        for step in STEPS:
            said |= shown((await answer(client, token, step)).text)  # nothing answered
        said |= shown((await answer(client, token, "child", **wrong_child)).text)
        said |= shown(
            (await answer(client, token, "consent", consent="not_sought", consent_reason="")).text
        )
    assert {"nhs_number", "upn", "postcode", "date_of_birth", "factors", "consent_reason"} <= set(
        said
    )
    for field, message in said.items():
        assert plain(message) == [], (field, message)
