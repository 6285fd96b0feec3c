"""Passwords of the local broker's SASL/SCRAM users, kept in one file only its owner reads.

The local broker (``frontdoor broker start``, ``frontdoor up``) makes a random password for
each principal the first time it is needed; a production cluster keeps them in its own
secret store (Strimzi writes one Secret per ``KafkaUser``).
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from frontdoor.access.model import ADMIN, service_principal
from runtime.kafka.settings import KafkaSettings
from schemas.topics import Topics


class CredentialStore:
    """``{user: password}`` in a JSON file with mode 0600."""

    def __init__(self, path: Path) -> None:
        """Keep the passwords in ``path`` (created on first write)."""
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text()))
        except FileNotFoundError:
            return {}

    def passwords(self, users: list[str]) -> dict[str, str]:
        """Each user's password; those asked for the first time are made and saved at once."""
        passwords = self._read()
        new = [user for user in users if user not in passwords]
        if new:
            passwords |= {user: secrets.token_urlsafe(24) for user in new}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump(passwords, file, indent=2)
        return {user: passwords[user] for user in users}

    def password(self, user: str) -> str:
        """The user's password, made (and saved) the first time it is asked for."""
        return self.passwords([user])[user]

    def users(self) -> list[str]:
        """Every user with a password here."""
        return sorted(self._read())

    def settings(self, bootstrap: str, user: str = ADMIN, topic_prefix: str = "") -> KafkaSettings:
        """Client settings that connect as ``user`` over SASL/SCRAM."""
        return KafkaSettings(
            bootstrap_servers=bootstrap,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="SCRAM-SHA-512",
            sasl_username=user,
            sasl_password=SecretStr(self.password(user)),
            topic_prefix=topic_prefix,
        )

    def environment(self, user: str) -> dict[str, str]:
        """``KAFKA_*`` variables that make a service process connect as ``user``."""
        return {
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": user,
            "KAFKA_SASL_PASSWORD": self.password(user),
        }

    def service_environment(self, service: str, topics: Topics) -> dict[str, str]:
        """What a service needs to run as its own user where the operator made the topics.

        Its user has no right to create topics, so it does not try.
        """
        return self.environment(service_principal(service, topics)) | {
            f"FRONTDOOR_{service.upper()}_CREATE_TOPICS": "false"
        }
