"""analysis scope and citation check per suggestion

Revision ID: 0003_scope
Revises: 0002_review
Create Date: 2026-12-02 12:00:00

``suggestion.scope``: where the analysis put the suggestion (article / general / chapter /
out_of_scope / not_opinion; a reviewer's ``reviewed_scope`` wins over it);
``suggestion.citation_check``: a cited article that looks wrong ({"cited", "likely",
"evidence"}), null when the citation is sound.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_scope"
down_revision = "0002_review"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("citation_check", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suggestion", schema=None) as batch_op:
        batch_op.drop_column("citation_check")
        batch_op.drop_column("scope")
