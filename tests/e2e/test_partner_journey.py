"""A partner's view: submit, watch the whole journey, receive it by webhook too; and nothing
in any referrer's updates about another organisation's referrals or any child."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from test_webhooks import Endpoint, receiver, registry_with_webhooks

from conftest import ROOT, read_topics
from domain.validation import Accepted, validate_referral
from factories import encode, recently, referral
from frontdoor.broker.local import free_port
from frontdoor.simulator.stream import ReferralStream
from runtime.health import serve_asgi
from runtime.kafka.clients import make_producer
from runtime.partners import load_registry
from schemas.status import StatusUpdate
from screening import confirm_as_they_come

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


async def frontdoor(kafka, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "frontdoor",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "FRONTDOOR_TOPIC_PREFIX": kafka.topic_prefix,
            **(env or {}),
        },
    )
    out, _ = await asyncio.wait_for(process.communicate(), 90)
    return process.returncode or 0, out.decode()


async def test_submit_then_watch_and_webhook_show_the_whole_journey(
    topics_ready, services, tmp_path: Path
) -> None:
    kafka = topics_ready
    port = free_port()
    endpoints = {"police": Endpoint()}
    registry = registry_with_webhooks(tmp_path, port, {"cleveland-police": "police"})
    env = {"FRONTDOOR_PARTNERS_FILE": str(registry)}
    document = referral(submitted_at=recently(), referral_id="CP-JOURNEY-1")
    path = tmp_path / "referral.json"
    path.write_bytes(encode(document))
    async with serve_asgi(receiver(endpoints), port):
        for name in ("intake", "triage", "notifier"):
            services.start(name, **env)
        code, out = await frontdoor(
            kafka, "submit", str(path), "--org", "cleveland-police", env=env
        )
        assert code == 0, out
        submitted = json.loads(out)
        code, out = await frontdoor(
            kafka,
            "watch",
            "--org",
            "cleveland-police",
            "--referral",
            "CP-JOURNEY-1",
            "--json",
            "--limit",
            "2",
            env=env,
        )
        async with asyncio.timeout(30):
            while len(endpoints["police"].delivered) < 2:
                await asyncio.sleep(0.05)
    watched = [StatusUpdate.model_validate_json(line) for line in out.splitlines()]
    assert [(u.contact_id, u.sequence, u.status.value) for u in watched] == [
        (submitted["contact_id"], 1, "received"),
        (submitted["contact_id"], 2, "triaged"),
    ]
    assert [u for _, u in endpoints["police"].delivered] == watched


async def test_submit_refuses_an_invalid_referral_without_sending_it(
    topics_ready, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(encode(referral(local_authority="000")))
    code, out = await frontdoor(topics_ready, "submit", str(path), "--org", "cleveland-police")
    assert code == 1
    assert json.loads(out.splitlines()[0])["errors"][0]["loc"] == "local_authority"
    assert (
        await read_topics(
            topics_ready, [topics_ready.topics.inbound("cleveland-police")], count=0, timeout=3
        )
        == []
    )


async def test_no_update_carries_another_organisations_referral_or_any_childs_details(
    topics_ready,
    services,
) -> None:
    kafka = topics_ready
    registry = load_registry()
    stream = ReferralStream(registry, seed=99)
    publications = [stream.next() for _ in range(400)]
    for name in ("intake", "triage", "notifier"):
        services.start(name)
    # a duty manager confirms every proposal, so every referrer hears an outcome
    duty_manager = asyncio.create_task(confirm_as_they_come(kafka))
    producer = make_producer(kafka, client_id="test-partners")
    await producer.start()
    try:
        for publication in publications:
            await producer.send(
                kafka.topics.inbound(publication.organisation_id), publication.value
            )
        await producer.flush()
    finally:
        await producer.stop()

    secrets: set[str] = set()
    mine: dict[str, set[str]] = {org: set() for org in registry.ids}
    for publication in publications:
        try:
            document = json.loads(publication.value)
            child = document["child"]
        except (ValueError, KeyError, TypeError):
            continue
        mine[publication.organisation_id].add(document["referral_id"])
        for key in (
            "given_name",
            "family_name",
            "date_of_birth",
            "expected_date_of_birth",
            "nhs_number",
            "upn",
        ):
            if child.get(key):
                secrets.add(str(child[key]))
        if child.get("address"):
            secrets.update([child["address"]["postcode"], child["address"]["line1"]])
        secrets.add(document["summary"])
    topics = [kafka.topics.status(org) for org in registry.ids]
    # at least: received + a decision for each accepted referral, one rejection for each other
    expected = sum(
        2
        if isinstance(
            validate_referral(p.value, organisation_id=p.organisation_id, registry=registry),
            Accepted,
        )
        else 1
        for p in publications
    )
    updates = await read_topics(kafka, topics, count=expected, timeout=120)
    duty_manager.cancel()
    for record in updates:
        org = record.topic.removeprefix(kafka.topic_prefix + "status.")
        update = StatusUpdate.model_validate_json(record.value)
        assert update.organisation_id == org
        assert update.referral_id in mine[org] or update.status.value == "rejected"
        text = record.value.decode()
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"an update to {org} carries a child's details"
