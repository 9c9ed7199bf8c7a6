"""What every application-layer function shares: the unit of work, the acting user,
permissions and the audit log.

Shells open a unit of work with ``unit_of_work()`` (one database session that commits on
success and rolls back on error), name the acting user with ``actor_for(session, name)``
and pass both to one workflow or reviewer operation.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from minyi.core.errors import PermissionDenied
from models import store
from models.db import require_schema, session_scope

# What each role may do. Staff are further limited to their contact points' consultations,
# reviewers (when an admin limits them) to some consultations: see ``Actor.may``.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {"read", "import", "analyze", "review", "adopt", "report", "edit_consultation",
         "create_consultation", "manage_users", "see_personal_data", "audit"}
    ),
    "staff": frozenset(
        {"read", "import", "analyze", "review", "report", "edit_consultation",
         "create_consultation", "see_personal_data"}
    ),
    "reviewer": frozenset({"read", "review", "adopt", "report"}),
    "viewer": frozenset({"read"}),
}

PERMISSION_ZH = {
    "read": "查看",
    "import": "导入意见",
    "analyze": "分析意见",
    "review": "审阅修改",
    "adopt": "确认采纳情况",
    "report": "生成文书",
    "edit_consultation": "修改征求意见任务",
    "create_consultation": "新建征求意见任务",
    "manage_users": "管理用户",
    "see_personal_data": "查看个人信息",
    "audit": "查看操作日志",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``contact_point_ids`` limit a staff member; ``consultation_ids``
    (None = all) limit a reviewer."""

    name: str
    role: str = "admin"
    user_id: int | None = None
    contact_point_ids: frozenset[int] = field(default_factory=frozenset)
    consultation_ids: frozenset[int] | None = None

    def may(self, permission: str, consultation: Any = None) -> bool:
        if permission not in PERMISSIONS.get(self.role, frozenset()):
            return False
        if consultation is None or self.role == "admin":
            return True
        if self.role == "staff":
            return consultation_contact_point(consultation) in self.contact_point_ids
        if self.consultation_ids is not None:
            return consultation.id in self.consultation_ids
        return True

    def require(self, permission: str, consultation: Any = None) -> None:
        if not self.may(permission, consultation):
            where = f" on consultation {consultation.id}" if consultation is not None else ""
            raise PermissionDenied(
                f"user {self.name!r} ({self.role}) may not {permission}{where}",
                message_zh=f"当前用户无权{PERMISSION_ZH.get(permission, permission)}",
            )

    def sees_personal_data(self, consultation: Any = None) -> bool:
        """Only staff of the collecting contact point and admins see commenters' data."""
        return self.may("see_personal_data", consultation)


def consultation_contact_point(consultation: Any) -> int | None:
    return getattr(consultation, "contact_point_id", None)


def default_user_name() -> str:
    """``MINYI_USER``, else the operating-system user."""
    name = os.environ.get("MINYI_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers)
        return "local"


def actor_for(session: Session, name: str | None = None) -> Actor:
    """The actor for a command-line or script user: a registered user acts with its role
    and limits; anyone else runs the local database as its operator (admin)."""
    name = name or default_user_name()
    user = store.find_user(session, name)
    if user is None:
        return Actor(name=name, role="admin")
    return actor_from_user(session, user)


def actor_from_user(session: Session, user: Any) -> Actor:
    if not user.active:
        raise PermissionDenied(f"user {user.username!r} is disabled", message_zh="该用户已停用")
    points = store.user_contact_point_ids(session, user)
    consultations = store.user_consultation_ids(session, user)
    return Actor(
        name=user.username,
        role=user.role,
        user_id=user.id,
        contact_point_ids=frozenset(points),
        consultation_ids=frozenset(consultations) if consultations is not None else None,
    )


SYSTEM = Actor(name="minyi", role="admin")


@contextmanager
def unit_of_work(url: str | None = None, *, require_tables: bool = True) -> Iterator[Session]:
    """One database session: commits when the block ends, rolls back on any error."""
    with session_scope(url) as session:
        if require_tables:
            require_schema(session)
        yield session


def audit(
    session: Session,
    actor: Actor,
    action: str,
    entity: Any,
    *,
    consultation_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Any:
    """One audit-log row: who, when, what, before → after."""
    return store.audit(
        session, action, entity, actor=actor.name, user_id=actor.user_id,
        consultation_id=consultation_id, before=before, after=after,
    )
