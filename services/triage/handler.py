"""Turns accepted referrals into queue items, decisions and status events.

Walking skeleton: every referral opens a case on the early help queue. Identity matching,
linking and the threshold policy replace it (issue: triage).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import structlog

from schemas.intake import AcceptedReferral
from schemas.status import Outcome, Status, StatusEvent
from schemas.topics import Topics
from services.streaming.processor import Outgoing, Record

log = structlog.get_logger(__name__)


class TriageHandler:
    """Decides each accepted referral and writes its queue item, decision and status."""

    def __init__(self, topics: Topics) -> None:
        """Write to the topics of this deployment."""
        self.topics = topics

    async def __call__(self, records: Sequence[Record]) -> list[Outgoing]:
        """Outputs for a batch of accepted referrals, in input order."""
        outputs: list[Outgoing] = []
        for record in records:
            accepted = AcceptedReferral.model_validate_json(record.value or b"")
            contact_id = accepted.contact_id
            la = accepted.referral.local_authority
            now = datetime.now(UTC)
            item = {
                "case_id": contact_id,
                "local_authority": la,
                "outcome": Outcome.EARLY_HELP.value,
                "contacts": [contact_id],
                "state": "open",
            }
            decision = {
                "case_id": contact_id,
                "decided_by": "skeleton",
                "to": Outcome.EARLY_HELP.value,
                "at": now.isoformat(),
            }
            event = StatusEvent(
                contact_id=contact_id,
                referral_id=accepted.referral.referral_id,
                organisation_id=accepted.organisation_id,
                status=Status.TRIAGED,
                outcome=Outcome.EARLY_HELP,
                occurred_at=now,
            )
            key = la.encode()
            outputs += [
                Outgoing(self.topics.queue_early_help, json.dumps(item).encode(), key=key),
                Outgoing(self.topics.decisions, json.dumps(decision).encode(), key=key),
                Outgoing(
                    self.topics.status_events,
                    event.model_dump_json().encode(),
                    key=contact_id.encode(),
                ),
            ]
            log.info(
                "triaged", contact_id=contact_id, partition=record.partition, offset=record.offset
            )
        return outputs
