"""Who is signed in, and how often a name or an address may get a password wrong.

Sessions live on the server: the signed cookie carries only a random session id, so signing
out, or removing an account from its file, ends every copy of that session at once. Failed
sign-ins are counted per username and per client address; past the limit both are locked for a
while, whether or not the username exists, so a lockout discloses nothing.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from runtime.web.passwords import new_csrf_token

SESSION_HOURS = 8


@dataclass
class SignInThrottle:
    """Counts failures in a sliding window; too many lock the key for ``lockout_s``."""

    per_user: int = 5
    per_address: int = 20
    window_s: float = 15 * 60
    lockout_s: float = 15 * 60
    clock: Callable[[], float] = time.monotonic
    _failures: dict[tuple[str, str], deque[float]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    _locked_until: dict[tuple[str, str], float] = field(default_factory=dict)

    def _keys(self, username: str, address: str) -> list[tuple[tuple[str, str], int]]:
        return [
            (("user", username.lower()), self.per_user),
            (("address", address), self.per_address),
        ]

    def wait_s(self, username: str, address: str) -> float:
        """Seconds until this name and address may try again (0: now)."""
        now = self.clock()
        ends = [self._locked_until.get(key, now) for key, _ in self._keys(username, address)]
        return max(0.0, *(end - now for end in ends))

    def failed(self, username: str, address: str) -> list[str]:
        """Count a failure; the scopes ("user", "address") that it locked."""
        now = self.clock()
        locked = []
        for key, limit in self._keys(username, address):
            recent = self._failures[key]
            recent.append(now)
            while recent and recent[0] < now - self.window_s:
                recent.popleft()
            if len(recent) >= limit:
                self._locked_until[key] = now + self.lockout_s
                recent.clear()
                locked.append(key[0])
        return locked

    def succeeded(self, username: str) -> None:
        """A right password clears that name's failures (not its address's)."""
        self._failures.pop(("user", username.lower()), None)


@dataclass
class Sessions:
    """Signed-in sessions by random id, each with its manager and expiry."""

    clock: Callable[[], float] = time.time
    _sessions: dict[str, tuple[str, float]] = field(default_factory=dict)

    def start(self, username: str) -> str:
        """A new session for ``username``; its id."""
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = (username, self.clock() + SESSION_HOURS * 3600)
        return session_id

    def username(self, session_id: object) -> str | None:
        """Whose session this is, if it is live."""
        if not isinstance(session_id, str):
            return None
        found = self._sessions.get(session_id)
        if found is None or found[1] < self.clock():
            self._sessions.pop(session_id, None)
            return None
        return found[0]

    def end(self, session_id: object) -> None:
        """End one session (sign-out)."""
        if isinstance(session_id, str):
            self._sessions.pop(session_id, None)

    def sign_in(self, cookie: MutableMapping[str, Any], username: str) -> None:
        """Sign ``username`` in on a fresh session, the cookie's old one ended (no fixation).

        Everything the cookie held is dropped; it gets a new session id and a new CSRF token.
        """
        self.end(cookie.get("sid"))
        cookie.clear()
        cookie["sid"] = self.start(username)
        cookie["csrf"] = new_csrf_token()
