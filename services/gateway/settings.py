"""The gateway's settings: the common service settings, and what a public web server adds."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from runtime.demo import DEMO_REFERRERS_FILE
from runtime.web.settings import OptionalFile, WebSettings

DEVELOPMENT_SECRET = "development-only-gateway-secret-change-me"  # noqa: S105 - refused outside development


class GatewaySettings(WebSettings):
    """The gateway's settings, from ``FRONTDOOR_GATEWAY_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="FRONTDOOR_GATEWAY_", extra="ignore")

    port: int = Field(default=8090, description="Port to serve the API and the forms on.")
    session_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SECRET), description="Key that signs the forms' cookies."
    )
    keys_file: Path = Field(
        default=Path(".frontdoor/api-keys.yaml"),
        description="The partners' API keys, as hashes (`frontdoor partners key`).",
    )
    referrers_file: OptionalFile = Field(
        default=None, description="The accounts that may sign in to the professional form."
    )
    api_rate: float = Field(
        default=20.0, gt=0, description="API requests a second each organisation may make."
    )
    api_burst: int = Field(default=100, ge=1, description="...and how many at once after a lull.")
    public_per_hour: int = Field(
        default=5, ge=1, description="Public-form referrals an hour from one address."
    )

    def check(self) -> None:
        """Outside development, refuse the demo's secret and referrers file."""
        if self.development:
            return
        self.require_own_secret("FRONTDOOR_GATEWAY_SESSION_SECRET", DEVELOPMENT_SECRET)
        if self.referrers_file is None or (
            self.referrers_file.resolve() == DEMO_REFERRERS_FILE.resolve()
        ):
            raise ValueError(
                "set FRONTDOOR_GATEWAY_REFERRERS_FILE to this council's referrer accounts: "
                "the demo file's sign-in is published"
            )
