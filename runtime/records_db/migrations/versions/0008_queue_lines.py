"""Queue pages from columns (issue 47): what a row shows, stored beside each case.

Revision ID: 0008
Revises: 0007

A queue page reads these columns, never the cases' documents. Existing rows get the columns
empty; ``frontdoor db upgrade`` is followed by the records service writing each live case's
next version, and the dashboard shows a case whose columns are still empty from its document.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = (
    ("child_name", sa.String(201)),
    ("sources", sa.Text),
    ("contact_count", sa.Integer),
    ("pending_matches", sa.Integer),
    ("strategy_discussion", sa.Boolean),
    ("emergency_duty", sa.Boolean),
    ("screening", sa.Text),
)


def upgrade() -> None:
    """Add what a queue's row shows; index the emergency duty team's queue."""
    with op.batch_alter_table("cases") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
    op.create_index("ix_cases_emergency_duty", "cases", ["local_authority", "emergency_duty"])


def downgrade() -> None:
    """Drop them again."""
    op.drop_index("ix_cases_emergency_duty", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
