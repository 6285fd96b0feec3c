"""Partner checks as the records hold them: for the partner who answers, and for managers.

A partner reads only its own requests (:meth:`ChecksReader.for_partner`); a duty manager sees
which checks are overdue, per partner, and how long each partner takes to answer by urgency
rating: the measure a safeguarding partnership asks of its agencies.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from runtime.records_db import tables
from schemas.triage import ChildIdentity, Rag

PERCENTILES = 10  # deciles: the 9th cut is the 90th percentile


@dataclass(frozen=True, slots=True)
class CheckView:
    """One check, as a partner or a manager reads it."""

    request_id: str
    case_id: str
    local_authority: str
    organisation_id: str
    agency: str
    state: str
    rag: Rag
    purpose: str
    lawful_basis: str
    asked_at: datetime
    due: datetime
    reminded_at: datetime | None
    overdue_at: datetime | None
    withdrawn_at: datetime | None
    child: ChildIdentity
    result: str | None
    received_at: datetime | None
    late: bool

    @classmethod
    def of(cls, row: tables.PartnerCheck) -> CheckView:
        """The view of one row."""
        return cls(
            request_id=row.request_id,
            case_id=row.case_id,
            local_authority=row.local_authority,
            organisation_id=row.organisation_id,
            agency=row.agency,
            state=row.state,
            rag=Rag(row.rag),
            purpose=row.purpose,
            lawful_basis=row.lawful_basis,
            asked_at=row.asked_at,
            due=row.due,
            reminded_at=row.reminded_at,
            overdue_at=row.overdue_at,
            withdrawn_at=row.withdrawn_at,
            child=ChildIdentity.model_validate(json.loads(row.child)),
            result=row.result,
            received_at=row.received_at,
            late=bool(row.late),
        )

    def is_overdue(self, now: datetime) -> bool:
        """Open past its due time."""
        return self.state == "open" and self.due <= now


@dataclass(frozen=True, slots=True)
class AnswerTimes:
    """How long one partner took to answer the checks of one rating."""

    organisation_id: str
    rag: Rag
    answered: int
    median_hours: float
    p90_hours: float
    late: int


class ChecksReader:
    """Queries about partner checks."""

    def __init__(self, engine: Engine) -> None:
        """Read through ``engine``."""
        self.engine = engine

    def for_partner(self, organisation_id: str, *, open_only: bool = True) -> list[CheckView]:
        """The checks asked of ``organisation_id`` (only those still open), soonest due first."""
        query = select(tables.PartnerCheck).where(
            tables.PartnerCheck.organisation_id == organisation_id
        )
        if open_only:
            query = query.where(tables.PartnerCheck.state == "open")
        with Session(self.engine) as session:
            rows = session.scalars(query.order_by(tables.PartnerCheck.due))
            return [CheckView.of(row) for row in rows]

    def one(self, request_id: str) -> CheckView | None:
        """One check, whoever it was asked of (callers check it is the reader's)."""
        with Session(self.engine) as session:
            row = session.get(tables.PartnerCheck, request_id)
            return CheckView.of(row) if row is not None else None

    def overdue(self, local_authorities: tuple[str, ...], now: datetime) -> list[CheckView]:
        """Open checks past their due time in these councils, oldest due first."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(tables.PartnerCheck)
                .where(tables.PartnerCheck.local_authority.in_(local_authorities))
                .where(tables.PartnerCheck.state == "open")
                .where(tables.PartnerCheck.due <= now)
                .order_by(tables.PartnerCheck.due)
            )
            return [CheckView.of(row) for row in rows]

    def answer_times(self, local_authorities: tuple[str, ...]) -> list[AnswerTimes]:
        """Each partner's answer times by rating (median and 90th percentile, in hours)."""
        taken: dict[tuple[str, str], list[float]] = defaultdict(list)
        late: dict[tuple[str, str], int] = defaultdict(int)
        with Session(self.engine) as session:
            rows = session.execute(
                select(
                    tables.PartnerCheck.organisation_id,
                    tables.PartnerCheck.rag,
                    tables.PartnerCheck.asked_at,
                    tables.PartnerCheck.received_at,
                    tables.PartnerCheck.late,
                )
                .where(tables.PartnerCheck.local_authority.in_(local_authorities))
                .where(tables.PartnerCheck.received_at.is_not(None))
            ).all()
        for org, rag, asked_at, received_at, was_late in rows:
            if received_at is None:
                continue
            taken[org, rag].append((received_at - asked_at).total_seconds() / 3600)
            late[org, rag] += bool(was_late)
        return [
            AnswerTimes(
                organisation_id=org,
                rag=Rag(rag),
                answered=len(hours),
                median_hours=statistics.median(hours),
                p90_hours=_p90(hours),
                late=late[org, rag],
            )
            for (org, rag), hours in sorted(taken.items())
        ]


def _p90(hours: list[float]) -> float:
    """The 90th percentile (the one value itself when there is only one)."""
    if len(hours) == 1:
        return hours[0]
    return statistics.quantiles(hours, n=PERCENTILES, method="inclusive")[-1]
