"""Duty managers: who may sign in, checked against Argon2 hashes (:mod:`runtime.web.passwords`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from runtime.demo import DEMO_MANAGERS_FILE
from runtime.web.passwords import hash_password, holds_demo_sign_in, password_matches
from schemas.triage import ActionKind, Case, Rag

__all__ = ["Manager", "Managers", "hash_password", "holds_demo_account", "load_managers"]


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
    role: Literal["duty", "edt"] = Field(
        default="duty",
        description="duty: every queue of their councils; edt: an emergency duty team "
        "manager, who sees only the emergency duty queue and red cases (and hands them over, "
        "allocates them or asks partners' checks).",
    )

    def may_use(self, page: str) -> bool:
        """Whether this manager may open ``page`` (a dashboard handler's name) at all."""
        return self.role != "edt" or page in EDT_PAGES

    def may_open(self, case: Case) -> bool:
        """Whether this manager may see ``case``: its council's, and red for the EDT."""
        return case.local_authority in self.local_authorities and (
            self.role != "edt" or case.rag is Rag.RED
        )

    def may_do(self, kind: ActionKind) -> bool:
        """Whether this manager may take an action of ``kind``."""
        return self.role != "edt" or kind in EDT_ACTIONS


# The emergency duty team works out of hours on red cases only (DOMAIN.md B): its queue, those
# cases, and what it records of them. Every other page and action is refused to it (403).
EDT_PAGES = frozenset({"home", "login_form", "login", "logout", "queues", "case", "act", "events"})
EDT_ACTIONS = frozenset({ActionKind.HAND_TO_DAY_TEAM, ActionKind.ALLOCATE, ActionKind.ASK_CHECKS})


class Managers(BaseModel):
    """The managers file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    managers: tuple[Manager, ...] = ()

    def authenticate(self, username: str, password: str) -> Manager | None:
        """The manager if the password is right, else None (in constant-ish time)."""
        manager = self.get(username)
        if password_matches(manager.password_hash if manager else None, password):
            return manager
        return None

    def get(self, username: str) -> Manager | None:
        """The manager with this username."""
        return next((m for m in self.managers if m.username == username), None)


def holds_demo_account(managers: Managers) -> bool:
    """Whether a managers file lets the published demo sign-in in."""
    accounts = {m.username: m.password_hash for m in managers.managers}
    return holds_demo_sign_in(accounts, DEMO_MANAGERS_FILE)


def load_managers(path: Path | None = None) -> Managers:
    """Read the managers file (``FRONTDOOR_DASHBOARD_MANAGERS_FILE`` or the demo one)."""
    path = path or Path(os.environ.get("FRONTDOOR_DASHBOARD_MANAGERS_FILE", DEMO_MANAGERS_FILE))
    if not path.exists():
        return Managers()
    return Managers.model_validate(yaml.safe_load(path.read_text()) or {})
