"""Commands for partner agencies: ``frontdoor validate`` checks messages before they are sent."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import typer

from schemas.partners import load_registry
from schemas.status import FieldError
from services.intake.validation import Accepted, validate_referral


@dataclass(frozen=True, slots=True)
class Checked:
    """The verdict on one referral in one file."""

    path: str
    line: int
    errors: list[FieldError]

    def as_json(self) -> str:
        """The JSON line ``frontdoor validate`` prints for it."""
        return json.dumps(
            {
                "path": self.path,
                "line": self.line,
                "valid": not self.errors,
                "errors": [error.model_dump() for error in self.errors],
            },
        )


def check_file(path: Path, organisation_id: str | None) -> Iterator[Checked]:
    """Validate every referral in a ``.json`` file (one) or ``.jsonl`` file (one per line)."""
    registry = load_registry() if organisation_id else None
    try:
        content = path.read_bytes()
    except OSError as error:
        reason = error.strerror or "cannot be read"
        yield Checked(str(path), 0, [FieldError(loc="path", msg=f"cannot read the file: {reason}")])
        return
    if path.suffix == ".jsonl":
        lines = [(number, raw) for number, raw in enumerate(content.split(b"\n"), 1) if raw.strip()]
    else:
        lines = [(1, content)]
    for number, raw in lines:
        verdict = validate_referral(raw, organisation_id=organisation_id, registry=registry)
        errors = [] if isinstance(verdict, Accepted) else verdict.errors
        yield Checked(str(path), number, errors)


def validate(
    paths: list[Path] = typer.Argument(..., help=".json (one referral) or .jsonl (one a line)."),
    org: str | None = typer.Option(
        None,
        help="Also check as if sent to this organisation's topic (registry included).",
    ),
) -> None:
    """Check referrals against Referral v1 before sending them: one JSON line per referral.

    Exit status 0 if every referral is valid, 1 if any is not.
    """
    all_valid = True
    for path in paths:
        for checked in check_file(path, org):
            sys.stdout.write(checked.as_json() + "\n")
            all_valid = all_valid and not checked.errors
    raise typer.Exit(0 if all_valid else 1)
