"""The page servers' wrapping (runtime/web/headers.py), each promise exactly: the security
headers on every response and never twice, HSTS only over TLS, other traffic untouched; a form
body over the limit refused with 413 by its length or while it streams (the API exempt); the
session cookie strict, HTTPS-only when asked, a working day long; a short or published session
secret refused. Written so that `make mutate` kills each change to these lines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from runtime.web.headers import (
    CONTENT_SECURITY_POLICY,
    FORM_BODY_LIMIT,
    MIN_SECRET_CHARS,
    BodyLimit,
    SecurityHeaders,
    page_middleware,
    require_session_secret,
)

TOO_LARGE = b"The form is too large to send. Shorten the longest answers and try again."
EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",  # third review, item 9: pages and answers hold children's data
}


async def echo(request: Request) -> Response:
    body = await request.body()
    return PlainTextResponse(f"read {len(body)}", headers={"X-Frame-Options": "SAMEORIGIN"})


async def session(request: Request) -> Response:
    request.session["seen"] = True
    return PlainTextResponse("ok")


def app(**middleware: Any) -> Starlette:
    routes = [
        Route("/form", echo, methods=["POST"]),
        Route("/api/v1/referrals", echo, methods=["POST"]),
        Route("/session", session),
    ]
    routes.append(Route("/static/site.css", session))
    return Starlette(
        routes=routes,
        middleware=page_middleware("s" * MIN_SECRET_CHARS, "fd_session", **middleware),
    )


def client(asgi: Any, base: str = "http://pages") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url=base)


async def test_every_response_has_the_headers_once_and_hsts_only_over_tls() -> None:
    async with client(app(https_only=False)) as plain:
        answer = await plain.post("/form", content=b"x")
    assert answer.text == "read 1"
    for name, value in EXPECTED.items():
        assert answer.headers.get_list(name) == [value] or name == "x-frame-options"
    # the app's own header is kept, not doubled (names compared case-blind)
    assert answer.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
    assert "strict-transport-security" not in answer.headers
    async with client(app(https_only=True), "https://pages") as tls:
        secure = await tls.get("/session")
    assert secure.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert secure.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


async def test_only_the_static_files_may_be_stored() -> None:
    async with client(app(https_only=False)) as plain:
        api = await plain.post("/api/v1/referrals", content=b"{}")
        page = await plain.get("/session")
        static = await plain.get("/static/site.css")
    assert api.headers.get_list("cache-control") == ["no-store"]
    assert page.headers.get_list("cache-control") == ["no-store"]
    assert "cache-control" not in static.headers


async def test_other_traffic_passes_through_untouched() -> None:
    seen: list[tuple[Any, Any, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope, receive, send))

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(_message: Any) -> None:
        return None

    scope = {"type": "lifespan"}
    await SecurityHeaders(inner)(scope, receive, send)
    await BodyLimit(inner)(scope, receive, send)
    assert seen == [(scope, receive, send), (scope, receive, send)]


async def test_a_form_over_the_limit_is_refused_by_its_length_at_the_limit_it_is_not() -> None:
    async with client(app(https_only=False)) as pages:
        at_limit = await pages.post("/form", content=b"x" * FORM_BODY_LIMIT)
        over = await pages.post("/form", content=b"x" * (FORM_BODY_LIMIT + 1))
        api = await pages.post("/api/v1/referrals", content=b"x" * (FORM_BODY_LIMIT + 1))
    assert (at_limit.status_code, at_limit.text) == (200, f"read {FORM_BODY_LIMIT}")
    assert over.status_code == 413
    assert over.content == TOO_LARGE
    assert over.headers["content-type"] == "text/plain; charset=utf-8"
    assert over.headers["x-frame-options"] == "DENY"  # the refusal has the headers too
    assert (api.status_code, api.text) == (200, f"read {FORM_BODY_LIMIT + 1}")  # its own limit


async def test_a_streamed_body_is_counted_as_it_comes() -> None:
    async def chunks(total: int) -> Any:
        for _ in range(total // 1024):
            yield b"x" * 1024

    async with client(app(https_only=False)) as pages:
        small = await pages.post("/form", content=chunks(FORM_BODY_LIMIT))
        large = await pages.post("/form", content=chunks(FORM_BODY_LIMIT + 1024))
        bad = await pages.post("/form", content=b"x", headers={"content-length": "one"})
    assert (small.status_code, small.text) == (200, f"read {FORM_BODY_LIMIT}")
    assert large.status_code == 413
    assert large.content == TOO_LARGE
    assert bad.status_code == 413  # a length that is not a number


@pytest.mark.parametrize("https_only", [True, False])
async def test_the_session_cookie_is_strict_and_lasts_a_working_day(https_only: bool) -> None:
    async with client(app(https_only=https_only), "https://pages") as pages:
        answer = await pages.get("/session")
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("fd_session=")
    assert "Max-Age=28800;" in cookie  # eight hours
    assert "; samesite=strict" in cookie  # the value as given: "STRICT" would be another
    assert ("secure" in cookie.lower().split("; ")) is https_only


def test_a_short_or_published_session_secret_is_refused() -> None:
    require_session_secret("k" * MIN_SECRET_CHARS, "FRONTDOOR_X_SECRET", "published")
    with pytest.raises(ValueError, match="FRONTDOOR_X_SECRET") as short:
        require_session_secret("k" * (MIN_SECRET_CHARS - 1), "FRONTDOOR_X_SECRET", "published")
    assert str(short.value) == (
        "set FRONTDOOR_X_SECRET to a random secret of at least 32 characters: "
        "the default is for development only"
    )
    with pytest.raises(ValueError, match="at least 32"):
        require_session_secret("published", "FRONTDOOR_X_SECRET", "published")


async def test_a_response_started_without_headers_gets_them() -> None:
    async def bare(_scope: Any, _receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body", "body": b""})

    async with client(SecurityHeaders(bare)) as pages:
        answer = await pages.get("/")
    assert {name: answer.headers.get(name) for name in EXPECTED} == EXPECTED


async def test_the_session_is_signed_with_the_servers_secret() -> None:
    async def seen(request: Request) -> Response:
        return PlainTextResponse(str(request.session.get("seen", False)))

    def server(secret: str) -> Starlette:
        return Starlette(
            routes=[Route("/session", session), Route("/seen", seen)],
            middleware=page_middleware(secret, "fd_session", https_only=False),
        )

    async with client(server("a" * MIN_SECRET_CHARS)) as first:
        cookie = (await first.get("/session")).cookies["fd_session"]
        assert (await first.get("/seen")).text == "True"
    async with client(server("b" * MIN_SECRET_CHARS)) as other:
        other.cookies.set("fd_session", cookie)
        assert (await other.get("/seen")).text == "False"  # another secret: not its session
