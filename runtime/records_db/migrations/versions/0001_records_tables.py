"""The records tables and the consumed offsets.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "allocations",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("team", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "worker", name=op.f("pk_allocations")),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("child_id", sa.String(length=64), nullable=True),
        sa.Column("local_authority", sa.String(length=3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("rag", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("decision_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(length=100), nullable=False),
        sa.Column("allocated_to", sa.String(length=100), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("overdue_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_cases")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_child_id"), ["child_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cases_local_authority"), ["local_authority"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cases_opened_at"), ["opened_at"], unique=False)

    op.create_table(
        "children",
        sa.Column("child_id", sa.String(length=64), nullable=False),
        sa.Column("local_authority", sa.String(length=3), nullable=False),
        sa.Column("given_name", sa.String(length=100), nullable=True),
        sa.Column("family_name", sa.String(length=100), nullable=True),
        sa.Column("name_key", sa.String(length=100), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("expected_date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("ethnicity", sa.String(length=4), nullable=True),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("child_id", name=op.f("pk_children")),
    )
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_children_date_of_birth"), ["date_of_birth"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_children_local_authority"), ["local_authority"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_children_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_children_nhs_number"), ["nhs_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_children_postcode"), ["postcode"], unique=False)
        batch_op.create_index(batch_op.f("ix_children_upn"), ["upn"], unique=False)

    op.create_table(
        "consumed_offsets",
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition", name=op.f("pk_consumed_offsets")),
    )
    op.create_table(
        "contacts",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("child_id", sa.String(length=64), nullable=True),
        sa.Column("local_authority", sa.String(length=3), nullable=False),
        sa.Column("organisation_id", sa.String(length=63), nullable=False),
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=3), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("factors", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_referral_id"), ["referral_id"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("local_authority", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("action_id", sa.String(length=64), nullable=True),
        sa.Column("from_level", sa.Integer(), nullable=True),
        sa.Column("to_level", sa.Integer(), nullable=True),
        sa.Column("from_outcome", sa.String(length=40), nullable=True),
        sa.Column("to_outcome", sa.String(length=40), nullable=True),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index("ix_decisions_case_time", ["case_id", "decided_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_contact_id"), ["contact_id"], unique=False)

    op.create_table(
        "rejections",
        sa.Column("rejection_id", sa.String(length=300), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.String(length=63), nullable=False),
        sa.Column("referral_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("error_locations", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("rejection_id", name=op.f("pk_rejections")),
    )
    with op.batch_alter_table("rejections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rejections_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rejections_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "status_updates",
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.String(length=63), nullable=False),
        sa.Column("referral_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("decision_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", "sequence", name=op.f("pk_status_updates")),
    )
    with op.batch_alter_table("status_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_updates_organisation_id"), ["organisation_id"], unique=False
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("status_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_updates_organisation_id"))

    op.drop_table("status_updates")
    with op.batch_alter_table("rejections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rejections_received_at"))
        batch_op.drop_index(batch_op.f("ix_rejections_organisation_id"))

    op.drop_table("rejections")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_contact_id"))
        batch_op.drop_index("ix_decisions_case_time")

    op.drop_table("decisions")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contacts_referral_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_received_at"))
        batch_op.drop_index(batch_op.f("ix_contacts_child_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_case_id"))

    op.drop_table("contacts")
    op.drop_table("consumed_offsets")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_children_upn"))
        batch_op.drop_index(batch_op.f("ix_children_postcode"))
        batch_op.drop_index(batch_op.f("ix_children_nhs_number"))
        batch_op.drop_index(batch_op.f("ix_children_name_key"))
        batch_op.drop_index(batch_op.f("ix_children_local_authority"))
        batch_op.drop_index(batch_op.f("ix_children_date_of_birth"))

    op.drop_table("children")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_opened_at"))
        batch_op.drop_index(batch_op.f("ix_cases_local_authority"))
        batch_op.drop_index(batch_op.f("ix_cases_child_id"))

    op.drop_table("cases")
    op.drop_table("allocations")
