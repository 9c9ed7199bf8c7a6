"""Fixtures: a realistic analysed consultation (see report_builder.py) on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import sessionmaker

from report_builder import Built, build_consultation  # noqa: F401


@pytest.fixture
def built(db_url) -> Built:
    """The analysed consultations on each database backend."""
    from models.db import get_engine

    session = sessionmaker(bind=get_engine(db_url), expire_on_commit=False)()
    try:
        yield build_consultation(session, db_url)
    finally:
        session.close()


@pytest.fixture
def built_sqlite(sqlite_url) -> Built:
    """The same on SQLite only (for tests about files rather than storage)."""
    from models.db import get_engine

    session = sessionmaker(bind=get_engine(sqlite_url), expire_on_commit=False)()
    try:
        yield build_consultation(session, sqlite_url)
    finally:
        session.close()


@pytest.fixture
def db_session(built):
    from models.db import get_engine

    s = sessionmaker(bind=get_engine(built.url), expire_on_commit=False)()
    yield s
    s.close()


@pytest.fixture
def sqlite_session(built_sqlite):
    from models.db import get_engine

    s = sessionmaker(bind=get_engine(built_sqlite.url), expire_on_commit=False)()
    yield s
    s.close()
