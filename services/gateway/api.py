"""``/api/v1``: referrals by HTTPS for partners without a Kafka client (DESIGN section 9).

The organisation comes from the API key, never from the body. A referral is checked by
intake's own code (:func:`domain.validation.validate_referral`), so ``422`` lists exactly the
``errors`` a ``rejected`` status would; a valid one is published to the organisation's
inbound topic and answered ``202`` with its contact id, which the same referral id always
gets (resending is safe). ``GET`` shows the caller's own referral's status updates, read from
the records database, and nothing of any other organisation's.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.validation import Accepted, validate_referral
from runtime.partners import PartnerDirectory
from runtime.records_db.reading import RecordsReader
from schemas.contact import contact_id_for
from schemas.referral import MAX_REFERRAL_BYTES, REFERRAL_ID_CHARS
from schemas.status import FieldError, StatusUpdate
from services.gateway.keys import KeysFile
from services.gateway.limits import RateLimit
from services.gateway.publisher import Publisher

log = structlog.get_logger(__name__)
PREFIX = "/api/v1"
REFERRAL_ID = re.compile(REFERRAL_ID_CHARS)


class ReferralAccepted(BaseModel):
    """``202``: the referral is on its way to intake."""

    model_config = ConfigDict(extra="forbid")

    contact_id: str = Field(description="Front Door's id of this contact; the same on a resend.")
    referral_id: str = Field(description="Your reference, as sent.")
    status_url: str = Field(description="Where its status updates can be read.")


class ReferralInvalid(BaseModel):
    """``422``: what is wrong, every problem beside its field; nothing was sent."""

    model_config = ConfigDict(extra="forbid")

    referral_id: str | None = Field(description="Your reference, if one was legible.")
    errors: list[FieldError] = Field(description="The same errors a rejected status lists.")


class ReferralProgress(BaseModel):
    """``200``: every status update of one of your referrals, oldest first."""

    model_config = ConfigDict(extra="forbid")

    contact_id: str
    referral_id: str
    updates: list[StatusUpdate] = Field(description="As sent to status.<your organisation>.")


class Problem(BaseModel):
    """``401``, ``403``, ``404``, ``413``, ``429``, ``503``: why, in one sentence."""

    model_config = ConfigDict(extra="forbid")

    error: str


def problem(status: int, error: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """A refusal: the status and why, in one sentence."""
    return JSONResponse(Problem(error=error).model_dump(), status_code=status, headers=headers)


class Api:
    """The API's request handlers."""

    def __init__(
        self,
        *,
        keys: KeysFile,
        partners: PartnerDirectory,
        publisher: Publisher,
        reader: RecordsReader,
        limit: RateLimit,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Check callers against ``keys`` and ``partners``; publish with ``publisher``."""
        self.keys = keys
        self.partners = partners
        self.publisher = publisher
        self.reader = reader
        self.limit = limit
        self.clock = clock

    def caller(self, request: Request) -> str | Response:
        """The calling organisation, or the response refusing the call."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        key = self.keys.holder(token.strip()) if scheme.lower() == "bearer" else None
        if key is None:
            return problem(
                401,
                "send your organisation's API key as 'Authorization: Bearer <key>'",
                {"WWW-Authenticate": 'Bearer realm="frontdoor"'},
            )
        if self.partners.registry.get(key.organisation_id) is None:
            log.warning("api call refused: organisation not registered", key_id=key.id)
            return problem(403, "this key's organisation is no longer registered")
        wait = self.limit.take(key.organisation_id)
        if wait > 0:
            log.warning("api call refused: rate limit", organisation_id=key.organisation_id)
            return problem(
                429,
                "too many requests from your organisation: slow down and try again",
                {"Retry-After": str(math.ceil(wait))},
            )
        return key.organisation_id

    async def submit(self, request: Request) -> Response:
        """``POST /api/v1/referrals``."""
        caller = self.caller(request)
        if isinstance(caller, Response):
            return caller
        raw = await read_body(request)
        if raw is None:
            return problem(413, f"a referral is at most {MAX_REFERRAL_BYTES // 1024} KiB")
        raw = with_organisation(raw, caller)
        verdict = validate_referral(
            raw, organisation_id=caller, registry=self.partners.registry, now=self.clock()
        )
        if not isinstance(verdict, Accepted):
            log.info("api referral invalid", organisation_id=caller, errors=len(verdict.errors))
            invalid = ReferralInvalid(referral_id=verdict.referral_id, errors=verdict.errors)
            return JSONResponse(invalid.model_dump(), status_code=422)
        referral_id = verdict.referral.referral_id
        try:
            await self.publisher.publish(caller, referral_id, raw)
        except KafkaError as error:
            log.error("api referral not sent: Kafka", error=type(error).__name__)  # noqa: TRY400 - the type says it
            return problem(503, "not sent: please try again shortly", {"Retry-After": "5"})
        contact_id = contact_id_for(caller, referral_id)
        log.info("api referral sent", organisation_id=caller, contact_id=contact_id)
        url = f"{PREFIX}/referrals/{referral_id}"
        accepted = ReferralAccepted(contact_id=contact_id, referral_id=referral_id, status_url=url)
        return JSONResponse(accepted.model_dump(), status_code=202, headers={"Location": url})

    async def progress(self, request: Request) -> Response:
        """``GET /api/v1/referrals/{referral_id}``: only the caller's own."""
        caller = self.caller(request)
        if isinstance(caller, Response):
            return caller
        referral_id = request.path_params["referral_id"]
        updates = await self.updates(caller, referral_id)
        if not updates:
            return problem(
                404,
                "no referral with this id from your organisation has been received yet "
                "(a referral just sent shows within seconds)",
            )
        progress = ReferralProgress(
            contact_id=updates[0].contact_id, referral_id=referral_id, updates=updates
        )
        return JSONResponse(progress.model_dump(mode="json"))

    async def updates(self, organisation_id: str, referral_id: str) -> list[StatusUpdate]:
        """What ``organisation_id`` was told about its referral ``referral_id``, in order."""
        if not REFERRAL_ID.fullmatch(referral_id):
            return []
        contact_id = contact_id_for(organisation_id, referral_id)
        found = await run_in_threadpool(self.reader.updates, [contact_id])
        return [u for u in found.get(contact_id, []) if u.organisation_id == organisation_id]


def with_organisation(raw: bytes, organisation_id: str) -> bytes:
    """The body with ``referrer.organisation_id`` filled in from the key when it is absent.

    The API's body need not name its organisation (the key does); one that does must name the
    key's own, and the validator says so beside that field when it does not.
    """
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return raw  # the validator says what is wrong with it
    referrer = document.get("referrer") if isinstance(document, dict) else None
    if not isinstance(referrer, dict) or "organisation_id" in referrer:
        return raw
    referrer["organisation_id"] = organisation_id
    return json.dumps(document, ensure_ascii=False).encode()


async def read_body(request: Request, limit: int = MAX_REFERRAL_BYTES) -> bytes | None:
    """The request body, or None past ``limit`` bytes (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)
