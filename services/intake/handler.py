"""Turns a batch of inbound messages into accepted referrals, rejections and status events."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog

from schemas.contact import contact_id_for
from schemas.status import Status, StatusEvent
from schemas.topics import Topics
from services.intake.validation import Accepted, validate_message
from services.streaming.processor import Outgoing, Record

log = structlog.get_logger(__name__)


class IntakeHandler:
    """Validates inbound records; every record yields a status event and one other output."""

    def __init__(self, topics: Topics) -> None:
        """Write to the topics of this deployment."""
        self.topics = topics

    async def __call__(self, records: Sequence[Record]) -> list[Outgoing]:
        """Outputs for a batch of inbound records, in input order."""
        outputs: list[Outgoing] = []
        for record in records:
            outputs.extend(self._one(record))
        return outputs

    def _one(self, record: Record) -> list[Outgoing]:
        org = self.topics.organisation_of_inbound(record.topic) or "unknown"
        now = datetime.now(UTC)
        verdict = validate_message(record.value or b"", org)
        referral_id = verdict.referral_id or f"{record.topic}/{record.partition}/{record.offset}"
        contact_id = contact_id_for(org, referral_id)
        where = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
        if isinstance(verdict, Accepted):
            event = StatusEvent(
                contact_id=contact_id,
                referral_id=referral_id,
                organisation_id=org,
                status=Status.RECEIVED,
                occurred_at=now,
            )
            accepted = {
                "contact_id": contact_id,
                "organisation_id": org,
                "received_at": now.isoformat(),
                "referral": verdict.document,
            }
            main = Outgoing(
                self.topics.accepted,
                json.dumps(accepted).encode(),
                key=verdict.local_authority.encode(),
            )
        else:
            event = StatusEvent(
                contact_id=contact_id,
                referral_id=referral_id,
                organisation_id=org,
                status=Status.REJECTED,
                errors=verdict.errors,
                occurred_at=now,
            )
            invalid = {
                "contact_id": contact_id,
                "organisation_id": org,
                "source": where,
                "errors": [error.model_dump() for error in verdict.errors],
                "original_base64": base64.b64encode(record.value or b"").decode(),
            }
            main = Outgoing(self.topics.invalid, json.dumps(invalid).encode(), key=org.encode())
        log.info("inbound handled", contact_id=contact_id, status=event.status.value, **where)
        status = Outgoing(
            self.topics.status_events,
            event.model_dump_json().encode(),
            key=contact_id.encode(),
        )
        return [main, status]
