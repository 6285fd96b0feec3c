"""How to reach Kafka: bootstrap servers, security and the deployment's topic prefix."""

from __future__ import annotations

import json
import ssl
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.topics import Topics


class KafkaSettings(BaseSettings):
    """Connection to the Kafka cluster, read from ``KAFKA_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore", populate_by_name=True)

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        description="Comma-separated host:port list of brokers to bootstrap from.",
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="Transport security to the brokers.",
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        default="SCRAM-SHA-512",
        description="SASL mechanism when the protocol is SASL_*.",
    )
    sasl_username: str | None = Field(default=None, description="SASL principal name.")
    sasl_password: SecretStr | None = Field(default=None, description="SASL password.")
    credentials_file: Path | None = Field(
        default=None,
        description="JSON file of {user: password} (local and compose set-ups): the password "
        "of sasl_username is read from it when sasl_password is not set.",
    )
    ssl_cafile: str | None = Field(default=None, description="CA bundle to verify brokers.")
    ssl_certfile: str | None = Field(default=None, description="Client certificate (mTLS).")
    ssl_keyfile: str | None = Field(default=None, description="Client key (mTLS).")
    replication_factor: int = Field(
        default=1,
        ge=1,
        description="Replicas of each topic Front Door creates (3 on a production cluster).",
    )
    topic_prefix: str = Field(
        default="",
        validation_alias="FRONTDOOR_TOPIC_PREFIX",
        description="Prefix of every topic and consumer group of this deployment.",
    )

    @property
    def topics(self) -> Topics:
        """The topic registry under this deployment's prefix."""
        return Topics(self.topic_prefix)

    def password(self) -> str | None:
        """The SASL password: given, or read from the credentials file."""
        if self.sasl_password is not None:
            return self.sasl_password.get_secret_value()
        if self.credentials_file is not None and self.sasl_username is not None:
            passwords = json.loads(self.credentials_file.read_text())
            return str(passwords[self.sasl_username])
        return None

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments shared by every aiokafka client."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol.startswith("SASL"):
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.password()
        if self.security_protocol.endswith("SSL"):
            context = ssl.create_default_context(cafile=self.ssl_cafile)
            if self.ssl_certfile:
                context.load_cert_chain(self.ssl_certfile, self.ssl_keyfile)
            options["ssl_context"] = context
        return options

    def librdkafka_config(self) -> dict[str, Any]:
        """The same connection for librdkafka (confluent-kafka's admin client)."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
        }
        if self.security_protocol.startswith("SASL"):
            config["sasl.mechanism"] = self.sasl_mechanism
            config["sasl.username"] = self.sasl_username
            config["sasl.password"] = self.password() or ""
        if self.ssl_cafile:
            config["ssl.ca.location"] = self.ssl_cafile
        if self.ssl_certfile:
            config["ssl.certificate.location"] = self.ssl_certfile
            config["ssl.key.location"] = self.ssl_keyfile
        return config
