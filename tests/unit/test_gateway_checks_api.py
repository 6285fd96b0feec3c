"""``/api/v1/checks``, component-tested: records written by the real triage engine and
projection, a stand-in producer. The whole journey on a real broker is in
``tests/e2e/test_partner_checks.py``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gateway_app import Gateway, gateway

from domain.policies import PolicyBook
from domain.policy import load_policy
from factories import accepted, encode, recently, referral
from fakes import FakeRecord
from runtime.records_db.database import make_engine
from schemas.checks import CheckAnswer, ReceivedAnswer
from schemas.intake import Origin
from schemas.topics import Topics
from services.records.projection import Projection
from services.records.store import RecordsStore
from services.triage.checks import CheckPartner
from services.triage.engine import Effects, TriageEngine

POLICE, HEALTH = "cleveland-police", "north-tees-health-visiting"
PARTNERS = [CheckPartner(POLICE, "police"), CheckPartner(HEALTH, "health")]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def write(database_url: str, effects: Effects) -> None:
    topics = Topics()
    records = [FakeRecord(topics.cases, c.model_dump_json().encode()) for c, _ in effects.cases]
    engine = make_engine(database_url)
    RecordsStore(engine).write(Projection(topics).rows(records)[0], {})
    engine.dispose()


@pytest.fixture
def asked(tmp_path: Path) -> tuple[Gateway, TriageEngine, dict[str, str]]:
    """A gateway whose records hold one level-3 case with a check of police and of health."""
    gw = gateway(tmp_path)
    engine = TriageEngine(PolicyBook.single(load_policy()), lambda _la: PARTNERS)
    at = datetime.now(UTC) - timedelta(minutes=2)
    document = referral(submitted_at=recently())
    fx = engine.on_referral(accepted(document, at=at), 0)
    write(gw.database_url, fx)
    (case_id,) = engine.cases
    ids = {c.organisation_id: c.request_id for c in engine.cases[case_id].checks}
    return gw, engine, ids


def answer_body(**fields: object) -> bytes:
    return encode(
        {
            "result": "no-trace",
            "answered_by": {"name": "Sam Researcher", "role": "MASH researcher"},
            "answered_at": recently(),
        }
        | fields
    )


async def test_a_partner_lists_only_its_own_open_requests(asked) -> None:
    gw, _, ids = asked
    async with gw.client() as client:
        mine = await client.get("/api/v1/checks", headers=bearer(gw.key_for(POLICE)))
        one = await client.get(f"/api/v1/checks/{ids[POLICE]}", headers=bearer(gw.key_for(POLICE)))
        theirs = await client.get(
            f"/api/v1/checks/{ids[HEALTH]}", headers=bearer(gw.key_for(POLICE))
        )
        school = await client.get(
            "/api/v1/checks", headers=bearer(gw.key_for("stockton-riverside-academy"))
        )
    assert mine.status_code == 200
    (listed,) = mine.json()["checks"]
    assert listed["request_id"] == ids[POLICE]
    assert listed["agency"] == "police"
    assert listed["child"]["family_name"] == "Smith"
    assert listed["answer_url"] == f"/api/v1/checks/{ids[POLICE]}/answer"
    assert "summary" not in json.dumps(listed)
    assert one.json()["state"] == "open"
    assert theirs.status_code == 404  # another organisation's request: as if unknown
    assert school.json() == {"checks": []}


async def test_an_answer_is_published_to_the_callers_answers_topic_and_answered_202(
    asked,
) -> None:
    gw, _, ids = asked
    async with gw.client() as client:
        sent = await client.post(
            f"/api/v1/checks/{ids[POLICE]}/answer",
            content=answer_body(),
            headers=bearer(gw.key_for(POLICE)),
        )
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"request_id": ids[POLICE], "status_url": f"/api/v1/checks/{ids[POLICE]}"}
    [(topic, value, key)] = gw.producer.sent
    assert topic == "checks.answers.cleveland-police"
    assert key == ids[POLICE].encode()
    assert CheckAnswer.model_validate_json(value).request_id == ids[POLICE]


async def test_an_invalid_answer_is_422_with_every_error_by_field_and_nothing_sent(asked) -> None:
    gw, _, ids = asked
    async with gw.client() as client:
        sent = await client.post(
            f"/api/v1/checks/{ids[POLICE]}/answer",
            content=answer_body(result="declined"),
            headers=bearer(gw.key_for(POLICE)),
        )
        wrong = await client.post(
            f"/api/v1/checks/{ids[POLICE]}/answer",
            content=answer_body(request_id=ids[HEALTH]),
            headers=bearer(gw.key_for(POLICE)),
        )
    assert sent.status_code == 422
    assert [e["loc"] for e in sent.json()["errors"]] == ["reason"]
    assert wrong.status_code == 422
    assert [e["loc"] for e in wrong.json()["errors"]] == ["request_id"]
    assert gw.producer.sent == []


async def test_another_organisations_request_is_404_and_an_answered_one_409(asked) -> None:
    gw, engine, ids = asked
    now = datetime.now(UTC)
    received = ReceivedAnswer(
        organisation_id=POLICE,
        local_authority="808",
        received_at=now,
        origin=Origin(topic="checks.answers.cleveland-police", partition=0, offset=0),
        answer=CheckAnswer.model_validate_json(answer_body(request_id=ids[POLICE])),
    )
    write(gw.database_url, engine.on_check_answer(received, 0))
    async with gw.client() as client:
        theirs = await client.post(
            f"/api/v1/checks/{ids[HEALTH]}/answer",
            content=answer_body(),
            headers=bearer(gw.key_for(POLICE)),
        )
        again = await client.post(
            f"/api/v1/checks/{ids[POLICE]}/answer",
            content=answer_body(),
            headers=bearer(gw.key_for(POLICE)),
        )
        listed = await client.get("/api/v1/checks", headers=bearer(gw.key_for(POLICE)))
    assert theirs.status_code == 404
    assert again.status_code == 409
    assert "answered already" in again.json()["error"]
    assert listed.json() == {"checks": []}  # answered: no longer open
    assert gw.producer.sent == []


async def test_without_a_key_nothing_is_read(asked) -> None:
    gw, _, ids = asked
    async with gw.client() as client:
        listed = await client.get("/api/v1/checks")
        answered = await client.post(f"/api/v1/checks/{ids[POLICE]}/answer", content=b"{}")
    assert (listed.status_code, answered.status_code) == (401, 401)
