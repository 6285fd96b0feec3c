"""A process that cannot start says why in one line and exits 2, instead of a traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from pydantic import ValidationError
from rich.console import Console

from domain.policies import PolicyFileError

console = Console(stderr=True)
EXIT_CANNOT_START = 2


def reason(error: Exception) -> str:
    """The first thing wrong, in one line, without the value that was wrong."""
    if isinstance(error, ValidationError):
        first = error.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        return f"{loc}: {message}" if loc else message
    return str(error).splitlines()[0]


@contextlib.contextmanager
def refusal(what: str) -> Iterator[None]:
    """Turn a bad setting or configuration file met while starting ``what`` into one line."""
    try:
        yield
    except (ValidationError, PolicyFileError, ValueError) as error:
        console.print(
            f"{what} cannot start: {reason(error)}", markup=False, highlight=False, soft_wrap=True
        )
        raise typer.Exit(EXIT_CANNOT_START) from None
