"""A configuration file that a running process re-reads when it changes, never trusting a bad edit.

At start a bad file is refused (one line naming the file, the line and the field). While the
process runs, an edit that does not parse or validate (or is read half-written) is logged once,
in the same words, the last good version is kept, and :attr:`WatchedFile.problem` says why, so
``/health`` can warn; once the file is valid again it is taken up and the warning clears.

A credentials file (API keys, accounts) fails closed instead: when it goes missing or an edit
is unusable, nobody is let in (the ``closed`` value) until it is mended, so deleting a key's
line, or the file, revokes at once. A ``refuse`` check (such as "holds the published demo
account") is applied at start and to every re-read, and refuses the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import structlog
from pydantic import BaseModel

from schemas.yaml_files import ConfigFileError, load_yaml_model

log = structlog.get_logger(__name__)
Model = TypeVar("Model", bound=BaseModel)


class WatchedFile(Generic[Model]):
    """The last good version of a YAML file, looked at again every ``recheck_s`` seconds."""

    def __init__(
        self,
        path: Path,
        model: type[Model],
        what: str,
        recheck_s: float = 2.0,
        *,
        closed: Model | None = None,
        refuse: Callable[[Model], str | None] | None = None,
        parse: Callable[[Path, type[Model]], Model] = load_yaml_model,
    ) -> None:
        """Load ``path`` as ``model`` now; raise :class:`ConfigFileError` if it is bad.

        ``closed``: what a credentials file stands for when it is missing or unusable later.
        ``refuse(content)``: a reason the content must not be used, or None.
        ``parse(path, model)``: how the file is read (YAML by default; the school roll is CSV).
        """
        self.path = path
        self.model = model
        self.what = what
        self.recheck_s = recheck_s
        self.closed = closed
        self.refuse = refuse
        self.parse = parse
        self._value = self._load()
        self._mtime = self._stat()
        self._checked = time.monotonic()
        self._problem: str | None = None

    def _stat(self) -> int:
        try:
            return self.path.stat().st_mtime_ns
        except OSError:
            return -1

    @property
    def current(self) -> Model:
        """The file's last good content, re-read first if it changed since the last look."""
        if time.monotonic() - self._checked >= self.recheck_s:
            self._checked = time.monotonic()
            mtime = self._stat()
            if mtime != self._mtime and self._reload():
                self._mtime = mtime  # only after a good read: a bad one is looked at again
        return self._value

    @property
    def problem(self) -> str | None:
        """Why the file's latest edit is not in use, if it is not (looks at the file first)."""
        _ = self.current
        return self._problem

    def _load(self) -> Model:
        if self.closed is not None and not self.path.exists():
            raise ConfigFileError(f"{self.path}: missing")
        try:
            value = self.parse(self.path, self.model)
        except ConfigFileError:
            raise
        except Exception as error:  # noqa: BLE001 - a parser's own fault never ends the process
            kind = type(error).__name__
            raise ConfigFileError(f"{self.path}: cannot be read ({kind})") from None
        if self.refuse is not None and (reason := self.refuse(value)):
            raise ConfigFileError(f"{self.path}: {reason}")
        return value

    def _reload(self) -> bool:
        """Read the file again; whether it was good (a bad edit is said once, not every look)."""
        try:
            self._value = self._load()
        except ConfigFileError as error:
            if self.closed is not None:
                self._value = self.closed
                problem = f"{self.what} unusable, nobody is let in until mended: {error}"
                said = f"{self.what} unusable; letting nobody in"
            else:
                problem = f"{self.what} unusable, the last good one is in use: {error}"
                said = f"{self.what} unusable; keeping the last good one"
            if problem != self._problem:
                # The reason names the file, line and field, never a value: no traceback needed.
                log.error(said, reason=str(error))  # noqa: TRY400
            self._problem = problem
            return False
        if self._problem is not None:
            log.info(f"{self.what} usable again")  # noqa: G004 - as above
        self._problem = None
        log.info(f"{self.what} reloaded")  # noqa: G004 - as above
        return True
