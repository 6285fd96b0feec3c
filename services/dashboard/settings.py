"""The dashboard's settings: the common service settings, and what a web server adds."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from runtime.runner import ServiceSettings

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
    environment: str = Field(default="development", description="development or production.")
    session_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SECRET),
        description="Key that signs session cookies.",
    )
    managers_file: Path | None = Field(default=None, description="The duty managers file.")

    def check(self) -> None:
        """Refuse to run outside development with the development session secret."""
        if (
            self.environment != "development"
            and self.session_secret.get_secret_value() == DEVELOPMENT_SECRET
        ):
            raise ValueError(
                "set FRONTDOOR_DASHBOARD_SESSION_SECRET: the default is for development only"
            )
