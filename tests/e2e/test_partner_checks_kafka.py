"""Partner checks on the real broker: intake and triage as processes, partners over Kafka.

A level-3 referral asks the police, health and education of its council; an answer is
recorded once and acknowledged; a second answer, another organisation's answer and a
malformed answer are each refused with errors naming the field.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from test_webhooks import registry_with_webhooks

from conftest import ROOT
from factories import encode, recently, referral
from frontdoor.broker.local import free_port
from runtime.demo import DEMO_PARTNERS_FILE
from runtime.health import serve_asgi
from runtime.kafka.clients import make_producer
from runtime.kafka.settings import KafkaSettings
from runtime.partners import load_registry
from schemas.checks import CheckMessageKind
from schemas.triage import CheckRequest, Decision, DecisionKind, QueueItem
from services.notifier.webhooks import verify_signature

pytestmark = pytest.mark.kafka


async def publish(kafka: KafkaSettings, topic: str, value: bytes) -> None:
    producer = make_producer(kafka, client_id="test-partner")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


def answer(request_id: str, **fields: Any) -> bytes:
    return encode(
        {
            "request_id": request_id,
            "result": "no-trace",
            "answered_by": {"name": "Sam Researcher", "role": "MASH researcher"},
            "answered_at": recently(),
        }
        | fields
    )


async def test_a_level_3_referral_asks_three_agencies_and_each_answer_is_recorded_once(
    topics_ready, services, reader
) -> None:
    kafka = topics_ready
    checking = [p.id for p in load_registry().check_partners("808")]
    assert len(checking) == 3
    for name in ("intake", "triage"):
        services.start(name)
    document = referral(submitted_at=recently())  # police: domestic abuse, DASH medium: L3
    await publish(kafka, kafka.topics.inbound("cleveland-police"), encode(document))

    asked = await reader([kafka.topics.check_requests(org) for org in checking], count=3)
    requests = {r.topic: CheckRequest.model_validate_json(r.value) for r in asked}
    assert set(requests) == {kafka.topics.check_requests(org) for org in checking}
    assert {r.kind for r in requests.values()} == {CheckMessageKind.REQUEST}
    assert {r.child.family_name for r in requests.values()} == {"Smith"}
    assert all(document["summary"] not in r.value.decode() for r in asked)

    police = kafka.topics.check_requests("cleveland-police")
    request_id = requests[police].request_id
    await publish(kafka, kafka.topics.check_answers("cleveland-police"), answer(request_id))
    told = await reader([police], count=2)
    receipt = json.loads(told[-1].value)
    assert (receipt["kind"], receipt["request_id"], receipt["late"]) == (
        "answer-recorded",
        request_id,
        False,
    )

    # a second answer; another organisation's answer to police's request; a malformed answer
    await publish(kafka, kafka.topics.check_answers("cleveland-police"), answer(request_id))
    education = "tees-education-services"
    await publish(kafka, kafka.topics.check_answers(education), answer(request_id))
    await publish(
        kafka,
        kafka.topics.check_answers(education),
        answer(requests[kafka.topics.check_requests(education)].request_id, result="declined"),
    )
    refused_twice = json.loads((await reader([police], count=3))[-1].value)
    assert refused_twice["kind"] == "answer-refused"
    assert "answered already" in refused_twice["errors"][0]["msg"]
    to_education = await reader([kafka.topics.check_requests(education)], count=3)
    told_education = [json.loads(r.value) for r in to_education]
    refusals = [r for r in told_education if r["kind"] == "answer-refused"]
    assert sorted((r["kind"], r["errors"][0]["loc"]) for r in refusals) == [
        ("answer-refused", "reason"),
        ("answer-refused", "request_id"),
    ]

    decisions = [
        Decision.model_validate_json(r.value)
        for r in await reader([kafka.topics.decisions], count=5)
    ]
    kinds = [d.kind for d in decisions]
    assert kinds.count(DecisionKind.CHECKS_ASKED) == 1
    assert kinds.count(DecisionKind.CHECK_ANSWERED) == 1
    assert kinds.count(DecisionKind.CHECK_REFUSED) == 2


def frontdoor(services, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frontdoor", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=services.env(),
        timeout=120,
    )


async def test_a_partners_engineer_lists_and_answers_checks_from_the_command_line(
    topics_ready, services, reader
) -> None:
    kafka = topics_ready
    org = "tees-education-services"
    for name in ("intake", "triage"):
        services.start(name)
    document = referral(submitted_at=recently())
    await publish(kafka, kafka.topics.inbound("cleveland-police"), encode(document))
    await reader([kafka.topics.check_requests(org)], count=1, timeout=60)

    listed = await asyncio.to_thread(frontdoor, services, "checks", "list", "--org", org, "--json")
    assert listed.returncode == 0, listed.stderr
    (request,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert request["child"]["family_name"] == "Smith"
    answer_args = ("checks", "answer", request["request_id"], "--org", org, "--result", "no-trace")
    who = ("--name", "Jo Bell", "--role", "Education safeguarding officer")
    answered = await asyncio.to_thread(frontdoor, services, *answer_args, *who)
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["kind"] == "answer-recorded"
    again = await asyncio.to_thread(frontdoor, services, *answer_args, *who)
    assert again.returncode == 1
    assert "answered already" in again.stderr
    declined = await asyncio.to_thread(
        frontdoor, services, *answer_args[:-1], "declined", *who
    )  # no reason: refused before anything is sent
    assert declined.returncode == 1
    assert "reason" in declined.stderr
    after = await asyncio.to_thread(frontdoor, services, "checks", "list", "--org", org, "--json")
    assert after.stdout == ""


async def test_a_partner_with_a_webhook_gets_each_request_signed(
    topics_ready, services, tmp_path
) -> None:
    kafka = topics_ready
    org = "tees-education-services"
    port = free_port()
    delivered: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        delivered.append((dict(request.headers), await request.body()))
        return Response(status_code=204)

    registry = registry_with_webhooks(tmp_path, port, {org: "education"})
    receiving = Starlette(routes=[Route("/hooks/{name}", hook, methods=["POST"])])
    async with serve_asgi(receiving, port):
        for name in ("intake", "triage", "notifier"):
            services.start(name, FRONTDOOR_PARTNERS_FILE=str(registry))
        document = referral(submitted_at=recently())
        await publish(kafka, kafka.topics.inbound("cleveland-police"), encode(document))
        async with asyncio.timeout(60):
            while not delivered:
                await asyncio.sleep(0.2)
    headers, body = delivered[0]
    assert headers["x-frontdoor-event"] == "check"
    assert verify_signature(f"secret-of-{org}", headers["x-frontdoor-signature"], body)
    request = CheckRequest.model_validate_json(body)
    assert request.kind is CheckMessageKind.REQUEST
    assert headers["x-frontdoor-idempotency-key"] == f"{request.request_id}:request"
    assert document["summary"] not in body.decode()


async def test_a_check_partner_without_topics_is_not_asked_and_nothing_waits_for_it(
    topics_ready, services, reader, tmp_path
) -> None:
    kafka = topics_ready
    document = yaml.safe_load(DEMO_PARTNERS_FILE.read_text())
    document["partners"].append(
        {
            "id": "tees-youth-justice",
            "name": "Tees Youth Justice Service",
            "source": "8",
            "local_authorities": ["808"],
            "checks": {"agency": "youth-justice", "local_authorities": ["808"]},
        }
    )  # registered to answer checks, its topics not made yet
    registry = tmp_path / "partners.yaml"
    registry.write_text(yaml.safe_dump(document))
    port = free_port()
    services.start(
        "intake", FRONTDOOR_PARTNERS_FILE=str(registry), FRONTDOOR_INTAKE_CREATE_TOPICS="false"
    )
    services.start(
        "triage",
        FRONTDOOR_PARTNERS_FILE=str(registry),
        FRONTDOOR_TRIAGE_HEALTH_PORT=str(port),
        FRONTDOOR_TRIAGE_CREATE_TOPICS="false",  # as in production: topics are made beforehand
    )
    await publish(
        kafka, kafka.topics.inbound("cleveland-police"), encode(referral(submitted_at=recently()))
    )
    (item,) = await reader([kafka.topics.queue_enquiry_assessment], count=1, timeout=60)
    assert QueueItem.model_validate_json(item.value).case.level == 3  # decided, not held up
    asked = await reader(
        [kafka.topics.check_requests(org) for org in load_registry().checking_ids], count=3
    )
    assert len(asked) == 3  # the three whose topics exist
    async with httpx.AsyncClient() as client:
        health = (await client.get(f"http://127.0.0.1:{port}/health")).json()
    assert "tees-youth-justice" in health["warnings"]["check topics"]
