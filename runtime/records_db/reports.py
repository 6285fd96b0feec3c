"""Reading the records database for reports: the facts Annex A is made from."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from domain.annex_a import LIST_1_COLUMNS, LIST_3_COLUMNS, ContactFacts, list_1, list_3
from domain.working_time import UK_TIME
from runtime.records_db import tables
from schemas.triage import DecisionKind, Proposal

UNDECIDED = "undecided"  # a contact nobody has screened yet: in List 1, never in List 3

Table = tuple[tuple[str, ...], list[list[str]]]
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text_cell(value: str) -> str:
    """``value`` as a CSV cell a spreadsheet shows as text: a leading ``'`` before a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def annex_a_lists(engine: Engine, la: str, first: date, last: date) -> dict[str, Table]:
    """Annex A List 1 and List 3 for ``la`` from ``first`` to ``last``, with their headers."""
    facts = annex_a_facts(engine, la, first, last)
    return {
        "List 1": (LIST_1_COLUMNS, list_1(facts, first, last)),
        "List 3": (LIST_3_COLUMNS, list_3(facts, first, last)),
    }


def workbook(lists: dict[str, Table]) -> bytes:
    """One xlsx workbook, a sheet per list, every cell text as the template expects.

    Text typed by people (a worker's name) never becomes a formula: every cell is stored as
    a string, whatever it starts with.
    """
    book = Workbook(write_only=True)  # streams rows: a year of a large council in seconds
    for name, (columns, rows) in lists.items():
        sheet = book.create_sheet(name)
        sheet.append(list(columns))
        for row in rows:
            sheet.append([_text(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(sheet: WriteOnlyWorksheet, value: str) -> Cell:
    """A write-only cell of type string, so openpyxl never takes "=..." as a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def annex_a_facts(engine: Engine, la: str, first: date, last: date) -> list[ContactFacts]:
    """Every contact of ``la`` from a year before ``first`` to ``last``, as Annex A sees it."""
    since = datetime.combine(first - timedelta(days=366), time(), UTC)
    until = datetime.combine(last + timedelta(days=2), time(), UTC)
    with Session(engine) as session:
        # Only the columns the lists need: a case's document is large and never read here.
        rows = session.execute(
            select(
                tables.Contact.contact_id,
                tables.Contact.child_id,
                tables.Contact.received_at,
                tables.Contact.source,
                tables.Case.case_id,
                tables.Case.outcome,
                tables.Case.state,
                tables.Child.sex,
                tables.Child.ethnicity,
                tables.Child.date_of_birth,
            )
            .join(tables.Case, tables.Case.case_id == tables.Contact.case_id)
            .outerjoin(tables.Child, tables.Child.child_id == tables.Contact.child_id)
            .where(tables.Contact.local_authority == la)
            .where(tables.Contact.received_at >= since, tables.Contact.received_at < until)
        ).all()
        decided = _screened(session, la, since)
        allocations = {
            a.case_id: a
            for a in session.execute(
                select(tables.Allocation.case_id, tables.Allocation.team, tables.Allocation.worker)
                .join(tables.Case, tables.Case.case_id == tables.Allocation.case_id)
                .where(tables.Case.local_authority == la)
                .where(tables.Case.updated_at >= since)
                .order_by(tables.Allocation.allocated_at)
            )
        }
    facts = []
    for (
        contact_id,
        child_id,
        received_at,
        source,
        case_id,
        case_outcome,
        case_state,
        sex,
        ethnicity,
        born,
    ) in rows:
        allocation = allocations.get(case_id)
        before, decided_outcome = decided.get(contact_id, (None, None))
        if decided_outcome is None:
            decided_outcome = UNDECIDED  # a proposal counts as no referral and no NFA
        facts.append(
            ContactFacts(
                child_id=child_id or case_id,
                sex=sex or "U",
                ethnicity=ethnicity,
                date_of_birth=born,
                contact_date=received_at.astimezone(UK_TIME).date(),
                source=source,
                decided_outcome=decided_outcome,
                case_outcome=case_outcome,
                allocated_team=allocation.team if allocation else None,
                allocated_worker=allocation.worker if allocation else None,
                outcome_before=before,
                case_closed=case_state == "closed",
            )
        )
    return facts


def _screened(session: Session, la: str, since: datetime) -> dict[str, tuple[str | None, str]]:
    """Each contact's screening decision: where a person had the case before, and sent it.

    One pass over the council's screening decisions of the period, not one query per contact
    (a year of a large council is tens of thousands of them). A contact counts as the census
    counts it from the person's decision, never from the policy's proposal (DOMAIN B "Who
    decides"): before is the outcome a person last gave its case (None: nobody had).
    """
    decided: dict[str, tuple[str | None, str]] = {}
    by_person: dict[str | None, str] = {}  # case id -> outcome a person last gave it
    for case_id, outcome, proposal in session.execute(
        select(tables.Decision.case_id, tables.Decision.to_outcome, tables.Decision.proposal)
        .where(tables.Decision.local_authority == la)
        .where(tables.Decision.kind == DecisionKind.SCREENED.value)
        .where(tables.Decision.decided_at >= since)
        .order_by(tables.Decision.decided_at)
    ):
        if outcome is None or proposal is None:
            continue
        before = by_person.get(case_id)
        for contact_id in Proposal.model_validate_json(proposal).contact_ids:
            decided.setdefault(contact_id, (before, outcome))
        by_person[case_id] = outcome
    return decided
