"""Partner checks: a row per request and its answer; decisions name checks outstanding.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the checks table."""
    op.create_table(
        "checks",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("case_version", sa.Integer, nullable=False),
        sa.Column("child_id", sa.String(64)),
        sa.Column("local_authority", sa.String(3), nullable=False),
        sa.Column("organisation_id", sa.String(63), nullable=False),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("rag", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("lawful_basis", sa.Text, nullable=False),
        sa.Column("asked_by", sa.String(120), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True)),
        sa.Column("overdue_at", sa.DateTime(timezone=True)),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True)),
        sa.Column("withdrawn_reason", sa.Text),
        sa.Column("child", sa.Text, nullable=False),
        sa.Column("result", sa.String(40)),
        sa.Column("information", sa.Text),
        sa.Column("flags", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("answered_by_name", sa.String(200)),
        sa.Column("answered_by_role", sa.String(200)),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
        sa.Column("received_at", sa.DateTime(timezone=True)),
        sa.Column("late", sa.Boolean),
        sa.PrimaryKeyConstraint("request_id", name="pk_checks"),
    )
    op.create_index("ix_checks_case_id", "checks", ["case_id"])
    op.create_index("ix_checks_child_id", "checks", ["child_id"])
    op.create_index("ix_checks_local_authority", "checks", ["local_authority"])
    op.create_index("ix_checks_partner_state", "checks", ["organisation_id", "state"])
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.add_column(sa.Column("checks_outstanding", sa.Text()))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.drop_column("checks_outstanding")
    op.drop_table("checks")
