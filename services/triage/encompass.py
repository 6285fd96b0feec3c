"""Operation Encompass in triage: each notice to the child's school, or to a person at the council.

Notices are keyed by local authority like referrals, so the partition that holds a council's
cases holds its notices, their state (``encompass.notices``, compacted, restored at start) and
its schools' acknowledgements. A notice is not a contact: it never meets the thresholds, never
opens a case and never reaches Annex A.

For each new notice: the school is the URN the police gave, else the council's school roll's
(:mod:`domain.school_roll`), else none; a school registered as a partner is told at once (its
status topic and webhook carry the notice, status ``encompass``); otherwise the notice waits on
the council's Encompass queue. It is due before the next school day starts. The police force
hears what became of it, never the name of a school it did not name itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from domain.policies import PolicyBook
from domain.school_roll import SchoolRoll
from schemas.encompass import (
    MAX_COUNCIL_NOTES,
    AcceptedNotice,
    Acknowledgement,
    CouncilNote,
    FoundBy,
    Notice,
    Routing,
)
from schemas.partners import PartnerRegistry
from schemas.status import EncompassDelivery, Status, StatusEvent, Subject
from schemas.triage import ManagerAction
from services.triage.engine import Effects

log = structlog.get_logger(__name__)

SCHOOL_STREAM = "-school"  # the school's updates are numbered apart from the police force's


class EncompassRelay:
    """Every open notice of the partitions this process holds, and what happens to each."""

    def __init__(
        self,
        policies: PolicyBook,
        registry: Callable[[], PartnerRegistry],
        roll: Callable[[], SchoolRoll],
    ) -> None:
        """Due times from ``policies``; schools from ``registry()`` and ``roll()`` (as now)."""
        self.policies = policies
        self.registry = registry
        self.roll = roll
        self.notices: dict[str, Notice] = {}
        self.partition_of: dict[str, int] = {}

    def load(self, notice: Notice, partition: int) -> None:
        """Hold a notice restored from ``encompass.notices``."""
        self.notices[notice.notice_ref] = notice
        self.partition_of[notice.notice_ref] = partition

    def forget_partition(self, partition: int) -> None:
        """Drop the notices of a partition this process no longer holds."""
        for ref in [r for r, p in self.partition_of.items() if p == partition]:
            del self.notices[ref], self.partition_of[ref]

    def _save(self, notice: Notice, partition: int, fx: Effects) -> None:
        known = self.notices.get(notice.notice_ref)
        if known is not None:
            notice = notice.model_copy(update={"version": known.version + 1})
        self.load(notice, partition)
        fx.notices.append((notice, partition))

    def on_notice(self, accepted: AcceptedNotice, partition: int) -> Effects:
        """Deliver a new notice, or tell the force a resend changes nothing."""
        fx = Effects()
        ref, sent = accepted.notice_ref, accepted.notice
        at = accepted.received_at
        if ref in self.notices:  # a resend: one update, saying the first copy is held
            fx.statuses.append(self._to_police(self.notices[ref], Status.DUPLICATE, at))
            return fx
        urn, found_by = sent.school_urn, FoundBy.NOTICE
        if urn is None:
            child = sent.child
            urn = self.roll().school_of(
                child.given_name, child.family_name, child.date_of_birth, child.upn
            )
            found_by = FoundBy.ROLL if urn else FoundBy.NONE
        school = self.registry().school(urn) if urn else None
        routing = Routing.SCHOOL if school else Routing.NOT_REGISTERED if urn else Routing.NO_SCHOOL
        notice = Notice(
            notice_ref=ref,
            organisation_id=accepted.organisation_id,
            local_authority=sent.local_authority,
            received_at=at,
            due_at=self.policies.for_la(sent.local_authority).notice_due(at),
            routing=routing,
            found_by=found_by,
            urn=urn,
            school_id=school.id if school else None,
            delivered_at=at if school else None,
            notice=sent,
        )
        self._save(notice, partition, fx)
        fx.statuses.append(self._to_police(notice, Status.RECEIVED, at))
        if school is not None:
            fx.statuses.append(self._to_school(notice, school.id, at))
            fx.statuses.append(self._to_police(notice, Status.DELIVERED, at))
        else:
            fx.statuses.append(self._to_police(notice, Status.PASSED_TO_COUNCIL, at))
        log.info(
            "encompass notice relayed",
            notice_ref=ref,
            routing=routing.value,
            found_by=found_by.value,
            partition=partition,
        )
        return fx

    def on_acknowledgement(self, ack: Acknowledgement, partition: int) -> Effects:
        """Record a school's acknowledgement and tell the force; refuse one that cannot be.

        The gateway refuses an unknown notice, another school's, or a second acknowledgement
        before sending one; a refusal here (a race between two key adults) is logged only.
        """
        fx = Effects()
        notice = self.notices.get(ack.notice_ref)
        refused = (
            "unknown notice"
            if notice is None
            else "another school's notice"
            if notice.school_id != ack.organisation_id
            else "already acknowledged"
            if notice.acknowledged_at is not None
            else None
        )
        if notice is None or refused is not None:
            log.warning("acknowledgement refused", notice_ref=ack.notice_ref, reason=refused)
            return fx
        acknowledged = notice.model_copy(
            update={
                "acknowledged_at": ack.acknowledged_at,
                "acknowledged_by": ack.acknowledged_by,
            }
        )
        self._save(acknowledged, partition, fx)
        fx.statuses.append(self._to_police(notice, Status.ACKNOWLEDGED, ack.acknowledged_at))
        return fx

    def on_council_note(self, action: ManagerAction, partition: int) -> Effects:
        """Record what a person at the council did about a notice (``case_id``: its ref)."""
        fx = Effects()
        notice = self.notices.get(action.case_id)
        if notice is None or not action.reason.strip():
            log.warning("council note refused", action_id=action.action_id)
            return fx
        if any(n.action_id == action.action_id for n in notice.council_notes):
            return fx  # the same note sent twice: recorded once
        if len(notice.council_notes) >= MAX_COUNCIL_NOTES:
            log.warning(
                "council note refused: the notice's notes are full", action_id=action.action_id
            )
            return fx
        note = CouncilNote(
            action_id=action.action_id,
            by=action.actor,
            at=action.submitted_at,
            note=action.reason.strip(),
        )
        self._save(
            notice.model_copy(update={"council_notes": (*notice.council_notes, note)}),
            partition,
            fx,
        )
        return fx

    def overdue(self, now: datetime) -> Effects:
        """Mark each notice past its due time that nobody has acted on.

        Not acknowledged by the school, or on the council's queue with nothing recorded.
        """
        fx = Effects()
        for notice in list(self.notices.values()):
            acted = notice.acknowledged_at is not None or (
                notice.with_council and bool(notice.council_notes)
            )
            if notice.overdue or acted or notice.due_at > now:
                continue
            self._save(
                notice.model_copy(update={"overdue": True}),
                self.partition_of[notice.notice_ref],
                fx,
            )
        return fx

    def _to_school(self, notice: Notice, school_id: str, at: datetime) -> StatusEvent:
        sent = notice.notice
        partners = self.registry()
        force = partners.get(notice.organisation_id)
        return StatusEvent(
            contact_id=notice.notice_ref + SCHOOL_STREAM,
            referral_id=notice.notice_ref,
            organisation_id=school_id,
            status=Status.ENCOMPASS,
            decision_due=notice.due_at,
            occurred_at=at,
            subject=Subject.ENCOMPASS_NOTICE,
            encompass=EncompassDelivery(
                notice_ref=notice.notice_ref,
                given_name=sent.child.given_name,
                family_name=sent.child.family_name,
                date_of_birth=sent.child.date_of_birth,
                upn=sent.child.upn,
                incident_at=sent.incident_at,
                child_present=sent.child_present.value,
                welfare_check_made=sent.welfare_check_made,
                police_force=force.name if force else notice.organisation_id,
                police_reference=sent.police_reference,
                acknowledge_by=notice.due_at,
            ),
        )

    @staticmethod
    def _to_police(notice: Notice, status: Status, at: datetime) -> StatusEvent:
        """What the police force is told of its notice, never the child.

        The due time when the notice was placed; the school only if the force named it.
        """
        placed = status in {Status.RECEIVED, Status.DELIVERED, Status.PASSED_TO_COUNCIL}
        named = notice.found_by is FoundBy.NOTICE and status not in {
            Status.DUPLICATE,
            Status.RECEIVED,
        }
        return StatusEvent(
            contact_id=notice.notice_ref,
            referral_id=notice.notice.notice_id,
            organisation_id=notice.organisation_id,
            status=status,
            decision_due=notice.due_at if placed else None,
            occurred_at=at,
            subject=Subject.ENCOMPASS_NOTICE,
            school_urn=notice.urn if named else None,
            held_since=notice.received_at if status is Status.DUPLICATE else None,
        )
