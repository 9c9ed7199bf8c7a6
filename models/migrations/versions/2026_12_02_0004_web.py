"""review application: staff ↔ contact points, reviewer ↔ consultations, login sessions,
login attempts, review assignments

Revision ID: 0004_web
Revises: 0003_scope
Create Date: 2026-12-02 00:00:04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_web"
down_revision = "0003_scope"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_contact_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contact_point_id"], ["contact_point.id"], ondelete="CASCADE",
                                name=op.f("fk_user_contact_point_contact_point_id_contact_point")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_user_contact_point_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_contact_point")),
        sa.UniqueConstraint("user_id", "contact_point_id", name=op.f("uq_user_contact_point_user_id_contact_point_id")),
    )
    op.create_index(op.f("ix_user_contact_point_user_id"), "user_contact_point", ["user_id"])
    op.create_table(
        "reviewer_consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE",
                                name=op.f("fk_reviewer_consultation_consultation_id_consultation")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_reviewer_consultation_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewer_consultation")),
        sa.UniqueConstraint("user_id", "consultation_id", name=op.f("uq_reviewer_consultation_user_id_consultation_id")),
    )
    op.create_index(op.f("ix_reviewer_consultation_user_id"), "reviewer_consultation", ["user_id"])
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_web_session_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )
    op.create_index(op.f("ix_web_session_user_id"), "web_session", ["user_id"])
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=True),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index(op.f("ix_login_attempt_at"), "login_attempt", ["at"])
    op.create_index(op.f("ix_login_attempt_username"), "login_attempt", ["username"])
    op.create_index(op.f("ix_login_attempt_address"), "login_attempt", ["address"])
    op.create_table(
        "review_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provision_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=True),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["cluster_id"], ["cluster.id"], ondelete="CASCADE",
                                name=op.f("fk_review_assignment_cluster_id_cluster")),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE",
                                name=op.f("fk_review_assignment_consultation_id_consultation")),
        sa.ForeignKeyConstraint(["provision_id"], ["provision.id"], ondelete="CASCADE",
                                name=op.f("fk_review_assignment_provision_id_provision")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"], ondelete="CASCADE",
                                name=op.f("fk_review_assignment_user_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignment")),
        sa.UniqueConstraint("user_id", "provision_id", "cluster_id",
                            name=op.f("uq_review_assignment_user_id_provision_id_cluster_id")),
    )
    op.create_index(op.f("ix_review_assignment_consultation_id"), "review_assignment", ["consultation_id"])
    op.create_index(op.f("ix_review_assignment_user_id"), "review_assignment", ["user_id"])


def downgrade() -> None:
    for table in ("review_assignment", "login_attempt", "web_session", "reviewer_consultation", "user_contact_point"):
        op.drop_table(table)
