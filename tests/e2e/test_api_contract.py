"""The API's published contract is exact: schemathesis, every check on, finds nothing.

The gateway runs as its own process on the real broker with a real key. Schemathesis reads
``/api/v1/openapi.json`` and generates requests for both operations from it (a fixed seed);
every response must conform, and every request the schema allows must be accepted. The only
help it gets is for what JSON Schema cannot say, which the document lists (``BEYOND_SCHEMA``):
dates relative to today, the NHS number's check digit and the caller's own councils. Those
fields are set to values the document says are accepted; everything else is as generated.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from runtime.partners import load_registry
from schemas.identifiers import nhs_check_digit
from services.gateway.openapi import ANSWER_BEYOND_SCHEMA, BEYOND_SCHEMA

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
ORGANISATION = "cleveland-police"
EXAMPLES = 60


def born_before(household: Any, today: date) -> None:
    """Each household member's date of birth in the past, as BEYOND_SCHEMA says."""
    for person in household if isinstance(household, list) else []:
        if isinstance(person, dict) and isinstance(person.get("date_of_birth"), str):
            person["date_of_birth"] = (today - timedelta(days=12000)).isoformat()


def within_what_the_document_says(body: Any, today: date) -> None:
    """Set the fields of ``BEYOND_SCHEMA`` to values it accepts; nothing else is touched."""
    assert len(BEYOND_SCHEMA) == 6  # if the list grows, so must this
    assert len(ANSWER_BEYOND_SCHEMA) == 1
    if not isinstance(body, dict):
        return
    if "answered_by" in body or "result" in body:  # a check answer
        if isinstance(body.get("answered_at"), str):
            body["answered_at"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
        return
    body["submitted_at"] = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    partner = load_registry().get(ORGANISATION)
    assert partner is not None
    body["local_authority"] = partner.local_authorities[0]
    born_before(body.get("household"), today)
    child = body.get("child")
    if not isinstance(child, dict):
        return
    if isinstance(child.get("date_of_birth"), str):
        child["date_of_birth"] = (today - timedelta(days=3000)).isoformat()
    if isinstance(child.get("expected_date_of_birth"), str):
        child["expected_date_of_birth"] = (today + timedelta(days=60)).isoformat()
    if isinstance(child.get("nhs_number"), str):
        digits = re.sub(r"\D", "", child["nhs_number"])[:9]
        check = nhs_check_digit(digits)
        while check is None:  # no valid number has these nine digits: change the first
            # (it said `check == 10`, which nhs_check_digit never returns: a generated number
            # with no valid check digit was sent as "<nine digits>None", and refused)
            digits = str((int(digits[0]) + 1) % 10) + digits[1:]
            check = nhs_check_digit(digits)
        child["nhs_number"] = digits + str(check)


@pytest.fixture
async def gateway(topics_ready, services, tmp_path: Path) -> tuple[str, str]:  # noqa: ARG001
    keys = tmp_path / "api-keys.yaml"
    key = services.api_key(ORGANISATION, keys)
    base = await services.start_gateway(
        keys,
        FRONTDOOR_GATEWAY_API_RATE="10000",  # the fuzzer is one caller sending fast
        FRONTDOOR_GATEWAY_API_BURST="10000",
    )
    return base, key


async def test_schemathesis_finds_nothing_in_the_published_contract(
    gateway: tuple[str, str],
) -> None:
    import schemathesis  # noqa: PLC0415 - a dev dependency, for this test
    from hypothesis import HealthCheck, given, settings  # noqa: PLC0415

    base, key = gateway
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    today = datetime.now(UTC).date()
    answered: dict[str, set[int]] = {}
    operations = (
        ("/api/v1/referrals", "POST"),
        ("/api/v1/referrals/{referral_id}", "GET"),
        ("/api/v1/checks", "GET"),
        ("/api/v1/checks/{request_id}", "GET"),
        ("/api/v1/checks/{request_id}/answer", "POST"),
    )
    for path, method in operations:
        operation = schema[path][method]

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,  # a fixed seed: the same requests every run
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exchange(case: Any) -> None:
            within_what_the_document_says(case.body, today)
            response = case.call_and_validate(
                base_url=base, headers={"Authorization": f"Bearer {key}"}
            )
            answered.setdefault(f"{case.method.upper()} {case.path}", set()).add(
                response.status_code
            )

        exchange()
    assert 202 in answered["POST /api/v1/referrals"]  # accepted, not only refused
    assert answered["GET /api/v1/referrals/{referral_id}"] <= {200, 404}
    assert answered["GET /api/v1/checks"] == {200}
    # no request was sent to this organisation in this test: a valid answer finds none
    assert 404 in answered["POST /api/v1/checks/{request_id}/answer"]
