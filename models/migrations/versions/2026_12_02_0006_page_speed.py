"""pages independent of the consultation's size: each suggestion's sureness (the review
queue reads its first page from an index), indexes for one article's clusters, the
contact points of a consultation and the counts by reviewed scope

Revision ID: 0006_page_speed
Revises: 0005_rollup
Create Date: 2026-12-02 00:00:06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_page_speed"
down_revision = "0005_rollup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Left empty: the review queue works each suggestion's sureness out on first read.
    op.add_column("suggestion", sa.Column("sureness", sa.Float(), nullable=True))
    op.create_index("ix_suggestion_queue", "suggestion", ["consultation_id", "reviewed_scope", "sureness"])
    op.create_index("ix_comment_point", "comment", ["contact_point_id", "consultation_id"])
    op.create_index("ix_cluster_article", "cluster", ["consultation_id", "provision_id"])
    # Their leading column leads the composite indexes too; left alone, the planner takes
    # them and reads every row of the consultation.
    op.drop_index("ix_suggestion_consultation_id", table_name="suggestion")
    op.drop_index("ix_cluster_consultation_id", table_name="cluster")


def downgrade() -> None:
    op.create_index("ix_cluster_consultation_id", "cluster", ["consultation_id"])
    op.create_index("ix_suggestion_consultation_id", "suggestion", ["consultation_id"])
    op.drop_index("ix_cluster_article", table_name="cluster")
    op.drop_index("ix_comment_point", table_name="comment")
    op.drop_index("ix_suggestion_queue", table_name="suggestion")
    with op.batch_alter_table("suggestion") as batch:
        batch.drop_column("sureness")
