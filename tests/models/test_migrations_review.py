"""Migration 0002_review on a database that already holds data (SQLite and PostgreSQL):
existing rows get version 1 and no reviewer decision; the migration also goes down."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from models.db import alembic_config, current_revision, get_engine, upgrade

VERSIONED = ("consultation", "source")


def _fresh(db_url: str) -> None:
    """Back to the initial schema, then one consultation and one symposium stored."""
    command.downgrade(alembic_config(db_url), "0001")
    with get_engine(db_url).begin() as conn:
        conn.execute(text(
            "INSERT INTO consultation (title, status, meta, created_at) "
            "VALUES ('某某条例（征求意见稿）', 'open', '{}', CURRENT_TIMESTAMP)"
        ))
        cid = conn.execute(text("SELECT id FROM consultation")).scalar_one()
        conn.execute(text(
            "INSERT INTO source (consultation_id, channel, name, meta, created_at) "
            "VALUES (:c, 'symposium', '居民座谈会', '{\"participant_count\": 18}', CURRENT_TIMESTAMP)"
        ), {"c": cid})


def test_existing_rows_start_at_version_one(db_url):
    _fresh(db_url)
    upgrade(db_url)
    with get_engine(db_url).connect() as conn:
        for table in VERSIONED:
            assert conn.execute(text(f"SELECT row_version FROM {table}")).scalar_one() == 1
        row = conn.execute(text("SELECT addressee, signer, signed_on FROM consultation")).one()
        assert tuple(row) == (None, None, None)


def test_review_migration_goes_down_and_up_again(db_url):
    head = current_revision(db_url)
    command.downgrade(alembic_config(db_url), "0001")
    with get_engine(db_url).connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("suggestion")}
    assert "reviewed_scope" not in columns and "row_version" not in columns
    assert upgrade(db_url) == head
