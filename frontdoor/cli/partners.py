"""``frontdoor partners add``: register an organisation, with its topics, user and ACLs."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console

from frontdoor.access.provision import add_partner, secure_deployment
from frontdoor.broker.credentials import CredentialStore
from frontdoor.broker.local import LocalBroker, LocalBrokerSettings
from runtime.kafka.admin import ensure_topics
from runtime.kafka.settings import KafkaSettings
from runtime.logs import configure_logging
from runtime.partners import load_registry, registry_path
from schemas.partners import Partner
from schemas.topics import ENCOMPASS_INBOUND_TEMPLATE, INBOUND_TEMPLATE, STATUS_TEMPLATE

app = typer.Typer(
    pretty_exceptions_show_locals=False,
    help="Partner organisations: registration, topics, credentials and ACLs.",
)
console = Console(stderr=True)


def _admin() -> tuple[KafkaSettings, CredentialStore | None]:
    """Administrator settings: ``KAFKA_*`` if they name a user, else the local broker's."""
    if os.environ.get("KAFKA_SASL_USERNAME"):
        return KafkaSettings(), None
    broker = LocalBroker(LocalBrokerSettings())
    if not broker.settings.sasl:
        raise typer.BadParameter("the local broker runs without SASL: there are no users to add")
    return broker.client_settings(), broker.credentials


def _append(registry: Path, partner: Partner) -> None:
    """Add the partner at the end of the registry file, leaving its comments as they are."""
    entry = (
        f"  - id: {partner.id}\n"
        f"    name: {json.dumps(partner.name)}\n"
        f"    source: {json.dumps(partner.source)}\n"
        f"    local_authorities: {json.dumps(list(partner.local_authorities))}\n"
    )
    text = registry.read_text()
    registry.write_text(text + ("" if text.endswith("\n") else "\n") + entry)


@app.command()
def add(
    organisation_id: str = typer.Argument(..., help="Lower-case letters, digits and hyphens."),
    name: str = typer.Option(..., help="The organisation's name, for people."),
    source: str = typer.Option(..., help="Its Children in Need referral source code, e.g. 6."),
    local_authority: list[str] = typer.Option(
        ..., "--la", help="A DfE LA number it refers to (repeat for several)."
    ),
    registry: Path = typer.Option(
        registry_path(),
        help="The partner registry file to add it to.",
    ),
) -> None:
    """Register an organisation: its two topics, its SASL user and its ACLs.

    It may then write only ``referrals.inbound.<id>`` and read only ``status.<id>``. Run it
    again to repair topics or ACLs; the registry entry is written once.
    """
    configure_logging("partners", level="WARNING")
    try:
        partner = Partner(
            id=organisation_id, name=name, source=source, local_authorities=tuple(local_authority)
        )
    except ValidationError as error:
        for problem in error.errors(include_input=False):
            message = problem["msg"].removeprefix("Value error, ")
            where = ".".join(map(str, problem["loc"]))
            console.print(f"{where}: {message}", style="red", markup=False, soft_wrap=True)
        raise typer.Exit(2) from None
    kafka, store = _admin()
    topics = kafka.topics
    asyncio.run(
        ensure_topics(
            kafka,
            [
                (topics.inbound(partner.id), INBOUND_TEMPLATE),
                (topics.status(partner.id), STATUS_TEMPLATE),
                *(
                    [(topics.encompass_inbound(partner.id), ENCOMPASS_INBOUND_TEMPLATE)]
                    if partner.police
                    else []
                ),
            ],
        )
    )
    password = store.password(partner.id) if store else secrets.token_urlsafe(24)
    acls = add_partner(kafka, partner.id, password, police=partner.police)
    if partner.id in load_registry(registry).ids:
        console.print(f"{partner.id} was already in {registry}; topics and ACLs checked")
    else:
        _append(registry, partner)
        console.print(f"added {partner.id} to {registry}")
    console.print(
        f"topics {topics.inbound(partner.id)} (write) and {topics.status(partner.id)} (read); "
        f"SASL/SCRAM user {partner.id} with {acls} ACLs"
    )
    if store is None:  # a cluster of its own: hand the password over once, out of band
        typer.echo(password)
    else:
        console.print(f"its password is in {store.path}")


@app.command()
def provision(
    credentials: Path = typer.Option(
        ..., help="JSON file of {user: password}: kept passwords are reused, new ones written."
    ),
) -> None:
    """Create every topic, and a SASL user with its ACLs for each service and partner.

    Connects as the administrator given by ``KAFKA_*``. For set-ups without a secret store of
    their own (Docker Compose); the local broker and Kubernetes do this their own way.
    """
    configure_logging("partners", level="WARNING")
    kafka = KafkaSettings()
    registry = load_registry()
    orgs = registry.ids
    asyncio.run(
        secure_deployment(
            kafka, CredentialStore(credentials), orgs, registry.checking_ids, registry.police_ids
        )
    )
    console.print(f"topics, users and ACLs for {len(orgs)} partners and every service")
