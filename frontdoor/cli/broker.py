"""``frontdoor broker``: fetch, start, stop and check the local Kafka broker."""

from __future__ import annotations

import asyncio
import shlex

import typer
from rich.console import Console

from frontdoor.access.model import ADMIN
from frontdoor.broker.local import BrokerError, LocalBroker, LocalBrokerSettings

app = typer.Typer(
    pretty_exceptions_show_locals=False,
    help="Run a local Apache Kafka broker (KRaft, from its jars; no Docker).",
)
console = Console(stderr=True)


def _broker() -> LocalBroker:
    return LocalBroker(LocalBrokerSettings())


@app.command()
def fetch() -> None:
    """Resolve Kafka's jars from Maven Central into the cache (once)."""
    try:
        libs = _broker().fetch()
    except BrokerError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Kafka jars ready in {libs}")


@app.command()
def start(wait: bool = typer.Option(True, help="Wait until the broker answers.")) -> None:
    """Start the broker in the background (formats its storage the first time)."""
    broker = _broker()
    try:
        pid = broker.start()
        console.print(f"broker pid {pid} on {broker.bootstrap_servers}; log {broker.log_file}")
        if wait:
            seconds = asyncio.run(broker.wait_ready())
            console.print(f"broker ready after {seconds:.1f}s")
    except BrokerError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None


@app.command()
def wait(timeout: float = typer.Option(90.0, help="Seconds to wait at most.")) -> None:
    """Wait until the running broker answers."""
    try:
        seconds = asyncio.run(_broker().wait_ready(timeout))
    except BrokerError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    console.print(f"broker ready after {seconds:.1f}s")


@app.command()
def stop() -> None:
    """Stop the broker (SIGTERM, SIGKILL if it does not stop in 30 s)."""
    stopped = _broker().stop()
    console.print("broker stopped" if stopped else "no broker was running")


@app.command()
def status() -> None:
    """Say whether the broker runs; exit 1 if it does not."""
    state = _broker().status()
    if state.running:
        console.print(
            f"running, pid {state.pid}, on {state.bootstrap_servers}; log {state.log_file}"
        )
    else:
        console.print("not running")
        raise typer.Exit(1)


@app.command()
def env(
    user: str = typer.Option(ADMIN, help="Whose credentials: a partner id or a service user."),
) -> None:
    """Print ``export KAFKA_...`` lines that connect to the local broker as ``user``.

    For example: ``eval "$(frontdoor broker env --user cleveland-police)"`` before
    ``frontdoor submit``.
    """
    broker = _broker()
    lines = {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers}
    if broker.settings.sasl:
        if user != ADMIN and user not in broker.credentials.users():
            console.print(f"[red]{user} has no user on the local broker yet[/red]")
            raise typer.Exit(2)
        lines |= broker.credentials.environment(user)
    for key, value in lines.items():
        typer.echo(f"export {key}={shlex.quote(value)}")
