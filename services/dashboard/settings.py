"""The dashboard's settings: the common service settings, and what a web server adds."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from runtime.demo import DEMO_MANAGERS_FILE
from runtime.records_db.database import DatabaseSettings
from runtime.runner import ServiceSettings
from runtime.web.headers import require_session_secret

DEVELOPMENT_SECRET = "development-only-session-secret-change-me"  # noqa: S105 - refused outside development


class DashboardSettings(ServiceSettings):
    """The dashboard's settings, from ``FRONTDOOR_DASHBOARD_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_DASHBOARD_", extra="ignore")

    port: int = Field(default=8080, description="Port to serve on.")
    host: str = Field(
        default="127.0.0.1",
        description="Address to serve on: this machine only unless a proxy in front needs more "
        "(in a Kubernetes pod, 0.0.0.0 behind a Service and a TLS ingress).",
    )
    session_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SECRET),
        description="Key that signs session cookies.",
    )
    managers_file: Path | None = Field(default=None, description="The duty managers file.")
    database: DatabaseSettings = Field(
        default_factory=DatabaseSettings,
        description="The records database every page is read from (FRONTDOOR_DATABASE_URL).",
    )

    @field_validator("managers_file", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    def check(self) -> None:
        """Outside development, refuse the demo's session secret and managers file."""
        if self.development:
            return
        require_session_secret(
            self.session_secret.get_secret_value(),
            "FRONTDOOR_DASHBOARD_SESSION_SECRET",
            DEVELOPMENT_SECRET,
        )
        if self.managers_file is None:
            raise ValueError(
                "set FRONTDOOR_DASHBOARD_MANAGERS_FILE to this council's duty managers file: "
                "the demo file is for development only"
            )
        if not self.managers_file.is_file():
            raise ValueError(f"the managers file {self.managers_file} does not exist")
        if self.managers_file.resolve() == DEMO_MANAGERS_FILE.resolve():
            raise ValueError(
                "FRONTDOOR_DASHBOARD_MANAGERS_FILE names the demo file, whose sign-in is published"
            )
