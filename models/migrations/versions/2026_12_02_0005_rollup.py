"""roll-up between levels: participating contact points, bundles sent and received with
their rows, contributors' consent to be named

Revision ID: 0005_rollup
Revises: 0004_web
Create Date: 2026-12-02 00:00:05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_rollup"
down_revision = "0004_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consultation_participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE",
                                name=op.f("fk_consultation_participant_consultation_id_consultation")),
        sa.ForeignKeyConstraint(["contact_point_id"], ["contact_point.id"], ondelete="CASCADE",
                                name=op.f("fk_consultation_participant_contact_point_id_contact_point")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_participant")),
        sa.UniqueConstraint("consultation_id", "contact_point_id",
                            name=op.f("uq_consultation_participant_consultation_id_contact_point_id")),
    )
    op.create_index(op.f("ix_consultation_participant_consultation_id"), "consultation_participant",
                    ["consultation_id"])
    op.create_table(
        "feedback_bundle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("bundle_uid", sa.String(length=64), nullable=False),
        sa.Column("contact_point_id", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=True),
        sa.Column("file", sa.String(length=1000), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("superseded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"], ondelete="CASCADE",
                                name=op.f("fk_feedback_bundle_consultation_id_consultation")),
        sa.ForeignKeyConstraint(["contact_point_id"], ["contact_point.id"], ondelete="SET NULL",
                                name=op.f("fk_feedback_bundle_contact_point_id_contact_point")),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"], ondelete="SET NULL",
                                name=op.f("fk_feedback_bundle_source_id_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_bundle")),
        sa.UniqueConstraint("consultation_id", "direction", "bundle_uid",
                            name=op.f("uq_feedback_bundle_consultation_id_direction_bundle_uid")),
    )
    op.create_index(op.f("ix_feedback_bundle_consultation_id"), "feedback_bundle", ["consultation_id"])
    op.create_table(
        "bundle_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundle_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=200), nullable=False),
        sa.Column("suggestion_ids", sa.JSON(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("points", sa.JSON(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bundle_id"], ["feedback_bundle.id"], ondelete="CASCADE",
                                name=op.f("fk_bundle_item_bundle_id_feedback_bundle")),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"], ondelete="SET NULL",
                                name=op.f("fk_bundle_item_comment_id_comment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_item")),
    )
    op.create_index(op.f("ix_bundle_item_bundle_id"), "bundle_item", ["bundle_id"])
    op.create_index(op.f("ix_bundle_item_comment_id"), "bundle_item", ["comment_id"])
    op.create_table(
        "contributor_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"], ondelete="CASCADE",
                                name=op.f("fk_contributor_consent_comment_id_comment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contributor_consent")),
        sa.UniqueConstraint("comment_id", name=op.f("uq_contributor_consent_comment_id")),
    )


def downgrade() -> None:
    for table in ("contributor_consent", "bundle_item", "feedback_bundle", "consultation_participant"):
        op.drop_table(table)
