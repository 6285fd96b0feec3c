"""What every page server (the dashboard, the gateway) adds to the common service settings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, SecretStr

from runtime.records_db.database import DatabaseSettings
from runtime.runner import ServiceSettings
from runtime.web.headers import require_session_secret

# A file setting left empty (``FRONTDOOR_..._FILE=``) means unset, not the current directory.
OptionalFile = Annotated[Path | None, BeforeValidator(lambda value: None if value == "" else value)]


class WebSettings(ServiceSettings):
    """The address, the cookie-signing secret and the records database of a page server."""

    host: str = Field(
        default="127.0.0.1",
        description="Address to serve on: this machine only, behind a TLS-terminating proxy "
        "(in a Kubernetes pod, 0.0.0.0 behind a Service and a TLS ingress).",
    )
    session_secret: SecretStr = Field(description="Key that signs the session cookies.")
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated, e.g. the ingress pods' range) whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed. Empty (the default): those headers "
        "are ignored and the connecting address is the client, so nobody picks their own "
        "address to escape a throttle.",
    )
    database: DatabaseSettings = Field(
        default_factory=DatabaseSettings,
        description="The records database the pages read (FRONTDOOR_DATABASE_URL).",
    )

    def uvicorn_options(self) -> dict[str, object]:
        """How uvicorn treats proxy headers: only from :attr:`trusted_proxies`, else never."""
        trusted = self.trusted_proxies.strip()
        return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or "127.0.0.1"}

    def require_own_secret(self, variable: str, development_secret: str) -> None:
        """Refuse the development secret, or one too short, outside development."""
        require_session_secret(self.session_secret.get_secret_value(), variable, development_secret)
