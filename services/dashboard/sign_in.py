"""The managers file as the running dashboard sees it.

It is re-read when it changes; an unusable edit keeps the last good one. Sessions and the
sign-in throttle are the web servers' shared ones (:mod:`runtime.web.sign_in`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from runtime.watched_file import WatchedFile
from services.dashboard.auth import Manager, Managers


class ManagersFile:
    """The managers file as the running dashboard sees it: re-read when it changes.

    A credentials file: a missing or unusable edit, or one that ``refuse`` refuses, lets nobody
    in until mended (:attr:`problem` says why, on ``/health``).
    """

    def __init__(
        self,
        path: Path,
        recheck_s: float = 2.0,
        refuse: Callable[[Managers], str | None] | None = None,
    ) -> None:
        """Load ``path`` now (a bad or refused file refuses the start); watch it afterwards."""
        self.file = WatchedFile(
            path, Managers, "managers file", recheck_s, closed=Managers(), refuse=refuse
        )

    @property
    def current(self) -> Managers:
        """The managers, re-read if the file changed since the last look."""
        return self.file.current

    @property
    def problem(self) -> str | None:
        """Why the file's latest edit is not in use, if it is not."""
        return self.file.problem

    def get(self, username: str | None) -> Manager | None:
        """The manager with this username, as the file stands now."""
        return None if username is None else self.current.get(username)
