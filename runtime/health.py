"""A small HTTP health endpoint (and ``/metrics``) each service process serves on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from runtime import metrics


@dataclass
class Health:
    """What a service reports about itself: ready or not, and a few counters."""

    service: str
    ready: bool = False
    counters: dict[str, int] = field(default_factory=dict)
    checks: dict[str, Callable[[], str | None]] = field(default_factory=dict)

    def watch(self, name: str, problem: Callable[[], str | None]) -> None:
        """Report ``problem()`` as a warning while it says something (e.g. a bad config edit)."""
        self.checks[name] = problem

    def warnings(self) -> dict[str, str]:
        """What the service runs despite, by check."""
        return {name: said for name, check in self.checks.items() if (said := check())}

    def count(self, name: str, amount: int = 1) -> None:
        """Add ``amount`` to a counter shown on the health endpoint."""
        self.counters[name] = self.counters.get(name, 0) + amount
        metrics.count(self.service, name, amount)

    def as_json(self) -> dict[str, Any]:
        """The health document."""
        warnings = self.warnings()
        status = "starting" if not self.ready else "warning" if warnings else "ok"
        return {
            "service": self.service,
            "status": status,
            "counters": dict(self.counters),
            "warnings": warnings,
        }


def health_app(health: Health) -> Starlette:
    """An ASGI app answering ``GET /health`` with 200 when ready and 503 otherwise."""

    async def endpoint(_request: Request) -> JSONResponse:
        return JSONResponse(health.as_json(), status_code=200 if health.ready else 503)

    return Starlette(routes=[Route("/health", endpoint), Route("/metrics", metrics_endpoint)])


def metrics_app() -> Starlette:
    """An ASGI app answering only ``GET /metrics`` (a page server's health port)."""
    return Starlette(routes=[Route("/metrics", metrics_endpoint)])


Lifespan = Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]


def with_metrics_port(lifespan: Lifespan, port: int | None) -> Lifespan:
    """``lifespan``, also serving ``/metrics`` on 127.0.0.1:``port`` (if set) meanwhile.

    A page server's public port never answers ``/metrics`` (request counts, lockouts: nothing a
    stranger needs); Prometheus scrapes this port instead, as it does every service's.
    """

    @contextlib.asynccontextmanager
    async def both(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if port is not None:
                await stack.enter_async_context(serve_asgi(metrics_app(), port))
            await stack.enter_async_context(lifespan(app))
            yield

    return both


async def metrics_endpoint(_request: Request) -> Response:
    """``GET /metrics``: the process's Prometheus metrics."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


class _ServerWithoutSignals(uvicorn.Server):
    """uvicorn server that leaves SIGTERM and SIGINT to the service that embeds it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_asgi(app: ASGIApp, port: int, *, lifespan: bool = False) -> AsyncIterator[None]:
    """Serve an ASGI app on 127.0.0.1:``port`` for the duration of the block."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        log_config=None,  # through the process's own logging and its redactor
        lifespan="on" if lifespan else "off",
    )
    server = _ServerWithoutSignals(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():  # the port was taken, or the server failed: say so now
            task.result()
            raise RuntimeError(f"could not listen on 127.0.0.1:{port}")
        await asyncio.sleep(0.01)
    try:
        yield None
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def serve_health(health: Health, port: int | None) -> AsyncIterator[None]:
    """Serve the health endpoint for the duration of the block (not at all if port is None)."""
    if port is None:
        yield None
        return
    async with serve_asgi(health_app(health), port):
        yield None
