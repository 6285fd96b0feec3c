"""The dashboard's settings: the common service settings, and what a web server adds."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from runtime.demo import DEMO_MANAGERS_FILE
from runtime.web.settings import OptionalFile, WebSettings

DEVELOPMENT_SECRET = "development-only-session-secret-change-me"  # noqa: S105 - refused outside development


class DashboardSettings(WebSettings):
    """The dashboard's settings, from ``FRONTDOOR_DASHBOARD_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_DASHBOARD_", extra="ignore")

    port: int = Field(default=8080, description="Port to serve on.")
    session_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SECRET),
        description="Key that signs session cookies.",
    )
    managers_file: OptionalFile = Field(default=None, description="The duty managers file.")

    def check(self) -> None:
        """Outside development, refuse the demo's session secret and managers file."""
        if self.development:
            return
        self.require_own_secret("FRONTDOOR_DASHBOARD_SESSION_SECRET", DEVELOPMENT_SECRET)
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
