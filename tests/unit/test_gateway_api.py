"""The partners' HTTPS API, component-tested: a real records database, a stand-in producer.

What reaches Kafka, and the whole journey by curl, are tested against a real broker in
``tests/e2e/test_gateway_journey.py``; its Kafka user's rights in ``tests/e2e/test_security.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gateway_app import Gateway, gateway
from sqlalchemy.orm import Session

from domain.validation import Rejected, validate_referral
from factories import encode, recently, referral
from runtime.partners import load_registry
from runtime.records_db import tables
from runtime.records_db.database import make_engine
from schemas.contact import contact_id_for
from services.gateway.keys import ApiKeys, issue, read_keys, write_keys

POLICE = "cleveland-police"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def gw(tmp_path: Path) -> Gateway:
    return gateway(tmp_path)


async def test_a_valid_referral_is_published_to_its_organisations_topic_and_answered_202(
    gw: Gateway,
) -> None:
    document = referral(submitted_at=recently())
    async with gw.client() as client:
        answer = await client.post(
            "/api/v1/referrals", content=encode(document), headers=bearer(gw.key_for(POLICE))
        )
    assert answer.status_code == 202
    body = answer.json()
    assert body["contact_id"] == contact_id_for(POLICE, document["referral_id"])
    assert answer.headers["location"] == f"/api/v1/referrals/{document['referral_id']}"
    [(topic, value, key)] = gw.producer.sent
    assert topic == "referrals.inbound.cleveland-police"
    assert json.loads(value) == document
    assert key == document["referral_id"].encode()


async def test_resending_the_same_referral_id_gets_the_same_contact_id(gw: Gateway) -> None:
    key = gw.key_for(POLICE)
    async with gw.client() as client:
        first = await client.post(
            "/api/v1/referrals",
            content=encode(referral(submitted_at=recently())),
            headers=bearer(key),
        )
        again = await client.post(
            "/api/v1/referrals",
            content=encode(referral(submitted_at=recently())),
            headers=bearer(key),
        )
    assert first.json()["contact_id"] == again.json()["contact_id"]


async def test_an_invalid_referral_gets_422_with_intakes_own_errors_and_is_not_sent(
    gw: Gateway,
) -> None:
    document = referral(submitted_at=recently(), local_authority="999")
    document["child"]["nhs_number"] = "1234567890"
    raw = encode(document)
    async with gw.client() as client:
        answer = await client.post(
            "/api/v1/referrals", content=raw, headers=bearer(gw.key_for(POLICE))
        )
    assert answer.status_code == 422
    verdict = validate_referral(raw, organisation_id=POLICE, registry=load_registry())
    assert isinstance(verdict, Rejected)
    assert answer.json()["errors"] == [e.model_dump() for e in verdict.errors]
    assert {e["loc"] for e in answer.json()["errors"]} == {"local_authority", "child.nhs_number"}
    assert gw.producer.sent == []


async def test_the_organisation_comes_from_the_key_never_from_the_body(gw: Gateway) -> None:
    document = referral(submitted_at=recently())  # says cleveland-police
    async with gw.client() as client:
        answer = await client.post(
            "/api/v1/referrals",
            content=encode(document),
            headers=bearer(gw.key_for("tees-valley-gp-group")),
        )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == "referrer.organisation_id"
    assert gw.producer.sent == []


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer",
        "Bearer nonsense",
        "Basic dXNlcjpwYXNz",
        "Bearer fdk_000000000000_" + "a" * 43,
    ],
)
async def test_no_live_key_is_401(gw: Gateway, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with gw.client() as client:
        answer = await client.post("/api/v1/referrals", content=b"{}", headers=headers)
        progress = await client.get("/api/v1/referrals/X-1", headers=headers)
    assert answer.status_code == progress.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


async def test_a_revoked_key_is_refused_at_once(gw: Gateway) -> None:
    key = gw.key_for(POLICE)
    async with gw.client() as client:
        assert (await client.get("/api/v1/referrals/X-1", headers=bearer(key))).status_code == 404
        keys = read_keys(gw.keys_file)
        revoked = tuple(k.model_copy(update={"revoked_at": datetime.now(UTC)}) for k in keys.keys)
        write_keys(gw.keys_file, ApiKeys(keys=revoked))
        assert (await client.get("/api/v1/referrals/X-1", headers=bearer(key))).status_code == 401


async def test_the_keys_file_holds_only_hashes(gw: Gateway) -> None:
    key = gw.key_for(POLICE)
    assert key not in gw.keys_file.read_text()
    secret = key[len("fdk_000000000000_") :]
    assert len(secret) == 43
    assert secret not in gw.keys_file.read_text()


async def test_a_key_of_an_organisation_no_longer_registered_is_403(gw: Gateway) -> None:
    async with gw.client() as client:
        answer = await client.get("/api/v1/referrals/X-1", headers=bearer(gw.key_for("gone-away")))
    assert answer.status_code == 403


async def test_over_256_kib_is_413_and_not_read_further(gw: Gateway) -> None:
    big = encode(referral(submitted_at=recently(), summary="x" * (256 * 1024)))
    async with gw.client() as client:
        answer = await client.post(
            "/api/v1/referrals", content=big, headers=bearer(gw.key_for(POLICE))
        )
    assert answer.status_code == 413
    assert gw.producer.sent == []


async def test_past_the_rate_limit_is_429_with_retry_after(tmp_path: Path) -> None:
    gw = gateway(tmp_path, api_rate=1.0, api_burst=3)
    key = gw.key_for(POLICE)
    other = gw.key_for("tees-valley-gp-group")
    async with gw.client() as client:
        codes = [
            (await client.get("/api/v1/referrals/X-1", headers=bearer(key))).status_code
            for _ in range(4)
        ]
        refused = await client.get("/api/v1/referrals/X-1", headers=bearer(key))
        others = await client.get("/api/v1/referrals/X-1", headers=bearer(other))
    assert codes == [404, 404, 404, 429]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert others.status_code == 404  # the limit is each organisation's own


async def test_kafka_down_is_503_with_retry_after_and_nothing_claimed(gw: Gateway) -> None:
    gw.producer.down = True
    async with gw.client() as client:
        answer = await client.post(
            "/api/v1/referrals",
            content=encode(referral(submitted_at=recently())),
            headers=bearer(gw.key_for(POLICE)),
        )
    assert answer.status_code == 503
    assert "retry-after" in answer.headers


def _told(url: str, org: str, referral_id: str, *statuses: str) -> None:
    engine = make_engine(url)
    with Session(engine) as session:
        for sequence, status in enumerate(statuses, start=1):
            session.add(
                tables.StatusUpdate(
                    contact_id=contact_id_for(org, referral_id),
                    referral_id=referral_id,
                    organisation_id=org,
                    sequence=sequence,
                    status=status,
                    outcome=None,
                    message=f"{status}.",
                    decision_due=None,
                    occurred_at=datetime.now(UTC),
                )
            )
        session.commit()
    engine.dispose()


async def test_get_shows_the_callers_own_referral_and_nobody_elses(gw: Gateway) -> None:
    _told(gw.database_url, POLICE, "CP-1", "received", "triaged")
    _told(gw.database_url, "tees-valley-gp-group", "GP-1", "received")
    async with gw.client() as client:
        mine = await client.get("/api/v1/referrals/CP-1", headers=bearer(gw.key_for(POLICE)))
        theirs = await client.get("/api/v1/referrals/GP-1", headers=bearer(gw.key_for(POLICE)))
    assert mine.status_code == 200
    assert [u["status"] for u in mine.json()["updates"]] == ["received", "triaged"]
    assert mine.json()["contact_id"] == contact_id_for(POLICE, "CP-1")
    assert theirs.status_code == 404


async def test_the_openapi_document_describes_both_paths_from_the_models(gw: Gateway) -> None:
    async with gw.client() as client:
        document = (await client.get("/api/v1/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    post = document["paths"]["/api/v1/referrals"]["post"]
    assert set(post["responses"]) >= {"202", "401", "403", "413", "422", "429"}
    referral_schema = document["components"]["schemas"]["Referral"]
    assert referral_schema["additionalProperties"] is False
    assert "referral_id" in referral_schema["required"]
    assert "/api/v1/referrals/{referral_id}" in document["paths"]


async def test_a_real_key_id_with_a_wrong_secret_is_401(gw: Gateway) -> None:
    """The key id is no secret (it is in logs): only the secret's hash lets a caller in."""
    key = gw.key_for(POLICE)
    prefix, _, secret = key.rpartition("_")
    wrong = prefix + "_" + ("A" if secret[0] != "A" else "B") + secret[1:]
    async with gw.client() as client:
        assert (await client.get("/api/v1/referrals/X-1", headers=bearer(key))).status_code == 404
        answer = await client.get("/api/v1/referrals/X-1", headers=bearer(wrong))
    assert answer.status_code == 401


async def test_a_chunked_upload_over_256_kib_is_413_while_it_streams(gw: Gateway) -> None:
    """No Content-Length to refuse by: the size is counted as the body arrives."""
    sent: list[int] = []

    async def chunks():
        for _ in range(64):
            sent.append(1)
            yield b" " * 8192

    async with gw.client() as client:
        answer = await client.post(
            "/api/v1/referrals", content=chunks(), headers=bearer(gw.key_for(POLICE))
        )
    assert answer.status_code == 413
    assert gw.producer.sent == []
    assert len(sent) < 64  # stopped once past the limit, not read to the end


async def test_every_gateway_answer_carries_the_security_headers(gw: Gateway) -> None:
    async with gw.client() as client:
        for path in ("/health", "/api/v1/openapi.json", "/refer/sign-in", "/refer/public"):
            headers = (await client.get(path)).headers
            assert "default-src 'self'" in headers["content-security-policy"], path
            assert headers["x-frame-options"] == "DENY", path
            assert headers["x-content-type-options"] == "nosniff", path
            assert headers["referrer-policy"] == "no-referrer", path


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"session_secret": "s" * 40}, "FRONTDOOR_GATEWAY_REFERRERS_FILE"),
        ({"referrers_file": "x.yaml"}, "FRONTDOOR_GATEWAY_SESSION_SECRET"),
        ({"session_secret": "short", "referrers_file": "x.yaml"}, "at least 32"),
    ],
)
def test_production_settings_refuse_demo_secrets_and_files(settings: dict, says: str) -> None:
    from services.gateway.settings import GatewaySettings  # noqa: PLC0415

    with pytest.raises(ValueError, match=says):
        GatewaySettings(environment="production", **settings).check()
    GatewaySettings(environment="development").check()  # the demo's are fine there


def test_the_keys_file_is_its_owners_alone_written_whole_in_a_new_folder(tmp_path: Path) -> None:
    import stat  # noqa: PLC0415

    path = tmp_path / "not" / "yet" / "api-keys.yaml"
    token, stored = issue(POLICE, datetime.now(UTC))
    write_keys(path, ApiKeys(keys=(stored,)))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]  # no half-written file left beside it
    assert path.read_text().startswith("# Front Door API keys: hashes only")
    assert read_keys(path).keys == (stored,)
    assert token.startswith(f"fdk_{stored.id}_")
    assert len(stored.id) == 12
