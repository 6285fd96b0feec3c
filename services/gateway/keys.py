"""Partners' API keys: shown once when issued, stored only as hashes, revocable.

A key is ``fdk_<id>_<secret>``: the id finds the entry, the SHA-256 of the whole key must
match the stored hash. Keys are long random strings, not passwords a person chose, so one fast
hash suffices (a slow password hash would cost every request tens of milliseconds). Revoking
a key edits the file; the gateway re-reads it within two seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from runtime.watched_file import WatchedFile

KEY = re.compile(r"^fdk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$")


class ApiKey(BaseModel):
    """One issued key: whose it is and its hash, never the key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[0-9a-f]{12}$", description="Names the key in logs and commands.")
    organisation_id: str = Field(description="The organisation the key sends as.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the whole key.")
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeys(BaseModel):
    """The keys file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keys: tuple[ApiKey, ...] = ()

    def holder(self, token: str) -> ApiKey | None:
        """The live key ``token`` is, if it is one."""
        found = KEY.fullmatch(token)
        if found is None:
            return None
        key = next((k for k in self.keys if k.id == found.group(1)), None)
        if key is None or key.revoked_at is not None:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        return key if hmac.compare_digest(digest, key.sha256) else None


def issue(organisation_id: str, now: datetime) -> tuple[str, ApiKey]:
    """A new key for ``organisation_id``: the key itself (to show once) and what is stored."""
    key_id = secrets.token_hex(6)
    token = f"fdk_{key_id}_{secrets.token_urlsafe(32)}"
    stored = ApiKey(
        id=key_id,
        organisation_id=organisation_id,
        sha256=hashlib.sha256(token.encode()).hexdigest(),
        created_at=now,
    )
    return token, stored


def read_keys(path: Path) -> ApiKeys:
    """The keys file (none yet: no keys)."""
    if not path.exists():
        return ApiKeys()
    return ApiKeys.model_validate(yaml.safe_load(path.read_text()) or {})


def write_keys(path: Path, keys: ApiKeys) -> None:
    """Replace the keys file (readable by its owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = yaml.safe_dump(keys.model_dump(mode="json"), sort_keys=False)
    temporary = path.with_suffix(".tmp")
    temporary.write_text("# Front Door API keys: hashes only (frontdoor partners key)\n" + document)
    temporary.chmod(0o600)
    temporary.replace(path)


class KeysFile:
    """The keys file as the running gateway sees it: re-read when it changes."""

    def __init__(self, path: Path) -> None:
        """Watch ``path``, made empty first if there is none yet."""
        if not path.exists():
            write_keys(path, ApiKeys())
        self.file = WatchedFile(path, ApiKeys, "API keys file", closed=ApiKeys())

    def holder(self, token: str) -> ApiKey | None:
        """The live key ``token`` is, as the file stands now."""
        return self.file.current.holder(token)

    @property
    def problem(self) -> str | None:
        """Why the file's latest edit is not in use, if it is not."""
        return self.file.problem
