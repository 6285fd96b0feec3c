"""``/api/v1/checks``: partner checks by HTTPS for partners without a Kafka client (DESIGN 10).

The caller's organisation comes from its API key, as for referrals. It reads only the requests
sent to it (from the records database), and answers each once: the answer is checked by
intake's own validator (:func:`domain.validation.validate_answer`) and published to the
organisation's ``checks.answers`` topic, where intake and triage take it as they take a Kafka
partner's. ``409`` refuses an answer to a request already answered or withdrawn, as the records
show it; two answers racing each other within a second are settled by triage, which keeps the
first and refuses the second on ``checks.requests.<org>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.validation import AnswerRejected, validate_answer
from runtime.records_db.checks import ChecksReader, CheckView
from schemas.checks import MAX_ANSWER_BYTES, REQUEST_ID
from schemas.status import FieldError
from schemas.triage import ChildIdentity, Rag
from services.gateway.api import PREFIX, Api, problem, read_body
from services.gateway.publisher import Publisher

log = structlog.get_logger(__name__)
NOT_YOURS = "no check request with this id was sent to your organisation"


class CheckRequestView(BaseModel):
    """One check request sent to your organisation, and where it stands."""

    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(description="Answer with this id.")
    case_ref: str = Field(description="The council's case reference.")
    local_authority: str = Field(description="DfE LA number of the council asking.")
    agency: str = Field(description="As which agency you are asked: police, health, ...")
    rag: Rag = Field(description="Urgency rating: red, amber, green or blue.")
    purpose: str = Field(description="Why the council asks.")
    lawful_basis: str = Field(description="The lawful basis of asking and answering.")
    asked_at: datetime = Field(description="When it was asked.")
    due: datetime = Field(description="When the answer is due.")
    state: str = Field(description="open, answered or withdrawn.")
    overdue: bool = Field(description="Open past its due time.")
    reminded: bool = Field(description="A reminder was sent.")
    child: ChildIdentity = Field(description="Who to search for, as the council knows them.")
    result: str | None = Field(default=None, description="Your answer's result, once answered.")
    answered_late: bool = Field(default=False, description="Your answer came after the due time.")
    answer_url: str = Field(description="Where to POST the answer.")

    @classmethod
    def of(cls, check: CheckView, now: datetime) -> CheckRequestView:
        """What the partner sees of ``check`` at ``now``."""
        return cls(
            request_id=check.request_id,
            case_ref=check.case_id,
            local_authority=check.local_authority,
            agency=check.agency,
            rag=check.rag,
            purpose=check.purpose,
            lawful_basis=check.lawful_basis,
            asked_at=check.asked_at,
            due=check.due,
            state=check.state,
            overdue=check.is_overdue(now),
            reminded=check.reminded_at is not None,
            child=check.child,
            result=check.result,
            answered_late=check.late,
            answer_url=f"{PREFIX}/checks/{check.request_id}/answer",
        )


class CheckRequestList(BaseModel):
    """``200``: your organisation's open check requests, soonest due first."""

    model_config = ConfigDict(extra="forbid")

    checks: list[CheckRequestView]


class AnswerAccepted(BaseModel):
    """``202``: the answer is on its way to the council's front door."""

    model_config = ConfigDict(extra="forbid")

    request_id: str
    status_url: str = Field(description="Where the request's state can be read.")


class AnswerInvalid(BaseModel):
    """``422``: what is wrong with the answer, every problem beside its field; nothing sent."""

    model_config = ConfigDict(extra="forbid")

    request_id: str | None
    errors: list[FieldError]


class ChecksApi:
    """The check request handlers; callers are checked by the referrals API's key check."""

    def __init__(
        self,
        *,
        api: Api,
        reader: ChecksReader,
        publisher: Publisher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Authenticate through ``api``; read with ``reader``; publish with ``publisher``."""
        self.api = api
        self.reader = reader
        self.publisher = publisher
        self.clock = clock

    async def index(self, request: Request) -> Response:
        """``GET /api/v1/checks``: the caller's open requests."""
        caller = self.api.caller(request)
        if isinstance(caller, Response):
            return caller
        found = await run_in_threadpool(self.reader.for_partner, caller)
        now = self.clock()
        listed = CheckRequestList(checks=[CheckRequestView.of(c, now) for c in found])
        return JSONResponse(listed.model_dump(mode="json"))

    async def one(self, request: Request) -> Response:
        """``GET /api/v1/checks/{request_id}``: one of the caller's requests, in any state."""
        caller = self.api.caller(request)
        if isinstance(caller, Response):
            return caller
        check = await self._own(caller, request.path_params["request_id"])
        if check is None:
            return problem(404, NOT_YOURS)
        return JSONResponse(CheckRequestView.of(check, self.clock()).model_dump(mode="json"))

    async def answer(self, request: Request) -> Response:
        """``POST /api/v1/checks/{request_id}/answer``: answer one request, once."""
        caller = self.api.caller(request)
        if isinstance(caller, Response):
            return caller
        request_id = request.path_params["request_id"]
        raw = await read_body(request, MAX_ANSWER_BYTES)
        if raw is None:
            return problem(413, f"an answer is at most {MAX_ANSWER_BYTES // 1024} KiB")
        raw = with_request_id(raw, request_id)
        refused = await self._refusal(caller, request_id, raw)
        if refused is not None:
            return refused
        try:
            await self.publisher.publish_answer(caller, request_id, raw)
        except KafkaError as error:
            log.error("api check answer not sent: Kafka", error=type(error).__name__)  # noqa: TRY400 - the type says it
            return problem(503, "not sent: please try again shortly", {"Retry-After": "5"})
        log.info("api check answer sent", organisation_id=caller, request_id=request_id)
        url = f"{PREFIX}/checks/{request_id}"
        accepted = AnswerAccepted(request_id=request_id, status_url=url)
        return JSONResponse(accepted.model_dump(), status_code=202, headers={"Location": url})

    async def _refusal(self, caller: str, request_id: str, raw: bytes) -> Response | None:
        """Why this answer cannot be sent (``422``, ``404``, ``409``), or None if it can."""
        verdict = validate_answer(raw, now=self.clock())
        if isinstance(verdict, AnswerRejected):
            log.info("api check answer invalid", organisation_id=caller, errors=len(verdict.errors))
            invalid = AnswerInvalid(request_id=verdict.request_id, errors=verdict.errors)
            return JSONResponse(invalid.model_dump(), status_code=422)
        if verdict.request_id != request_id:
            invalid = AnswerInvalid(
                request_id=request_id,
                errors=[FieldError(loc="request_id", msg="must be the request in the path")],
            )
            return JSONResponse(invalid.model_dump(), status_code=422)
        check = await self._own(caller, request_id)
        if check is None:
            return problem(404, NOT_YOURS)
        if check.state != "open":
            return problem(409, _not_open(check))
        return None

    async def _own(self, caller: str, request_id: str) -> CheckView | None:
        if not REQUEST_ID.fullmatch(request_id):
            return None
        check = await run_in_threadpool(self.reader.one, request_id)
        return check if check is not None and check.organisation_id == caller else None


def _not_open(check: CheckView) -> str:
    if check.state == "answered" and check.received_at is not None:
        when = check.received_at.isoformat(timespec="seconds")
        return f"this request was answered already, at {when}; a second answer is refused"
    return "this request was withdrawn: no answer is needed"


def with_request_id(raw: bytes, request_id: str) -> bytes:
    """The body with ``request_id`` filled in from the path when it is absent."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return raw  # the validator says what is wrong with it
    if not isinstance(document, dict) or "request_id" in document:
        return raw
    document["request_id"] = request_id
    return json.dumps(document, ensure_ascii=False).encode()
