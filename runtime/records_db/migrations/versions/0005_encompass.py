"""Operation Encompass: a row per notice, where it went and who acknowledged it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the encompass_notices table."""
    op.create_table(
        "encompass_notices",
        sa.Column("notice_ref", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("organisation_id", sa.String(63), nullable=False),
        sa.Column("notice_id", sa.String(64), nullable=False),
        sa.Column("police_reference", sa.String(64), nullable=False),
        sa.Column("local_authority", sa.String(3), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("routing", sa.String(40), nullable=False),
        sa.Column("found_by", sa.String(40), nullable=False),
        sa.Column("urn", sa.String(6)),
        sa.Column("school_id", sa.String(63)),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_by", sa.String(100)),
        sa.Column("overdue", sa.Boolean, nullable=False),
        sa.Column("council_notes", sa.Text, nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("name_key", sa.String(200)),
        sa.Column("date_of_birth", sa.Date, nullable=False),
        sa.Column("upn", sa.String(13)),
        sa.Column("incident_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("child_present", sa.String(40), nullable=False),
        sa.Column("welfare_check_made", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("notice_ref", name="pk_encompass_notices"),
    )
    op.create_index(
        "ix_encompass_notices_local_authority", "encompass_notices", ["local_authority"]
    )
    op.create_index("ix_encompass_notices_school_id", "encompass_notices", ["school_id"])
    op.create_index(
        "ix_encompass_notices_la_routing", "encompass_notices", ["local_authority", "routing"]
    )
    op.create_index(
        "ix_encompass_notices_birthday_name", "encompass_notices", ["date_of_birth", "name_key"]
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_table("encompass_notices")
