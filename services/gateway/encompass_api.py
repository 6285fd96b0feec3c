"""``/api/v1/encompass``: Operation Encompass notices for schools' systems (DESIGN section 11).

The caller's organisation comes from its API key, as for referrals. A school reads only the
notices delivered to it (from the records database), and acknowledges each once: the
acknowledgement is published to ``encompass.acks`` keyed by the notice's council, where triage
records it and tells the police force. ``409`` refuses a second acknowledgement, as the records
show it; two racing each other within a second are settled by triage, which keeps the first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.validation import validate_acknowledgement
from runtime.records_db.encompass import NoticesReader, NoticeView
from schemas.encompass import NOTICE_REF, AcknowledgeBody, Acknowledgement
from schemas.status import EncompassDelivery, FieldError
from services.gateway.api import PREFIX, Api, problem, read_body
from services.gateway.publisher import Publisher

log = structlog.get_logger(__name__)
NOT_YOURS = "no Encompass notice with this reference was delivered to your school"
MAX_ACK_BYTES = 4 * 1024


class NoticeForSchool(EncompassDelivery):
    """One notice delivered to your school (as its status update carries it), and its state."""

    model_config = ConfigDict(extra="forbid")

    received_at: datetime = Field(description="When the front door received it.")
    acknowledged_at: datetime | None = Field(default=None, description="When, once acknowledged.")
    acknowledged_by: str | None = Field(default=None, description="By whom, once acknowledged.")
    overdue: bool = Field(description="Unacknowledged past its due time.")
    acknowledge_url: str = Field(description="Where to POST the acknowledgement.")

    @classmethod
    def of(cls, notice: NoticeView, now: datetime, police_force: str) -> NoticeForSchool:
        """What the school sees of ``notice`` at ``now``."""
        return cls(
            notice_ref=notice.notice_ref,
            given_name=notice.given_name,
            family_name=notice.family_name,
            date_of_birth=notice.date_of_birth,
            upn=notice.upn,
            incident_at=notice.incident_at,
            child_present=notice.child_present,
            welfare_check_made=notice.welfare_check_made,
            police_force=police_force,
            police_reference=notice.police_reference,
            acknowledge_by=notice.due_at,
            received_at=notice.received_at,
            acknowledged_at=notice.acknowledged_at,
            acknowledged_by=notice.acknowledged_by,
            overdue=notice.is_overdue(now),
            acknowledge_url=f"{PREFIX}/encompass/{notice.notice_ref}/acknowledge",
        )


class NoticeList(BaseModel):
    """``200``: your school's notices of the last 30 days, unacknowledged first."""

    model_config = ConfigDict(extra="forbid")

    notices: list[NoticeForSchool]


class AcknowledgementAccepted(BaseModel):
    """``202``: the acknowledgement is on its way to the front door (and the police)."""

    model_config = ConfigDict(extra="forbid")

    notice_ref: str


class AcknowledgementInvalid(BaseModel):
    """``422``: what is wrong with the acknowledgement, by field; nothing sent."""

    model_config = ConfigDict(extra="forbid")

    errors: list[FieldError]


class EncompassApi:
    """The Encompass handlers; callers are checked by the referrals API's key check."""

    def __init__(
        self,
        *,
        api: Api,
        reader: NoticesReader,
        publisher: Publisher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Authenticate through ``api``; read with ``reader``; publish with ``publisher``."""
        self.api = api
        self.reader = reader
        self.publisher = publisher
        self.clock = clock

    async def index(self, request: Request) -> Response:
        """``GET /api/v1/encompass``: the caller's notices of the last 30 days."""
        caller = self.api.caller(request)
        if isinstance(caller, Response):
            return caller
        now = self.clock()
        found = await run_in_threadpool(self.reader.for_school, caller, now)
        listed = NoticeList(
            notices=[NoticeForSchool.of(n, now, self.force_name(n.organisation_id)) for n in found]
        )
        return JSONResponse(listed.model_dump(mode="json"))

    async def acknowledge(self, request: Request) -> Response:
        """``POST /api/v1/encompass/{notice_ref}/acknowledge``: acknowledge a notice, once."""
        caller = self.api.caller(request)
        if isinstance(caller, Response):
            return caller
        checked = await self._checked(caller, request)
        if isinstance(checked, Response):
            return checked
        notice, body = checked
        try:
            await self.send(notice, caller, body.acknowledged_by)
        except KafkaError as error:
            log.error("acknowledgement not sent: Kafka", error=type(error).__name__)  # noqa: TRY400 - the type says it
            return problem(503, "not sent: please try again shortly", {"Retry-After": "5"})
        log.info("acknowledgement sent", organisation_id=caller, notice_ref=notice.notice_ref)
        accepted = AcknowledgementAccepted(notice_ref=notice.notice_ref)
        return JSONResponse(accepted.model_dump(), status_code=202)

    async def _checked(
        self, caller: str, request: Request
    ) -> tuple[NoticeView, AcknowledgeBody] | Response:
        """The notice and the body, or why they cannot be sent (413, 422, 404, 409)."""
        raw = await read_body(request, MAX_ACK_BYTES)
        if raw is None:
            return problem(413, f"an acknowledgement is at most {MAX_ACK_BYTES // 1024} KiB")
        body = validate_acknowledgement(raw)
        if isinstance(body, list):
            invalid = AcknowledgementInvalid(errors=body)
            return JSONResponse(invalid.model_dump(), status_code=422)
        notice = await self.own(caller, request.path_params["notice_ref"])
        if notice is None:
            return problem(404, NOT_YOURS)
        if notice.acknowledged_at is not None:
            when = notice.acknowledged_at.isoformat(timespec="seconds")
            return problem(409, f"this notice was acknowledged already, at {when}")
        return notice, body

    async def send(self, notice: NoticeView, school: str, acknowledged_by: str) -> None:
        """Publish ``school``'s acknowledgement of ``notice``, now (KafkaError if it cannot)."""
        ack = Acknowledgement(
            notice_ref=notice.notice_ref,
            organisation_id=school,
            acknowledged_by=acknowledged_by,
            acknowledged_at=self.clock(),
        )
        await self.publisher.publish_acknowledgement(notice.local_authority, ack)

    def force_name(self, organisation_id: str) -> str:
        """The police force's name as the registry gives it (its id, if it has gone)."""
        force = self.api.partners.registry.get(organisation_id)
        return force.name if force is not None else organisation_id

    async def own(self, school: str, notice_ref: str) -> NoticeView | None:
        """The notice, if it was delivered to ``school``."""
        if not NOTICE_REF.fullmatch(notice_ref):
            return None
        notice = await run_in_threadpool(self.reader.one, notice_ref)
        return notice if notice is not None and notice.school_id == school else None
