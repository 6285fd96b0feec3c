"""``frontdoor replay``: what a policy would have done to a file of past referrals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from domain.policies import PolicyBook, PolicyFileError
from frontdoor.replay import ReplaySummary, replay_lines
from runtime.partners import load_registry
from runtime.policies import PolicySettings
from services.triage.checks import from_registry, no_partners
from services.triage.engine import TriageEngine

LARGE = 1000
console = Console(stderr=True)


def replay(
    path: Path = typer.Argument(..., help="A .jsonl file of referrals, one a line, oldest first."),
    policy: Path | None = typer.Option(
        None, help="The default policy file (default: FRONTDOOR_POLICY_FILE, else the shipped one)."
    ),
    policy_dir: Path | None = typer.Option(
        None, help="A folder of one policy per council, 808.yaml (default: FRONTDOOR_POLICY_DIR)."
    ),
    registry: bool = typer.Option(
        True,
        help="Check each referral's organisation against the partner registry, as intake does "
        "(FRONTDOOR_PARTNERS_FILE); --no-registry skips it, and the summary says so.",
    ),
    retire: bool = typer.Option(
        True,
        help="Retire cases closed longer ago than the look-back window as the replay goes, as "
        "triage does, so years of referrals replay in bounded memory; no decision changes.",
    ),
) -> None:
    """Run intake and triage over a file offline: one JSON line per referral, then a summary."""
    try:
        content = path.read_bytes()
    except OSError as error:
        console.print(f"[red]cannot read {path}: {error.strerror}[/red]")
        raise typer.Exit(2) from None
    lines = [(number, raw) for number, raw in enumerate(content.split(b"\n"), 1) if raw.strip()]
    settings = PolicySettings()
    try:
        policies = PolicyBook.load(policy or settings.file, policy_dir or settings.dir)
    except PolicyFileError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    partners = load_registry() if registry else None
    engine = TriageEngine(
        policies, from_registry(lambda: partners) if partners is not None else no_partners
    )
    summary = ReplaySummary()
    with Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=len(lines) < LARGE,
    ) as progress:
        task = progress.add_task("replay", total=len(lines))
        for line in replay_lines(engine, lines, str(path), summary, partners, retire=retire):
            sys.stdout.write(json.dumps(line) + "\n")
            progress.advance(task)
    sys.stdout.write(json.dumps(summary.as_json()) + "\n")
