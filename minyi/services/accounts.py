"""Users of the review application: adding and editing them, logging in (argon2 password
hashes, throttled), server-side login sessions, review assignments, and the demo login.

A session token is 32 random bytes; the browser keeps it in a signed HttpOnly cookie (the
signing is the web shell's), the database only its SHA-256. Each session has its own CSRF
token, which the pages put into every form and htmx request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from minyi.core.errors import InputError, MinyiError, NotFoundError, PermissionDenied
from minyi.core.vocab import ROLES
from minyi.services.context import Actor, actor_from_user, audit
from models import accounts as store
from models.base import utcnow
from models.store import find_contact_point, get_consultation, get_or_create_contact_point

ROLE_ZH = {"admin": "管理员", "staff": "联系点工作人员", "reviewer": "法工委审阅人", "viewer": "只读用户"}
# Roles a person can be given from the CLI and the users page (viewer stays for scripts).
ASSIGNABLE_ROLES = ("admin", "staff", "reviewer")
MIN_PASSWORD = 8
SESSION_HOURS = 12
# Throttling: this many failures in the window (per user name, or per address) lock out
# further tries until the oldest failure leaves the window.
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
THROTTLE_WINDOW = timedelta(minutes=15)
DEMO_ADMIN = "demo"

_hasher = PasswordHasher()


class TooManyAttempts(MinyiError):
    """Login refused for a while after repeated failures."""

    http_status = 429
    default_zh = "登录尝试次数过多，请稍后再试"


class LoginFailed(MinyiError):
    http_status = 401
    default_zh = "用户名或密码错误"


@dataclass
class UserInfo:
    id: int
    username: str
    role: str
    display_name: str | None
    active: bool
    contact_points: list[str] = field(default_factory=list)
    consultation_ids: list[int] | None = None

    @property
    def role_zh(self) -> str:
        return ROLE_ZH.get(self.role, self.role)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "role": self.role, "display_name": self.display_name,
                "active": self.active, "contact_points": self.contact_points,
                "consultation_ids": self.consultation_ids}


@dataclass
class Login:
    """A session just opened: the token goes into the cookie, the CSRF token into forms."""

    token: str
    csrf_token: str
    actor: Actor
    expires_at: datetime


@dataclass
class SessionInfo:
    actor: Actor
    csrf_token: str
    display_name: str | None


# --- passwords ------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher.hash(password)


def check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise InputError(f"the password is shorter than {MIN_PASSWORD} characters",
                         message_zh=f"密码至少需要{MIN_PASSWORD}个字符")


def _verify(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# Verified when the user does not exist, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("minyi-no-such-user")


# --- users ----------------------------------------------------------------------------------


def _info(session: Session, user: Any) -> UserInfo:
    ids = store.consultation_ids(session, user.id)
    return UserInfo(user.id, user.username, user.role, user.display_name, bool(user.active),
                    store.contact_point_names(session, user.id), sorted(ids) if ids is not None else None)


def add_user(
    session: Session,
    actor: Actor,
    username: str,
    role: str,
    *,
    password: str,
    contact_points: list[str] | None = None,
    consultation_ids: list[int] | None = None,
    display_name: str | None = None,
) -> UserInfo:
    """A new user: staff need at least one contact point (created when new); a reviewer may
    be limited to some consultations."""
    actor.require("manage_users")
    if role not in ASSIGNABLE_ROLES:
        raise InputError(f"--role: {role!r} is not one of {', '.join(ASSIGNABLE_ROLES)}", message_zh="角色无效")
    points = [p.strip() for p in contact_points or [] if p.strip()]
    if role == "staff" and not points:
        raise InputError("--contact-point: a staff user works for at least one contact point",
                         message_zh="联系点工作人员至少需要指定一个联系点")
    user = store.add_user(session, username, role, hash_password(password), display_name)
    if points:
        store.set_contact_points(session, user, {get_or_create_contact_point(session, p).id for p in points})
    if consultation_ids:
        store.set_consultations(session, user, set(consultation_ids))
    audit(session, actor, "add_user", user, after={"username": user.username, "role": role, "contact_points": points,
                                                    "consultations": consultation_ids})
    return _info(session, user)


def list_users(session: Session, actor: Actor) -> list[UserInfo]:
    actor.require("manage_users")
    return [_info(session, u) for u in store.list_users(session)]


def update_user(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
    contact_points: list[str] | None = None,
    consultation_ids: list[int] | None = None,
) -> UserInfo:
    """An admin changes a user's role, contact points, consultation limits, password or
    disables them (which ends their sessions)."""
    actor.require("manage_users")
    user = store.get_user(session, user_id)
    before = _info(session, user).to_dict()
    if role is not None:
        if role not in ROLES:
            raise InputError(f"role {role!r} is not one of {', '.join(ROLES)}", message_zh="角色无效")
        user.role = role
    if active is not None:
        if not active and user.id == actor.user_id:
            raise InputError("you cannot disable yourself", message_zh="不能停用自己的账户")
        user.active = active
        if not active:
            store.drop_user_sessions(session, user.id)
    if password:
        user.password_hash = hash_password(password)
        store.drop_user_sessions(session, user.id)
    if contact_points is not None:
        names = [p.strip() for p in contact_points if p.strip()]
        store.set_contact_points(session, user, {find_contact_point(session, n).id for n in names})
    if consultation_ids is not None:
        store.set_consultations(session, user, set(consultation_ids))
    if user.role == "staff" and not store.contact_point_ids(session, user.id):
        raise InputError("a staff user works for at least one contact point",
                         message_zh="联系点工作人员至少需要指定一个联系点")
    after = _info(session, user).to_dict()
    audit(session, actor, "update_user", user, before=before, after={**after, "password_changed": bool(password)})
    return _info(session, user)


# --- logging in -----------------------------------------------------------------------------


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_throttle(session: Session, username: str, address: str | None, now: datetime | None = None) -> None:
    now = now or utcnow()
    since = now - THROTTLE_WINDOW
    for count, oldest, limit in (
        (*store.failures_since(session, since, username=username), MAX_FAILURES),
        (*(store.failures_since(session, since, address=address) if address else (0, None)), MAX_FAILURES_PER_ADDRESS),
    ):
        if count >= limit:
            wait = max(1, int(((oldest + THROTTLE_WINDOW) - now).total_seconds() // 60) + 1) if oldest else 15
            raise TooManyAttempts(
                f"too many failed logins for {username!r}; try again in {wait} minute(s)",
                message_zh=f"登录失败次数过多，请{wait}分钟后再试",
            )


def login(session: Session, username: str, password: str, *, address: str | None = None) -> Login:
    """Check the password (throttled: MAX_FAILURES per user name and window) and open a
    session. A disabled user cannot log in."""
    username = (username or "").strip()
    if not username or not password:
        raise InputError("user name and password are required", message_zh="请输入用户名和密码")
    check_throttle(session, username, address)
    user = store.find_user(session, username)
    ok = _verify(user.password_hash if user is not None else _DUMMY_HASH, password) and user is not None
    if not ok or not user.active:
        store.add_attempt(session, username, address, False)
        raise LoginFailed(f"login failed for {username!r}",
                          message_zh="该用户已停用" if ok and not user.active else "用户名或密码错误")
    store.add_attempt(session, username, address, True)
    store.forget_attempts(session, username)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    now = utcnow()
    store.drop_expired_sessions(session, now)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + timedelta(hours=SESSION_HOURS)
    store.add_session(session, user.id, _hash_token(token), csrf, expires)
    actor = actor_from_user(session, user)
    audit(session, actor, "login", user, after={"address": address})
    return Login(token, csrf, actor, expires)


def resume(session: Session, token: str | None) -> SessionInfo | None:
    """The user of a session token; None when unknown, expired or the user is disabled."""
    if not token:
        return None
    row = store.find_session(session, _hash_token(token))
    now = utcnow()
    if row is None or row.expires_at < now:
        return None
    user = store.get_user(session, row.user_id)
    if not user.active:
        return None
    try:
        actor = actor_from_user(session, user)
    except PermissionDenied:
        return None
    return SessionInfo(actor, row.csrf_token, user.display_name)


def logout(session: Session, token: str | None) -> None:
    if token:
        store.drop_session(session, _hash_token(token))


# --- review assignments ---------------------------------------------------------------------


def assign(session: Session, actor: Actor, consultation_id: int, username: str, *,
           provision_id: int | None = None, cluster_id: int | None = None) -> dict[str, Any]:
    """Hand an article or a cluster to a reviewer (admins, and staff of the consultation)."""
    consultation = get_consultation(session, consultation_id)
    actor.require("edit_consultation", consultation)
    if (provision_id is None) == (cluster_id is None):
        raise InputError("assign an article or a cluster", message_zh="请选择要分配的条款或归并意见")
    user = store.find_user(session, username.strip())
    if user is None:
        raise NotFoundError(f"no user named {username!r}", message_zh=f"未找到用户“{username}”")
    if not actor_from_user(session, user).may("review", consultation):
        raise InputError(f"user {username!r} may not review consultation {consultation_id}",
                         message_zh=f"用户“{username}”无权审阅该征求意见任务")
    _check_target(session, consultation_id, provision_id, cluster_id)
    row = store.add_assignment(session, consultation_id, user.id, provision_id=provision_id,
                               cluster_id=cluster_id, assigned_by=actor.name)
    audit(session, actor, "assign_review", consultation,
          after={"user": username, "provision_id": provision_id, "cluster_id": cluster_id})
    return {"id": row.id}


def _check_target(session: Session, consultation_id: int, provision_id: int | None, cluster_id: int | None) -> None:
    from models.entities import Cluster, DraftVersion, Provision

    if cluster_id is not None:
        cluster = session.get(Cluster, cluster_id)
        if cluster is None or cluster.consultation_id != consultation_id:
            raise NotFoundError(f"no cluster {cluster_id} in consultation {consultation_id}", message_zh="未找到该归并意见")
    if provision_id is not None:
        provision = session.get(Provision, provision_id)
        version = session.get(DraftVersion, provision.version_id) if provision is not None else None
        if version is None or version.consultation_id != consultation_id:
            raise NotFoundError(f"no article {provision_id} in consultation {consultation_id}", message_zh="未找到该条款")


def unassign(session: Session, actor: Actor, consultation_id: int, assignment_id: int) -> None:
    consultation = get_consultation(session, consultation_id)
    actor.require("edit_consultation", consultation)
    row = store.remove_assignment(session, assignment_id)
    if row.consultation_id != consultation_id:
        raise NotFoundError("assignment not in this consultation", message_zh="未找到该分配记录")
    audit(session, actor, "unassign_review", consultation, before={"assignment": assignment_id})


def assignments(session: Session, actor: Actor, consultation_id: int) -> list[dict[str, Any]]:
    actor.require("read", get_consultation(session, consultation_id))
    return store.assignments(session, consultation_id)


def reviewers(session: Session, actor: Actor, consultation_id: int) -> list[str]:
    """User names that may review the consultation (for the assignment picker)."""
    consultation = get_consultation(session, consultation_id)
    actor.require("read", consultation)
    out = []
    for user in store.list_users(session):
        if user.active and actor_from_user(session, user).may("review", consultation):
            out.append(user.username)
    return out


# --- the demo ---------------------------------------------------------------------------------


def ensure_demo_login(session: Session, folder: str | Path) -> tuple[str, str]:
    """For ``make demo``: an admin "demo" with a new random password, and a ``minyi.toml`` in
    ``folder`` naming this database and a random secret key (an existing file keeps its
    values), so ``minyi serve`` started in ``folder`` serves the demo. Returns (user name,
    password)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    write_demo_config(folder / "minyi.toml", url)
    password = secrets.token_urlsafe(12)
    user = store.find_user(session, DEMO_ADMIN)
    if user is None:
        user = store.add_user(session, DEMO_ADMIN, "admin", hash_password(password), "演示管理员")
    else:
        user.password_hash = hash_password(password)
        user.role, user.active = "admin", True
        store.drop_user_sessions(session, user.id)
    session.flush()
    return DEMO_ADMIN, password


def write_demo_config(path: Path, database_url: str) -> None:
    """A minyi.toml with the database and a random secret; an existing file keeps its values
    (a default or missing secret is the only thing added)."""
    import tomllib

    from minyi.core.settings import DEFAULT_SECRET_KEY

    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    data = tomllib.loads(text) if text else {}
    secret = (data.get("web") or {}).get("secret_key")
    if secret and secret != DEFAULT_SECRET_KEY:
        return
    if "web" in data:
        raise InputError(f"{path}: its [web] section has the default secret key; set secret_key there",
                         message_zh="minyi.toml 的 [web] 段使用默认密钥，请修改 secret_key")
    head = "" if "database_url" in data else f"database_url = {_toml_string(database_url)}\n"
    path.write_text(head + text + f"\n[web]\nsecret_key = {_toml_string(secrets.token_urlsafe(32))}\n",
                    encoding="utf-8")


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
