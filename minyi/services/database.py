"""Create or migrate the database."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from models.db import current_revision, database_problem, get_engine, upgrade

__all__ = ["DatabaseState", "database_problem", "database_state", "upgrade_database"]


@dataclass
class DatabaseState:
    database_url: str  # password hidden
    revision: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def upgrade_database(url: str | None = None, revision: str = "head") -> DatabaseState:
    rev = upgrade(url, revision)
    return DatabaseState(get_engine(url).url.render_as_string(hide_password=True), rev)


def database_state(url: str | None = None) -> DatabaseState:
    rev = current_revision(url)
    return DatabaseState(get_engine(url).url.render_as_string(hide_password=True), rev)
