"""The records database's tables: what an inspector and an analyst need, and the offsets.

Written only by the records service, in one database transaction per batch together with
the Kafka offsets it consumed (``consumed_offsets``), so each row is there exactly once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ID = String(64)
CODE = String(40)
DECIDED_BY_CHARS = 400  # `policy:<version>`, a manager, or a partner's name (100) and role (200)


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC and read back with its zone, on SQLite as on PostgreSQL.

    SQLite keeps no zone: without this, every reader would have to put UTC back itself.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Moments go in as UTC."""
        del dialect
        return value.astimezone(UTC) if value is not None and value.tzinfo else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Moments come out in UTC, zone included."""
        del dialect
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Every records table."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class ConsumedOffset(Base):
    """The next offset to read of each partition the records service consumes."""

    __tablename__ = "consumed_offsets"

    topic: Mapped[str] = mapped_column(String(255), primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_offset: Mapped[int] = mapped_column(BigInteger)


class Child(Base):
    """A child as the council knows them: the identity most recently recorded."""

    __tablename__ = "children"

    child_id: Mapped[str] = mapped_column(ID, primary_key=True)
    local_authority: Mapped[str] = mapped_column(String(3), index=True)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    name_key: Mapped[str | None] = mapped_column(String(100), index=True)  # for search
    date_of_birth: Mapped[date | None] = mapped_column(Date, index=True)
    expected_date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    ethnicity: Mapped[str | None] = mapped_column(String(4))
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    upn: Mapped[str | None] = mapped_column(String(13), index=True)
    postcode: Mapped[str | None] = mapped_column(String(8), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Case(Base):
    """A case as it stands now (or stood when it was archived)."""

    __tablename__ = "cases"
    # A queue page filters on these without reading the (large) documents of closed cases.
    __table_args__ = (
        Index("ix_cases_queue", "local_authority", "outcome", "state"),
        Index("ix_cases_screening", "local_authority", "screening_due"),
        Index("ix_cases_emergency_duty", "local_authority", "emergency_duty"),
    )

    case_id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str | None] = mapped_column(ID, index=True)
    local_authority: Mapped[str] = mapped_column(String(3), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(CODE)
    level: Mapped[int] = mapped_column(Integer)
    rag: Mapped[str] = mapped_column(CODE)
    outcome: Mapped[str] = mapped_column(CODE)
    decision_due: Mapped[datetime] = mapped_column(UtcDateTime())
    rules: Mapped[str] = mapped_column(Text)
    policy_version: Mapped[str] = mapped_column(String(100))
    allocated_to: Mapped[str | None] = mapped_column(String(100))
    closed_reason: Mapped[str | None] = mapped_column(Text)
    merged_into: Mapped[str | None] = mapped_column(ID)
    overdue_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    # on no team's queue: the policy's proposal of early help or NFA waits for a person
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # a proposal waits for a person's screening decision, due then (none: nothing waits)
    screening_due: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # What a queue's row shows (domain.cases.line_of), so a queue page never parses a document
    child_name: Mapped[str | None] = mapped_column(String(201))
    sources: Mapped[str | None] = mapped_column(Text)  # JSON list of organisation ids
    contact_count: Mapped[int | None] = mapped_column(Integer)
    pending_matches: Mapped[int | None] = mapped_column(Integer)
    strategy_discussion: Mapped[bool | None] = mapped_column(Boolean)
    emergency_duty: Mapped[bool | None] = mapped_column(Boolean)  # with EDT now
    # a proposal waiting: {"proposal", "waiting" (what each contact said), "screened_*"} as JSON
    screening: Mapped[str | None] = mapped_column(Text)
    # The whole case as triage wrote it, so its page shows exactly what triage decided on.
    document: Mapped[str | None] = mapped_column(Text)


class Contact(Base):
    """One contact: who sent it, when, about whom, and what the policy made of it."""

    __tablename__ = "contacts"

    contact_id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    child_id: Mapped[str | None] = mapped_column(ID, index=True)
    local_authority: Mapped[str] = mapped_column(String(3))
    organisation_id: Mapped[str] = mapped_column(String(63))
    referral_id: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(3))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    level: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(CODE)
    rules: Mapped[str] = mapped_column(Text)
    factors: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)


class Referral(Base):
    """A referral whole, as intake accepted it (from ``referrals.accepted``), by contact.

    A case keeps only the start of each account (it travels whole in one Kafka record); the
    case page shows the whole of it from here. An amendment's newer version replaces it.
    """

    __tablename__ = "referrals"

    contact_id: Mapped[str] = mapped_column(ID, primary_key=True)
    local_authority: Mapped[str] = mapped_column(String(3), index=True)
    organisation_id: Mapped[str] = mapped_column(String(63))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    document: Mapped[str] = mapped_column(Text)


class Decision(Base):
    """One entry of the audit trail."""

    __tablename__ = "decisions"
    __table_args__ = (
        Index("ix_decisions_case_time", "case_id", "decided_at"),
        Index("ix_decisions_kind_time", "local_authority", "kind", "decided_at"),
    )

    decision_id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str | None] = mapped_column(ID)
    local_authority: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(CODE)
    decided_by: Mapped[str] = mapped_column(String(DECIDED_BY_CHARS))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())
    contact_id: Mapped[str | None] = mapped_column(ID, index=True)
    action_id: Mapped[str | None] = mapped_column(ID)
    from_level: Mapped[int | None] = mapped_column(Integer)
    to_level: Mapped[int | None] = mapped_column(Integer)
    from_outcome: Mapped[str | None] = mapped_column(CODE)
    to_outcome: Mapped[str | None] = mapped_column(CODE)
    rules: Mapped[str] = mapped_column(Text)
    policy_version: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    # a manager's decision: the partners whose checks were still open, as a JSON list
    checks_outstanding: Mapped[str | None] = mapped_column(Text)
    # a screening decision: the policy's proposal it decided (JSON), and whether they agreed
    proposal: Mapped[str | None] = mapped_column(Text)
    agreed: Mapped[bool | None] = mapped_column(Boolean)


class StatusUpdate(Base):
    """An update a referrer was sent."""

    __tablename__ = "status_updates"

    contact_id: Mapped[str] = mapped_column(ID, primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(String(63), index=True)
    referral_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(CODE)
    outcome: Mapped[str | None] = mapped_column(CODE)
    message: Mapped[str] = mapped_column(Text)
    decision_due: Mapped[datetime | None] = mapped_column(UtcDateTime())
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Rejection(Base):
    """A message that was not accepted: its metadata, never its content."""

    __tablename__ = "rejections"

    rejection_id: Mapped[str] = mapped_column(
        String(300), primary_key=True
    )  # topic/partition/offset
    contact_id: Mapped[str] = mapped_column(ID)
    organisation_id: Mapped[str] = mapped_column(String(63), index=True)
    referral_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    error_locations: Mapped[str] = mapped_column(Text)


class Allocation(Base):
    """A case allocated to a worker in a team (a later allocation to another worker: a new row)."""

    __tablename__ = "allocations"

    case_id: Mapped[str] = mapped_column(ID, primary_key=True)
    worker: Mapped[str] = mapped_column(String(100), primary_key=True)
    allocated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    team: Mapped[str] = mapped_column(CODE)


class PartnerCheck(Base):
    """One partner check: who was asked, when, on what basis, and what they answered.

    Every disclosure auditable years later: who asked (``asked_by``), who answered and in what
    role, when, the lawful basis, and the answer itself.
    """

    __tablename__ = "checks"
    __table_args__ = (Index("ix_checks_partner_state", "organisation_id", "state"),)

    request_id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    case_version: Mapped[int] = mapped_column(Integer)  # the newest version written wins
    child_id: Mapped[str | None] = mapped_column(ID, index=True)
    local_authority: Mapped[str] = mapped_column(String(3), index=True)
    organisation_id: Mapped[str] = mapped_column(String(63))
    agency: Mapped[str] = mapped_column(CODE)
    round: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(CODE)  # open, answered, withdrawn
    rag: Mapped[str] = mapped_column(CODE)
    purpose: Mapped[str] = mapped_column(String(200))
    lawful_basis: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(120))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due: Mapped[datetime] = mapped_column(UtcDateTime())
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    child: Mapped[str] = mapped_column(Text)  # the identity asked about, as JSON
    result: Mapped[str | None] = mapped_column(CODE)
    information: Mapped[str | None] = mapped_column(Text)
    flags: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    answered_by_name: Mapped[str | None] = mapped_column(String(200))
    answered_by_role: Mapped[str | None] = mapped_column(String(200))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    late: Mapped[bool | None] = mapped_column(Boolean)


class EncompassNotice(Base):
    """One Operation Encompass notice: where it went, when it was due, who acknowledged it.

    Not a contact and not a referral: it never appears in Annex A or the census returns. The
    child's names and birthday are kept so the child's history shows it.
    """

    __tablename__ = "encompass_notices"
    __table_args__ = (
        Index("ix_encompass_notices_la_routing", "local_authority", "routing"),
        Index("ix_encompass_notices_birthday_name", "date_of_birth", "name_key"),
    )

    notice_ref: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)  # the newest version written wins
    organisation_id: Mapped[str] = mapped_column(String(63))  # the police force
    notice_id: Mapped[str] = mapped_column(ID)  # the force's own reference
    police_reference: Mapped[str] = mapped_column(ID)
    local_authority: Mapped[str] = mapped_column(String(3), index=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    routing: Mapped[str] = mapped_column(CODE)  # school, no-school-found, school-not-registered
    found_by: Mapped[str] = mapped_column(CODE)  # notice, school-roll, none
    urn: Mapped[str | None] = mapped_column(String(6))
    school_id: Mapped[str | None] = mapped_column(String(63), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    overdue: Mapped[bool] = mapped_column(Boolean)
    council_notes: Mapped[str] = mapped_column(Text)  # JSON: [{by, at, note}]
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str | None] = mapped_column(String(200))
    date_of_birth: Mapped[date] = mapped_column(Date)
    upn: Mapped[str | None] = mapped_column(String(13))
    incident_at: Mapped[datetime] = mapped_column(UtcDateTime())
    child_present: Mapped[str] = mapped_column(CODE)
    welfare_check_made: Mapped[bool] = mapped_column(Boolean)
