"""the stored duplicate index: a new batch is compared with what it may repeat, not with
the whole consultation (each suggestion's exact key, block and sign code; the MinHash LSH
bands; the semantic stage's blocks)

Revision ID: 0007_dedup_index
Revises: 0006_page_speed
Create Date: 2026-12-02 00:00:07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_dedup_index"
down_revision = "0006_page_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dedup_cell",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("consultation_id", sa.Integer(), sa.ForeignKey("consultation.id"), nullable=False),
        sa.Column("backend", sa.String(200), nullable=False),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_dedup_cell_scope", "dedup_cell", ["consultation_id", "backend", "scope"])
    op.create_table(
        "dedup_band",
        sa.Column("consultation_id", sa.Integer(), sa.ForeignKey("consultation.id"), primary_key=True),
        sa.Column("band_hash", sa.BigInteger(), primary_key=True),
        sa.Column("suggestion_id", sa.Integer(), primary_key=True, autoincrement=False),
    )
    # Left empty: a consultation analysed before is compared whole once more by its next
    # batch, which fills them.
    with op.batch_alter_table("suggestion") as batch:
        batch.add_column(sa.Column("dedup_key", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("dedup_cell", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dedup_code", sa.LargeBinary(), nullable=True))
        batch.create_foreign_key("fk_suggestion_dedup_cell", "dedup_cell", ["dedup_cell"], ["id"])
    op.create_index("ix_suggestion_dedup_key", "suggestion", ["consultation_id", "dedup_key"])
    op.create_index("ix_suggestion_dedup_cell", "suggestion", ["dedup_cell"])


def downgrade() -> None:
    op.drop_index("ix_suggestion_dedup_cell", table_name="suggestion")
    op.drop_index("ix_suggestion_dedup_key", table_name="suggestion")
    with op.batch_alter_table("suggestion") as batch:
        batch.drop_constraint("fk_suggestion_dedup_cell", type_="foreignkey")
        batch.drop_column("dedup_code")
        batch.drop_column("dedup_cell")
        batch.drop_column("dedup_key")
    op.drop_table("dedup_band")
    op.drop_index("ix_dedup_cell_scope", table_name="dedup_cell")
    op.drop_table("dedup_cell")
