"""``/encompass``: a school's key adults read the Operation Encompass notices for their pupils.

Signed in as for the referral form (an account of the school's organisation); works without
JavaScript. Each notice is acknowledged with one button: the acknowledgement goes to
``encompass.acks`` exactly as the API's does, and the police force hears of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from aiokafka.errors import KafkaError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.gateway.encompass_api import EncompassApi
from services.gateway.forms import Forms

log = structlog.get_logger(__name__)
SIGN_IN = "/refer/sign-in"
PRESENT = {"yes": "Yes", "no": "No", "unknown": "Not known"}


class EncompassPages:
    """The ``/encompass`` pages' request handlers."""

    def __init__(
        self,
        *,
        forms: Forms,
        api: EncompassApi,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Sign in and render through ``forms``; read and send as ``api`` does."""
        self.forms = forms
        self.api = api
        self.clock = clock

    async def index(self, request: Request) -> Response:
        """The notices delivered to the signed-in person's school, unacknowledged first."""
        account = self.forms.account(request)
        if account is None:
            return RedirectResponse(SIGN_IN, status_code=303)
        now = self.clock()
        notices = await run_in_threadpool(self.api.reader.for_school, account.organisation_id, now)
        return self.forms.page(
            request,
            "encompass.html",
            account=account,
            notices=notices,
            now=now,
            present=PRESENT,
            acknowledged=request.query_params.get("acknowledged"),
            refused=request.query_params.get("refused"),
        )

    async def acknowledge(self, request: Request) -> Response:
        """Acknowledge one notice as the signed-in key adult; back to the list."""
        account = self.forms.account(request)
        if account is None:
            return RedirectResponse(SIGN_IN, status_code=303)
        notice = await self.api.own(account.organisation_id, request.path_params["notice_ref"])
        if notice is None:
            return self.forms.page(request, "missing.html", 404)
        if await self.forms.form_data(request) is None:
            return RedirectResponse("/encompass?refused=expired", status_code=303)
        if notice.acknowledged_at is not None:
            return RedirectResponse("/encompass?refused=already", status_code=303)
        try:
            await self.api.send(notice, account.organisation_id, account.name)
        except KafkaError as error:
            log.error("acknowledgement not sent: Kafka", error=type(error).__name__)  # noqa: TRY400 - the type says it
            return RedirectResponse("/encompass?refused=unavailable", status_code=303)
        log.info("notice acknowledged by page", organisation_id=account.organisation_id)
        return RedirectResponse(f"/encompass?acknowledged={notice.notice_ref}", status_code=303)
