"""Where a process finds the councils' threshold policies: one setting for every service.

``FRONTDOOR_POLICY_DIR`` holds one policy file per council (``808.yaml``), and
``FRONTDOOR_POLICY_FILE`` replaces the shipped default for councils without a file of their
own. Triage, intake, the dashboard and ``frontdoor replay`` all read them here, so a council's
working day is the same everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.policies import PolicyBook

# Settings that used to configure one service's working day, now the policy's calendar.
RETIRED = {
    "FRONTDOOR_TRIAGE_DAY_START": "calendar.day_start",
    "FRONTDOOR_TRIAGE_DAY_END": "calendar.day_end",
    "FRONTDOOR_TRIAGE_POLICY_FILE": "FRONTDOOR_POLICY_FILE",
}


class PolicySettings(BaseSettings):
    """The policy files, from ``FRONTDOOR_POLICY_FILE`` and ``FRONTDOOR_POLICY_DIR``."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_POLICY_", extra="ignore")

    file: Path | None = Field(
        default=None, description="The default policy (else the shipped default policy)."
    )
    dir: Path | None = Field(
        default=None, description="A folder of one policy file per council, named 808.yaml."
    )

    @model_validator(mode="after")
    def _refuse_retired_settings(self) -> PolicySettings:
        for name, instead in RETIRED.items():
            if name in os.environ:
                raise ValueError(
                    f"{name} is retired: the working day and the policy belong to each council's "
                    f"policy file now; use {instead} (see the README's configuration section)"
                )
        return self

    def load(self) -> PolicyBook:
        """The book of policies these settings name."""
        return PolicyBook.load(self.file, self.dir)
