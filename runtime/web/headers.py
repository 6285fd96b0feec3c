"""Security headers on every response: nothing loads from elsewhere, nothing frames the pages.

The pages show children's details, so they load scripts, styles and images from this origin
only (the charts are inline SVG without scripts; their styles are inline, hence
``style-src 'unsafe-inline'`` and no more), may not be framed, and send no referrer. Over
TLS, browsers are told to keep to HTTPS.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MIN_SECRET_CHARS = 32

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` (and HSTS over TLS) to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap ``app``."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response's start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [*HEADERS, HSTS] if scope.get("scheme") == "https" else list(HEADERS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in names),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def page_middleware(session_secret: str, cookie: str, *, https_only: bool) -> list[Middleware]:
    """What every page server wraps its app in: these headers, and a signed session cookie.

    The cookie is strict same-site, HTTPS-only outside development, and lasts a working day.
    """
    return [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=session_secret,
            session_cookie=cookie,
            same_site="strict",
            https_only=https_only,
            max_age=8 * 60 * 60,
        ),
    ]


def require_session_secret(secret: str, variable: str, development_default: str) -> None:
    """Outside development: refuse the published default or a short secret, naming ``variable``."""
    if secret == development_default or len(secret) < MIN_SECRET_CHARS:
        raise ValueError(
            f"set {variable} to a random secret of at least {MIN_SECRET_CHARS} characters: "
            "the default is for development only"
        )
