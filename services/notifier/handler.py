"""Turns status events into numbered, worded status updates on each referrer's own topic.

Walking skeleton: sequences live in memory and the wording is plain. Restart-safe sequences,
webhooks and the full wording come with the notifier issue.
"""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from schemas.partners import PartnerDirectory
from schemas.status import StatusEvent, StatusUpdate
from schemas.topics import Topics
from services.streaming.processor import Outgoing, Record

log = structlog.get_logger(__name__)


class NotifierHandler:
    """Numbers each contact's events 1, 2, 3... and writes them to ``status.<org>``."""

    def __init__(self, topics: Topics, partners: PartnerDirectory) -> None:
        """Write to the topics of this deployment, for the partners of ``partners``."""
        self.topics = topics
        self.partners = partners
        self.sequences: dict[str, int] = {}

    async def __call__(self, records: Sequence[Record]) -> list[Outgoing]:
        """Outputs for a batch of status events, in input order."""
        outputs: list[Outgoing] = []
        for record in records:
            event = StatusEvent.model_validate_json(record.value or b"")
            if self.partners.registry.get(event.organisation_id) is None:
                # No status topic exists for an unregistered organisation: say so, keep it.
                outputs.append(_undeliverable(self.topics, record, "organisation not registered"))
                continue
            sequence = self.sequences.get(event.contact_id, 0) + 1
            self.sequences[event.contact_id] = sequence
            update = StatusUpdate(
                **event.model_dump(exclude={"errors"}),
                errors=event.errors,
                sequence=sequence,
                message=f"Your referral {event.referral_id} is {event.status.value}.",
            )
            outputs.append(
                Outgoing(
                    self.topics.status(event.organisation_id),
                    update.model_dump_json().encode(),
                    key=event.contact_id.encode(),
                ),
            )
            log.info("status sent", contact_id=event.contact_id, sequence=sequence)
        return outputs


def _undeliverable(topics: Topics, record: Record, reason: str) -> Outgoing:
    log.warning(
        "status undeliverable", reason=reason, partition=record.partition, offset=record.offset
    )
    return Outgoing(
        topics.dead_letter,
        record.value or b"",
        key=record.key,
        headers=(("frontdoor-reason", reason.encode()),),
    )
