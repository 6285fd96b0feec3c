"""Who is signed in, and how often a name or an address may get a password wrong.

Sessions live on the server: the signed cookie carries only a random session id, so signing
out, or removing an account from its file, ends every copy of that session at once. Failed
sign-ins are counted per username from an address and per client address; past the limit that
key is locked for a while, whether or not the username exists, so a lockout discloses nothing.
"""

from __future__ import annotations

import re
import secrets
import time
from collections import deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from runtime.web.passwords import new_csrf_token

SESSION_HOURS = 8


# What a sign-in name can be (managers' and referrers' patterns): anything else is no account.
POSSIBLE_NAME = re.compile(r"^[a-z0-9._@-]{2,64}$")
MAX_KEYS = 10_000  # counted keys kept; the oldest are forgotten first


@dataclass
class SignInThrottle:
    """Counts failures in a sliding window; too many lock that key for ``lockout_s``.

    Keys are a name *from an address* (``per_pair``) and an address (``per_address``), never a
    name alone: someone who knows a manager's username cannot lock them out from elsewhere.
    A name that cannot be an account is refused before anything is hashed and counts against
    its address only, so junk names never become keys; keys expire with their window and are
    capped, oldest first.
    """

    per_pair: int = 5
    per_address: int = 20
    window_s: float = 15 * 60
    lockout_s: float = 15 * 60
    clock: Callable[[], float] = time.monotonic
    max_keys: int = MAX_KEYS
    _failures: dict[tuple[str, ...], deque[float]] = field(default_factory=dict)
    _locked_until: dict[tuple[str, ...], float] = field(default_factory=dict)

    @staticmethod
    def possible(username: str) -> bool:
        """Whether ``username`` could name an account at all."""
        return POSSIBLE_NAME.fullmatch(username.lower()) is not None

    def _keys(self, username: str, address: str) -> list[tuple[tuple[str, ...], int]]:
        keys: list[tuple[tuple[str, ...], int]] = [(("address", address), self.per_address)]
        if self.possible(username):
            keys.append((("user", username.lower(), address), self.per_pair))
        return keys

    def wait_s(self, username: str, address: str) -> float:
        """Seconds until this name and address may try again (0: now)."""
        now = self.clock()
        ends = [self._locked_until.get(key, now) for key, _ in self._keys(username, address)]
        return max(0.0, *(end - now for end in ends))

    def failed(self, username: str, address: str) -> list[str]:
        """Count a failure; the scopes ("user", "address") that it locked."""
        now = self.clock()
        self._forget(now)
        locked = []
        for key, limit in self._keys(username, address):
            recent = self._failures.setdefault(key, deque())
            recent.append(now)
            while recent and recent[0] < now - self.window_s:
                recent.popleft()
            if len(recent) >= limit:
                self._locked_until[key] = now + self.lockout_s
                recent.clear()
                locked.append(key[0])
        self._cap()
        return locked

    def succeeded(self, username: str, address: str) -> None:
        """A right password clears that name's failures from that address (not the address's)."""
        self._failures.pop(("user", username.lower(), address), None)

    def _forget(self, now: float) -> None:
        """Drop expired locks and windows."""
        for key, until in list(self._locked_until.items()):
            if until <= now:
                del self._locked_until[key]
        for key, recent in list(self._failures.items()):
            if not recent or recent[-1] < now - self.window_s:
                del self._failures[key]

    def _cap(self) -> None:
        """Past ``max_keys`` counted or locked keys, forget the oldest."""
        for held in (self._failures, self._locked_until):
            while len(held) > self.max_keys:
                del held[next(iter(held))]

    def __len__(self) -> int:
        """How many keys are held (counted or locked)."""
        return len(self._failures) + len(self._locked_until)


MAX_SESSIONS = 10_000  # every person's together
MAX_SESSIONS_EACH = 10  # one person's: browsers and devices


@dataclass
class Sessions:
    """Signed-in sessions by random id, each with its manager and expiry."""

    clock: Callable[[], float] = time.time
    _sessions: dict[str, tuple[str, float]] = field(default_factory=dict)

    def start(self, username: str) -> str:
        """A new session for ``username``; its id.

        Expired sessions are pruned first; a person keeps at most :data:`MAX_SESSIONS_EACH`
        (their oldest ends) and the server at most :data:`MAX_SESSIONS` (the oldest end), so
        sign-ins never grow the memory without bound.
        """
        now = self.clock()
        for old, (_, expires) in list(self._sessions.items()):
            if expires < now:
                del self._sessions[old]
        theirs = [sid for sid, (user, _) in self._sessions.items() if user == username]
        for old in theirs[: max(0, len(theirs) - MAX_SESSIONS_EACH + 1)]:
            del self._sessions[old]
        while len(self._sessions) >= MAX_SESSIONS:  # oldest first: a dict keeps its order
            del self._sessions[next(iter(self._sessions))]
        session_id = secrets.token_urlsafe(32)
        self._sessions[session_id] = (username, now + SESSION_HOURS * 3600)
        return session_id

    def __len__(self) -> int:
        """How many sessions are held."""
        return len(self._sessions)

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
