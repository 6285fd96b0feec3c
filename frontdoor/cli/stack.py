"""``frontdoor up`` and ``frontdoor simulate``: the whole pipeline locally, with partners."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer
import yaml
from aiokafka import AIOKafkaProducer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from sqlalchemy.engine import make_url

from domain.policy import DEFAULT_POLICY
from frontdoor.access.model import service_principal
from frontdoor.access.provision import secure_deployment
from frontdoor.broker.credentials import CredentialStore
from frontdoor.broker.local import LocalBroker, LocalBrokerSettings
from frontdoor.cli.supervisor import PIPELINE, Supervisor
from frontdoor.simulator.checks import answer_checks
from frontdoor.simulator.duty_manager import screen_proposals
from frontdoor.simulator.encompass import EncompassSimulation, send_notices
from frontdoor.simulator.stream import SERIOUS_SHARE, ReferralStream
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_consumer, make_producer
from runtime.kafka.settings import KafkaSettings
from runtime.logs import configure_logging
from runtime.partners import load_registry
from runtime.records_db.database import DatabaseSettings, make_engine, upgrade

console = Console(stderr=True)
PROMETHEUS_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "prometheus.yml"


@dataclass(frozen=True, slots=True)
class Identities:
    """Who each local process connects as: its own SASL user when the broker has them."""

    admin: KafkaSettings
    store: CredentialStore | None

    def service_env(self, name: str) -> dict[str, str]:
        """A service's credentials (it has no right to create topics: they exist already)."""
        if self.store is None:
            return {}
        return self.store.service_environment(name, self.admin.topics)

    def service(self, name: str) -> KafkaSettings:
        """Settings that connect as a service's user (the simulated duty manager: dashboard's)."""
        if self.store is None:
            return self.admin
        principal = service_principal(name, self.admin.topics)
        return self.store.settings(self.admin.bootstrap_servers, principal, self.admin.topic_prefix)

    def partner(self, org: str) -> KafkaSettings:
        """Settings a simulated partner sends with."""
        if self.store is None:
            return self.admin
        return self.store.settings(self.admin.bootstrap_servers, org, self.admin.topic_prefix)


async def _publish(
    kafka: KafkaSettings,
    rate: float,
    count: int | None,
    sent: Counter[str],
    as_partner: Callable[[str], KafkaSettings],
    *,
    serious_share: float = SERIOUS_SHARE,
) -> None:
    """Send the simulated partners' stream, each partner connected as ``as_partner(org)``."""
    stream = ReferralStream(load_registry(), seed=int(time.time()), serious_share=serious_share)
    producers: dict[str, AIOKafkaProducer] = {}

    async def producer_of(org: str) -> AIOKafkaProducer:
        if org not in producers:
            producers[org] = make_producer(as_partner(org), client_id=f"simulated-{org}")
            await producers[org].start()
        return producers[org]

    try:
        interval = 1.0 / rate
        next_at = time.monotonic()
        for publication in stream:
            if count is not None and sent["total"] >= count:
                break
            producer = await producer_of(publication.organisation_id)
            await producer.send(
                kafka.topics.inbound(publication.organisation_id), publication.value
            )
            sent[publication.kind] += 1
            sent["total"] += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        for producer in producers.values():
            await producer.flush()
    finally:
        for producer in producers.values():
            await producer.stop()


# The demo's partner checks are due in a minute or two, not hours, so a few minutes of the demo
# show requests, answers, reminders and overdue checks; every other rule is the default policy's.
DEMO_CHECKS_DUE_HOURS = {4: 0.02, 3: 0.03, 2: 0.05}
DEMO_TICK_S = "5"  # how often triage's clock looks for overdue cases and checks in the demo
# /metrics of every process, on its health port (deploy/prometheus/prometheus.yml scrapes these;
# the dashboard and the gateway never serve it on their public ports)
METRICS_PORTS = {
    "intake": 9101,
    "triage": 9102,
    "notifier": 9103,
    "records": 9104,
    "dashboard": 9105,
    "gateway": 9106,
}
PROMETHEUS_PORT = 9090


def metrics_ports(web: tuple[str, ...] = ("dashboard", "gateway")) -> dict[str, int]:
    """Each service's health port: FRONTDOOR_<SERVICE>_HEALTH_PORT, else the default.

    The page servers' only if they run (``web``).
    """
    return {
        name: int(os.environ.get(f"FRONTDOOR_{name.upper()}_HEALTH_PORT", port))
        for name, port in METRICS_PORTS.items()
        if name in PIPELINE or name in web
    }


def port_taken(port: int) -> bool:
    """Whether something already listens on 127.0.0.1:``port``."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def page_servers(dashboard_port: int, gateway_port: int) -> tuple[str, ...]:
    """The page servers this stack runs (a port of 0: not that one)."""
    return (("dashboard",) if dashboard_port else ()) + (("gateway",) if gateway_port else ())


def ports_in_use(dashboard_port: int, gateway_port: int) -> list[str]:
    """Each port this stack would listen on that is taken, with the setting that moves it.

    Said before anything starts: a second stack on the machine would otherwise crash-loop its
    services with "address already in use".
    """
    web = page_servers(dashboard_port, gateway_port)
    wanted = {
        f"{name}'s metrics (FRONTDOOR_{name.upper()}_HEALTH_PORT)": port
        for name, port in metrics_ports(web).items()
    }
    wanted |= {"the dashboard (--dashboard-port)": dashboard_port} if dashboard_port else {}
    wanted |= {"the gateway (--gateway-port)": gateway_port} if gateway_port else {}
    return [f"port {port}, {what}" for what, port in wanted.items() if port_taken(port)]


def start_prometheus(folder: Path, targets: dict[str, int]) -> subprocess.Popen[bytes] | None:
    """Debian's ``prometheus`` scraping ``targets`` with Front Door's alert rules, if installed."""
    binary = shutil.which("prometheus")
    if binary is None:
        console.print("[yellow]--prometheus: prometheus is not installed (make setup)[/yellow]")
        return None
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["rule_files"] = [str(PROMETHEUS_CONFIG.parent / "alerts.yml")]
    config["scrape_configs"] = [
        {"job_name": f"frontdoor-{name}", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
        for name, port in targets.items()
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    with (folder / "prometheus.log").open("wb") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [
                binary,
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def demo_policy(folder: Path) -> Path:
    """The default policy with partner checks due within minutes, written under ``folder``."""
    policy = yaml.safe_load(DEFAULT_POLICY.read_text())
    policy["version"] += "-demo-checks"
    for level in policy["levels"]:
        if level["level"] in DEMO_CHECKS_DUE_HOURS:
            level["checks_due"] = {"hours": DEMO_CHECKS_DUE_HOURS[level["level"]]}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo-policy.yaml"
    path.write_text(
        "# Written by `frontdoor up`: the default policy, partner checks due in minutes.\n"
        + yaml.safe_dump(policy, sort_keys=False)
    )
    return path


def school_roll(folder: Path, simulation: EncompassSimulation) -> str:
    """The demo council's school roll (FRONTDOOR_SCHOOL_ROLL_FILE if set, else made up)."""
    given = os.environ.get("FRONTDOOR_SCHOOL_ROLL_FILE")
    if given:
        return given
    path = folder / "school-roll.csv"
    path.write_text(simulation.roll_csv())
    return str(path)


# What the police and the schools are told about Encompass notices, as the demo counts them
ENCOMPASS_SEEN = {
    "encompass": "encompass: delivered to a school",
    "acknowledged": "encompass: acknowledged",
    "passed-to-council": "encompass: passed to the council",
}


async def _watch(kafka: KafkaSettings, orgs: list[str], seen: Counter[str]) -> None:
    topics = kafka.topics
    registry = load_registry()
    watched = {
        topics.queue_enquiry_assessment: "enquiry-assessment queue",
        topics.queue_early_help: "early-help queue",
        topics.queue_screening: "screening: proposals",
        topics.decisions: "decisions",
        topics.invalid: "rejected",
        **{topics.status(org): "status updates" for org in orgs},
        **{topics.check_requests(org): "checks" for org in registry.checking_ids},
    }
    consumer = make_consumer(
        kafka, group_id=None, client_id="frontdoor-watch", topics=list(watched)
    )
    await consumer.start()
    try:
        async for record in consumer:
            what = watched[record.topic]
            if what == "decisions":  # only a person's screening decisions are counted
                if b'"kind":"screened"' in (record.value or b""):
                    seen["screening: decided"] += 1
                continue
            if what == "checks":  # requests, reminders, withdrawals, answers recorded/refused
                what = "checks: " + str(json.loads(record.value or b"{}").get("kind"))
            elif what == "status updates" and b"encompass" in (record.value or b""):
                status = json.loads(record.value or b"{}").get("status")
                if status in ENCOMPASS_SEEN:
                    seen[ENCOMPASS_SEEN[status]] += 1
            seen[what] += 1
    finally:
        await consumer.stop()


def _table(sent: Counter[str], seen: Counter[str], supervisor: Supervisor) -> Table:
    table = Table(title="Front Door — local pipeline (Ctrl-C to stop)", expand=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    for kind in ("new", "repeat", "resubmission", "amendment", "invalid", "total"):
        table.add_row(f"sent: {kind}", str(sent[kind]))
    for name in ("enquiry-assessment queue", "early-help queue", "rejected", "status updates"):
        table.add_row(name, str(seen[name]))
    table.add_row("screening: proposals made", str(seen["screening: proposals"]))
    table.add_row("screening: waiting for a person", str(sent["screening: waiting"]))
    table.add_row("screening: decided", str(seen["screening: decided"]))
    for how in ("confirmed", "changed"):
        table.add_row(f"  by the simulated duty manager: {how}", str(sent[f"screening: {how}"]))
    for kind in ("request", "reminder", "withdrawn", "answer-recorded", "answer-refused"):
        table.add_row(f"checks: {kind}", str(seen[f"checks: {kind}"]))
    for behaviour in ("in time", "late", "never"):
        table.add_row(f"partners answer {behaviour}", str(sent[f"checks {behaviour}"]))
    table.add_row("encompass: police notices sent", str(sent["encompass total"]))
    for what in ENCOMPASS_SEEN.values():
        table.add_row(what, str(seen[what]))
    for service in supervisor.services:
        table.add_row(f"service {service.name}", f"starts {service.starts}")
    return table


def _environment(
    database: str, kafka: KafkaSettings, log_dir: Path, dashboard_port: int, gateway_port: int
) -> dict[str, str]:
    """What every service of the local stack is started with."""
    return {
        "FRONTDOOR_DATABASE_URL": database,
        "FRONTDOOR_POLICY_FILE": os.environ.get("FRONTDOOR_POLICY_FILE")
        or str(demo_policy(log_dir.parent)),
        "FRONTDOOR_TRIAGE_OVERDUE_CHECK_S": os.environ.get(
            "FRONTDOOR_TRIAGE_OVERDUE_CHECK_S", DEMO_TICK_S
        ),
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        **{f"FRONTDOOR_{name.upper()}_HEALTH_PORT": str(p) for name, p in metrics_ports().items()},
        # (a page server's health port serves only /metrics; unused when it does not run)
        "FRONTDOOR_DASHBOARD_PORT": str(dashboard_port),
        "FRONTDOOR_GATEWAY_PORT": str(gateway_port),
        "FRONTDOOR_GATEWAY_ENVIRONMENT": "development",
        # the demo: its managers file (with the published sign-in) and cookies over plain HTTP
        "FRONTDOOR_DASHBOARD_ENVIRONMENT": "development",
        "FRONTDOOR_NOTIFIER_ENVIRONMENT": "development",
    }


def _announce(
    log_dir: Path, dashboard_port: int, gateway_port: int, *, with_prometheus: bool
) -> subprocess.Popen[bytes] | None:
    """Say where everything is; start Prometheus if asked (and installed)."""
    console.print(f"Service logs in {log_dir}/")
    targets = metrics_ports(page_servers(dashboard_port, gateway_port))
    console.print(
        "Metrics: " + ", ".join(f"{n} http://127.0.0.1:{p}/metrics" for n, p in targets.items())
    )
    prometheus = (
        start_prometheus(log_dir.parent / "prometheus", targets) if with_prometheus else None
    )
    if prometheus is not None:
        console.print(
            f"Prometheus: [bold]http://127.0.0.1:{PROMETHEUS_PORT}/[/bold] (alerts loaded)"
        )
    if dashboard_port:
        console.print(
            f"Dashboard: [bold]http://127.0.0.1:{dashboard_port}/[/bold] "
            "(demo sign-in: duty.manager / frontdoor-demo)",
        )
    if gateway_port:
        console.print(
            f"Referral forms: [bold]http://127.0.0.1:{gateway_port}/refer[/bold] "
            "(demo sign-in: dsl.riverside / frontdoor-demo), the public's at /refer/public; "
            f"API: http://127.0.0.1:{gateway_port}/api/v1 (key: frontdoor partners key ORG)",
        )
    return prometheus


def _records_database() -> str:
    """The records database's URL, its schema brought up to date before anything starts."""
    database = DatabaseSettings().url
    engine = make_engine(database)
    revision = upgrade(engine)
    engine.dispose()
    console.print(f"Records database {make_url(database).render_as_string()} at schema {revision}")
    return database


def _partners(
    kafka: KafkaSettings,
    who: Identities,
    *,
    rate: float,
    sent: Counter[str],
    encompass: EncompassSimulation,
    serious_share: float,
) -> list[asyncio.Task[None]]:
    """The simulated partners: referrals, answers to checks, police notices."""
    registry = load_registry()
    answering = {p.id: p.checks.agency for p in registry.partners if p.checks is not None}
    return [
        asyncio.create_task(
            _publish(kafka, rate, None, sent, who.partner, serious_share=serious_share)
        ),
        asyncio.create_task(answer_checks(kafka, answering, sent, who.partner)),
        asyncio.create_task(send_notices(kafka, encompass, sent, who.partner)),
    ]


async def _up(
    rate: float,
    simulate_partners: bool,
    duration: float | None,
    log_dir: Path,
    dashboard_port: int,
    *,
    gateway_port: int = 0,
    serious_share: float = SERIOUS_SHARE,
    with_prometheus: bool = False,
    simulated_screening: bool = True,
) -> None:
    stopping = asyncio.Event()  # SIGTERM (systemd, a container runtime) stops all, as Ctrl-C
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    broker: LocalBroker | None = None
    who = Identities(KafkaSettings(), None)
    registry = load_registry()
    orgs, checking = registry.ids, registry.checking_ids
    if "KAFKA_BOOTSTRAP_SERVERS" not in os.environ:
        broker = LocalBroker(LocalBrokerSettings())
        with console.status("Starting the local Kafka broker (first time: fetching its jars)..."):
            broker.start()
            seconds = await broker.wait_ready()
        console.print(f"Kafka ready on {broker.bootstrap_servers} after {seconds:.1f}s")
        who = Identities(
            broker.client_settings(), broker.credentials if broker.settings.sasl else None
        )
    kafka = who.admin
    if who.store is None:
        await ensure_topics(kafka, registry.topic_specs(kafka.topics))
    else:
        # every service and partner as its own user, held to its ACLs (services/broker/access.py)
        await secure_deployment(kafka, who.store, orgs, checking, registry.police_ids)
        console.print(f"SASL/SCRAM users and ACLs in place; passwords in {who.store.path}")
    names = (*PIPELINE, *page_servers(dashboard_port, gateway_port))
    database = _records_database()
    encompass = EncompassSimulation(registry, seed=int(time.time()))
    supervisor = Supervisor(
        names,
        log_dir,
        _environment(database, kafka, log_dir, dashboard_port, gateway_port)
        | {"FRONTDOOR_SCHOOL_ROLL_FILE": school_roll(log_dir.parent, encompass)},
        who.service_env,
    )
    await supervisor.start()
    sent: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    tasks = [asyncio.create_task(_watch(kafka, orgs, seen))]
    if simulate_partners:
        tasks += _partners(
            kafka, who, rate=rate, sent=sent, encompass=encompass, serious_share=serious_share
        )
    if simulated_screening:  # a stand-in for the duty manager, through the real actions path
        tasks.append(
            asyncio.create_task(screen_proposals(who.service("dashboard"), database, sent))
        )
    prometheus = _announce(log_dir, dashboard_port, gateway_port, with_prometheus=with_prometheus)
    deadline = None if duration is None else time.monotonic() + duration
    try:
        with Live(_table(sent, seen, supervisor), console=console, refresh_per_second=2) as live:
            while not stopping.is_set() and (deadline is None or time.monotonic() < deadline):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stopping.wait(), 0.5)
                live.update(_table(sent, seen, supervisor))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await supervisor.stop()
        if prometheus is not None:
            prometheus.terminate()
            prometheus.wait(timeout=30)
        if broker is not None:
            broker.stop()


SERIOUS_SHARE_OPTION = typer.Option(
    SERIOUS_SHARE,
    min=0.0,
    max=1.0,
    help="Share of new contacts raising serious concerns (the rest are low-level, as at a real "
    "front door); about a third then go to enquiry and assessment.",
)


def up(  # noqa: PLR0917 - a command's options
    rate: float = typer.Option(5.0, help="Referrals per second the simulated partners send."),
    simulate: bool = typer.Option(True, help="Run the simulated partners."),
    duration: float | None = typer.Option(None, help="Stop after this many seconds."),
    log_dir: Path = typer.Option(Path(".frontdoor/logs"), help="Where service logs go."),
    dashboard_port: int = typer.Option(8080, help="Dashboard port on 127.0.0.1 (0: no dashboard)."),
    gateway_port: int = typer.Option(
        8090, help="Port of the API and referral forms on 127.0.0.1 (0: no gateway)."
    ),
    serious_share: float = SERIOUS_SHARE_OPTION,
    prometheus: bool = typer.Option(
        False, help="Also run Prometheus (if installed) scraping every service, alerts loaded."
    ),
    simulated_screening: bool = typer.Option(
        True,
        "--simulated-screening/--no-simulated-screening",
        help="Run a simulated duty manager (marked as such) who decides the policy's proposals "
        "after a few seconds, confirming most; --no-simulated-screening leaves them to you.",
    ),
) -> None:
    """Run everything locally: Kafka, every service, and simulated partners.

    Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the local broker. Ctrl-C (or SIGTERM)
    stops it all.
    """
    configure_logging("up", level="WARNING")
    taken = ports_in_use(dashboard_port, gateway_port)
    if taken:
        console.print(
            "[red]Cannot start: in use already (another stack?): " + "; ".join(taken) + "[/red]"
        )
        raise typer.Exit(2)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            _up(
                rate,
                simulate,
                duration,
                log_dir,
                dashboard_port,
                gateway_port=gateway_port,
                serious_share=serious_share,
                with_prometheus=prometheus,
                simulated_screening=simulated_screening,
            )
        )


def simulate(
    rate: float = typer.Option(20.0, help="Referrals per second."),
    count: int = typer.Option(100, help="How many messages to send."),
    serious_share: float = SERIOUS_SHARE_OPTION,
) -> None:
    """Send a realistic stream of referrals from the registry's partners to a running stack."""
    configure_logging("simulate", level="WARNING")
    kafka = KafkaSettings()
    asyncio.run(ensure_topics(kafka, load_registry().topic_specs(kafka.topics)))
    sent: Counter[str] = Counter()
    asyncio.run(_publish(kafka, rate, count, sent, lambda _: kafka, serious_share=serious_share))
    console.print(dict(sent))
