"""Shared fixtures: databases (SQLite file, and PostgreSQL when MINYI_TEST_PG_URL is set),
the CLI runner, and the real data in ../shared/data."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE_DIR = REPO / "samples" / "ebike"
PG_URL = os.environ.get("MINYI_TEST_PG_URL")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or a clean skip when it is not beside the checkout."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not available: {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def generated():
    """bench/generate.py's ``generate(n, seed)``: a synthetic consultation's comments (dicts
    with id, text, author, channel and gold labels), the same for a seed."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("bench_generate", REPO / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.generate


def _backends() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    params.append(
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=[
                pytest.mark.pg,
                pytest.mark.skipif(not PG_URL, reason="MINYI_TEST_PG_URL not set (no PostgreSQL)"),
            ],
        )
    )
    return params


def _fresh_url(backend: str, tmp_path: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'minyi-test.db'}", None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    from sqlalchemy import create_engine

    from models.db import _normalise_url

    engine = create_engine(_normalise_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema


def _drop_schema(schema: str) -> None:
    from sqlalchemy import create_engine

    from models.db import _normalise_url

    engine = create_engine(_normalise_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=_backends())
def db_url(request, tmp_path, monkeypatch) -> str:
    """A migrated, empty database on each backend; also made the configured one, so the
    CLI and library defaults use it."""
    from minyi.core.settings import reset_settings
    from models.db import dispose_engines, upgrade

    url, schema = _fresh_url(request.param, tmp_path)
    upgrade(url)
    monkeypatch.setenv("MINYI_DATABASE_URL", url)
    reset_settings()
    yield url
    dispose_engines()
    reset_settings()
    if schema:
        _drop_schema(schema)


@pytest.fixture
def sqlite_url(tmp_path, monkeypatch) -> str:
    """A migrated SQLite file only (for tests that need no PostgreSQL run)."""
    from minyi.core.settings import reset_settings
    from models.db import dispose_engines, upgrade

    url = f"sqlite:///{tmp_path / 'minyi-test.db'}"
    upgrade(url)
    monkeypatch.setenv("MINYI_DATABASE_URL", url)
    reset_settings()
    yield url
    dispose_engines()
    reset_settings()


@pytest.fixture
def session(db_url) -> Session:
    from models.db import get_engine

    s = sessionmaker(bind=get_engine(db_url), expire_on_commit=False)()
    yield s
    s.close()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None


@pytest.fixture
def run_cli():
    """Run `minyi ARGS…` in-process; returns exit code, stdout and stderr."""
    from typer.testing import CliRunner

    from minyi.cli import app

    runner = CliRunner()

    def run(*args: str) -> CliResult:
        result = runner.invoke(app, [str(a) for a in args], prog_name="minyi")
        return CliResult(result.exit_code, result.stdout, result.stderr, result.exception)

    return run
