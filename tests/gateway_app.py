"""The gateway's app for component tests: a real records database, a fake Kafka producer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from conftest import migrated_sqlite
from runtime.kafka.settings import KafkaSettings
from services.gateway.app import create_app
from services.gateway.keys import ApiKeys, issue, read_keys, write_keys
from services.gateway.settings import GatewaySettings


@dataclass
class SentRecords:
    """Stands in for the producer: keeps what would have been sent."""

    sent: list[tuple[str, bytes, bytes | None]] = field(default_factory=list)
    down: bool = False

    headers: list[list[tuple[str, bytes]]] = field(default_factory=list)

    async def send_and_wait(
        self,
        topic: str,
        value: bytes,
        key: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Any:
        from aiokafka.errors import KafkaConnectionError  # noqa: PLC0415

        if self.down:
            raise KafkaConnectionError("broker down")
        self.sent.append((topic, value, key))
        self.headers.append(headers or [])


@dataclass
class Gateway:
    """A gateway app and what its test needs to reach."""

    app: Starlette
    producer: SentRecords
    keys_file: Path
    database_url: str

    def client(self, address: str = "203.0.113.7") -> httpx.AsyncClient:
        """A client from ``address`` that does not run the lifespan (there is no broker)."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 5000))
        return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")

    def key_for(self, org: str) -> str:
        """A fresh API key for ``org``, in the keys file; the key."""
        token, stored = issue(org, datetime.now(UTC))
        write_keys(self.keys_file, ApiKeys(keys=(*read_keys(self.keys_file).keys, stored)))
        return token


def gateway(tmp_path: Path, **settings: Any) -> Gateway:
    """The gateway app on a fresh records database with ``settings`` changed."""
    url = migrated_sqlite(tmp_path / "records.db")
    keys_file = tmp_path / "api-keys.yaml"
    app = create_app(
        GatewaySettings(
            environment="development",
            keys_file=keys_file,
            database={"url": url},
            kafka=KafkaSettings(bootstrap_servers="127.0.0.1:9"),
            **settings,
        )
    )
    producer = SentRecords()
    app.state.publisher.producer = producer
    app.state.keys.file.recheck_s = 0
    return Gateway(app, producer, keys_file, url)
