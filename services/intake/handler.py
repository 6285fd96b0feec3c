"""Turns a batch of inbound messages into accepted referrals, rejections and status events.

Every inbound record's outputs are written in one transaction with its offset: the accepted
referral and the referrer's status event; or, for a rejection, the original bytes (kept 90
days), the rejection's metadata (the audit record, kept forever) and the status event. A received
referral's event carries the decision time the council promises (its policy's acknowledgement
target on its working calendar), which the referrer is told.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from domain.policies import PolicyBook
from domain.validation import Accepted, validate_referral
from runtime.partners import PartnerDirectory
from runtime.records import Outgoing, Record, RecordHandler
from schemas.contact import contact_id_for
from schemas.intake import AcceptedReferral, Origin, Rejection
from schemas.status import Status, StatusEvent
from schemas.topics import Topics

log = structlog.get_logger(__name__)

REJECTION_HEADER = "frontdoor-rejection"
UNKNOWN_ORGANISATION = "unknown"


class IntakeHandler(RecordHandler):
    """Validates inbound records against the contract and the partner registry."""

    def __init__(
        self,
        topics: Topics,
        partners: PartnerDirectory,
        policies: PolicyBook,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Write to ``topics``; check partners against ``partners``; tell time by ``clock``.

        Decision times promised on receipt follow each council's policy in ``policies``.
        """
        self.topics = topics
        self.partners = partners
        self.policies = policies
        self.clock = clock

    def handle(self, record: Record) -> list[Outgoing]:
        """The outputs of one inbound record, its status event last."""
        org = self.topics.organisation_of_inbound(record.topic) or UNKNOWN_ORGANISATION
        now = self.clock()
        raw: bytes = record.value or b""
        origin = Origin(topic=record.topic, partition=record.partition, offset=record.offset)
        verdict = validate_referral(
            raw,
            organisation_id=org,
            registry=self.partners.registry,
            now=now,
        )
        if isinstance(verdict, Accepted):
            referral = verdict.referral
            accepted = AcceptedReferral.of(referral, org, now, origin)
            contact_id = accepted.contact_id
            kept = [
                Outgoing(
                    self.topics.accepted,
                    accepted.model_dump_json().encode(),
                    key=referral.local_authority.encode(),
                )
            ]
            event = StatusEvent(
                contact_id=contact_id,
                referral_id=referral.referral_id,
                organisation_id=org,
                status=Status.RECEIVED,
                decision_due=self.policies.for_la(referral.local_authority).acknowledgement_due(
                    now
                ),
                occurred_at=now,
            )
        else:
            referral_id = verdict.referral_id
            contact_id = contact_id_for(
                org,
                referral_id or f"{record.topic}/{record.partition}/{record.offset}",
            )
            rejection = Rejection(
                contact_id=contact_id,
                organisation_id=org,
                referral_id=referral_id,
                received_at=now,
                origin=origin,
                size_bytes=len(raw),
                sha256=hashlib.sha256(raw).hexdigest(),
                errors=verdict.errors,
            )
            metadata = rejection.model_dump_json().encode()
            kept = [
                Outgoing(
                    self.topics.invalid,
                    raw,
                    key=org.encode(),
                    headers=((REJECTION_HEADER, metadata),),
                ),
                Outgoing(self.topics.rejections, metadata, key=org.encode()),
            ]
            event = StatusEvent(
                contact_id=contact_id,
                referral_id=referral_id or "(unreadable)",
                organisation_id=org,
                status=Status.REJECTED,
                errors=verdict.errors,
                occurred_at=now,
            )
        log.info(
            "inbound handled",
            contact_id=contact_id,
            status=event.status.value,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )
        status = Outgoing(
            self.topics.status_events,
            event.model_dump_json().encode(),
            key=contact_id.encode(),
        )
        return [*kept, status]
