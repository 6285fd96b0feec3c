"""Each case keeps its whole document, so the dashboard's case page reads it from here.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the document column (filled as cases change; the records service rewrites each)."""
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("document", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("document")
