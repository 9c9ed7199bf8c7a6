"""Storage for the people who use the review application: which contact points a staff
member works for, which consultations a reviewer is limited to, login sessions, login
attempts (for throttling) and review assignments.

Passwords are hashed before they get here (``minyi.services.accounts``); a session row keeps
only the SHA-256 of its token, so a copy of the database lets nobody log in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from minyi.core.errors import ConflictError, InputError, NotFoundError
from models.base import Base, CreatedAt, utcnow
from models.entities import ROLES, Cluster, Consultation, ContactPoint, Provision, User


class UserContactPoint(Base):
    """A staff member works for this contact point (one may work for several)."""

    __tablename__ = "user_contact_point"
    __table_args__ = (UniqueConstraint("user_id", "contact_point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    contact_point_id: Mapped[int] = mapped_column(ForeignKey("contact_point.id", ondelete="CASCADE"))


class ReviewerConsultation(Base):
    """An admin limited this reviewer to some consultations (no rows: all of them)."""

    __tablename__ = "reviewer_consultation"
    __table_args__ = (UniqueConstraint("user_id", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))


class WebSession(CreatedAt, Base):
    """A login: the browser holds the token (signed, in an HttpOnly cookie), we hold its hash."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LoginAttempt(Base):
    """One try at logging in, kept for throttling (by user name and by address)."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str | None] = mapped_column(String(100), index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)


class ReviewAssignment(CreatedAt, Base):
    """An article (provision) or a cluster handed to a reviewer."""

    __tablename__ = "review_assignment"
    __table_args__ = (UniqueConstraint("user_id", "provision_id", "cluster_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    provision_id: Mapped[int | None] = mapped_column(ForeignKey("provision.id", ondelete="CASCADE"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id", ondelete="CASCADE"))
    assigned_by: Mapped[str] = mapped_column(String(100))


# --- users ----------------------------------------------------------------------------------


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}", message_zh=f"未找到编号为 {user_id} 的用户")
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def add_user(session: Session, username: str, role: str, password_hash: str | None,
             display_name: str | None = None) -> User:
    username = username.strip()
    if not username:
        raise InputError("user name is empty", message_zh="用户名不能为空")
    if role not in ROLES:
        raise InputError(f"--role: {role!r} is not one of {', '.join(ROLES)}", message_zh="角色无效")
    if find_user(session, username) is not None:
        raise ConflictError(f"user {username!r} already exists", message_zh=f"用户“{username}”已存在")
    user = User(username=username, role=role, password_hash=password_hash, display_name=display_name)
    session.add(user)
    session.flush()
    return user


def contact_point_ids(session: Session, user_id: int) -> set[int]:
    return set(session.scalars(select(UserContactPoint.contact_point_id).where(UserContactPoint.user_id == user_id)))


def contact_point_names(session: Session, user_id: int) -> list[str]:
    return list(session.scalars(
        select(ContactPoint.name).join(UserContactPoint, UserContactPoint.contact_point_id == ContactPoint.id)
        .where(UserContactPoint.user_id == user_id).order_by(ContactPoint.name)
    ))


def set_contact_points(session: Session, user: User, point_ids: set[int]) -> None:
    session.execute(delete(UserContactPoint).where(UserContactPoint.user_id == user.id))
    for pid in sorted(point_ids):
        session.add(UserContactPoint(user_id=user.id, contact_point_id=pid))
    # The old single column stays in step (older code reads it).
    user.contact_point_id = min(point_ids) if point_ids else None
    session.flush()


def consultation_ids(session: Session, user_id: int) -> set[int] | None:
    """The consultations a reviewer is limited to; None when not limited."""
    ids = set(session.scalars(
        select(ReviewerConsultation.consultation_id).where(ReviewerConsultation.user_id == user_id)
    ))
    return ids or None


def set_consultations(session: Session, user: User, ids: set[int]) -> None:
    session.execute(delete(ReviewerConsultation).where(ReviewerConsultation.user_id == user.id))
    for cid in sorted(ids):
        if session.get(Consultation, cid) is None:
            raise NotFoundError(f"no consultation with id {cid}", message_zh=f"未找到编号为 {cid} 的征求意见任务")
        session.add(ReviewerConsultation(user_id=user.id, consultation_id=cid))
    session.flush()


# --- sessions -------------------------------------------------------------------------------


def add_session(session: Session, user_id: int, token_hash: str, csrf_token: str, expires_at: datetime) -> WebSession:
    row = WebSession(user_id=user_id, token_hash=token_hash, csrf_token=csrf_token, expires_at=expires_at)
    session.add(row)
    session.flush()
    return row


def find_session(session: Session, token_hash: str) -> WebSession | None:
    return session.scalar(select(WebSession).where(WebSession.token_hash == token_hash))


def drop_session(session: Session, token_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_hash))


def drop_user_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def drop_expired_sessions(session: Session, now: datetime) -> None:
    session.execute(delete(WebSession).where(WebSession.expires_at < now))


# --- login attempts -------------------------------------------------------------------------


def add_attempt(session: Session, username: str, address: str | None, succeeded: bool) -> None:
    session.add(LoginAttempt(username=username[:100], address=(address or "")[:100] or None, succeeded=succeeded))
    session.flush()


def failures_since(session: Session, since: datetime, *, username: str | None = None,
                   address: str | None = None) -> tuple[int, datetime | None]:
    """Failed attempts since ``since`` by user name or by address, and the oldest of them."""
    query = select(func.count(), func.min(LoginAttempt.at)).where(
        LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
    )
    if username is not None:
        query = query.where(LoginAttempt.username == username)
    if address is not None:
        query = query.where(LoginAttempt.address == address)
    count, oldest = session.execute(query).one()
    return int(count or 0), oldest


def forget_attempts(session: Session, username: str) -> None:
    """A successful login clears the user's failures."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username, LoginAttempt.succeeded.is_(False)))


# --- review assignments ---------------------------------------------------------------------


def add_assignment(session: Session, consultation_id: int, user_id: int, *, provision_id: int | None,
                   cluster_id: int | None, assigned_by: str) -> ReviewAssignment:
    existing = session.scalar(select(ReviewAssignment).where(
        ReviewAssignment.user_id == user_id,
        ReviewAssignment.provision_id.is_(None) if provision_id is None else ReviewAssignment.provision_id == provision_id,
        ReviewAssignment.cluster_id.is_(None) if cluster_id is None else ReviewAssignment.cluster_id == cluster_id,
    ))
    if existing is not None:
        return existing
    row = ReviewAssignment(consultation_id=consultation_id, user_id=user_id, provision_id=provision_id,
                           cluster_id=cluster_id, assigned_by=assigned_by)
    session.add(row)
    session.flush()
    return row


def remove_assignment(session: Session, assignment_id: int) -> ReviewAssignment:
    row = session.get(ReviewAssignment, assignment_id)
    if row is None:
        raise NotFoundError(f"no assignment with id {assignment_id}", message_zh="未找到该分配记录")
    session.delete(row)
    session.flush()
    return row


def assignments(session: Session, consultation_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ReviewAssignment, User.username, Provision.label, Cluster.label)
        .join(User, User.id == ReviewAssignment.user_id)
        .outerjoin(Provision, Provision.id == ReviewAssignment.provision_id)
        .outerjoin(Cluster, Cluster.id == ReviewAssignment.cluster_id)
        .where(ReviewAssignment.consultation_id == consultation_id)
        .order_by(ReviewAssignment.id)
    ).all()
    return [
        {"id": a.id, "user": name, "user_id": a.user_id, "provision_id": a.provision_id, "article": plabel,
         "cluster_id": a.cluster_id, "cluster": clabel, "assigned_by": a.assigned_by}
        for a, name, plabel, clabel in rows
    ]


def assigned_cluster_ids(session: Session, consultation_id: int, user_id: int) -> set[int]:
    """Clusters handed to the user directly or through their article, not yet reviewed."""
    direct = select(ReviewAssignment.cluster_id).where(
        ReviewAssignment.user_id == user_id, ReviewAssignment.consultation_id == consultation_id,
        ReviewAssignment.cluster_id.is_not(None),
    )
    articles = select(ReviewAssignment.provision_id).where(
        ReviewAssignment.user_id == user_id, ReviewAssignment.consultation_id == consultation_id,
        ReviewAssignment.provision_id.is_not(None),
    )
    return set(session.scalars(
        select(Cluster.id).where(
            Cluster.consultation_id == consultation_id, Cluster.reviewed.is_(False),
            (Cluster.id.in_(direct)) | (Cluster.provision_id.in_(articles)),
        )
    ))
