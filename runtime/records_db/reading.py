"""The records database as the dashboard reads it: cases, their audit trail, what referrers heard.

Every page is a query; nothing of the history is held in memory, so a dashboard starts in the
same time whatever the years behind it. :meth:`RecordsReader.change_mark` is what live pages
watch: it moves whenever the records service has written something new.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Row, Select, func, or_, select, true
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from domain.cases import (
    QUEUES,
    RAG_ORDER,
    CaseLine,
    Said,
    ScreeningLine,
    line_of,
    said_of,
)
from domain.names import NameLikeness, family_likeness, name_likeness, sound, tokens
from runtime.records_db import tables
from schemas.referral import Referral
from schemas.status import Outcome, Status, StatusUpdate
from schemas.triage import Case, CaseState, Decision, DecisionKind, Level, Proposal, Rag


class RecordsReader:
    """Queries behind the dashboard's pages."""

    def __init__(self, engine: Engine) -> None:
        """Read through ``engine``."""
        self.engine = engine

    def change_mark(self) -> int:
        """A number that grows whenever the records service writes a batch."""
        with Session(self.engine) as session:
            return int(session.scalar(select(func.sum(tables.ConsumedOffset.next_offset))) or 0)

    def live_lines(
        self, la: str, outcome: Outcome, now: datetime, most: int
    ) -> tuple[list[CaseLine], int]:
        """What the ``most`` most urgent rows of one of ``la``'s queues show, and how many.

        Read from the columns beside each case, never its document: a page's cost does not
        grow with the cases' size. Most urgent: overdue, then red, amber, green, then soonest.
        """
        live = (
            (tables.Case.local_authority == la)
            & (tables.Case.outcome == outcome.value)
            & tables.Case.state.in_([CaseState.OPEN.value, CaseState.ALLOCATED.value])
            & tables.Case.merged_into.is_(None)
            & tables.Case.held.is_(False)
        )
        overdue = (tables.Case.state == CaseState.OPEN.value) & (tables.Case.decision_due <= now)
        rank = when(*((tables.Case.rag == rag.value, order) for rag, order in RAG_ORDER.items()))
        with Session(self.engine) as session:
            total = session.scalar(select(func.count()).select_from(tables.Case).where(live)) or 0
            rows = session.execute(
                select(*LINE_COLUMNS)
                .where(live)
                .order_by(overdue.desc(), rank, tables.Case.decision_due, tables.Case.case_id)
                .limit(most)
            ).all()
        return [_line(row) for row in rows], total

    def emergency_duty_lines(self, la: str) -> list[CaseLine]:
        """The rows of ``la``'s cases with the emergency duty team now.

        Two indexed reads, each on (council, emergency duty): the cases marked with EDT, and
        any open red case written before the mark existed (told from its document).
        """
        ours = (tables.Case.local_authority == la) & tables.Case.merged_into.is_(None)
        with Session(self.engine) as session:
            marked = session.execute(
                select(*LINE_COLUMNS).where(ours & (tables.Case.emergency_duty == true()))
            ).all()
            unmarked = session.execute(
                select(*LINE_COLUMNS)
                .where(ours & tables.Case.emergency_duty.is_(None))
                .where(tables.Case.state == CaseState.OPEN.value)
                .where(tables.Case.rag == Rag.RED.value)
            ).all()
        return [_line(row) for row in marked] + [
            _line(row)
            for row in unmarked
            if Case.model_validate_json(row.unlined).with_emergency_duty
        ]

    def screening_lines(self, la: str, most: int) -> tuple[list[ScreeningLine], int]:
        """The rows of the ``most`` most urgent proposals waiting for a person, and how many.

        Red first, then by the screening decision's due time; from columns, not documents.
        """
        waiting = (
            (tables.Case.local_authority == la)
            & tables.Case.screening_due.is_not(None)
            & tables.Case.merged_into.is_(None)
        )
        red_first = when((tables.Case.rag == Rag.RED.value, 0), else_=1)
        with Session(self.engine) as session:
            total = session.scalar(select(func.count()).select_from(tables.Case).where(waiting))
            rows = session.execute(
                select(*LINE_COLUMNS, tables.Case.screening)
                .where(waiting)
                .order_by(red_first, tables.Case.screening_due, tables.Case.case_id)
                .limit(most)
            ).all()
        return [_screening_line(row) for row in rows], total or 0

    def screening_cases(self, la: str | None, most: int) -> tuple[list[Case], int]:
        """The ``most`` most urgent of ``la``'s proposals waiting for a person, and how many.

        Red first, then by the screening decision's due time (``la`` None: every council's).
        """
        waiting = tables.Case.screening_due.is_not(None) & tables.Case.merged_into.is_(None)
        if la is not None:
            waiting &= tables.Case.local_authority == la
        red_first = when((tables.Case.rag == Rag.RED.value, 0), else_=1)
        with Session(self.engine) as session:
            total = session.scalar(select(func.count()).select_from(tables.Case).where(waiting))
            documents = session.scalars(
                select(tables.Case.document)
                .where(waiting)
                .order_by(red_first, tables.Case.screening_due)
                .limit(most)
            )
            return [Case.model_validate_json(doc) for doc in documents if doc], total or 0

    def screening_counts(self, la: str, now: datetime) -> tuple[int, int]:
        """How many of ``la``'s proposals wait for a person, and how many of them are overdue."""
        with Session(self.engine) as session:
            waiting, overdue = session.execute(
                select(
                    func.count(),
                    func.count().filter(tables.Case.screening_due <= now),
                )
                .select_from(tables.Case)
                .where(tables.Case.local_authority == la)
                .where(tables.Case.screening_due.is_not(None))
                .where(tables.Case.merged_into.is_(None))
            ).one()
        return int(waiting), int(overdue)

    def screening_decisions(self, la: str, since: datetime) -> list[Decision]:
        """``la``'s screening decisions since ``since``, oldest first (the agreement figures)."""
        with Session(self.engine) as session:
            return [
                _decision(row)
                for row in session.scalars(
                    select(tables.Decision)
                    .where(tables.Decision.local_authority == la)
                    .where(tables.Decision.kind == DecisionKind.SCREENED.value)
                    .where(tables.Decision.decided_at >= since)
                    .order_by(tables.Decision.decided_at)
                )
            ]

    def case(self, case_id: str) -> Case | None:
        """One case as triage last wrote it."""
        with Session(self.engine) as session:
            document = session.scalar(
                select(tables.Case.document).where(tables.Case.case_id == case_id)
            )
        return Case.model_validate_json(document) if document else None

    def cases_changed_since(self, la: str, since: datetime) -> list[Case]:
        """Cases of ``la`` opened or changed since ``since`` (for the performance charts)."""
        with Session(self.engine) as session:
            documents = session.scalars(
                select(tables.Case.document)
                .where(tables.Case.local_authority == la)
                .where(tables.Case.updated_at >= since)
            )
            return [Case.model_validate_json(doc) for doc in documents if doc]

    def decisions(self, case_ids: list[str]) -> dict[str, list[Decision]]:
        """The audit trail of each case, oldest first."""
        found: dict[str, list[Decision]] = defaultdict(list)
        if not case_ids:
            return found
        with Session(self.engine) as session:
            for row in session.scalars(
                select(tables.Decision)
                .where(tables.Decision.case_id.in_(case_ids))
                .order_by(tables.Decision.decided_at)
            ):
                found[row.case_id or ""].append(_decision(row))
        return found

    def referrals(self, contact_ids: list[str]) -> dict[str, Referral]:
        """Each contact's referral whole, as intake accepted it (its newest version)."""
        if not contact_ids:
            return {}
        with Session(self.engine) as session:
            rows = session.execute(
                select(tables.Referral.contact_id, tables.Referral.document).where(
                    tables.Referral.contact_id.in_(contact_ids)
                )
            )
            return {contact_id: Referral.model_validate_json(doc) for contact_id, doc in rows}

    def updates(self, contact_ids: list[str]) -> dict[str, list[StatusUpdate]]:
        """What each contact's referrer was told, in order."""
        found: dict[str, list[StatusUpdate]] = defaultdict(list)
        if not contact_ids:
            return found
        with Session(self.engine) as session:
            for row in session.scalars(
                select(tables.StatusUpdate)
                .where(tables.StatusUpdate.contact_id.in_(contact_ids))
                .order_by(tables.StatusUpdate.contact_id, tables.StatusUpdate.sequence)
            ):
                found[row.contact_id].append(
                    StatusUpdate(
                        contact_id=row.contact_id,
                        referral_id=row.referral_id,
                        organisation_id=row.organisation_id,
                        sequence=row.sequence,
                        status=Status(row.status),
                        outcome=Outcome(row.outcome) if row.outcome else None,
                        message=row.message,
                        decision_due=row.decision_due,
                        occurred_at=row.occurred_at,
                    )
                )
        return found

    def counts(self) -> dict[str, int]:
        """How much the database holds (for /health)."""
        with Session(self.engine) as session:
            return {
                "cases": session.scalar(select(func.count()).select_from(tables.Case)) or 0,
                "status_updates": session.scalar(
                    select(func.count()).select_from(tables.StatusUpdate)
                )
                or 0,
            }

    def queue_depth(self, la: str, moments: list[datetime]) -> list[tuple[datetime, int, int]]:
        """Cases on each queue at each moment, from when cases opened and last changed."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(
                    tables.Case.outcome,
                    tables.Case.state,
                    tables.Case.opened_at,
                    tables.Case.updated_at,
                )
                .where(tables.Case.local_authority == la)
                .where(tables.Case.outcome.in_([q.value for q in QUEUES]))
                .where(tables.Case.merged_into.is_(None))
                .where(tables.Case.held.is_(False))
                .where(tables.Case.updated_at >= min(moments, default=datetime.now(UTC)))
                .where(tables.Case.opened_at <= max(moments, default=datetime.now(UTC)))
            ).all()
        series: list[tuple[datetime, int, int]] = []
        ea, eh = (q.value for q in QUEUES)
        for moment in moments:
            depth = {q.value: 0 for q in QUEUES}
            for outcome, state, opened_at, updated_at in rows:
                still_there = state != CaseState.CLOSED.value or updated_at > moment
                if opened_at <= moment and still_there:
                    depth[outcome] += 1
            series.append((moment, depth[ea], depth[eh]))
        return series


# What a queue's row shows, and the document only for a case written before those columns
LINE_COLUMNS = (
    tables.Case.case_id,
    tables.Case.local_authority,
    tables.Case.child_name,
    tables.Case.state,
    tables.Case.level,
    tables.Case.rag,
    tables.Case.outcome,
    tables.Case.decision_due,
    tables.Case.strategy_discussion,
    tables.Case.sources,
    tables.Case.contact_count,
    tables.Case.pending_matches,
    when((tables.Case.child_name.is_(None), tables.Case.document), else_=None).label("unlined"),
)


def _line(row: Row[Any]) -> CaseLine:
    if row.child_name is None:
        return line_of(Case.model_validate_json(row.unlined))
    return CaseLine(
        case_id=row.case_id,
        local_authority=row.local_authority,
        child_name=row.child_name,
        state=CaseState(row.state),
        level=Level(row.level),
        rag=Rag(row.rag),
        outcome=Outcome(row.outcome),
        decision_due=row.decision_due,
        strategy_discussion=bool(row.strategy_discussion),
        sources=json.loads(row.sources or "[]"),
        contacts=row.contact_count or 0,
        pending_matches=row.pending_matches or 0,
    )


def _screening_line(row: Row[Any]) -> ScreeningLine:
    if row.screening is None:  # written before the columns (all come together): its document
        case = Case.model_validate_json(row.unlined)
        assert case.proposal is not None  # noqa: S101 - screening_due says one waits
        return ScreeningLine(
            line_of(case), case.proposal, said_of(case), case.screened_outcome, case.screened_by
        )
    screening = json.loads(row.screening)
    return ScreeningLine(
        line=_line(row),
        proposal=Proposal.model_validate(screening["proposal"]),
        waiting=[
            Said(**(said | {"received_at": datetime.fromisoformat(said["received_at"])}))
            for said in screening["waiting"]
        ],
        screened_outcome=Outcome(screening["screened_outcome"])
        if screening["screened_outcome"]
        else None,
        screened_by=screening["screened_by"],
    )


def _decision(row: tables.Decision) -> Decision:
    return Decision(
        decision_id=row.decision_id,
        case_id=row.case_id,
        local_authority=row.local_authority,
        kind=DecisionKind(row.kind),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        contact_id=row.contact_id,
        action_id=row.action_id,
        from_level=Level(row.from_level) if row.from_level else None,
        to_level=Level(row.to_level) if row.to_level else None,
        from_outcome=Outcome(row.from_outcome) if row.from_outcome else None,
        to_outcome=Outcome(row.to_outcome) if row.to_outcome else None,
        rules=json.loads(row.rules),
        policy_version=row.policy_version,
        reason=row.reason,
        checks_outstanding=json.loads(row.checks_outstanding or "[]"),
        proposal=Proposal.model_validate_json(row.proposal) if row.proposal else None,
        agreed=row.agreed,
    )


@dataclass(frozen=True, slots=True)
class ChildFound:
    """A child a search found, with why and how many cases the council holds about them."""

    child_id: str
    local_authority: str
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    expected_date_of_birth: date | None
    postcode: str | None
    cases: int
    why: str


@dataclass(frozen=True, slots=True)
class ContactFound:
    """A contact a search found by the referrer's reference or its own id."""

    contact_id: str
    referral_id: str
    organisation_id: str
    case_id: str
    child_id: str | None
    local_authority: str
    received_at: datetime


@dataclass
class SearchResults:
    """What a search found (only in the local authorities asked about)."""

    children: list[ChildFound] = field(default_factory=list)
    contacts: list[ContactFound] = field(default_factory=list)


NHS_LIKE = re.compile(r"^\d{3}[\s-]?\d{3}[\s-]?\d{4}$")
UPN_LIKE = re.compile(r"^[A-Za-z]\d{11}[0-9A-Za-z]$")
POSTCODE_LIKE = re.compile(r"^([A-Za-z]{1,2}\d[A-Za-z\d]?)\s*(\d[A-Za-z]{2})$")
MOST = 50


def _as_date(text: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


class RecordsSearch:
    """Finds children and contacts in the records database, as triage would recognise them."""

    def __init__(self, engine: Engine) -> None:
        """Search through ``engine``."""
        self.engine = engine

    def search(self, text: str, local_authorities: tuple[str, ...]) -> SearchResults:
        """Children and contacts matching ``text``, in ``local_authorities`` only.

        Children by NHS number, UPN, date of birth, postcode or name (spelling variants as
        triage matches them); contacts by the referrer's reference or the contact id.
        """
        text = text.strip()
        results = SearchResults()
        if not text:
            return results
        child = select(tables.Child).where(tables.Child.local_authority.in_(local_authorities))
        born = _as_date(text)
        postcode = POSTCODE_LIKE.match(text)
        with Session(self.engine) as session:
            if NHS_LIKE.match(text):
                nhs = re.sub(r"\D", "", text)
                found = session.scalars(child.where(tables.Child.nhs_number == nhs)).all()
                results.children = self._found(session, found, "NHS number")
            elif UPN_LIKE.match(text):
                found = session.scalars(child.where(tables.Child.upn == text.upper())).all()
                results.children = self._found(session, found, "UPN")
            elif born is not None:
                found = session.scalars(
                    child.where(tables.Child.date_of_birth == born).limit(MOST)
                ).all()
                results.children = self._found(session, found, "date of birth")
            elif postcode is not None:
                normal = f"{postcode.group(1)} {postcode.group(2)}".upper()
                found = session.scalars(
                    child.where(tables.Child.postcode == normal).limit(MOST)
                ).all()
                results.children = self._found(session, found, "postcode")
            else:
                results.children = self._by_name(session, child, text)
            results.contacts = self._contacts(session, text, local_authorities)
        return results

    def _by_name(self, session: Session, child: Select[Any], text: str) -> list[ChildFound]:
        parts = tokens(text)
        if not parts:
            return []
        family, given = parts[-1], (parts[0] if len(parts) > 1 else None)
        candidates = session.scalars(
            child.where(tables.Child.name_key.like(f"% {sound(family)} %")).limit(MOST * 10)
        ).all()
        chosen = [
            c
            for c in candidates
            if family_likeness(c.family_name, family) is NameLikeness.SAME
            and (given is None or name_likeness(c.given_name, given) is NameLikeness.SAME)
        ]
        return self._found(session, chosen[:MOST], "name, or a spelling of it")

    @staticmethod
    def _found(session: Session, children: Sequence[tables.Child], why: str) -> list[ChildFound]:
        ids = [c.child_id for c in children]
        counts = dict(
            session.execute(
                select(tables.Case.child_id, func.count())
                .where(tables.Case.child_id.in_(ids))
                .group_by(tables.Case.child_id)
            ).all()
        )
        return [
            ChildFound(
                child_id=c.child_id,
                local_authority=c.local_authority,
                given_name=c.given_name,
                family_name=c.family_name,
                date_of_birth=c.date_of_birth,
                expected_date_of_birth=c.expected_date_of_birth,
                postcode=c.postcode,
                cases=int(counts.get(c.child_id, 0)),
                why=why,
            )
            for c in children
        ]

    @staticmethod
    def _contacts(
        session: Session, text: str, local_authorities: tuple[str, ...]
    ) -> list[ContactFound]:
        rows = session.scalars(
            select(tables.Contact)
            .where(tables.Contact.local_authority.in_(local_authorities))
            .where((tables.Contact.referral_id == text) | (tables.Contact.contact_id == text))
            .limit(MOST)
        ).all()
        return [
            ContactFound(
                contact_id=r.contact_id,
                referral_id=r.referral_id,
                organisation_id=r.organisation_id,
                case_id=r.case_id,
                child_id=r.child_id,
                local_authority=r.local_authority,
                received_at=r.received_at,
            )
            for r in rows
        ]

    def earlier_cases(self, case: Case) -> list[Case]:
        """The council's other cases about ``case``'s child, live or long closed, newest first.

        By child id, and by an equal NHS number or UPN (which identify a child): a child whose
        earlier cases had left triage's working set before this one opened was given a new id.
        """
        keys = [
            condition
            for contact in case.contacts
            for condition in (
                tables.Child.nhs_number == contact.child.nhs_number
                if contact.child.nhs_number
                else None,
                tables.Child.upn == contact.child.upn if contact.child.upn else None,
            )
            if condition is not None
        ]
        with Session(self.engine) as session:
            ids = {case.child_id} if case.child_id else set()
            if keys:
                ids |= set(
                    session.scalars(
                        select(tables.Child.child_id).where(
                            tables.Child.local_authority == case.local_authority, or_(*keys)
                        )
                    )
                )
            documents = session.scalars(
                select(tables.Case.document)
                .where(tables.Case.child_id.in_(ids), tables.Case.case_id != case.case_id)
                .order_by(tables.Case.opened_at.desc())
                .limit(MOST)
            ).all()
        return [Case.model_validate_json(d) for d in documents if d]

    def child(self, child_id: str) -> tuple[tables.Child | None, list[Case]]:
        """One child's recorded identity and every case about them, newest first."""
        with Session(self.engine) as session:
            found = session.get(tables.Child, child_id)
            documents = session.scalars(
                select(tables.Case.document)
                .where(tables.Case.child_id == child_id)
                .order_by(tables.Case.opened_at.desc())
            ).all()
            if found is not None:
                session.expunge(found)
        return found, [Case.model_validate_json(d) for d in documents if d]
