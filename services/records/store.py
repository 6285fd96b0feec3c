"""Writes a batch's rows and the offsets it consumed in one database transaction.

That is what makes the records exactly once: after a crash the service seeks to the offsets
stored with the last committed rows, so a batch is either wholly in the database, offsets
included, or read again. Upserts keep the newest version of a case and of a child's identity,
and never write an audit row twice.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import structlog
from sqlalchemy import Engine, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from runtime.records_db import tables
from services.records.projection import Row, Rows

TopicPartitionKey = tuple[str, int]
log = structlog.get_logger(__name__)


class RecordsStore:
    """The records database, as the records service writes it."""

    def __init__(self, engine: Engine) -> None:
        """Write through ``engine`` (its schema must be current)."""
        self.engine = engine
        dialect = engine.dialect.name
        self._insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert

    def next_offsets(self) -> dict[TopicPartitionKey, int]:
        """Where to go on reading each partition consumed so far."""
        with Session(self.engine) as session:
            found = session.execute(select(tables.ConsumedOffset)).scalars()
            return {(o.topic, o.partition): o.next_offset for o in found}

    def write(self, rows: Rows, offsets: dict[TopicPartitionKey, int]) -> None:
        """Every row of ``rows`` and the ``offsets`` after them, all or nothing."""
        with Session(self.engine) as session, session.begin():
            self._upsert(session, tables.Case, rows.cases.values(), newer="version")
            self._upsert(session, tables.Child, rows.children.values(), newer="updated_at")
            self._upsert(session, tables.Contact, rows.contacts.values())
            self._keep_first(session, tables.Decision, rows.decisions.values())
            self._keep_first(session, tables.StatusUpdate, rows.status_updates.values())
            self._keep_first(session, tables.Rejection, rows.rejections.values())
            self._keep_first(session, tables.Allocation, rows.allocations.values())
            self._upsert(session, tables.PartnerCheck, rows.checks.values(), newer="case_version")
            self._upsert(session, tables.EncompassNotice, rows.notices.values(), newer="version")
            self._upsert(session, tables.Referral, rows.referrals.values(), newer="received_at")
            self._upsert(
                session,
                tables.ConsumedOffset,
                [{"topic": t, "partition": p, "next_offset": o} for (t, p), o in offsets.items()],
                newer="next_offset",  # offsets only move forward, whoever writes them
            )

    def _upsert(
        self, session: Session, table: type[tables.Base], rows: Iterable[Row], newer: str = ""
    ) -> None:
        batch = fitted(table, rows)
        if not batch:
            return
        keys = [column.name for column in inspect(table).primary_key]
        statement = self._insert(table)
        updates = {name: statement.excluded[name] for name in batch[0] if name not in keys}
        where = (getattr(table, newer) <= statement.excluded[newer]) if newer else None
        session.execute(
            statement.on_conflict_do_update(index_elements=keys, set_=updates, where=where),
            batch,
        )

    def _keep_first(self, session: Session, table: type[tables.Base], rows: Iterable[Row]) -> None:
        batch = fitted(table, rows)
        if batch:
            session.execute(self._insert(table).on_conflict_do_nothing(), batch)


def fitted(table: type[tables.Base], rows: Iterable[Row]) -> list[Row]:
    """``rows`` with every string cut to its column's length (PostgreSQL refuses a longer one).

    The contracts keep what they carry within the columns; this is the last guard, so that one
    value never stops the records. Each cut is logged by table and column, never its value.
    """
    limits = _lengths(table)
    out = []
    for row in rows:
        long = [
            name
            for name, most in limits.items()
            if isinstance(value := row.get(name), str) and len(value) > most
        ]
        if long:
            log.warning("value cut to its column", table=table.__tablename__, columns=long)
            row = row | {name: row[name][: limits[name]] for name in long}  # noqa: PLW2901
        out.append(row)
    return out


@functools.cache
def _lengths(table: type[tables.Base]) -> dict[str, int]:
    """Each of ``table``'s columns with a length, and that length."""
    return {
        column.name: length
        for column in inspect(table).columns
        if isinstance(length := getattr(column.type, "length", None), int)
    }
