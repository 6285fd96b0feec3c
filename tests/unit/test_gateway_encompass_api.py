"""``/api/v1/encompass``, component-tested: notices written by the real relay and projection, a
stand-in producer. The whole journey on a real broker: ``tests/e2e/test_encompass_kafka.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from gateway_app import Gateway, gateway

from domain.school_roll import SchoolRoll
from factories import encode, notice
from fakes import FakeRecord, book
from runtime.partners import load_registry
from runtime.records_db.database import make_engine
from schemas.encompass import AcceptedNotice, Acknowledgement, EncompassNotice, notice_ref_for
from schemas.intake import Origin
from schemas.topics import Topics
from services.records.projection import Projection
from services.records.store import RecordsStore
from services.triage.encompass import EncompassRelay
from services.triage.engine import Effects

POLICE, SCHOOL, OTHER = "cleveland-police", "stockton-riverside-academy", "hartlepool-high-school"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def write(database_url: str, effects: Effects) -> None:
    topics = Topics()
    records = [
        FakeRecord(topics.encompass_notices, n.model_dump_json().encode())
        for n, _ in effects.notices
    ]
    engine = make_engine(database_url)
    RecordsStore(engine).write(Projection(topics).rows(records)[0], {})
    engine.dispose()


def accepted(notice_id: str, **fields: object) -> AcceptedNotice:
    now = datetime.now(UTC)
    sent = EncompassNotice.model_validate_json(
        encode(
            notice(
                notice_id=notice_id,
                sent_at=(now - timedelta(minutes=5)).isoformat(),
                incident_at=(now - timedelta(hours=2)).isoformat(),
                **fields,
            )
        )
    )
    return AcceptedNotice(
        notice_ref=notice_ref_for(POLICE, notice_id, "808"),
        organisation_id=POLICE,
        received_at=now - timedelta(minutes=2),
        origin=Origin(topic="encompass.inbound.cleveland-police", partition=0, offset=0),
        notice=sent,
    )


@pytest.fixture
def delivered(tmp_path: Path) -> tuple[Gateway, EncompassRelay, str]:
    """A gateway whose records hold a notice delivered to the school, and one for the council."""
    gw = gateway(tmp_path)
    registry = load_registry()
    relay = EncompassRelay(book(), lambda: registry, SchoolRoll)
    fx = relay.on_notice(accepted("N-1"), 0)
    fx.extend(relay.on_notice(accepted("N-2", school_urn=None), 0))  # no school found
    write(gw.database_url, fx)
    return gw, relay, notice_ref_for(POLICE, "N-1", "808")


async def test_a_school_lists_only_the_notices_delivered_to_it(delivered) -> None:
    gw, _, ref = delivered
    async with gw.client() as client:
        mine = await client.get("/api/v1/encompass", headers=bearer(gw.key_for(SCHOOL)))
        other = await client.get("/api/v1/encompass", headers=bearer(gw.key_for(OTHER)))
        police = await client.get("/api/v1/encompass", headers=bearer(gw.key_for(POLICE)))
    assert mine.status_code == 200
    (listed,) = mine.json()["notices"]
    assert listed["notice_ref"] == ref
    assert (listed["given_name"], listed["child_present"], listed["overdue"]) == (
        "Mia",
        "yes",
        False,
    )
    assert listed["acknowledge_url"] == f"/api/v1/encompass/{ref}/acknowledge"
    assert listed["police_force"] == "Cleveland Police"
    assert other.json() == {"notices": []}  # another school sees none of them
    assert police.json() == {"notices": []}


async def test_an_acknowledgement_is_published_keyed_by_council_and_answered_202(delivered) -> None:
    gw, _, ref = delivered
    async with gw.client() as client:
        sent = await client.post(
            f"/api/v1/encompass/{ref}/acknowledge",
            content=encode({"acknowledged_by": "Ms Key Adult"}),
            headers=bearer(gw.key_for(SCHOOL)),
        )
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"notice_ref": ref}
    [(topic, value, key)] = gw.producer.sent
    assert (topic, key) == ("encompass.acks", b"808")
    ack = Acknowledgement.model_validate_json(value)
    assert (ack.notice_ref, ack.organisation_id, ack.acknowledged_by) == (
        ref,
        SCHOOL,
        "Ms Key Adult",
    )


async def test_another_schools_notice_is_404_a_bad_body_422_and_a_second_ack_409(
    delivered,
) -> None:
    gw, relay, ref = delivered
    async with gw.client() as client:
        theirs = await client.post(
            f"/api/v1/encompass/{ref}/acknowledge",
            content=encode({"acknowledged_by": "Mr Other"}),
            headers=bearer(gw.key_for(OTHER)),
        )
        council = await client.post(  # the council's: delivered to no school
            f"/api/v1/encompass/{notice_ref_for(POLICE, 'N-2', '808')}/acknowledge",
            content=encode({"acknowledged_by": "Ms Key Adult"}),
            headers=bearer(gw.key_for(SCHOOL)),
        )
        bad = await client.post(
            f"/api/v1/encompass/{ref}/acknowledge",
            content=encode({"acknowledged_by": " ", "note": "x"}),
            headers=bearer(gw.key_for(SCHOOL)),
        )
        ack = Acknowledgement(
            notice_ref=ref,
            organisation_id=SCHOOL,
            acknowledged_by="Ms Key Adult",
            acknowledged_at=datetime.now(UTC),
        )
        write(gw.database_url, relay.on_acknowledgement(ack, 0))
        again = await client.post(
            f"/api/v1/encompass/{ref}/acknowledge",
            content=encode({"acknowledged_by": "Ms Key Adult"}),
            headers=bearer(gw.key_for(SCHOOL)),
        )
    assert (theirs.status_code, council.status_code) == (404, 404)
    assert bad.status_code == 422
    assert sorted(e["loc"] for e in bad.json()["errors"]) == ["acknowledged_by", "note"]
    assert again.status_code == 409
    assert "acknowledged already" in again.json()["error"]
    assert gw.producer.sent == []
