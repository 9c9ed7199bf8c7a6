"""reviewer operations: row versions, reviewer decisions, feedback document fields

Revision ID: 0002_review
Revises: 0001
Create Date: 2026-12-02 00:00:00

Adds the ``row_version`` column (SQLAlchemy ``version_id_col``) to the rows reviewers edit,
the decisions a re-analysis must keep (``suggestion.reviewed_scope``,
``suggestion.group_is_manual``, ``duplicate_group.is_manual``), the feedback document's
addressee, signing unit and date on ``consultation``, and indexes for listing the audit log
by user and consultation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_review"
down_revision = "0001"
branch_labels = None
depends_on = None

VERSIONED = ("adoption_decision", "cluster", "consultation", "duplicate_group", "source", "suggestion")


def upgrade() -> None:
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("row_version", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("addressee", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("signer", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("signed_on", sa.Date(), nullable=True))
    with op.batch_alter_table("duplicate_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_manual", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_scope", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("group_is_manual", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_actor"), ["actor"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_log_consultation_id"), ["consultation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_consultation_id"))
        batch_op.drop_index(batch_op.f("ix_audit_log_actor"))
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.drop_column("group_is_manual")
        batch_op.drop_column("reviewed_scope")
    with op.batch_alter_table("duplicate_group", schema=None) as batch_op:
        batch_op.drop_column("is_manual")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_column("signed_on")
        batch_op.drop_column("signer")
        batch_op.drop_column("addressee")
    for table in VERSIONED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("row_version")
