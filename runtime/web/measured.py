"""Counting and tracing a page server's requests: by route template, never by the path.

The label is the matched route's template (``/cases/{case_id}``), so no case id, reference or
name a path carries ever becomes a label value or a span name; a path no route matches is
``unmatched``. Each request is a span continuing the caller's ``traceparent`` if it sent one
(:mod:`runtime.tracing`), so what the request publishes to Kafka is in the caller's trace.
"""

from __future__ import annotations

import time

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runtime import metrics, tracing

UNMATCHED = "unmatched"


def route_template(routes: list[BaseRoute], scope: Scope) -> str:
    """The template of the first route matching ``scope`` fully, else ``unmatched``."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", UNMATCHED)) or UNMATCHED
    return UNMATCHED


class Measured:
    """ASGI middleware: each HTTP request counted by route, method and status, timed, traced."""

    def __init__(self, app: ASGIApp, service: str, routes: list[BaseRoute]) -> None:
        """Measure ``app``'s requests as ``service``'s, matching them against ``routes``."""
        self.app = app
        self.service = service
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; count it when its response starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_template(self.routes, scope)
        method = scope["method"] if scope["method"] in {"GET", "POST", "HEAD"} else "other"
        started = time.perf_counter()
        status = {"code": "500"}

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = str(message["status"])
            await send(message)

        with tracing.serving(method, route, scope["headers"]) as span:
            try:
                await self.app(scope, receive, counted)
            finally:
                tracing.answered(span, int(status["code"]))
                metrics.HTTP_REQUESTS.labels(self.service, route, method, status["code"]).inc()
                metrics.HTTP_SECONDS.labels(self.service, route).observe(
                    time.perf_counter() - started
                )
