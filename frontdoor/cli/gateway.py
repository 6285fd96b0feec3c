"""``frontdoor gateway``, ``frontdoor partners key|keys|revoke`` and ``frontdoor referrers add``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
import yaml
from rich.console import Console

from frontdoor import serve
from runtime.partners import load_registry
from runtime.web.passwords import hash_password
from services.gateway.keys import ApiKeys, issue, read_keys, write_keys
from services.gateway.settings import GatewaySettings

console = Console(stderr=True)
referrers_app = typer.Typer(
    pretty_exceptions_show_locals=False, help="People who may sign in to the referral form."
)


def gateway(
    port: int | None = typer.Option(None, help="Port on 127.0.0.1 (default 8090)."),
) -> None:
    """Serve the partners' HTTPS API (/api/v1) and the referral forms (/refer) on 127.0.0.1."""
    raise typer.Exit(serve.web("gateway", port))


def key(
    organisation_id: str = typer.Argument(..., help="A registered organisation."),
    file: Path = typer.Option(None, help="The keys file (FRONTDOOR_GATEWAY_KEYS_FILE)."),
) -> None:
    """Issue an API key for an organisation: printed once, stored only as a hash."""
    path = file or GatewaySettings().keys_file
    if load_registry().get(organisation_id) is None:
        console.print(f"{organisation_id} is not registered: `frontdoor partners add` it first")
        raise typer.Exit(2)
    token, stored = issue(organisation_id, datetime.now(UTC))
    keys = read_keys(path)
    write_keys(path, ApiKeys(keys=(*keys.keys, stored)))
    console.print(f"key {stored.id} for {organisation_id} added to {path}; it is shown only now:")
    typer.echo(token)


def keys(
    file: Path = typer.Option(None, help="The keys file (FRONTDOOR_GATEWAY_KEYS_FILE)."),
) -> None:
    """List the API keys: id, organisation, when issued, whether revoked (never the keys)."""
    for stored in read_keys(file or GatewaySettings().keys_file).keys:
        revoked = f"revoked {stored.revoked_at:%Y-%m-%d %H:%M}" if stored.revoked_at else "live"
        typer.echo(
            f"{stored.id}  {stored.organisation_id}  {stored.created_at:%Y-%m-%d}  {revoked}"
        )


def revoke(
    key_id: str = typer.Argument(..., help="The key's id, as `frontdoor partners keys` lists it."),
    file: Path = typer.Option(None, help="The keys file (FRONTDOOR_GATEWAY_KEYS_FILE)."),
) -> None:
    """Revoke an API key: the gateway refuses it within two seconds."""
    path = file or GatewaySettings().keys_file
    current = read_keys(path)
    if all(stored.id != key_id for stored in current.keys):
        console.print(f"no key {key_id} in {path}")
        raise typer.Exit(2)
    now = datetime.now(UTC)
    revoked = tuple(
        stored.model_copy(update={"revoked_at": stored.revoked_at or now})
        if stored.id == key_id
        else stored
        for stored in current.keys
    )
    write_keys(path, ApiKeys(keys=revoked))
    console.print(f"key {key_id} revoked")


@referrers_app.command("add")
def add_referrer(  # noqa: PLR0917 - a command's options
    username: str = typer.Argument(..., help="Sign-in name."),
    name: str = typer.Option(..., help="Their full name (sent as the referrer)."),
    org: str = typer.Option(..., help="The registered organisation they refer for."),
    role: str | None = typer.Option(None, help="Their role, e.g. designated safeguarding lead."),
    email: str | None = typer.Option(None, help="Where the front door can reach them."),
    file: Path = typer.Option(
        ...,
        help="The referrers file to add to (this council's own: the demo one inside the package "
        "has a published password and is refused in production).",
    ),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Add (or replace) a referrer account; the password is stored only as an Argon2 hash."""
    if load_registry().get(org) is None:
        console.print(f"{org} is not registered: `frontdoor partners add` it first")
        raise typer.Exit(2)
    document = yaml.safe_load(file.read_text()) if file.exists() else {}
    accounts = [a for a in (document or {}).get("referrers", []) if a["username"] != username]
    accounts.append(
        {
            "username": username,
            "name": name,
            "organisation_id": org,
            "role": role,
            "email": email,
            "password_hash": hash_password(password),
        }
    )
    file.write_text(yaml.safe_dump({"referrers": accounts}, sort_keys=False))
    console.print(f"{username} can sign in to /refer for {org}")
