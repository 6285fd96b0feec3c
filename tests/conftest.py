"""Test fixtures: one real Kafka broker per test session, and a fresh namespace per test.

The broker is, in order of preference: ``KAFKA_BOOTSTRAP_SERVERS`` if set; a testcontainers
Kafka when a Docker engine answers; otherwise the local broker from ``deploy/kafka`` started
once for the session. Every test gets its own topic prefix, so tests run in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

from frontdoor.broker.local import throwaway_broker
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_consumer
from runtime.kafka.settings import KafkaSettings

ROOT = Path(__file__).resolve().parents[1]
_session = contextlib.ExitStack()


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return (
            subprocess.run(
                ["docker", "info"], capture_output=True, timeout=10, check=False
            ).returncode
            == 0
        )
    except subprocess.TimeoutExpired:
        return False


def _start_testcontainers() -> str:
    from testcontainers.kafka import KafkaContainer  # noqa: PLC0415 - only with Docker

    container = KafkaContainer("confluentinc/cp-kafka:7.8.0").with_kraft()
    container.start()
    _session.callback(container.stop)
    return str(container.get_bootstrap_server())


def _start_local_broker() -> str:
    return _session.enter_context(throwaway_broker()).bootstrap_servers


def pytest_configure(config: pytest.Config) -> None:
    """Start the session's broker in the controlling process; xdist workers inherit it."""
    if hasattr(config, "workerinput") or os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return
    bootstrap = _start_testcontainers() if _docker_answers() else _start_local_broker()
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = bootstrap


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop whatever :func:`pytest_configure` started."""
    if hasattr(config, "workerinput"):
        return
    _session.close()


@pytest.fixture(autouse=True)
def _logging_as_found() -> Iterator[None]:
    """Commands run in-process configure logging onto streams that close with them: undo it."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def kafka() -> KafkaSettings:
    """Settings for the session's broker with a topic prefix of this test's own."""
    return KafkaSettings(
        bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        topic_prefix=f"t{uuid.uuid4().hex[:10]}.",
    )


@pytest.fixture
async def topics_ready(kafka: KafkaSettings) -> KafkaSettings:
    """The test's namespace with every core topic and the registry's partner topics."""
    from runtime.partners import load_registry  # noqa: PLC0415

    await ensure_topics(kafka, load_registry().topic_specs(kafka.topics), partitions=2)
    return kafka


def migrated_sqlite(path: Path) -> str:
    """An SQLite records database at ``path``, its schema current; its URL."""
    from runtime.records_db.database import make_engine, upgrade  # noqa: PLC0415

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def records_url(tmp_path: Path) -> str:
    """A fresh SQLite records database with its schema applied."""
    return migrated_sqlite(tmp_path / "records.db")


class ServiceProcesses:
    """Runs services as real processes (``frontdoor run NAME``) in the test's namespace."""

    def __init__(self, kafka: KafkaSettings, log_dir: Path) -> None:
        self.kafka = kafka
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.database_url = migrated_sqlite(log_dir / "records.db")

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            "FRONTDOOR_TOPIC_PREFIX": self.kafka.topic_prefix,
            # plain HTTP on 127.0.0.1 (production's cookies are HTTPS-only)
            "FRONTDOOR_DASHBOARD_ENVIRONMENT": "development",
            "FRONTDOOR_NOTIFIER_ENVIRONMENT": "development",  # webhooks to 127.0.0.1
            "FRONTDOOR_DATABASE_URL": self.database_url,  # the test's own records database
        }

    def api_key(self, organisation_id: str, keys_file: Path) -> str:
        """A new API key for ``organisation_id``, issued into ``keys_file`` as its engineer
        would (``frontdoor partners key``); the key itself."""
        issued = subprocess.run(
            [
                sys.executable,
                "-m",
                "frontdoor",
                "partners",
                "key",
                organisation_id,
                "--file",
                str(keys_file),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=self.env(),
        )
        return issued.stdout.strip()

    def start_dashboard(self, port: int, **extra_env: str) -> subprocess.Popen[bytes]:
        """The dashboard, with the records service that fills the database it reads."""
        if "records" not in self.processes:
            self.start("records")
        return self.start("dashboard", "dashboard", FRONTDOOR_DASHBOARD_PORT=str(port), **extra_env)

    def start(self, name: str, *command: str, **extra_env: str) -> subprocess.Popen[bytes]:
        with (self.log_dir / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "frontdoor", *(command or ("run", name))],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env() | extra_env,
                cwd=ROOT,
            )
        self.processes[name] = process
        return process

    async def start_gateway(self, keys_file: Path, **extra_env: str) -> str:
        """The gateway (development: plain HTTP on 127.0.0.1) with ``keys_file``; its base URL
        once it answers."""
        from frontdoor.broker.local import free_port  # noqa: PLC0415

        port = free_port()
        self.start(
            "gateway",
            "gateway",
            FRONTDOOR_GATEWAY_PORT=str(port),
            FRONTDOOR_GATEWAY_ENVIRONMENT="development",
            FRONTDOOR_GATEWAY_KEYS_FILE=str(keys_file),
            **extra_env,
        )
        base = f"http://127.0.0.1:{port}"
        await serving(base)
        return base

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def terminate(self, name: str, timeout: float = 30) -> int:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout)

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def logs(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.kill(name)


@pytest.fixture
def services(kafka: KafkaSettings, tmp_path: Path) -> Iterator[ServiceProcesses]:
    """Start and stop service processes; all are killed when the test ends."""
    runner = ServiceProcesses(kafka, tmp_path)
    yield runner
    runner.stop_all()


async def read_topics(
    kafka: KafkaSettings,
    topics: list[str],
    *,
    count: int,
    timeout: float = 30.0,
    settle: float = 1.0,
) -> list[Any]:
    """Read at least ``count`` committed records from ``topics`` (from the start), or fail after
    ``timeout``; then keep reading for ``settle`` seconds, so extra records show up too."""
    consumer = make_consumer(kafka, group_id=None, client_id="test-reader", topics=topics)
    await consumer.start()
    records: list[Any] = []
    try:
        async with asyncio.timeout(timeout):
            while len(records) < count:
                batch = await consumer.getmany(timeout_ms=200)
                for partition_records in batch.values():
                    records.extend(partition_records)
        deadline = asyncio.get_running_loop().time() + settle
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for partition_records in batch.values():
                records.extend(partition_records)
    except TimeoutError:
        pytest.fail(f"read {len(records)} of {count} records from {topics} in {timeout}s")
    finally:
        await consumer.stop()
    return records


@pytest.fixture
def reader(kafka: KafkaSettings) -> Any:
    """``await reader(topics, count=N)`` reads N committed records from the test's topics."""

    async def read(topics: list[str], *, count: int, timeout: float = 30.0) -> list[Any]:
        return await read_topics(kafka, topics, count=count, timeout=timeout)

    return read


async def processing(port: int, until: asyncio.Task[Any], timeout: float = 60) -> None:
    """Return once the service with health on ``port`` is ready and has processed records
    (or ``until`` is done, whichever comes first)."""
    async with httpx.AsyncClient() as client, asyncio.timeout(timeout):
        while not until.done():
            try:
                health = (await client.get(f"http://127.0.0.1:{port}/health")).json()
                if health["status"] == "ok" and health["counters"].get("records_in", 0) > 0:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)


async def serving(base_url: str, timeout: float = 60) -> None:
    """Return once the process at ``base_url`` answers ``/health`` with 200."""
    async with httpx.AsyncClient() as client, asyncio.timeout(timeout):
        while True:
            try:
                if (await client.get(f"{base_url}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


async def sign_in_over_http(client: httpx.AsyncClient, username: str, password: str) -> Any:
    """Sign in to the dashboard as a browser would (form, CSRF token); the login response."""
    page = (await client.get("/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None, "the sign-in page has no CSRF token"
    return await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token.group(1)}
    )


_postgres = contextlib.ExitStack()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """One throwaway PostgreSQL server per test process (each xdist worker has its own)."""
    from postgres import available, throwaway_postgres  # noqa: PLC0415

    if not available():
        message = "PostgreSQL is not installed (make setup installs it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Any]:
    """The records store on a fresh database of each kind, its schema current."""
    from runtime.records_db.database import make_engine, upgrade  # noqa: PLC0415
    from services.records.store import RecordsStore  # noqa: PLC0415

    engine = make_engine(database_url)
    upgrade(engine)
    yield RecordsStore(engine)
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty records database: an SQLite file, and a database on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'records.db'}"
    from sqlalchemy import create_engine, text  # noqa: PLC0415

    server = request.getfixturevalue("postgres_server")
    name = f"t{uuid.uuid4().hex[:12]}"
    engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server}/{name}"


async def screenshot(page: Any, name: str) -> None:
    """Save what a person sees now as ``<name>.png`` in ``FRONTDOOR_SCREENSHOTS`` (the README's
    pictures: `make screenshots` sets it to docs/img); nothing when it is not set."""
    folder = os.environ.get("FRONTDOOR_SCREENSHOTS")
    if folder:
        await page.set_viewport_size({"width": 1280, "height": 800})
        await page.screenshot(path=Path(folder) / f"{name}.png", full_page=False)
