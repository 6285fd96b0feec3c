"""A process that cannot start says why in one line and exits 2, instead of a traceback."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer

from frontdoor.serve import STARTUP_ERRORS, cannot_start


@contextlib.contextmanager
def refusal(what: str) -> Iterator[None]:
    """Turn a bad setting or configuration file met while starting ``what`` into one line."""
    try:
        yield
    except STARTUP_ERRORS as error:
        raise typer.Exit(cannot_start(what, error)) from None
