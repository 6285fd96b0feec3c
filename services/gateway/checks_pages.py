"""``/checks``: partner staff read the check requests sent to their organisation and answer each.

Signed in as for the referral form (a referrer account of a registered organisation); works
without JavaScript. An answer is built from the form as Answer v1, checked by intake's own
validator and published to the organisation's ``checks.answers`` topic, exactly as the API does;
every problem is shown beside its field and in a summary linked to it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from aiokafka.errors import KafkaError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from domain.validation import AnswerRejected, validate_answer
from runtime.records_db.checks import ChecksReader, CheckView
from schemas.checks import REQUEST_ID, CheckFlag, CheckResult
from services.gateway.drafts import FormError
from services.gateway.forms import Forms
from services.gateway.publisher import Publisher
from services.gateway.referrers import ReferrerAccount

log = structlog.get_logger(__name__)
SIGN_IN = "/refer/sign-in"
RESULTS = (
    (CheckResult.INFORMATION.value, "We hold information about the child or household"),
    (CheckResult.NO_TRACE.value, "No trace: we hold nothing"),
    (CheckResult.DECLINED.value, "We decline to share, or are not the right agency"),
)
FLAGS = (
    (CheckFlag.KNOWN_TO_AGENCY.value, "Known to our agency"),
    (CheckFlag.OPEN_INVOLVEMENT.value, "We are involved now"),
    (CheckFlag.RISK_MARKERS.value, "Our records hold risk markers"),
)
# Answer v1's fields, as the form names them (its element ids)
FIELDS = {"result": "result", "information": "information", "flags": "flags", "reason": "reason"}
WORDS = {
    "result": "Choose what your records hold",
    "information": "Say what your records hold (at most 10,000 characters)",
    "reason": "Say why you decline",
}


class CheckPages:
    """The ``/checks`` pages' request handlers."""

    def __init__(
        self,
        *,
        forms: Forms,
        reader: ChecksReader,
        publisher: Publisher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Sign in and render through ``forms``; read with ``reader``; send with ``publisher``."""
        self.forms = forms
        self.reader = reader
        self.publisher = publisher
        self.clock = clock

    async def index(self, request: Request) -> Response:
        """The open requests sent to the signed-in person's organisation, soonest due first."""
        account = self.forms.account(request)
        if account is None:
            return RedirectResponse(SIGN_IN, status_code=303)
        checks = await run_in_threadpool(self.reader.for_partner, account.organisation_id)
        return self.forms.page(
            request,
            "checks.html",
            account=account,
            checks=checks,
            now=self.clock(),
            answered=request.query_params.get("answered"),
        )

    async def one(self, request: Request) -> Response:
        """One request: who to search for, why, by when; and the answer form if still open."""
        account = self.forms.account(request)
        if account is None:
            return RedirectResponse(SIGN_IN, status_code=303)
        check = await self._own(account.organisation_id, request.path_params["request_id"])
        if check is None:
            return self.forms.page(request, "missing.html", 404)
        return self._answer_page(request, account, check, {}, [])

    async def answer(self, request: Request) -> Response:
        """Send the answer, or show the form again with every problem beside its field."""
        account = self.forms.account(request)
        if account is None:
            return RedirectResponse(SIGN_IN, status_code=303)
        check = await self._own(account.organisation_id, request.path_params["request_id"])
        if check is None:
            return self.forms.page(request, "missing.html", 404)
        form = await self.forms.form_data(request)
        entered = _entered(form) if form is not None else {}
        problem = self._problem(check, form, entered, account.name, account.role)
        if problem is not None:
            errors, status = problem
            return self._answer_page(request, account, check, entered, errors, status)
        document = _document(check.request_id, entered, account.name, account.role, self.clock())
        try:
            await self.publisher.publish_answer(
                account.organisation_id, check.request_id, json.dumps(document).encode()
            )
        except KafkaError as error:
            log.error("check answer not sent: Kafka", error=type(error).__name__)  # noqa: TRY400 - the type says it
            errors = [FormError("result", "Not sent: please try again in a moment")]
            return self._answer_page(request, account, check, entered, errors, 503)
        log.info("check answered by form", organisation_id=account.organisation_id)
        return RedirectResponse(f"/checks?answered={check.request_id}", status_code=303)

    def _problem(
        self,
        check: CheckView,
        form: FormData | None,
        entered: dict[str, object],
        name: str,
        role: str | None,
    ) -> tuple[list[FormError], int] | None:
        """What stops this answer being sent (the errors and the status), or None."""
        if form is None:
            return [FormError("result", "The page expired: please answer again")], 403
        if check.state != "open":
            return [FormError("result", "This request is no longer open: nothing was sent")], 409
        document = _document(check.request_id, entered, name, role, self.clock())
        verdict = validate_answer(json.dumps(document).encode(), now=self.clock())
        if isinstance(verdict, AnswerRejected):
            errors = [
                FormError(FIELDS.get(e.loc, "result"), WORDS.get(e.loc, e.msg))
                for e in verdict.errors
            ]
            return errors, 422
        return None

    def _answer_page(  # noqa: PLR0917 - one page's whole context
        self,
        request: Request,
        account: ReferrerAccount,
        check: CheckView,
        entered: dict[str, object],
        errors: list[FormError],
        status_code: int = 200,
    ) -> Response:
        return self.forms.page(
            request,
            "check_answer.html",
            status_code,
            account=account,
            check=check,
            entered=entered,
            errors=errors,
            results=RESULTS,
            flags=FLAGS,
            now=self.clock(),
        )

    async def _own(self, organisation_id: str, request_id: str) -> CheckView | None:
        if not REQUEST_ID.fullmatch(request_id):
            return None
        check = await run_in_threadpool(self.reader.one, request_id)
        return check if check is not None and check.organisation_id == organisation_id else None


def _entered(form: FormData) -> dict[str, object]:
    return {
        "result": str(form.get("result", "")),
        "information": str(form.get("information", "")),
        "reason": str(form.get("reason", "")),
        "flags": [str(f) for f in form.getlist("flags")],
    }


def _document(
    request_id: str, entered: dict[str, object], name: str, role: str | None, now: datetime
) -> dict[str, object]:
    """Answer v1 from what the form holds: only what goes with the chosen result."""
    result = entered["result"]
    document: dict[str, object] = {
        "request_id": request_id,
        "result": result,
        "answered_by": {"name": name, "role": role or "Partner staff"},
        "answered_at": now.isoformat(),
    }
    if result == CheckResult.INFORMATION.value:
        document["information"] = str(entered["information"]).strip() or None
        document["flags"] = entered["flags"]
    if result == CheckResult.DECLINED.value:
        document["reason"] = str(entered["reason"]).strip() or None
    return {k: v for k, v in document.items() if v is not None}
