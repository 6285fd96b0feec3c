"""``frontdoor dashboard`` and ``frontdoor managers add``."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml
from rich.console import Console

from frontdoor import serve
from runtime.web.passwords import hash_password

console = Console(stderr=True)
managers_app = typer.Typer(
    pretty_exceptions_show_locals=False, help="Duty managers who may sign in."
)


def dashboard(
    port: int | None = typer.Option(None, help="Port on 127.0.0.1 (default 8080)."),
) -> None:
    """Serve the duty managers' dashboard on 127.0.0.1."""
    raise typer.Exit(serve.web("dashboard", port))


@managers_app.command("add")
def add_manager(
    username: str = typer.Argument(..., help="Sign-in name, recorded as the actor of actions."),
    name: str = typer.Option(..., help="The manager's full name."),
    la: list[str] = typer.Option(..., help="A local authority they manage (repeat for more)."),
    file: Path = typer.Option(
        ...,
        help="The managers file to add to (this council's own: the demo one inside the package "
        "has a published password and is refused in production).",
    ),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Add (or replace) a duty manager; the password is stored only as an Argon2 hash."""
    document = yaml.safe_load(file.read_text()) if file.exists() else {}
    managers = [m for m in (document or {}).get("managers", []) if m["username"] != username]
    managers.append(
        {
            "username": username,
            "name": name,
            "password_hash": hash_password(password),
            "local_authorities": la,
        }
    )
    file.write_text(yaml.safe_dump({"managers": managers}, sort_keys=False))
    console.print(f"{username} can sign in to the dashboard")
