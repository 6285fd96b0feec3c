"""Apply the access model to a broker: SCRAM users and ACLs (admin rights needed).

aiokafka has no admin calls for credentials or ACLs, so these few use confluent-kafka's
``AdminClient``; every data path stays on aiokafka.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Sequence
from concurrent.futures import Future
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined] # exported, but untyped so
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)

from frontdoor.access.model import (
    SERVICES,
    Grant,
    partner_grants,
    partner_principal,
    service_grants,
    service_principal,
)
from frontdoor.broker.credentials import CredentialStore
from runtime.kafka.admin import ensure_topics
from runtime.kafka.settings import KafkaSettings
from schemas.topics import Topics

TIMEOUT_S = 30
SCRAM_ITERATIONS = 8192


def _wait(futures: dict[Any, Future[Any]]) -> None:
    for future in futures.values():
        future.result(timeout=TIMEOUT_S)


class SecurityAdmin:
    """SCRAM credentials and ACLs on one cluster, as its administrator."""

    def __init__(self, kafka: KafkaSettings) -> None:
        """Connect with ``kafka``'s settings, which must carry administrator rights."""
        self.admin = AdminClient(kafka.librdkafka_config())

    def set_passwords(self, passwords: dict[str, str]) -> None:
        """Create or replace the SCRAM-SHA-512 credentials of each user."""
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
        upserts: list[UserScramCredentialAlteration] = [
            UserScramCredentialUpsertion(user, info, password.encode())
            for user, password in passwords.items()
        ]
        _wait(self.admin.alter_user_scram_credentials(upserts))
        self._await_users(list(passwords))

    def _await_users(self, users: list[str]) -> None:
        """Return once the broker knows every user (credentials reach it from the controller)."""
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            try:
                described = self.admin.describe_user_scram_credentials(users)
                _wait(described if isinstance(described, dict) else {None: described})
            except KafkaException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
            else:
                return

    def grant(self, principal: str, grants: list[Grant]) -> None:
        """Allow ``principal`` exactly these grants (adding ACLs is idempotent)."""
        bindings = [
            AclBinding(
                ResourceType[g.resource.name],
                g.name,
                ResourcePatternType[g.pattern.name],
                f"User:{principal}",
                "*",
                AclOperation[g.operation.name],
                AclPermissionType.ALLOW,
            )
            for g in grants
        ]
        _wait(self.admin.create_acls(bindings))

    def acl_count(self, principal: str) -> int:
        """How many ACLs name ``principal`` (for checks and reports)."""
        # None matches every resource name and host (the library's stubs say str).
        any_name: Any = None
        any_host: Any = None
        query = AclBindingFilter(
            ResourceType.ANY,
            any_name,
            ResourcePatternType.ANY,
            f"User:{principal}",
            any_host,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        return len(self.admin.describe_acls(query).result(timeout=TIMEOUT_S))


def provision(
    kafka: KafkaSettings,
    store: CredentialStore,
    organisations: list[str],
    police: Collection[str] = (),
) -> None:
    """Give every service and every listed partner its user, password and ACLs.

    ``police``: the organisations that are police forces (they send Encompass notices).
    """
    topics: Topics = kafka.topics
    security = SecurityAdmin(kafka)
    principals = {service_principal(s, topics): service_grants(s, topics) for s in SERVICES}
    principals |= {
        partner_principal(org): partner_grants(org, topics, police=org in police)
        for org in organisations
    }
    security.set_passwords(store.passwords(list(principals)))
    for principal, grants in principals.items():
        security.grant(principal, grants)


async def secure_deployment(
    kafka: KafkaSettings,
    store: CredentialStore,
    orgs: list[str],
    checking: Sequence[str] = (),
    police: Sequence[str] = (),
) -> None:
    """Topics, users and ACLs for every service and partner: what a new cluster needs first.

    ``checking``: the partners that answer partner checks, whose check topics are made too;
    ``police``: the police forces, whose Encompass topics are made too.
    """
    await ensure_topics(kafka, kafka.topics.specs_for(orgs, checking, police))
    await asyncio.to_thread(provision, kafka, store, orgs, police)


def add_partner(kafka: KafkaSettings, org: str, password: str, *, police: bool = False) -> int:
    """Give one partner its user and ACLs; return how many ACLs name it now."""
    security = SecurityAdmin(kafka)
    principal = partner_principal(org)
    security.set_passwords({principal: password})
    security.grant(principal, partner_grants(org, kafka.topics, police=police))
    return security.acl_count(principal)
