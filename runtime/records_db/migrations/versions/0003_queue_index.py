"""An index for the queue pages: live cases of one queue, found without reading the rest.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the index."""
    op.create_index("ix_cases_queue", "cases", ["local_authority", "outcome", "state"])


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_cases_queue", table_name="cases")
