"""The whole referral by contact, and room for who decided (third review, items 1 and 2).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the referrals table; widen decisions.decided_by from 120 to 400 characters."""
    op.create_table(
        "referrals",
        sa.Column("contact_id", sa.String(64), nullable=False),
        sa.Column("local_authority", sa.String(3), nullable=False),
        sa.Column("organisation_id", sa.String(63), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name="pk_referrals"),
    )
    op.create_index("ix_referrals_local_authority", "referrals", ["local_authority"])
    with op.batch_alter_table("decisions") as batch:
        batch.alter_column("decided_by", type_=sa.String(400), existing_nullable=False)


def downgrade() -> None:
    """Drop the referrals table; decided_by back to 120 characters."""
    with op.batch_alter_table("decisions") as batch:
        batch.alter_column("decided_by", type_=sa.String(120), existing_nullable=False)
    op.drop_index("ix_referrals_local_authority", table_name="referrals")
    op.drop_table("referrals")
