"""Composition root of the gateway: settings in, a wired ASGI app out.

Nothing connects until the app starts; the producer lives as long as the app.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from runtime.demo import DEMO_REFERRERS_FILE
from runtime.health import with_metrics_port
from runtime.kafka.admin import ensure_topics
from runtime.kafka.clients import make_producer
from runtime.partners import PartnerDirectory
from runtime.records_db.checks import ChecksReader
from runtime.records_db.database import make_engine, require_current_schema
from runtime.records_db.encompass import NoticesReader
from runtime.records_db.reading import RecordsReader
from runtime.watched_file import WatchedFile
from runtime.web.headers import page_middleware
from runtime.web.measured import Measured
from runtime.web.passwords import holds_demo_sign_in
from services.gateway.api import PREFIX, Api, problem
from services.gateway.checks_api import ChecksApi
from services.gateway.checks_pages import CheckPages
from services.gateway.encompass_api import EncompassApi
from services.gateway.encompass_pages import EncompassPages
from services.gateway.forms import Forms
from services.gateway.keys import KeysFile
from services.gateway.limits import RateLimit
from services.gateway.openapi import openapi_document
from services.gateway.publisher import Publisher
from services.gateway.referrers import ReferrerAccounts
from services.gateway.settings import GatewaySettings

HERE = Path(__file__).resolve().parent
Settings = GatewaySettings
API_VERSION = "1.0.0"


def _demo_account_refused(accounts: ReferrerAccounts) -> str | None:
    """Outside development, at start and at every re-read: no published sign-in."""
    hashes = {a.username: a.password_hash for a in accounts.referrers}
    if holds_demo_sign_in(hashes, DEMO_REFERRERS_FILE):
        return "holds the demo referrer, whose password is published: remove it in production"
    return None


API_ERRORS = {404: "no such path in the API", 405: "this path does not take that method"}


async def api_errors_as_json(request: Request, error: Exception) -> Response:
    """Starlette's own refusals (no route, wrong method), in the API's words.

    Under the API: JSON in the documented shape (``{"error": ...}``), as every API answer is;
    elsewhere Starlette's plain text.
    """
    assert isinstance(error, HTTPException)  # noqa: S101 - registered for HTTPException
    if request.url.path.startswith(PREFIX + "/") or request.url.path == PREFIX:
        said = API_ERRORS.get(error.status_code, error.detail)
        return problem(error.status_code, said, headers=dict(error.headers or {}))
    return PlainTextResponse(error.detail, status_code=error.status_code, headers=error.headers)


def create_app(settings: GatewaySettings) -> Starlette:
    """The gateway's ASGI app."""
    settings.check()
    engine = make_engine(settings.database.url)
    require_current_schema(engine)
    partners = PartnerDirectory()
    kafka = settings.kafka
    publisher = Publisher(kafka.topics)
    keys = KeysFile(settings.keys_file)
    referrers = WatchedFile(
        settings.referrers_file or DEMO_REFERRERS_FILE,
        ReferrerAccounts,
        "referrers file",
        closed=ReferrerAccounts(),
        refuse=None if settings.development else _demo_account_refused,
    )
    api = Api(
        keys=keys,
        partners=partners,
        publisher=publisher,
        reader=RecordsReader(engine),
        limit=RateLimit(settings.api_rate, settings.api_burst),
    )
    checks_api = ChecksApi(api=api, reader=ChecksReader(engine), publisher=publisher)
    encompass_api = EncompassApi(api=api, reader=NoticesReader(engine), publisher=publisher)
    forms = Forms(
        referrers=referrers,
        partners=partners,
        policies=settings.policy.load(),
        publisher=publisher,
        api=api,
        templates=Jinja2Templates(directory=HERE / "templates"),
        public_limit=RateLimit(settings.public_per_hour / 3600, settings.public_per_hour),
    )
    check_pages = CheckPages(forms=forms, reader=ChecksReader(engine), publisher=publisher)
    encompass_pages = EncompassPages(forms=forms, api=encompass_api)
    document = openapi_document(API_VERSION)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if settings.create_topics:
            await ensure_topics(kafka, partners.registry.topic_specs(kafka.topics))
        publisher.producer = make_producer(kafka, client_id="frontdoor-gateway", linger_ms=0)
        await publisher.producer.start()
        try:
            yield
        finally:
            await publisher.producer.stop()
            engine.dispose()

    async def openapi(_request: Request) -> Response:
        return JSONResponse(document)

    async def health(_request: Request) -> Response:
        # Which file needs mending, not why (that names paths: it is in the log): /health
        # answers without sign-in.
        problems = {
            name: "unusable"
            for name, problem in (
                ("partners", partners.problem),
                ("keys", keys.problem),
                ("referrers", referrers.problem),
            )
            if problem
        }
        return JSONResponse(
            {"service": "gateway", "status": "warning" if problems else "ok", "warnings": problems}
        )

    async def home(_request: Request) -> Response:
        return RedirectResponse("/refer", status_code=303)

    routes = [
        Route("/", home),
        Route("/health", health),
        Route(f"{PREFIX}/openapi.json", openapi),
        Route(f"{PREFIX}/referrals", api.submit, methods=["POST"]),
        Route(f"{PREFIX}/referrals/{{referral_id:path}}", api.progress),
        Route(f"{PREFIX}/checks", checks_api.index),
        Route(f"{PREFIX}/checks/{{request_id}}", checks_api.one),
        Route(f"{PREFIX}/checks/{{request_id}}/answer", checks_api.answer, methods=["POST"]),
        Route(f"{PREFIX}/encompass", encompass_api.index),
        Route(
            f"{PREFIX}/encompass/{{notice_ref}}/acknowledge",
            encompass_api.acknowledge,
            methods=["POST"],
        ),
        Route("/encompass", encompass_pages.index),
        Route("/encompass/{notice_ref}", encompass_pages.acknowledge, methods=["POST"]),
        Route("/checks", check_pages.index),
        Route("/checks/{request_id}", check_pages.one, methods=["GET"]),
        Route("/checks/{request_id}", check_pages.answer, methods=["POST"]),
        Route("/refer", forms.start),
        Route("/refer/sign-in", forms.sign_in_form, methods=["GET"]),
        Route("/refer/sign-in", forms.sign_in, methods=["POST"]),
        Route("/refer/sign-out", forms.sign_out, methods=["POST"]),
        Route("/refer/new", forms.new),
        Route("/refer/step/{step}", forms.step, methods=["GET"]),
        Route("/refer/step/{step}", forms.answer, methods=["POST"]),
        Route("/refer/guidance", forms.guidance, methods=["POST"]),
        Route("/refer/check", forms.check_answers),
        Route("/refer/send", forms.send, methods=["POST"]),
        Route("/refer/sent/{referral_id}", forms.sent),
        Route("/refer/public", forms.public_form, methods=["GET"]),
        Route("/refer/public", forms.public_send, methods=["POST"]),
        Route("/refer/public/guidance", forms.guidance, methods=["POST"]),
        Route("/refer/public/sent/{reference}", forms.public_sent),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = page_middleware(
        settings.session_secret.get_secret_value(),
        "frontdoor_refer",
        https_only=not settings.development,
    )
    middleware.insert(0, Middleware(Measured, service="gateway", routes=routes))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=with_metrics_port(lifespan, settings.health_port),
        exception_handlers={HTTPException: api_errors_as_json},
    )
    app.state.engine = engine
    app.state.publisher = publisher  # a test may stand a fake producer in
    app.state.keys = keys
    app.state.forms = forms  # tests look at the drafts
    return app
