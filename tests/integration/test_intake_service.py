"""The intake service, as a real process on the real broker, answers every message exactly once
and survives anything a partner sends."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import read_topics, serving
from factories import encode, recently, referral
from frontdoor.broker.local import free_port
from runtime.demo import DEMO_PARTNERS_FILE
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_producer
from runtime.partners import load_registry
from schemas.intake import AcceptedReferral, Rejection
from schemas.status import StatusEvent
from services.intake.handler import REJECTION_HEADER

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

ORGS = ["cleveland-police", "stockton-riverside-academy", "tees-valley-gp-group"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def messages(draw: st.DrawFn) -> tuple[str, bytes]:
    org = draw(st.sampled_from(ORGS))
    kind = draw(st.sampled_from(["valid", "mutated", "json", "bytes"]))
    if kind == "bytes":
        return org, draw(st.binary(max_size=300))
    if kind == "json":
        return org, json.dumps(draw(json_values)).encode()
    document = referral(
        referral_id=f"R-{draw(st.integers(0, 10**9))}",
        submitted_at=recently(),
        referrer={"organisation_id": org, "source": "6"},
    )
    if kind == "mutated":
        key = draw(st.sampled_from(sorted(document)))
        document[key] = draw(json_values)
    return org, encode(document)


async def publish(
    kafka,
    batch: list[tuple[str, bytes]],
    key: bytes | None = None,
) -> set[tuple[str, int, int]]:
    producer = make_producer(kafka, client_id="test-partners", max_request_bytes=20 * 1024 * 1024)
    await producer.start()
    try:
        sent = [
            await producer.send_and_wait(kafka.topics.inbound(org), raw, key=key)
            for org, raw in batch
        ]
    finally:
        await producer.stop()
    return {(m.topic, m.partition, m.offset) for m in sent}


def origin_of(record: Any) -> tuple[str, int, int]:
    if record.topic.endswith("referrals.accepted"):
        origin = AcceptedReferral.model_validate_json(record.value).origin
    else:
        header = dict(record.headers)[REJECTION_HEADER]
        origin = Rejection.model_validate_json(header).origin
    return (origin.topic, origin.partition, origin.offset)


@pytest.fixture
def running_intake(topics_ready, services):
    services.start("intake")
    return topics_ready


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(messages(), min_size=5, max_size=30))
def test_every_message_gets_exactly_one_verdict(running_intake, services, batch) -> None:
    kafka = running_intake

    async def scenario() -> None:
        sent = await publish(kafka, batch)
        topics = [kafka.topics.accepted, kafka.topics.invalid]
        async with asyncio.timeout(60):  # earlier examples' outputs are on these topics too
            while True:
                outputs = await read_topics(kafka, topics, count=len(sent), settle=0.5)
                mine = [origin_of(r) for r in outputs if origin_of(r) in sent]
                if set(mine) == sent:
                    break
        assert sorted(mine) == sorted(sent)  # each message once: accepted or rejected, never both

    asyncio.run(scenario())
    assert services.alive("intake")


async def test_hostile_messages_neither_crash_nor_block_the_partition(
    running_intake, services
) -> None:
    kafka = running_intake
    org = "cleveland-police"
    hostile = [
        b"\x00" * (10 * 1024 * 1024),  # 10 MB
        b"[" * 200_000 + b"]" * 200_000,  # deeply nested
        b"{not json",
        '{"summary": "caf\xe9"}'.encode("latin-1"),  # wrongly encoded
        encode(referral(child=referral()["child"] | {"date_of_birth": "1800-01-01"})),
        encode(referral(concerns=[{"factor": "3B"}] * 500)),
        b"",
    ]
    valid = encode(
        referral(referrer={"organisation_id": org, "source": "6"}, submitted_at=recently())
    )
    # One key, so one partition: the valid referral is queued behind every hostile message.
    sent = await publish(kafka, [(org, raw) for raw in hostile] + [(org, valid)], key=b"one")
    assert len({partition for _, partition, _ in sent}) == 1

    invalid = await read_topics(kafka, [kafka.topics.invalid], count=len(hostile), timeout=60)
    accepted = await read_topics(kafka, [kafka.topics.accepted], count=1, timeout=30)
    assert len(invalid) == len(hostile)
    assert len(accepted) == 1
    assert [r.value for r in invalid] == hostile  # in order, the original bytes unchanged
    rejection = Rejection.model_validate_json(dict(invalid[0].headers)[REJECTION_HEADER])
    assert rejection.size_bytes == 10 * 1024 * 1024
    assert "the limit is 256 KiB" in rejection.errors[0].msg
    statuses = await read_topics(kafka, [kafka.topics.status_events], count=len(hostile) + 1)
    kinds = [StatusEvent.model_validate_json(r.value).status.value for r in statuses]
    assert sorted(kinds) == sorted(["rejected"] * len(hostile) + ["received"])
    assert services.alive("intake")


async def test_new_partner_is_served_without_a_restart(kafka, services, tmp_path: Path) -> None:
    registry_file = tmp_path / "partners.yaml"
    registry_file.write_text(DEMO_PARTNERS_FILE.read_text())
    services.start("intake", FRONTDOOR_PARTNERS_FILE=str(registry_file))
    await ensure_topics(kafka, kafka.topics.specs_for([]))
    await asyncio.sleep(3)  # intake is subscribed and settled before the partner exists

    registry = yaml.safe_load(registry_file.read_text())
    registry["partners"].append(
        {"id": "new-academy", "name": "New Academy", "source": "2A", "local_authorities": ["808"]},
    )
    registry_file.write_text(yaml.safe_dump(registry))
    await ensure_topics(kafka, kafka.topics.specs_for(["new-academy"]))
    document = referral(
        referrer={"organisation_id": "new-academy", "source": "2A"},
        submitted_at=recently(),
    )
    await publish(kafka, [("new-academy", encode(document))])

    accepted = await read_topics(kafka, [kafka.topics.accepted], count=1, timeout=60)
    assert AcceptedReferral.model_validate_json(accepted[0].value).organisation_id == "new-academy"


async def test_a_typo_in_the_registry_never_stops_intake(kafka, services, tmp_path: Path) -> None:
    registry_file = tmp_path / "partners.yaml"
    registry_file.write_text(DEMO_PARTNERS_FILE.read_text())
    port = free_port()
    await ensure_topics(kafka, load_registry().topic_specs(kafka.topics))
    services.start(
        "intake", FRONTDOOR_PARTNERS_FILE=str(registry_file), FRONTDOOR_INTAKE_HEALTH_PORT=str(port)
    )
    await serving(f"http://127.0.0.1:{port}")  # running, its registry read
    registry_file.write_text(DEMO_PARTNERS_FILE.read_text() + "  - id: Bad Org\n    name: [\n")
    await asyncio.sleep(2.5)  # the registry is looked at every 2 s
    document = referral(submitted_at=recently())
    await publish(kafka, [(document["referrer"]["organisation_id"], encode(document))])

    accepted = await read_topics(kafka, [kafka.topics.accepted], count=1, timeout=60)
    assert (
        AcceptedReferral.model_validate_json(accepted[0].value).referral.referral_id
        == (document["referral_id"])
    )
    async with httpx.AsyncClient() as client:
        health = (await client.get(f"http://127.0.0.1:{port}/health")).json()
    assert health["status"] == "warning"
    assert "the last good one is in use" in health["warnings"]["partners"]
    assert "line" in health["warnings"]["partners"]
    assert "partner registry unusable" in services.logs("intake")

    registry_file.write_text(DEMO_PARTNERS_FILE.read_text())  # mended: the warning clears
    async with httpx.AsyncClient() as client, asyncio.timeout(20):
        while (await client.get(f"http://127.0.0.1:{port}/health")).json()["warnings"]:
            await asyncio.sleep(0.2)
    assert services.alive("intake")
