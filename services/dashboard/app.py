"""Composition root of the dashboard: settings in, a wired ASGI app out.

Nothing connects until the app starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import structlog
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from runtime.demo import DEMO_MANAGERS_FILE
from runtime.health import with_metrics_port
from runtime.kafka.clients import make_producer
from runtime.records_db.checks import ChecksReader
from runtime.records_db.database import make_engine, require_current_schema
from runtime.records_db.encompass import NoticesReader
from runtime.records_db.reading import RecordsReader, RecordsSearch
from runtime.web.headers import page_middleware
from runtime.web.measured import Measured
from services.dashboard.auth import Managers, holds_demo_account
from services.dashboard.feed import follow
from services.dashboard.routes import Dashboard
from services.dashboard.settings import DashboardSettings
from services.dashboard.sign_in import ManagersFile
from services.dashboard.view import DashboardView

log = structlog.get_logger(__name__)
HERE = Path(__file__).resolve().parent
Settings = DashboardSettings


def _stop_if_failed(task: asyncio.Task[None]) -> None:
    """A dashboard whose feed died would show stale queues: log it and stop, to be restarted."""
    if not task.cancelled() and task.exception() is not None:
        log.error("dashboard feed failed; stopping", error=type(task.exception()).__name__)
        os.kill(os.getpid(), signal.SIGTERM)


def _demo_account_refused(managers: Managers) -> str | None:
    """Outside development, at start and at every re-read: no published sign-in."""
    if holds_demo_account(managers):
        return "holds the demo account, whose password is published: remove it in production"
    return None


def create_app(settings: DashboardSettings) -> Starlette:
    """The dashboard's ASGI app."""
    settings.check()
    engine = make_engine(settings.database.url)
    require_current_schema(engine)  # refuse a records database behind the code, in one line
    reader = RecordsReader(engine)
    managers = ManagersFile(
        settings.managers_file or DEMO_MANAGERS_FILE,
        refuse=None if settings.development else _demo_account_refused,
    )
    kafka = settings.kafka
    dashboard = Dashboard(
        managers=managers,
        view=DashboardView(reader, settings.policy.load()),
        templates=Jinja2Templates(directory=HERE / "templates"),
        topics=kafka.topics,
        search_in=RecordsSearch(engine),
        checks=ChecksReader(engine),
        notices=NoticesReader(engine),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        """Follow the topics and hold a producer for actions while the app runs."""
        dashboard.producer = make_producer(kafka, client_id="frontdoor-dashboard")
        await dashboard.producer.start()
        feed = asyncio.create_task(follow(reader, dashboard.view))
        feed.add_done_callback(_stop_if_failed)
        try:
            yield
        finally:
            feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feed
            await dashboard.producer.stop()
            engine.dispose()

    routes = [
        Route("/", dashboard.home),
        Route("/login", dashboard.login_form, methods=["GET"]),
        Route("/login", dashboard.login, methods=["POST"]),
        Route("/logout", dashboard.logout, methods=["POST"]),
        Route("/queues", dashboard.queues),
        Route("/cases/{case_id}", dashboard.case),
        Route("/cases/{case_id}/actions", dashboard.act, methods=["POST"]),
        Route("/screening", dashboard.screening, methods=["GET"]),
        Route("/screening", dashboard.screen, methods=["POST"]),
        Route("/performance", dashboard.performance),
        Route("/checks", dashboard.checks),
        Route("/encompass", dashboard.encompass),
        Route("/encompass/{notice_ref}/notes", dashboard.note, methods=["POST"]),
        Route("/search", dashboard.search),
        Route("/returns/annex-a", dashboard.annex_a),
        Route("/children/{child_id}", dashboard.child),
        Route("/events", dashboard.events),
        Route("/health", dashboard.health),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = page_middleware(
        settings.session_secret.get_secret_value(),
        "frontdoor_session",
        https_only=not settings.development,
    )
    middleware.insert(0, Middleware(Measured, service="dashboard", routes=routes))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=with_metrics_port(lifespan, settings.health_port),
        exception_handlers={HTTPException: dashboard.refused},
    )
    app.state.engine = engine  # the lifespan disposes of it; so may whoever runs without one
    return app
