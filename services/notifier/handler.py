"""Turns status events into numbered, worded updates on each referrer's own topic.

Each update and the contact's new sequence number (``notifier.sequences``, compacted) are
written in one transaction with the consumed offset, so after any crash the next update for a
contact continues 1, 2, 3... with no gap and no repeat. A batch is one transaction, so a contact
with several updates in it needs only its last number written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import structlog
from aiokafka import TopicPartition

from domain.wording import PUBLIC_SOURCES, public_status, sentence
from runtime.kafka.settings import KafkaSettings
from runtime.partners import PartnerDirectory
from runtime.records import Outgoing, Record, RecordHandler, dead_letter
from runtime.state import read_partitions
from schemas.status import StatusEvent, StatusUpdate
from schemas.topics import Topics

log = structlog.get_logger(__name__)


class NotifierHandler(RecordHandler):
    """Numbers each contact's events 1, 2, 3... and writes them to ``status.<org>``."""

    def __init__(self, topics: Topics, partners: PartnerDirectory) -> None:
        """Write to ``topics`` for the partners of ``partners``."""
        self.topics = topics
        self.partners = partners
        self.sequences: dict[str, int] = {}
        self.partition_of: dict[str, int] = {}

    async def __call__(self, records: Sequence[Record]) -> list[Outgoing]:
        """Every update of a batch, and each contact's last sequence number in it."""
        outputs = await super().__call__(records)
        last = {
            o.key: i for i, o in enumerate(outputs) if o.topic == self.topics.notifier_sequences
        }
        return [
            o
            for i, o in enumerate(outputs)
            if o.topic != self.topics.notifier_sequences or last[o.key] == i
        ]

    def handle(self, record: Record) -> list[Outgoing]:
        """The update for one status event, and the contact's new sequence number."""
        event = StatusEvent.model_validate_json(record.value or b"")
        partner = self.partners.registry.get(event.organisation_id)
        if partner is None:  # no status topic exists for it: keep the event, say why
            log.warning(
                "status undeliverable",
                reason="organisation not registered",
                partition=record.partition,
                offset=record.offset,
            )
            return [dead_letter(self.topics.dead_letter, record, "organisation not registered")]
        public = partner.source in PUBLIC_SOURCES
        status = public_status(event.status) if public else event.status
        if status is None:
            log.info(
                "status not shown to the public",
                contact_id=event.contact_id,
                status=event.status.value,
                partition=record.partition,
                offset=record.offset,
            )
            return []
        sequence = self.sequences.get(event.contact_id, 0) + 1
        self.sequences[event.contact_id] = sequence
        self.partition_of[event.contact_id] = record.partition
        update = StatusUpdate(
            contact_id=event.contact_id,
            referral_id=event.referral_id,
            organisation_id=event.organisation_id,
            sequence=sequence,
            status=status,
            outcome=None if public else event.outcome,
            message=sentence(event, public=public),
            errors=event.errors,
            decision_due=None if public else event.decision_due,
            occurred_at=event.occurred_at,
            subject=event.subject,
            school_urn=event.school_urn,
            encompass=event.encompass,
        )
        log.info(
            "status sent",
            contact_id=event.contact_id,
            sequence=sequence,
            status=event.status.value,
            partition=record.partition,
            offset=record.offset,
        )
        key = event.contact_id.encode()
        return [
            Outgoing(
                self.topics.status(event.organisation_id),
                update.model_dump_json().encode(),
                key=key,
            ),
            Outgoing(
                self.topics.notifier_sequences,
                b'{"sequence":%d}' % sequence,
                key=key,
                partition=record.partition,
            ),
        ]

    async def restore(self, kafka: KafkaSettings, assigned: set[TopicPartition]) -> int:
        """Reload the last sequence of every contact in the assigned partitions."""
        wanted = {tp.partition for tp in assigned if tp.topic == self.topics.status_events}
        for contact in [c for c, p in self.partition_of.items() if p not in wanted]:
            del self.sequences[contact], self.partition_of[contact]

        def load(record: Record) -> None:
            if record.value is not None and record.key is not None:
                contact = record.key.decode()
                self.sequences[contact] = json.loads(record.value)["sequence"]
                self.partition_of[contact] = record.partition

        restored = await read_partitions(kafka, self.topics.notifier_sequences, wanted, load)
        log.info("sequences restored", partitions=sorted(wanted), records=restored)
        return restored
