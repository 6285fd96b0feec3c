"""Duty managers: who may sign in, password checks (Argon2 hashes), and CSRF tokens."""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field

from runtime.demo import DEMO_MANAGERS_FILE

_hasher = PasswordHasher()
# Checked against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class Manager(BaseModel):
    """A duty manager who may use the dashboard."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(
        pattern=r"^[a-z0-9._-]{2,64}$", description="Sign-in name; recorded as the actor."
    )
    name: str = Field(min_length=1, description="Shown on the page.")
    password_hash: str = Field(description="Argon2 hash of the password; never the password.")
    local_authorities: tuple[str, ...] = Field(
        min_length=1, description="LAs whose cases they see."
    )


class Managers(BaseModel):
    """The managers file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    managers: tuple[Manager, ...] = ()

    def authenticate(self, username: str, password: str) -> Manager | None:
        """The manager if the password is right, else None (in constant-ish time)."""
        manager = next((m for m in self.managers if m.username == username), None)
        try:
            _hasher.verify(manager.password_hash if manager else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return manager

    def get(self, username: str) -> Manager | None:
        """The manager with this username."""
        return next((m for m in self.managers if m.username == username), None)


DEMO_USERNAME = "duty.manager"
DEMO_PASSWORD = "frontdoor-demo"  # noqa: S105 - published in the README; refused in production


def holds_demo_account(managers: Managers) -> bool:
    """Whether a managers file lets the published demo sign-in in."""
    demo_hashes = {m.password_hash for m in load_managers(DEMO_MANAGERS_FILE).managers}
    if any(m.password_hash in demo_hashes for m in managers.managers):
        return True
    demo = managers.get(DEMO_USERNAME)
    return demo is not None and managers.authenticate(DEMO_USERNAME, DEMO_PASSWORD) is not None


def hash_password(password: str) -> str:
    """An Argon2id hash to store in the managers file."""
    return _hasher.hash(password)


def load_managers(path: Path | None = None) -> Managers:
    """Read the managers file (``FRONTDOOR_DASHBOARD_MANAGERS_FILE`` or the demo one)."""
    path = path or Path(os.environ.get("FRONTDOOR_DASHBOARD_MANAGERS_FILE", DEMO_MANAGERS_FILE))
    if not path.exists():
        return Managers()
    return Managers.model_validate(yaml.safe_load(path.read_text()) or {})


def new_csrf_token() -> str:
    """A fresh token for a session's forms."""
    return secrets.token_urlsafe(32)


def csrf_ok(session_token: object, submitted: object) -> bool:
    """Whether a form's token matches its session's."""
    return (
        isinstance(session_token, str)
        and isinstance(submitted, str)
        and bool(session_token)
        and hmac.compare_digest(session_token, submitted)
    )
