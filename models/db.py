"""Engines, sessions and migrations.

SQLite databases run in WAL mode with a busy timeout of ``SQLITE_BUSY_TIMEOUT_S``: a second
writer (two imports, or an import during an analysis) waits for the first to commit
instead of failing with "database is locked"; readers never wait. ``database_problem``
turns what a driver raises for a database it cannot use (a missing folder, an unreachable
server, a lock held past the timeout) into one line naming the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from minyi.core.errors import ConfigError, ConflictError, MinyiError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_engines: dict[str, Engine] = {}
# How long a writer waits for another writer's transaction on SQLite (an import of 100,000
# records commits within a few minutes).
SQLITE_BUSY_TIMEOUT_S = 600


def _normalise_url(url: str) -> str:
    # Plain postgresql:// would pick psycopg2, which we do not install; use psycopg 3.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the process (defaults to the configured database)."""
    if url is None:
        from minyi.core.settings import get_settings

        url = get_settings().database_url
    url = _normalise_url(url)
    if url not in _engines:
        try:
            parsed = make_url(url)
            sqlite = parsed.get_backend_name() == "sqlite"
            if sqlite:
                _check_sqlite_folder(parsed.database)
            engine = create_engine(
                url, future=True, **({"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}} if sqlite else {})
            )
        except MinyiError:
            raise
        except Exception as exc:  # bad URL, missing driver
            raise ConfigError(f"cannot use database URL {_shown(url)}: {_first_line(exc)}") from exc
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        _engines[url] = engine
    return _engines[url]


def _check_sqlite_folder(database: str | None) -> None:
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    folder = Path(database).expanduser().parent
    if not folder.is_dir():
        raise ConfigError(f"cannot use database sqlite:///{database}: the folder {folder} does not exist")


def _shown(url: object) -> str:
    """A database URL as it may be printed (no password)."""
    try:
        return make_url(str(url)).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def database_problem(exc: BaseException) -> MinyiError | None:
    """A one-line error for what a driver raised when the database cannot be used, or
    None when ``exc`` is something else."""
    if not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.ArgumentError)):
        return None
    detail = _first_line(exc)
    if "database is locked" in detail or "database table is locked" in detail:
        return ConflictError(
            "another import or analysis is writing to the database; try again when it has finished",
            message_zh="另一项导入或分析正在写入数据库，请稍后再试",
        )
    return ConfigError(f"cannot use the database: {detail}", message_zh="无法连接数据库")


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def dispose_engines() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = sessionmaker(bind=get_engine(url), expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", _normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> str:
    """Create or migrate the database to ``revision``; returns the revision now current."""
    from alembic import command

    engine = get_engine(url)
    cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(url) or ""


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def require_schema(session: Session) -> None:
    """Fail with a clear message when the database has not been created yet."""
    from minyi.core.errors import ConfigError as _ConfigError

    if not inspect(session.get_bind()).has_table("consultation"):
        raise _ConfigError(
            f"database {session.get_bind().engine.url!r} has no minyi tables; run `minyi db upgrade`"
        )
