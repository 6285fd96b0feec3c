"""``frontdoor up`` and ``frontdoor simulate``: the whole pipeline locally, with partners."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table

from schemas.partners import load_registry
from services.broker.clients import make_consumer, make_producer
from services.broker.local import LocalBroker, LocalBrokerSettings
from services.broker.settings import KafkaSettings
from services.broker.topics import ensure_topics
from services.cli.supervisor import PIPELINE, Supervisor
from services.observability.logging import configure_logging
from services.simulator.stream import ReferralStream

console = Console(stderr=True)


async def _publish(
    kafka: KafkaSettings, rate: float, count: int | None, sent: Counter[str]
) -> None:
    stream = ReferralStream(load_registry(), seed=int(time.time()))
    producer = make_producer(kafka, client_id="frontdoor-simulator")
    await producer.start()
    try:
        interval = 1.0 / rate
        next_at = time.monotonic()
        for publication in stream:
            if count is not None and sent["total"] >= count:
                break
            await producer.send(
                kafka.topics.inbound(publication.organisation_id), publication.value
            )
            sent[publication.kind] += 1
            sent["total"] += 1
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
        await producer.flush()
    finally:
        await producer.stop()


async def _watch(kafka: KafkaSettings, orgs: list[str], seen: Counter[str]) -> None:
    topics = kafka.topics
    watched = {
        topics.queue_enquiry_assessment: "enquiry-assessment queue",
        topics.queue_early_help: "early-help queue",
        topics.invalid: "rejected",
        **{topics.status(org): "status updates" for org in orgs},
    }
    consumer = make_consumer(
        kafka, group_id=None, client_id="frontdoor-watch", topics=list(watched)
    )
    await consumer.start()
    try:
        async for record in consumer:
            seen[watched[record.topic]] += 1
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
    for service in supervisor.services:
        table.add_row(f"service {service.name}", f"starts {service.starts}")
    return table


async def _up(
    rate: float,
    simulate_partners: bool,
    duration: float | None,
    log_dir: Path,
    dashboard_port: int,
) -> None:
    broker: LocalBroker | None = None
    if "KAFKA_BOOTSTRAP_SERVERS" not in os.environ:
        broker = LocalBroker(LocalBrokerSettings())
        with console.status("Starting the local Kafka broker (first time: fetching its jars)..."):
            broker.start()
            seconds = await broker.wait_ready()
        console.print(f"Kafka ready on {broker.bootstrap_servers} after {seconds:.1f}s")
        os.environ["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
    kafka = KafkaSettings()
    orgs = load_registry().ids
    await ensure_topics(kafka, kafka.topics.specs_for(orgs))
    names = (*PIPELINE, "dashboard") if dashboard_port else PIPELINE
    environment = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "FRONTDOOR_DASHBOARD_PORT": str(dashboard_port),
    }
    supervisor = Supervisor(names, log_dir, environment)
    await supervisor.start()
    sent: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    tasks = [asyncio.create_task(_watch(kafka, orgs, seen))]
    if simulate_partners:
        tasks.append(asyncio.create_task(_publish(kafka, rate, None, sent)))
    console.print(f"Service logs in {log_dir}/")
    if dashboard_port:
        console.print(
            f"Dashboard: [bold]http://127.0.0.1:{dashboard_port}/[/bold] "
            "(demo sign-in: duty.manager / frontdoor-demo)",
        )
    deadline = None if duration is None else time.monotonic() + duration
    try:
        with Live(_table(sent, seen, supervisor), console=console, refresh_per_second=2) as live:
            while deadline is None or time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                live.update(_table(sent, seen, supervisor))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await supervisor.stop()
        if broker is not None:
            broker.stop()


def up(
    rate: float = typer.Option(5.0, help="Referrals per second the simulated partners send."),
    simulate: bool = typer.Option(True, help="Run the simulated partners."),
    duration: float | None = typer.Option(None, help="Stop after this many seconds."),
    log_dir: Path = typer.Option(Path(".frontdoor/logs"), help="Where service logs go."),
    dashboard_port: int = typer.Option(8080, help="Dashboard port on 127.0.0.1 (0: no dashboard)."),
) -> None:
    """Run everything locally: Kafka, every service, and simulated partners.

    Uses KAFKA_BOOTSTRAP_SERVERS when set, else starts the local broker. Ctrl-C stops it all.
    """
    configure_logging("up", level="WARNING")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_up(rate, simulate, duration, log_dir, dashboard_port))


def simulate(
    rate: float = typer.Option(20.0, help="Referrals per second."),
    count: int = typer.Option(100, help="How many messages to send."),
) -> None:
    """Send a realistic stream of referrals from the registry's partners to a running stack."""
    configure_logging("simulate", level="WARNING")
    kafka = KafkaSettings()
    asyncio.run(ensure_topics(kafka, kafka.topics.specs_for(load_registry().ids)))
    sent: Counter[str] = Counter()
    asyncio.run(_publish(kafka, rate, count, sent))
    console.print(dict(sent))
