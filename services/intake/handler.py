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
from domain.validation import (
    Accepted,
    AnswerRejected,
    NoticeRejected,
    validate_answer,
    validate_notice,
    validate_referral,
)
from runtime.partners import PartnerDirectory
from runtime.records import Outgoing, Record, RecordHandler
from schemas.checks import CheckMessageKind, CheckReceipt, ReceivedAnswer, local_authority_of
from schemas.contact import contact_id_for
from schemas.encompass import AcceptedNotice, notice_ref_for
from schemas.intake import AcceptedReferral, Origin, Rejection
from schemas.status import FieldError, Status, StatusEvent, Subject
from schemas.topics import Topics

log = structlog.get_logger(__name__)

REJECTION_HEADER = "frontdoor-rejection"
UNKNOWN_ORGANISATION = "unknown"


def origin_of(record: Record) -> Origin:
    """Where a record was read: its topic, partition and offset."""
    return Origin(topic=record.topic, partition=record.partition, offset=record.offset)


class IntakeHandler(RecordHandler):
    """Validates inbound records against the contract and the partner registry."""

    partner_input = True  # partners write its topics: their trace headers are not trusted

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
        answering = self.topics.organisation_of_answers(record.topic)
        if answering is not None:
            return [self.answer(record, answering)]
        police = self.topics.organisation_of_notices(record.topic)
        if police is not None:
            return self.notice(record, police)
        org = self.topics.organisation_of_inbound(record.topic) or UNKNOWN_ORGANISATION
        now = self.clock()
        raw: bytes = record.value or b""
        origin = origin_of(record)
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
            kept, event = self.rejected(record, org, contact_id, referral_id, verdict.errors, now)
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

    def rejected(  # noqa: PLR0917 - one rejection's parts
        self,
        record: Record,
        org: str,
        contact_id: str,
        reference: str | None,
        errors: list[FieldError],
        now: datetime,
        subject: Subject = Subject.REFERRAL,
    ) -> tuple[list[Outgoing], StatusEvent]:
        """A rejected message kept whole (90 days) and its audit record (forever).

        And the status event that tells its sender why.
        """
        raw: bytes = record.value or b""
        origin = origin_of(record)
        rejection = Rejection(
            contact_id=contact_id,
            organisation_id=org,
            referral_id=reference,
            received_at=now,
            origin=origin,
            size_bytes=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            errors=errors,
        )
        metadata = rejection.model_dump_json().encode()
        told = StatusEvent(
            contact_id=contact_id,
            referral_id=reference or "(unreadable)",
            organisation_id=org,
            status=Status.REJECTED,
            errors=errors,
            occurred_at=now,
            subject=subject,
        )
        return [
            Outgoing(
                self.topics.invalid, raw, key=org.encode(), headers=((REJECTION_HEADER, metadata),)
            ),
            Outgoing(self.topics.rejections, metadata, key=org.encode()),
        ], told

    def notice(self, record: Record, org: str) -> list[Outgoing]:
        """A police force's Encompass notice: on to triage, keyed by its council; or rejected.

        The force is told either way (its status topic); nothing of the notice is logged.
        """
        now = self.clock()
        verdict = validate_notice(
            record.value or b"", organisation_id=org, registry=self.partners.registry, now=now
        )
        if isinstance(verdict, NoticeRejected):
            reference = verdict.notice_id
            notice_ref = contact_id_for(
                org,
                "encompass:" + (reference or f"{record.topic}/{record.partition}/{record.offset}"),
            )
            kept, event = self.rejected(
                record, org, notice_ref, reference, verdict.errors, now, Subject.ENCOMPASS_NOTICE
            )
        else:
            la = verdict.local_authority
            notice_ref = notice_ref_for(org, verdict.notice_id, la)
            origin = origin_of(record)
            accepted = AcceptedNotice(
                notice_ref=notice_ref,
                organisation_id=org,
                received_at=now,
                origin=origin,
                notice=verdict,
            )
            # the force hears "received" from triage, which alone knows whether it is a resend
            log.info("encompass notice accepted", notice_ref=notice_ref, offset=record.offset)
            return [
                Outgoing(
                    self.topics.encompass_accepted,
                    accepted.model_dump_json().encode(),
                    key=la.encode(),
                )
            ]
        log.info(
            "encompass notice refused",
            notice_ref=notice_ref,
            partition=record.partition,
            offset=record.offset,
        )
        status = Outgoing(
            self.topics.status_events, event.model_dump_json().encode(), key=notice_ref.encode()
        )
        return [*kept, status]

    def answer(self, record: Record, org: str) -> Outgoing:
        """A partner's check answer: on to triage, keyed by its council; or refused, and told.

        Nothing of the answer is logged: only where it came from and what became of it.
        """
        now = self.clock()
        verdict = validate_answer(record.value or b"", now=now)
        origin = origin_of(record)
        if isinstance(verdict, AnswerRejected):
            log.info(
                "check answer refused",
                organisation_id=org,
                errors=len(verdict.errors),
                partition=record.partition,
                offset=record.offset,
            )
            receipt = CheckReceipt(
                kind=CheckMessageKind.ANSWER_REFUSED,
                request_id=verdict.request_id,
                errors=verdict.errors,
                occurred_at=now,
            )
            return Outgoing(
                self.topics.check_requests(org),
                receipt.model_dump_json().encode(),
                key=(verdict.request_id or org).encode(),
            )
        la = local_authority_of(verdict.request_id) or ""
        received = ReceivedAnswer(
            organisation_id=org, local_authority=la, received_at=now, origin=origin, answer=verdict
        )
        log.info("check answer received", organisation_id=org, request_id=verdict.request_id)
        return Outgoing(
            self.topics.checks_received, received.model_dump_json().encode(), key=la.encode()
        )
