"""Per-organisation security on a broker with SASL/SCRAM and ACLs (no anonymous access).

Partners are refused every topic but their own two; each service runs the pipeline with its
own user and only the rights ``services/broker/access.py`` gives it; ``frontdoor partners
add`` registers an organisation that can then send, and nothing more.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from conftest import ROOT, ServiceProcesses, read_topics
from factories import encode, recently, referral
from frontdoor.access.model import SERVICES, service_principal
from frontdoor.access.provision import secure_deployment
from frontdoor.broker.local import LocalBroker, throwaway_broker
from runtime.demo import DEMO_PARTNERS_FILE
from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings
from runtime.partners import load_registry
from schemas.status import StatusUpdate

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

POLICE, SCHOOL = "cleveland-police", "stockton-riverside-academy"


@pytest.fixture(scope="module")
def secure_broker() -> Iterator[LocalBroker]:
    """A broker of this module's own that authenticates everyone and authorises by ACL."""
    with throwaway_broker(heap="384m", sasl=True) as broker:
        yield broker


@pytest.fixture
async def secured(secure_broker: LocalBroker) -> KafkaSettings:
    """A namespace on the secure broker, with topics, users and ACLs; admin settings."""
    admin = secure_broker.client_settings().model_copy(
        update={"topic_prefix": f"s{uuid.uuid4().hex[:8]}."}
    )
    registry = load_registry()
    await secure_deployment(
        admin, secure_broker.credentials, registry.ids, registry.checking_ids, registry.police_ids
    )
    return admin


def as_user(broker: LocalBroker, admin: KafkaSettings, user: str) -> KafkaSettings:
    return broker.credentials.settings(broker.bootstrap_servers, user, admin.topic_prefix)


async def send(kafka: KafkaSettings, topic: str, value: bytes = b"{}") -> None:
    producer = make_producer(kafka, client_id="test-partner")
    try:
        await producer.start()
        await asyncio.wait_for(producer.send_and_wait(topic, value), 20)
    finally:
        await producer.stop()


async def read_one(kafka: KafkaSettings, topic: str, group: str | None = None) -> None:
    consumer = make_consumer(kafka, group_id=group, client_id="test-reader", topics=[topic])
    try:
        await consumer.start()
        await asyncio.wait_for(consumer.getmany(timeout_ms=2000), 20)
    finally:
        await consumer.stop()


async def test_a_partner_writes_only_its_own_inbound_topic(secure_broker, secured) -> None:
    police = as_user(secure_broker, secured, POLICE)
    await send(police, secured.topics.inbound(POLICE))  # its own: allowed
    for topic in (
        secured.topics.inbound(SCHOOL),  # another partner's
        secured.topics.accepted,  # internal ones
        secured.topics.status(POLICE),  # its status topic is read-only to it
        secured.topics.actions,
    ):
        with pytest.raises(TopicAuthorizationFailedError):
            await send(police, topic)


async def test_a_partner_reads_only_its_own_status_topic(secure_broker, secured) -> None:
    police = as_user(secure_broker, secured, POLICE)
    await read_one(
        police, secured.topics.status(POLICE), group=secured.topic_prefix + POLICE + ".watch"
    )
    for topic in (
        secured.topics.status(SCHOOL),
        secured.topics.accepted,
        secured.topics.decisions,
        secured.topics.cases,
        secured.topics.inbound(POLICE),  # not even what it wrote itself
    ):
        with pytest.raises(TopicAuthorizationFailedError):
            await read_one(police, topic)


async def test_a_partner_reads_only_its_own_check_requests_and_answers_only_its_own(
    secure_broker, secured
) -> None:
    police, education = "cleveland-police", "tees-education-services"
    as_police = as_user(secure_broker, secured, police)
    await read_one(
        as_police,
        secured.topics.check_requests(police),
        group=secured.topic_prefix + police + ".checks",
    )
    await send(as_police, secured.topics.check_answers(police))
    with pytest.raises(TopicAuthorizationFailedError):
        await read_one(as_police, secured.topics.check_requests(education))
    for topic in (
        secured.topics.check_answers(education),  # another partner's answers
        secured.topics.check_requests(police),  # its requests are read-only to it
        secured.topics.checks_received,  # intake's, for triage
    ):
        with pytest.raises(TopicAuthorizationFailedError):
            await send(as_police, topic)
    with pytest.raises(TopicAuthorizationFailedError):
        await read_one(as_police, secured.topics.check_answers(police))  # not even its own


async def test_only_a_police_force_sends_encompass_notices_and_only_on_its_own_topic(
    secure_broker, secured
) -> None:
    other_school = "hartlepool-high-school"
    await send(as_user(secure_broker, secured, POLICE), secured.topics.encompass_inbound(POLICE))
    as_school = as_user(secure_broker, secured, SCHOOL)
    for topic in (
        secured.topics.encompass_inbound(POLICE),  # a school is not a police force
        secured.topics.encompass_acks,  # acknowledgements come through the gateway
        secured.topics.encompass_accepted,
    ):
        with pytest.raises(TopicAuthorizationFailedError):
            await send(as_school, topic)
    # a school reads its own notices (its status topic), never another school's
    await read_one(
        as_school, secured.topics.status(SCHOOL), group=secured.topic_prefix + SCHOOL + ".notices"
    )
    for topic in (secured.topics.status(other_school), secured.topics.encompass_notices):
        with pytest.raises(TopicAuthorizationFailedError):
            await read_one(as_school, topic)


async def test_a_partner_uses_only_consumer_groups_under_its_own_id_and_a_dot(
    secure_broker, secured
) -> None:
    police = as_user(secure_broker, secured, POLICE)
    prefix = secured.topic_prefix
    await read_one(police, secured.topics.status(POLICE), group=f"{prefix}{POLICE}.follow")
    for group in (
        f"{prefix}{POLICE}-academy.x",  # shares its id as a prefix, but is not under "<id>."
        f"{prefix}{SCHOOL}.follow",  # another partner's
        service_principal("notifier", secured.topics),  # a service's own group
        f"{prefix}frontdoor-webhooks-{POLICE}",  # the notifier's delivery group for it
    ):
        with pytest.raises(GroupAuthorizationFailedError):
            await read_one(police, secured.topics.status(POLICE), group=group)


async def test_a_wrong_password_or_no_credentials_get_nothing(
    secure_broker, secured, caplog
) -> None:
    wrong = as_user(secure_broker, secured, POLICE).model_copy(
        update={"sasl_password": SecretStr("not-the-password")}
    )
    with caplog.at_level(logging.ERROR, logger="aiokafka"), pytest.raises(KafkaConnectionError):
        await send(wrong, secured.topics.inbound(POLICE))
    # refused because the broker said the credentials are wrong, not for any other reason
    assert "SaslAuthenticationFailed" in caplog.text
    assert "invalid credentials" in caplog.text
    caplog.clear()
    anonymous = KafkaSettings(bootstrap_servers=secure_broker.bootstrap_servers)
    with pytest.raises(KafkaConnectionError):
        await send(anonymous, secured.topics.inbound(POLICE))


async def test_the_pipeline_runs_with_each_service_on_its_own_least_rights(
    secure_broker, secured, tmp_path: Path
) -> None:
    services = ServiceProcesses(secured, tmp_path)
    try:
        for name in ("intake", "triage", "notifier"):
            services.start(
                name, **secure_broker.credentials.service_environment(name, secured.topics)
            )
        police = as_user(secure_broker, secured, POLICE)
        document = referral(submitted_at=recently())
        await send(police, secured.topics.inbound(POLICE), encode(document))
        records = await read_topics(police, [secured.topics.status(POLICE)], count=2, timeout=90)
        updates = [StatusUpdate.model_validate_json(r.value) for r in records]
        assert [u.status.value for u in updates][:2] == ["received", "triaged"]
        assert {u.referral_id for u in updates} == {document["referral_id"]}
        for name in ("intake", "triage", "notifier"):
            assert services.alive(name), services.logs(name)[-2000:]
            assert "AuthorizationFailed" not in services.logs(name)
    finally:
        services.stop_all()


def test_each_service_user_has_acls_and_no_more_than_its_stage(secured) -> None:
    from frontdoor.access.provision import SecurityAdmin  # noqa: PLC0415

    security = SecurityAdmin(secured)
    counts = {s: security.acl_count(service_principal(s, secured.topics)) for s in SERVICES}
    assert all(count > 0 for count in counts.values())
    assert counts["dashboard"] < counts["triage"]  # it reads and sends actions, nothing else


async def test_partners_add_registers_an_organisation_that_can_then_send(
    secure_broker, secured, tmp_path: Path
) -> None:
    registry = tmp_path / "partners.yaml"
    registry.write_text(DEMO_PARTNERS_FILE.read_text())
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": secure_broker.bootstrap_servers,
        "FRONTDOOR_TOPIC_PREFIX": secured.topic_prefix,
        **secure_broker.credentials.environment("frontdoor-admin"),
    }
    added = subprocess.run(  # noqa: ASYNC221 - a CLI run to its end
        [
            sys.executable,
            "-m",
            "frontdoor",
            "partners",
            "add",
            "middlesbrough-college",
            "--name",
            "Middlesbrough College",
            "--source",
            "2B",
            "--la",
            "806",
            "--registry",
            str(registry),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert added.returncode == 0, added.stderr
    password = added.stdout.strip()
    assert "middlesbrough-college" in load_registry(registry).ids
    college = secure_broker.bootstrap_servers
    settings = KafkaSettings(
        bootstrap_servers=college,
        security_protocol="SASL_PLAINTEXT",
        sasl_username="middlesbrough-college",
        sasl_password=password,  # type: ignore[arg-type] # pydantic makes it a SecretStr
        topic_prefix=secured.topic_prefix,
    )
    await send(settings, secured.topics.inbound("middlesbrough-college"))
    with pytest.raises(TopicAuthorizationFailedError):
        await send(settings, secured.topics.inbound(POLICE))
    assert json.dumps(password) not in added.stderr  # the password is printed once, on stdout


def test_submitting_to_another_partners_topic_says_why_it_was_refused(
    secure_broker, secured, tmp_path: Path
) -> None:
    document = tmp_path / "referral.json"
    document.write_bytes(encode(referral(submitted_at=recently())))
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": secure_broker.bootstrap_servers,
        "FRONTDOOR_TOPIC_PREFIX": secured.topic_prefix,
        **secure_broker.credentials.environment(SCHOOL),
    }
    refused = subprocess.run(
        [sys.executable, "-m", "frontdoor", "submit", str(document), "--org", POLICE],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert refused.returncode == 1
    assert f"does not let {SCHOOL} write to" in " ".join(refused.stderr.split())
    assert "Traceback" not in refused.stderr


async def test_the_gateways_user_writes_every_partners_inbound_topic_and_nothing_else(
    secure_broker, secured
) -> None:
    """The gateway publishes for partners without a Kafka client: any inbound topic, never an
    internal or a status topic, and it reads nothing (its rights, on the SASL broker)."""
    from frontdoor.access.model import service_principal  # noqa: PLC0415

    gateway = as_user(secure_broker, secured, service_principal("gateway", secured.topics))
    for org in (POLICE, SCHOOL):
        await send(gateway, secured.topics.inbound(org))
    for topic in (
        secured.topics.accepted,
        secured.topics.status(POLICE),
        secured.topics.actions,
        secured.topics.decisions,
    ):
        with pytest.raises(TopicAuthorizationFailedError):
            await send(gateway, topic)
    with pytest.raises(TopicAuthorizationFailedError):
        await read_one(gateway, secured.topics.inbound(POLICE))
