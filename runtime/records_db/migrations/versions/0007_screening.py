"""A person decides (issue 40): which cases wait for screening, and what each screening decided.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Cases: held and screening due; decisions: the proposal decided and whether agreed."""
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("held", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("screening_due", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_cases_screening", "cases", ["local_authority", "screening_due"])
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("proposal", sa.Text, nullable=True))
        batch.add_column(sa.Column("agreed", sa.Boolean, nullable=True))
    op.create_index(
        "ix_decisions_kind_time", "decisions", ["local_authority", "kind", "decided_at"]
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_decisions_kind_time", table_name="decisions")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("agreed")
        batch.drop_column("proposal")
    op.drop_index("ix_cases_screening", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("screening_due")
        batch.drop_column("held")
