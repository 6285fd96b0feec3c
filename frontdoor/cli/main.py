"""``frontdoor``: one command for partners, duty managers and operators."""

from __future__ import annotations

import asyncio
import enum

import typer
from rich.console import Console
from sqlalchemy.engine import make_url

from frontdoor import serve
from frontdoor.cli import (
    bench,
    broker,
    checks,
    dashboard,
    deploy,
    export,
    gateway,
    partners,
    referrals,
    replay,
    stack,
)
from runtime.kafka.admin import ensure_topics
from runtime.kafka.settings import KafkaSettings
from runtime.logs import configure_logging
from runtime.partners import load_registry
from runtime.records_db.database import DatabaseSettings, current_revision, make_engine, upgrade
from schemas.export import export as export_schemas

app = typer.Typer(
    pretty_exceptions_show_locals=False,
    help="Front Door: the multi-agency referral front door for children's services.",
    no_args_is_help=True,
)
app.add_typer(broker.app, name="broker")
app.add_typer(bench.app, name="bench")
app.add_typer(partners.app, name="partners")
app.add_typer(checks.app, name="checks")
app.add_typer(deploy.app, name="deploy")
app.add_typer(export.app, name="export")
topics_app = typer.Typer(
    pretty_exceptions_show_locals=False,
    help="Kafka topics, from the registry in schemas/topics.py.",
)
app.add_typer(topics_app, name="topics")
app.command(name="up")(stack.up)
app.command(name="simulate")(stack.simulate)
app.command(name="validate")(referrals.validate)
app.command(name="submit")(referrals.submit)
app.command(name="watch")(referrals.watch)
app.command(name="replay")(replay.replay)
app.command(name="dashboard")(dashboard.dashboard)
app.add_typer(dashboard.managers_app, name="managers")
app.command(name="gateway")(gateway.gateway)
app.add_typer(gateway.referrers_app, name="referrers")
partners.app.command(name="key")(gateway.key)
partners.app.command(name="keys")(gateway.keys)
partners.app.command(name="revoke")(gateway.revoke)
console = Console(stderr=True)


class ServiceName(enum.StrEnum):
    """The pipeline services that run as their own processes."""

    INTAKE = "intake"
    TRIAGE = "triage"
    NOTIFIER = "notifier"
    RECORDS = "records"


@topics_app.command("create")
def topics_create(
    org: list[str] = typer.Option([], help="Also create this unregistered organisation's topics."),
    partitions: int | None = typer.Option(None, help="Override every topic's partitions."),
) -> None:
    """Create every topic that does not exist yet, with each registered partner's (idempotent)."""
    configure_logging("topics", level="WARNING")
    kafka = KafkaSettings()
    registry = load_registry()
    orgs = sorted({*registry.ids, *org})
    report = asyncio.run(
        ensure_topics(
            kafka,
            kafka.topics.specs_for(orgs, registry.checking_ids, registry.police_ids),
            partitions=partitions,
        ),
    )
    for name in report.created:
        console.print(f"created {name}")
    console.print(f"{len(report.created)} created, {len(report.existing)} already there")


db_app = typer.Typer(pretty_exceptions_show_locals=False, help="The records database.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the records database's migrations (FRONTDOOR_DATABASE_URL; SQLite by default)."""
    settings = DatabaseSettings()
    engine = make_engine(settings.url)
    try:
        before = current_revision(engine)
        after = upgrade(engine)
    finally:
        engine.dispose()
    where = make_url(settings.url).render_as_string(hide_password=True)
    console.print(f"{where}: schema {before or 'none'} -> {after}")


schemas_app = typer.Typer(pretty_exceptions_show_locals=False, help="The message contract.")
app.add_typer(schemas_app, name="schemas")


@schemas_app.command("export")
def schemas_export() -> None:
    """Regenerate the JSON Schema files and the AsyncAPI document in schemas/."""
    for path in export_schemas():
        console.print(f"wrote {path}")


@app.command()
def run(service: ServiceName) -> None:
    """Run one service in the foreground until SIGTERM or Ctrl-C."""
    raise typer.Exit(serve.service(service.value))


if __name__ == "__main__":
    app()
