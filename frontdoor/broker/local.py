"""A real Apache Kafka 4.x broker run from its jars, for machines without Docker.

The jars come from Maven Central through ``deploy/kafka/pom.xml`` and are cached per version;
one combined broker+controller node runs in KRaft mode on 127.0.0.1 with its own data folder
and its log in ``<data>/broker.log``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from aiokafka.errors import KafkaError
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from frontdoor.access.model import ADMIN
from frontdoor.broker.credentials import CredentialStore
from runtime.kafka.clients import make_admin
from runtime.kafka.settings import KafkaSettings

# The pom that resolves Kafka from Maven Central, and its logging set-up: package data.
DEPLOY_KAFKA = Path(str(resources.files("frontdoor.broker") / "kafka"))
CONTROLLER_USER = "frontdoor-controller"


SMALL_MACHINE_CORES = 4


class LocalBrokerSettings(BaseSettings):
    """Where and how the local broker runs, from ``FRONTDOOR_BROKER_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_BROKER_", extra="ignore")

    port: int = Field(default=9092, description="Client listener port on 127.0.0.1.")
    controller_port: int | None = Field(
        default=None,
        description="KRaft controller port on 127.0.0.1 (default: the client port + 1).",
    )
    data_dir: Path = Field(
        default=Path(".frontdoor/broker"),
        description="Folder for the broker's logs, data and pid file.",
    )
    cache_dir: Path = Field(
        default=Path.home() / ".cache" / "frontdoor",
        description="Folder where resolved Kafka jars are cached between runs.",
    )
    heap: str = Field(default="512m", description="JVM heap size (-Xms and -Xmx).")
    sasl: bool = Field(
        default=True,
        description="Clients authenticate with SASL/SCRAM and are held to ACLs (no anonymous "
        "access); passwords are kept in <data_dir>/credentials.json.",
    )
    jit: Literal["auto", "c1", "tiered"] = Field(
        default="auto",
        description="The broker JVM's compilers: c1 only (-XX:TieredStopAtLevel=1) spares a small "
        "machine's cores the C2 compiler, which competes with the services for minutes after "
        "start; tiered is the JVM's default. auto: c1 on machines of 4 cores or fewer. "
        "Production brokers (the Strimzi manifests) keep their own JVM settings.",
    )

    def jit_options(self, cores: int | None = None) -> list[str]:
        """The JVM options ``jit`` means on a machine of ``cores`` cores (this one's if None)."""
        cores = cores if cores is not None else (os.cpu_count() or 1)
        c1 = self.jit == "c1" or (self.jit == "auto" and cores <= SMALL_MACHINE_CORES)
        return ["-XX:TieredStopAtLevel=1"] if c1 else []


class BrokerError(RuntimeError):
    """The local broker could not be fetched, started or reached."""


@dataclass(frozen=True, slots=True)
class BrokerStatus:
    """Whether the local broker process runs, and where."""

    running: bool
    pid: int | None
    bootstrap_servers: str
    log_file: Path


class LocalBroker:
    """Fetch, format, start, wait for and stop one local Kafka node."""

    def __init__(self, settings: LocalBrokerSettings, deploy_dir: Path = DEPLOY_KAFKA) -> None:
        """Use ``settings`` for ports and folders and ``deploy_dir`` for the pom and logging."""
        self.settings = settings
        self.deploy_dir = deploy_dir
        self.data_dir = settings.data_dir.resolve()
        self.controller_port = settings.controller_port or settings.port + 1

    @property
    def bootstrap_servers(self) -> str:
        """The address clients connect to."""
        return f"127.0.0.1:{self.settings.port}"

    @property
    def log_file(self) -> Path:
        """The broker's own log."""
        return self.data_dir / "broker.log"

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def libs_dir(self) -> Path:
        """The cached jars for the pom's exact content."""
        digest = hashlib.sha256((self.deploy_dir / "pom.xml").read_bytes()).hexdigest()[:12]
        return self.settings.cache_dir.expanduser().resolve() / f"kafka-{digest}"

    def fetch(self) -> Path:
        """Resolve the jars from Maven Central once; later calls return the cache."""
        libs = self.libs_dir
        if libs.is_dir() and any(libs.glob("kafka_2.13-*.jar")):
            return libs
        if shutil.which("mvn") is None:
            raise BrokerError("Maven (mvn) is needed to fetch Kafka's jars; install it first")
        libs.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=libs.name + ".", dir=libs.parent))
        result = subprocess.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(self.deploy_dir / "pom.xml"),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={staging}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise BrokerError("mvn could not resolve Kafka's jars:\n" + result.stdout[-4000:])
        try:
            staging.rename(libs)
        except OSError:  # another process cached them first
            shutil.rmtree(staging, ignore_errors=True)
        return libs

    def _java(self, *args: str) -> list[str]:
        return [
            "java",
            f"-Xms{self.settings.heap}",
            f"-Xmx{self.settings.heap}",
            "-XX:+UseG1GC",
            "-XX:MaxGCPauseMillis=20",
            *self.settings.jit_options(),
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.deploy_dir / 'log4j2.properties'}",
            f"-Dkafka.logs.dir={self.data_dir}",
            "-cp",
            str(self.fetch() / "*"),
            *args,
        ]

    @property
    def credentials(self) -> CredentialStore:
        """Passwords of this broker's SASL users."""
        return CredentialStore(self.data_dir / "credentials.json")

    def client_settings(self, user: str = ADMIN) -> KafkaSettings:
        """Settings to reach this broker as ``user`` (the administrator by default)."""
        if not self.settings.sasl:
            return KafkaSettings(bootstrap_servers=self.bootstrap_servers)
        return self.credentials.settings(self.bootstrap_servers, user)

    def _security_properties(self) -> dict[str, str]:
        port, controller = self.settings.port, self.controller_port
        if not self.settings.sasl:
            return {
                "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
                "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
                "inter.broker.listener.name": "PLAINTEXT",
                "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            }
        admin, admin_password = ADMIN, self.credentials.password(ADMIN)
        node, node_password = CONTROLLER_USER, self.credentials.password(CONTROLLER_USER)
        scram = "org.apache.kafka.common.security.scram.ScramLoginModule"
        plain = "org.apache.kafka.common.security.plain.PlainLoginModule"
        return {
            "listeners": f"CLIENT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
            "advertised.listeners": f"CLIENT://127.0.0.1:{port}",
            "inter.broker.listener.name": "CLIENT",
            "listener.security.protocol.map": "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            # Clients: SCRAM users kept in the cluster metadata (the admin is added at format).
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "listener.name.client.scram-sha-512.sasl.jaas.config": (
                f'{scram} required username="{admin}" password="{admin_password}";'
            ),
            # The controller's own listener: one PLAIN user from this file (SCRAM users live in
            # the metadata the controller serves, so they cannot guard the controller itself).
            "sasl.mechanism.controller.protocol": "PLAIN",
            "listener.name.controller.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.controller.plain.sasl.jaas.config": (
                f'{plain} required username="{node}" password="{node_password}" '
                f'user_{node}="{node_password}";'
            ),
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": f"User:{admin};User:{node}",
            "allow.everyone.if.no.acl.found": "false",
        }

    def _bootstrap_users(self) -> list[str]:
        """Formatting arguments that create the administrator's SCRAM credentials."""
        if not self.settings.sasl:
            return []
        password = self.credentials.password(ADMIN)
        return ["--add-scram", f"SCRAM-SHA-512=[name={ADMIN},password={password}]"]

    def _write_properties(self) -> Path:
        controller = self.controller_port
        properties = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{controller}",
            "controller.listener.names": "CONTROLLER",
            **self._security_properties(),
            "log.dirs": str(self.data_dir / "data"),
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "default.replication.factor": "1",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "10",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "10",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            # Tests and demos make many short-lived consumers and transactional producers.
            "transactional.id.expiration.ms": "3600000",
            "log.cleaner.backoff.ms": "1000",
        }
        path = self.data_dir / "server.properties"
        # It holds the administrator's and the controller's passwords: readable by us alone.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write("".join(f"{key}={value}\n" for key, value in properties.items()))
        path.chmod(0o600)  # also when an older, more open file was there
        return path

    def status(self) -> BrokerStatus:
        """Whether the broker this data folder belongs to is running."""
        pid = self._read_pid()
        return BrokerStatus(
            running=pid is not None,
            pid=pid,
            bootstrap_servers=self.bootstrap_servers,
            log_file=self.log_file,
        )

    def _read_pid(self) -> int | None:
        try:
            pid = int(self._pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def start(self) -> int:
        """Format storage the first time, then start the broker; return its pid."""
        running = self._read_pid()
        if running is not None:
            return running
        self.data_dir.mkdir(parents=True, exist_ok=True)
        mode = "sasl" if self.settings.sasl else "plaintext"
        marker = self.data_dir / "security"
        formatted = (self.data_dir / "data" / "meta.properties").exists()
        made_as = marker.read_text().strip() if marker.exists() else "plaintext"
        if formatted and made_as != mode:
            raise BrokerError(
                f"the broker in {self.data_dir} was made {made_as}, not {mode}: delete that "
                f"folder to start afresh, or set FRONTDOOR_BROKER_SASL={made_as == 'sasl'}"
            )
        properties = self._write_properties()
        if not formatted:
            marker.write_text(mode)
            cluster_id = (
                subprocess.run(
                    self._java("kafka.tools.StorageTool", "random-uuid"),
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            subprocess.run(
                self._java(
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cluster_id,
                    "-c",
                    str(properties),
                    "--standalone",
                    *self._bootstrap_users(),
                ),
                capture_output=True,
                text=True,
                check=True,
            )
        command = self._java("kafka.Kafka", str(properties))
        java = shutil.which(command[0])
        if java is None:
            raise BrokerError("Java 17 or later is needed to run Kafka; install it first")
        # posix_spawn in a new session: the broker outlives this process (for `broker start`)
        # and leaves no child object behind to complain when it is collected.
        out = os.open(self.data_dir / "broker.out", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        devnull = os.open(os.devnull, os.O_RDONLY)
        try:
            pid = os.posix_spawn(
                java,
                command,
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 0),
                    (os.POSIX_SPAWN_DUP2, out, 1),
                    (os.POSIX_SPAWN_DUP2, out, 2),
                ],
                setsid=True,
            )
        finally:
            os.close(out)
            os.close(devnull)
        self._pid_file.write_text(str(pid))
        return pid

    async def wait_ready(self, timeout: float = 90.0) -> float:
        """Wait until the broker answers a metadata request; return the seconds it took."""
        # Refused connections are expected while the broker boots; aiokafka logs each one.
        aiokafka_log = logging.getLogger("aiokafka")
        level = aiokafka_log.level
        aiokafka_log.setLevel(logging.CRITICAL)
        try:
            return await self._poll_until_ready(timeout)
        finally:
            aiokafka_log.setLevel(level)

    async def _poll_until_ready(self, timeout: float) -> float:
        started = time.monotonic()
        kafka = self.client_settings()
        while True:
            if self._read_pid() is None:
                raise BrokerError(f"the broker exited; see {self.log_file} and broker.out")
            admin = make_admin(kafka, client_id="frontdoor-wait")
            try:
                await asyncio.wait_for(admin.start(), timeout=5)
                await asyncio.wait_for(admin.describe_cluster(), timeout=5)
                return time.monotonic() - started
            except (KafkaError, OSError, TimeoutError):
                if time.monotonic() - started > timeout:
                    raise BrokerError(
                        f"the broker did not answer within {timeout:.0f}s; see {self.log_file}",
                    ) from None
                await asyncio.sleep(0.25)
            finally:
                await admin.close()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker (SIGTERM, then SIGKILL after ``timeout``); False if none ran."""
        pid = self._read_pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
        self._pid_file.unlink(missing_ok=True)
        return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def throwaway_broker(heap: str = "768m", *, sasl: bool = False) -> Iterator[LocalBroker]:
    """A broker of its own for one run (tests, benchmarks): free ports, a temporary folder.

    Nothing of it outlives the run, so runs never slow each other down with old topics.
    """
    data_dir = Path(tempfile.mkdtemp(prefix="frontdoor-kafka-"))
    broker = LocalBroker(
        LocalBrokerSettings(
            port=free_port(), controller_port=free_port(), data_dir=data_dir, heap=heap, sasl=sasl
        ),
    )
    try:
        broker.start()
        asyncio.run(broker.wait_ready(timeout=120))
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:  # not our child: ask the kernel instead
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return not _is_zombie(pid)
    return waited == 0


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return False
