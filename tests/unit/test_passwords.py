"""Passwords: Argon2id at OWASP's parameters, older hashes accepted, nothing hashed at import."""

from __future__ import annotations

import subprocess
import sys

from argon2 import PasswordHasher

from runtime.web.passwords import hash_password, password_matches


def test_new_hashes_are_argon2id_at_owasps_parameters() -> None:
    stored = hash_password("a long pass phrase")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert password_matches(stored, "a long pass phrase")
    assert not password_matches(stored, "a long pass phrasE")


def test_hashes_made_with_the_libraries_defaults_still_verify() -> None:
    older = PasswordHasher().hash("made last year")  # m=65536,t=3,p=4
    assert password_matches(older, "made last year")
    assert not password_matches(older, "made this year")


def test_an_unknown_account_never_matches() -> None:
    assert not password_matches(None, "")
    assert not password_matches(None, "anything")
    assert not password_matches("not a hash", "anything")


def test_importing_the_module_hashes_nothing() -> None:
    """The stand-in hash for unknown names is made on first use, not when a service starts."""
    probe = (
        "import argon2\n"
        "calls = []\n"
        "real = argon2.PasswordHasher.hash\n"
        "def counted(self, *a, **k):\n"
        "    calls.append(1)\n"
        "    return real(self, *a, **k)\n"
        "argon2.PasswordHasher.hash = counted\n"
        "import runtime.web.passwords\n"
        "print(len(calls))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "0"
