"""Passwords (Argon2id hashes, never the password) and the CSRF tokens of signed-in forms."""

from __future__ import annotations

import hmac
import secrets
from functools import cache
from pathlib import Path

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Argon2id with OWASP's recommended parameters (19 MiB, two passes, one lane) rather than
# argon2-cffi's default (64 MiB, three passes, four lanes): as strong a defence for a sign-in
# page, and a third of the memory each sign-in briefly takes (64 MiB was the dashboard's and the
# gateway's peak). Hashes record their own parameters, so hashes made before still verify.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def _dummy_hash() -> str:
    """Checked against when the username is unknown, so a wrong name costs as a wrong password."""
    return _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    """An Argon2id hash to store in an accounts file."""
    return _hasher.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the one hashed; an unknown account (None) costs the same."""
    try:
        _hasher.verify(password_hash or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


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


DEMO_PASSWORD = "frontdoor-demo"  # noqa: S105 - published in the README; refused in production


def holds_demo_sign_in(accounts: dict[str, str], demo_file: Path) -> bool:
    """Whether ``accounts`` (username -> Argon2 hash) let a published demo sign-in in.

    A hash copied from ``demo_file`` does, and so does one of its usernames whose password is
    the published one (an operator who copied the file, or re-added the demo account).
    """
    document = yaml.safe_load(demo_file.read_text()) or {}
    demo = {a["username"]: a["password_hash"] for listed in document.values() for a in listed}
    if set(accounts.values()) & set(demo.values()):
        return True
    return any(password_matches(accounts[name], DEMO_PASSWORD) for name in demo if name in accounts)
