"""The Alembic migrations create the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from models.base import Base
from models.db import current_revision, get_engine, upgrade


def test_upgrade_creates_every_table(db_url):
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_database_is_at_head_after_upgrade(db_url):
    from alembic.script import ScriptDirectory

    from models.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(db_url)).get_current_head()
    assert current_revision(db_url) == head


def test_migrations_match_the_models(db_url):
    with get_engine(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(db_url):
    before = current_revision(db_url)
    assert upgrade(db_url) == before
