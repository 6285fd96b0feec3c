"""From Kafka records to the rows of the records database: pure, no database, no Kafka.

Each topic's messages become rows keyed as the tables are, so a batch folds into at most one
row per key (a case's newest version wins) before it is written.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog
from pydantic import ValidationError

from domain.cases import known_child, line_of, said_of
from domain.names import sound, tokens
from runtime.records import Record
from schemas.encompass import Notice
from schemas.intake import AcceptedReferral, Rejection
from schemas.status import StatusUpdate
from schemas.topics import Topics
from schemas.triage import Case, CaseState, Check, Decision

log = structlog.get_logger(__name__)
Row = dict[str, Any]


@dataclass
class Rows:
    """What one batch writes, table by table, one row per key."""

    cases: dict[str, Row] = field(default_factory=dict)
    children: dict[str, Row] = field(default_factory=dict)
    contacts: dict[str, Row] = field(default_factory=dict)
    decisions: dict[str, Row] = field(default_factory=dict)
    status_updates: dict[tuple[str, int], Row] = field(default_factory=dict)
    rejections: dict[str, Row] = field(default_factory=dict)
    allocations: dict[tuple[str, str | None], Row] = field(default_factory=dict)
    checks: dict[str, Row] = field(default_factory=dict)
    notices: dict[str, Row] = field(default_factory=dict)
    referrals: dict[str, Row] = field(default_factory=dict)

    def count(self) -> int:
        """How many rows in all."""
        return sum(len(table) for table in vars(self).values())


def name_key(family_name: str | None) -> str | None:
    """How each part of a family name sounds, between spaces (`` SM0 JNS ``).

    Search finds spelling variants by it: a part's sound appears as `` <sound> ``.
    """
    parts = tokens(family_name or "")
    return " " + " ".join(sound(part) for part in parts) + " " if parts else None


def add_case(rows: Rows, case: Case, *, archived: bool = False) -> None:
    """A case version: the case, its contacts, its child's identity, any allocation."""
    known = rows.cases.get(case.case_id)
    if known is not None and known["version"] > case.version:
        return
    rows.cases[case.case_id] = {
        "case_id": case.case_id,
        "child_id": case.child_id,
        "local_authority": case.local_authority,
        "version": case.version,
        "state": case.state.value,
        "level": int(case.level),
        "rag": case.rag.value,
        "outcome": case.outcome.value,
        "decision_due": case.decision_due,
        "rules": json.dumps(case.rules),
        "policy_version": case.policy_version,
        "allocated_to": case.allocated_to,
        "closed_reason": case.closed_reason,
        "merged_into": case.merged_into,
        "overdue_since": case.overdue_since,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "archived": archived,
        "held": case.held,
        "screening_due": case.proposal.due if case.proposal is not None else None,
        **line_columns(case),
        "document": case.model_dump_json(),
    }
    for check in case.checks:
        rows.checks[check.request_id] = check_row(case, check)
    if case.merged_into is not None:
        return  # its contacts now belong to the case it was merged into
    for contact in case.contacts:
        rows.contacts[contact.contact_id] = {
            "contact_id": contact.contact_id,
            "case_id": case.case_id,
            "child_id": case.child_id,
            "local_authority": case.local_authority,
            "organisation_id": contact.organisation_id,
            "referral_id": contact.referral_id,
            "source": contact.source.value,
            "received_at": contact.received_at,
            "level": int(contact.level),
            "outcome": contact.outcome.value,
            "rules": json.dumps(contact.rules),
            "factors": json.dumps([f.value for f in contact.factors]),
            "summary": contact.summary,
        }
    allocation = (case.case_id, case.allocated_to)
    if (
        case.state is CaseState.ALLOCATED
        and case.allocated_to
        and allocation not in rows.allocations
    ):
        rows.allocations[allocation] = {  # when it was first allocated to this worker
            "case_id": case.case_id,
            "allocated_at": case.updated_at,
            "worker": case.allocated_to,
            "team": case.outcome.value,
        }
    newer = rows.children.get(case.child_id or "")
    if newer is not None and newer["updated_at"] > case.updated_at:
        return  # a newer case about the same child has said more recently who they are
    if case.child_id is not None and case.contacts:
        child = known_child(case).model_dump()
        rows.children[case.child_id] = {
            "child_id": case.child_id,
            "local_authority": case.local_authority,
            **child,
            "name_key": name_key(child["family_name"]),
            "updated_at": case.updated_at,
        }


def line_columns(case: Case) -> Row:
    """What a queue's row shows of ``case`` (and the screening page's, if a proposal waits)."""
    line = line_of(case)
    screening = None
    if case.proposal is not None:
        screening = json.dumps(
            {
                "proposal": case.proposal.model_dump(mode="json"),
                "waiting": [
                    {**asdict(said), "received_at": said.received_at.isoformat()}
                    for said in said_of(case)
                ],
                "screened_outcome": case.screened_outcome,
                "screened_by": case.screened_by,
            }
        )
    return {
        "child_name": line.child_name,
        "sources": json.dumps(line.sources),
        "contact_count": line.contacts,
        "pending_matches": line.pending_matches,
        "strategy_discussion": line.strategy_discussion,
        "emergency_duty": case.with_emergency_duty,
        "screening": screening,
    }


def check_row(case: Case, check: Check) -> Row:
    """A partner check as the records keep it: the request, its times, and its answer."""
    answer = check.answer
    return {
        "request_id": check.request_id,
        "case_id": case.case_id,
        "case_version": case.version,
        "child_id": case.child_id,
        "local_authority": case.local_authority,
        "organisation_id": check.organisation_id,
        "agency": check.agency,
        "round": check.round,
        "state": check.state.value,
        "rag": check.rag.value,
        "purpose": check.purpose,
        "lawful_basis": check.lawful_basis,
        "asked_by": check.asked_by,
        "asked_at": check.asked_at,
        "due": check.due,
        "reminded_at": check.reminded_at,
        "overdue_at": check.overdue_at,
        "withdrawn_at": check.withdrawn_at,
        "withdrawn_reason": check.withdrawn_reason,
        "child": known_child(case).model_dump_json(),
        "result": answer.result.value if answer else None,
        "information": answer.information if answer else None,
        "flags": json.dumps([f.value for f in answer.flags]) if answer else None,
        "reason": answer.reason if answer else None,
        "answered_by_name": answer.answered_by_name if answer else None,
        "answered_by_role": answer.answered_by_role if answer else None,
        "answered_at": answer.answered_at if answer else None,
        "received_at": answer.received_at if answer else None,
        "late": answer.late if answer else None,
    }


def add_decision(rows: Rows, decision: Decision) -> None:
    """An entry of the audit trail."""
    rows.decisions[decision.decision_id] = {
        "decision_id": decision.decision_id,
        "case_id": decision.case_id,
        "local_authority": decision.local_authority,
        "kind": decision.kind.value,
        "decided_by": decision.decided_by,
        "decided_at": decision.decided_at,
        "contact_id": decision.contact_id,
        "action_id": decision.action_id,
        "from_level": int(decision.from_level) if decision.from_level else None,
        "to_level": int(decision.to_level) if decision.to_level else None,
        "from_outcome": decision.from_outcome.value if decision.from_outcome else None,
        "to_outcome": decision.to_outcome.value if decision.to_outcome else None,
        "rules": json.dumps(decision.rules),
        "policy_version": decision.policy_version,
        "reason": decision.reason,
        "checks_outstanding": json.dumps(decision.checks_outstanding)
        if decision.checks_outstanding
        else None,
        "proposal": decision.proposal.model_dump_json() if decision.proposal else None,
        "agreed": decision.agreed,
    }


def add_notice(rows: Rows, notice: Notice) -> None:
    """An Encompass notice's state (its newest version wins)."""
    known = rows.notices.get(notice.notice_ref)
    if known is not None and known["version"] > notice.version:
        return
    sent, child = notice.notice, notice.notice.child
    rows.notices[notice.notice_ref] = {
        "notice_ref": notice.notice_ref,
        "version": notice.version,
        "organisation_id": notice.organisation_id,
        "notice_id": sent.notice_id,
        "police_reference": sent.police_reference,
        "local_authority": notice.local_authority,
        "received_at": notice.received_at,
        "due_at": notice.due_at,
        "routing": notice.routing.value,
        "found_by": notice.found_by.value,
        "urn": notice.urn,
        "school_id": notice.school_id,
        "delivered_at": notice.delivered_at,
        "acknowledged_at": notice.acknowledged_at,
        "acknowledged_by": notice.acknowledged_by,
        "overdue": notice.overdue,
        "council_notes": json.dumps([n.model_dump(mode="json") for n in notice.council_notes]),
        "given_name": child.given_name,
        "family_name": child.family_name,
        "name_key": name_key(child.family_name),
        "date_of_birth": child.date_of_birth,
        "upn": child.upn,
        "incident_at": sent.incident_at,
        "child_present": sent.child_present.value,
        "welfare_check_made": sent.welfare_check_made,
    }


def add_update(rows: Rows, update: StatusUpdate) -> None:
    """An update a referrer was sent."""
    rows.status_updates[update.contact_id, update.sequence] = {
        "contact_id": update.contact_id,
        "sequence": update.sequence,
        "organisation_id": update.organisation_id,
        "referral_id": update.referral_id,
        "status": update.status.value,
        "outcome": update.outcome.value if update.outcome else None,
        "message": update.message,
        "decision_due": update.decision_due,
        "occurred_at": update.occurred_at,
    }


def add_referral(rows: Rows, accepted: AcceptedReferral) -> None:
    """A referral whole, by contact: the newest version (an amendment) wins."""
    known = rows.referrals.get(accepted.contact_id)
    if known is not None and known["received_at"] > accepted.received_at:
        return
    rows.referrals[accepted.contact_id] = {
        "contact_id": accepted.contact_id,
        "local_authority": accepted.referral.local_authority,
        "organisation_id": accepted.organisation_id,
        "received_at": accepted.received_at,
        "document": accepted.referral.model_dump_json(),
    }


def add_rejection(rows: Rows, rejection: Rejection) -> None:
    """A rejection's metadata: where, when, from whom, how large, its hash, the error places."""
    origin = rejection.origin
    key = f"{origin.topic}/{origin.partition}/{origin.offset}"
    rows.rejections[key] = {
        "rejection_id": key,
        "contact_id": rejection.contact_id,
        "organisation_id": rejection.organisation_id,
        "referral_id": rejection.referral_id,
        "received_at": rejection.received_at,
        "size_bytes": rejection.size_bytes,
        "sha256": rejection.sha256,
        "error_locations": json.dumps(sorted({e.loc for e in rejection.errors})),
    }


class Projection:
    """Folds a batch of records from the records service's topics into :class:`Rows`."""

    def __init__(self, topics: Topics) -> None:
        """Read the topics of ``topics``' deployment."""
        self.topics = topics

    def rows(self, records: list[Record]) -> tuple[Rows, list[Record]]:
        """The rows of ``records``, and those that could not be read (for the dead letters)."""
        rows, unreadable = Rows(), []
        for record in records:
            if record.value is None:
                continue  # a tombstone: the case left triage's working set, not the records
            try:
                self._add(rows, record)
            except ValidationError:
                log.warning(
                    "record unreadable",
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                )
                unreadable.append(record)
        return rows, unreadable

    def _add(self, rows: Rows, record: Record) -> None:
        value = record.value or b""
        if record.topic == self.topics.cases:
            add_case(rows, Case.model_validate_json(value))
        elif record.topic == self.topics.archive:
            add_case(rows, Case.model_validate_json(value), archived=True)
        elif record.topic == self.topics.decisions:
            add_decision(rows, Decision.model_validate_json(value))
        elif record.topic == self.topics.rejections:
            add_rejection(rows, Rejection.model_validate_json(value))
        elif record.topic == self.topics.encompass_notices:
            add_notice(rows, Notice.model_validate_json(value))
        elif record.topic == self.topics.accepted:
            add_referral(rows, AcceptedReferral.model_validate_json(value))
        else:
            add_update(rows, StatusUpdate.model_validate_json(value))
