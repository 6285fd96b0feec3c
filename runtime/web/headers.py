"""Security headers on every response: nothing loads from elsewhere, nothing frames the pages.

The pages show children's details, so nothing but the static files may be stored by a browser
or a proxy (``Cache-Control: no-store``); they load scripts, styles and images from this origin
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
# Pages and API answers show children's details: no browser or proxy keeps a copy. Only the
# static files (styles, scripts, the logo) may be cached.
NO_STORE = (b"cache-control", b"no-store")
STATIC = "/static/"
# A page's form is a few KB; 300 KiB leaves room for long free text and bounds what a request
# may make the server read (starlette parses a whole form before any CSRF check).
FORM_BODY_LIMIT = 300 * 1024
# How many fields and how large a part a form may have (starlette's request.form() options).
FORM_LIMITS = {"max_files": 0, "max_fields": 200, "max_part_size": 64 * 1024}


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
        if not scope["path"].startswith(STATIC):
            extra.append(NO_STORE)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((name, value) for name, value in extra if name not in names),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """ASGI middleware answering 413 to a request body over ``limit`` bytes outside ``/api/``.

    By Content-Length before anything is read, and by counting while the body streams in (a
    chunked upload has no length). The API has its own limit, answered in its own words.
    """

    def __init__(self, app: ASGIApp, limit: int = FORM_BODY_LIMIT) -> None:
        """Wrap ``app``."""
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an oversized body, or pass the request on, counting its body."""
        if scope["type"] != "http" or scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            await _too_large(send)
            return
        read = 0

        async def counting() -> Message:
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > self.limit:
                raise _BodyTooLargeError
            return message

        try:
            await self.app(scope, counting, send)
        except _BodyTooLargeError:
            await _too_large(send)


class _BodyTooLargeError(Exception):
    """Raised inside the app's read of a body that outgrew the limit while streaming."""


async def _too_large(send: Send) -> None:
    body = b"The form is too large to send. Shorten the longest answers and try again."
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


def page_middleware(session_secret: str, cookie: str, *, https_only: bool) -> list[Middleware]:
    """What every page server wraps its app in: these headers, and a signed session cookie.

    The cookie is strict same-site, HTTPS-only outside development, and lasts a working day.
    """
    return [
        Middleware(SecurityHeaders),
        Middleware(BodyLimit),
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
