"""A partner without a Kafka client, end to end: ``curl`` against the running services.

An API key issued by ``frontdoor partners key``; a referral POSTed by curl reaches intake
through the organisation's inbound topic, is triaged to the right queue, and its status comes
back through ``GET /api/v1/referrals/{id}`` (read from the records database).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest

from factories import encode, recently, referral
from schemas.contact import contact_id_for

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def curl(*args: str) -> tuple[int, dict]:
    """Run curl; the HTTP status and the JSON body."""
    done = subprocess.run(
        ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    body, _, code = done.stdout.rpartition("\n")
    return int(code), json.loads(body) if body.strip() else {}


async def test_a_referral_sent_by_curl_is_triaged_and_its_status_comes_back(
    topics_ready,  # noqa: ARG001 - the topics first
    services,
    tmp_path: Path,
) -> None:
    keys = tmp_path / "api-keys.yaml"
    key = services.api_key("cleveland-police", keys)
    assert key.startswith("fdk_")
    assert key not in keys.read_text()
    for name in ("intake", "triage", "notifier", "records"):
        services.start(name)
    base = await services.start_gateway(keys)
    document = referral(submitted_at=recently(), referral_id="CP-CURL-1")
    body = tmp_path / "referral.json"
    body.write_bytes(encode(document))
    auth = f"Authorization: Bearer {key}"
    json_type = "Content-Type: application/json"

    code, answer = curl(
        "-X",
        "POST",
        "-H",
        auth,
        "-H",
        json_type,
        "--data-binary",
        f"@{body}",
        f"{base}/api/v1/referrals",
    )
    assert code == 202, answer
    assert answer["contact_id"] == contact_id_for("cleveland-police", "CP-CURL-1")
    code, refused = curl(
        "-X", "POST", "-H", json_type, "--data-binary", f"@{body}", f"{base}/api/v1/referrals"
    )
    assert code == 401, refused

    updates: list[dict] = []
    async with asyncio.timeout(90):
        while not any(u["status"] == "triaged" for u in updates):
            await asyncio.sleep(0.5)
            code, progress = curl("-H", auth, f"{base}/api/v1/referrals/CP-CURL-1")
            updates = progress.get("updates", []) if code == 200 else []
    triaged = next(u for u in updates if u["status"] == "triaged")
    assert triaged["outcome"] == "enquiry-assessment"  # 3B, DASH medium: L3-DA
    assert updates[0]["status"] == "received"
    assert "Jayden" not in json.dumps(updates)  # the referrer is never told the child's details

    code, again = curl(
        "-X",
        "POST",
        "-H",
        auth,
        "-H",
        json_type,
        "--data-binary",
        f"@{body}",
        f"{base}/api/v1/referrals",
    )
    assert code == 202
    assert again["contact_id"] == answer["contact_id"]  # a resend is the same contact
