"""Operation Encompass notices as the records hold them: for a school, and for the council.

A school reads only the notices delivered to it (:meth:`NoticesReader.for_school`); the council
sees its Encompass queue (no school found, school not registered, overdue) and the counts a
partnership asks for: notices per week, delivered before the school day, acknowledged, overdue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from domain.working_time import UK_TIME
from runtime.records_db import tables

SCHOOL_LIST_DAYS = 30  # a school's page and API list the notices of the last 30 days


@dataclass(frozen=True, slots=True)
class NoticeView:
    """One notice, as a school or the council reads it."""

    notice_ref: str
    organisation_id: str
    police_reference: str
    local_authority: str
    received_at: datetime
    due_at: datetime
    routing: str
    found_by: str
    urn: str | None
    school_id: str | None
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    council_notes: tuple[dict[str, str], ...]
    given_name: str
    family_name: str
    date_of_birth: date
    upn: str | None
    incident_at: datetime
    child_present: str
    welfare_check_made: bool

    @classmethod
    def of(cls, row: tables.EncompassNotice) -> NoticeView:
        """The view of one row."""
        return cls(
            notice_ref=row.notice_ref,
            organisation_id=row.organisation_id,
            police_reference=row.police_reference,
            local_authority=row.local_authority,
            received_at=row.received_at,
            due_at=row.due_at,
            routing=row.routing,
            found_by=row.found_by,
            urn=row.urn,
            school_id=row.school_id,
            delivered_at=row.delivered_at,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            council_notes=tuple(json.loads(row.council_notes)),
            given_name=row.given_name,
            family_name=row.family_name,
            date_of_birth=row.date_of_birth,
            upn=row.upn,
            incident_at=row.incident_at,
            child_present=row.child_present,
            welfare_check_made=row.welfare_check_made,
        )

    @property
    def with_council(self) -> bool:
        """On the council's queue: there was no registered school to deliver it to."""
        return self.routing != "school"

    def is_overdue(self, now: datetime) -> bool:
        """Past its due time with nobody having acted: unacknowledged, or nothing recorded."""
        acted = self.acknowledged_at is not None or (self.with_council and self.council_notes)
        return not acted and self.due_at <= now


@dataclass(frozen=True, slots=True)
class NoticeWeek:
    """What became of one week's notices (weeks start on Monday, UK time)."""

    week_of: date
    received: int
    delivered_in_time: int  # to the school before the school day started
    acknowledged: int
    acknowledged_in_time: int
    with_council: int  # no registered school: passed to a person at the council
    overdue: int  # nobody acted by the due time (the school, or the council)


class NoticesReader:
    """Reads notices from the records database."""

    def __init__(self, engine: Engine) -> None:
        """Read through ``engine``."""
        self.engine = engine

    def one(self, notice_ref: str) -> NoticeView | None:
        """One notice by its reference, whoever it went to."""
        with Session(self.engine) as session:
            row = session.get(tables.EncompassNotice, notice_ref)
            return NoticeView.of(row) if row is not None else None

    def for_school(self, school_id: str, now: datetime) -> list[NoticeView]:
        """A school's notices of the last 30 days: unacknowledged first, soonest due first."""
        since = now - timedelta(days=SCHOOL_LIST_DAYS)
        table = tables.EncompassNotice
        with Session(self.engine) as session:
            rows = session.execute(
                select(table).where(table.school_id == school_id, table.received_at >= since)
            ).scalars()
            found = [NoticeView.of(row) for row in rows]
        return sorted(found, key=lambda n: (n.acknowledged_at is not None, n.due_at))

    def queue(self, local_authorities: list[str], now: datetime) -> list[NoticeView]:
        """The council's Encompass queue, overdue first, then soonest due.

        Every notice with no registered school to deliver to, and every one overdue.
        """
        table = tables.EncompassNotice
        with Session(self.engine) as session:
            rows = session.execute(
                select(table).where(
                    table.local_authority.in_(local_authorities),
                    or_(
                        table.routing != "school",
                        (table.acknowledged_at.is_(None)) & (table.due_at <= now),
                    ),
                )
            ).scalars()
            found = [NoticeView.of(row) for row in rows]
        return sorted(found, key=lambda n: (not n.is_overdue(now), n.due_at))

    def for_child(self, date_of_birth: date, name_key: str | None) -> list[NoticeView]:
        """Notices about a child with this birthday whose family name sounds the same."""
        table = tables.EncompassNotice
        with Session(self.engine) as session:
            rows = session.execute(
                select(table).where(
                    table.date_of_birth == date_of_birth, table.name_key == name_key
                )
            ).scalars()
            return sorted((NoticeView.of(row) for row in rows), key=lambda n: n.received_at)

    def weeks(self, local_authority: str, now: datetime, count: int = 8) -> list[NoticeWeek]:
        """The last ``count`` weeks' notices for the council, newest week first."""
        today = now.astimezone(UK_TIME).date()
        first = today - timedelta(days=today.weekday() + 7 * (count - 1))
        since = datetime.combine(first, datetime.min.time(), UK_TIME)
        table = tables.EncompassNotice
        with Session(self.engine) as session:
            rows = session.execute(
                select(table).where(
                    table.local_authority == local_authority, table.received_at >= since
                )
            ).scalars()
            notices = [NoticeView.of(row) for row in rows]
        weeks = {first + timedelta(days=7 * n): list[NoticeView]() for n in range(count)}
        for notice in notices:
            day = notice.received_at.astimezone(UK_TIME).date()
            weeks[day - timedelta(days=day.weekday())].append(notice)
        return [
            NoticeWeek(
                week_of=monday,
                received=len(held),
                delivered_in_time=sum(
                    n.delivered_at is not None and n.delivered_at <= n.due_at for n in held
                ),
                acknowledged=sum(n.acknowledged_at is not None for n in held),
                acknowledged_in_time=sum(
                    n.acknowledged_at is not None and n.acknowledged_at <= n.due_at for n in held
                ),
                with_council=sum(n.with_council for n in held),
                overdue=sum(n.is_overdue(now) for n in held),
            )
            for monday, held in sorted(weeks.items(), reverse=True)
        ]
