"""The records database as the dashboard reads it: cases, their audit trail, what referrers heard.

Every page is a query; nothing of the history is held in memory, so a dashboard starts in the
same time whatever the years behind it. :meth:`RecordsReader.change_mark` is what live pages
watch: it moves whenever the records service has written something new.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from domain.cases import QUEUES
from runtime.records_db import tables
from schemas.status import Outcome, Status, StatusUpdate
from schemas.triage import Case, CaseState, Decision, DecisionKind, Level


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite keeps no zone


class RecordsReader:
    """Queries behind the dashboard's pages."""

    def __init__(self, engine: Engine) -> None:
        """Read through ``engine``."""
        self.engine = engine

    def change_mark(self) -> int:
        """A number that grows whenever the records service writes a batch."""
        with Session(self.engine) as session:
            return int(session.scalar(select(func.sum(tables.ConsumedOffset.next_offset))) or 0)

    def live_cases(self, la: str, outcome: Outcome | None = None) -> list[Case]:
        """Open or allocated, unmerged cases of ``la`` (on one queue, if ``outcome`` is given)."""
        query = (
            select(tables.Case.document)
            .where(tables.Case.local_authority == la)
            .where(tables.Case.state != CaseState.CLOSED.value)
            .where(tables.Case.merged_into.is_(None))
        )
        if outcome is not None:
            query = query.where(tables.Case.outcome == outcome.value)
        with Session(self.engine) as session:
            return [Case.model_validate_json(doc) for doc in session.scalars(query) if doc]

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
                        decision_due=_utc(row.decision_due),
                        occurred_at=_utc(row.occurred_at) or datetime.now(UTC),
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
                .where(tables.Case.updated_at >= min(moments, default=datetime.now(UTC)))
                .where(tables.Case.opened_at <= max(moments, default=datetime.now(UTC)))
            ).all()
        series: list[tuple[datetime, int, int]] = []
        ea, eh = (q.value for q in QUEUES)
        for moment in moments:
            depth = {q.value: 0 for q in QUEUES}
            for outcome, state, opened_at, updated_at in rows:
                still_there = (
                    state != CaseState.CLOSED.value or (_utc(updated_at) or moment) > moment
                )
                if (_utc(opened_at) or moment) <= moment and still_there:
                    depth[outcome] += 1
            series.append((moment, depth[ea], depth[eh]))
        return series


def _decision(row: tables.Decision) -> Decision:
    return Decision(
        decision_id=row.decision_id,
        case_id=row.case_id,
        local_authority=row.local_authority,
        kind=DecisionKind(row.kind),
        decided_by=row.decided_by,
        decided_at=_utc(row.decided_at) or datetime.now(UTC),
        contact_id=row.contact_id,
        action_id=row.action_id,
        from_level=Level(row.from_level) if row.from_level else None,
        to_level=Level(row.to_level) if row.to_level else None,
        from_outcome=Outcome(row.from_outcome) if row.from_outcome else None,
        to_outcome=Outcome(row.to_outcome) if row.to_outcome else None,
        rules=json.loads(row.rules),
        policy_version=row.policy_version,
        reason=row.reason,
    )
