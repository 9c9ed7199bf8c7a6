"""Storage functions: the one place where consultations, contact points and draft
versions are read from and written to the database."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minyi.core.citations import heading_number
from minyi.core.numerals import to_chinese
from minyi.core.errors import ConflictError, InputError, NotFoundError
from models.entities import (
    CONSULTATION_STATUSES,
    CONTACT_POINT_LEVELS,
    AuditLog,
    Comment,
    Consultation,
    ContactPoint,
    DraftVersion,
    Provision,
    Suggestion,
    User,
)
from minyi.core.drafts import ParsedDraft

# --- contact points -----------------------------------------------------------------


def get_or_create_contact_point(
    session: Session, name: str, level: str | None = None, parent: str | None = None
) -> ContactPoint:
    name = name.strip()
    if not name:
        raise InputError("contact point name is empty")
    if level is not None and level not in CONTACT_POINT_LEVELS:
        raise InputError(
            f"contact point level {level!r} is not one of {', '.join(CONTACT_POINT_LEVELS)}"
        )
    point = session.scalar(select(ContactPoint).where(ContactPoint.name == name))
    if point is None:
        parent_point = get_or_create_contact_point(session, parent) if parent else None
        point = ContactPoint(name=name, level=level, parent=parent_point)
        session.add(point)
        session.flush()
    elif level and not point.level:
        point.level = level
    return point


def find_contact_point(session: Session, name: str) -> ContactPoint:
    point = session.scalar(select(ContactPoint).where(ContactPoint.name == name.strip()))
    if point is None:
        raise NotFoundError(f"no contact point named {name!r}")
    return point


# --- consultations ------------------------------------------------------------------


def create_consultation(
    session: Session,
    *,
    title: str,
    issuing_body: str | None = None,
    level: str | None = None,
    opened_on: date | None = None,
    deadline: date | None = None,
    contact_point: str | None = None,
    contact_point_level: str | None = None,
    source_url: str | None = None,
    external_id: str | None = None,
    status: str = "open",
    meta: dict[str, Any] | None = None,
    addressee: str | None = None,
    signer: str | None = None,
    signed_on: date | None = None,
) -> Consultation:
    """A new consultation (the caller audits it: storage does not know who acts)."""
    title = check_consultation(title=title, opened_on=opened_on, deadline=deadline, status=status)
    if external_id and session.scalar(
        select(Consultation).where(Consultation.external_id == external_id)
    ):
        raise ConflictError(f"a consultation with external id {external_id!r} already exists")
    point = (
        get_or_create_contact_point(session, contact_point, contact_point_level)
        if contact_point
        else None
    )
    consultation = Consultation(
        title=title,
        issuing_body=issuing_body,
        level=level,
        opened_on=opened_on,
        deadline=deadline,
        contact_point=point,
        source_url=source_url,
        external_id=external_id,
        status=status,
        meta=meta or {},
        addressee=addressee,
        signer=signer,
        signed_on=signed_on,
    )
    session.add(consultation)
    session.flush()
    return consultation


def check_consultation(
    *,
    title: str | None,
    opened_on: date | None = None,
    deadline: date | None = None,
    status: str | None = None,
) -> str:
    """The rules every stored consultation keeps; returns the title stripped."""
    title = (title or "").strip()
    if not title:
        raise InputError("consultation title is empty", message_zh="标题不能为空")
    if opened_on and deadline and deadline < opened_on:
        raise InputError(
            f"deadline {deadline} is before the opening date {opened_on}",
            message_zh="截止日期早于开始日期",
        )
    if status is not None and status not in CONSULTATION_STATUSES:
        raise InputError(
            f"--status: {status!r} is not one of {', '.join(CONSULTATION_STATUSES)}",
            message_zh="状态无效",
        )
    return title


def get_consultation(session: Session, consultation_id: int) -> Consultation:
    consultation = session.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFoundError(
            f"no consultation with id {consultation_id}; see `minyi consultation list`",
            message_zh=f"未找到编号为 {consultation_id} 的征求意见任务",
        )
    return consultation


def list_consultations(session: Session) -> list[dict[str, Any]]:
    """Consultations with their comment and suggestion counts, newest first."""
    comment_counts = dict(
        session.execute(
            select(Comment.consultation_id, func.count()).group_by(Comment.consultation_id)
        ).all()
    )
    suggestion_counts = dict(
        session.execute(
            select(Suggestion.consultation_id, func.count()).group_by(Suggestion.consultation_id)
        ).all()
    )
    rows = []
    for c in session.scalars(select(Consultation).order_by(Consultation.id.desc())):
        rows.append(
            {
                **consultation_summary(c),
                "comments": comment_counts.get(c.id, 0),
                "suggestions": suggestion_counts.get(c.id, 0),
            }
        )
    return rows


def consultation_summary(c: Consultation) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "issuing_body": c.issuing_body,
        "level": c.level,
        "opened_on": c.opened_on.isoformat() if c.opened_on else None,
        "deadline": c.deadline.isoformat() if c.deadline else None,
        "status": c.status,
        "contact_point": c.contact_point.name if c.contact_point else None,
        "addressee": c.addressee,
        "signer": c.signer,
        "signed_on": c.signed_on.isoformat() if c.signed_on else None,
        "source_url": c.source_url,
        "external_id": c.external_id,
        "versions": [v.label for v in c.versions],
        "version": c.row_version,
    }


# --- draft versions -----------------------------------------------------------------


def draft_text_hash(parsed: ParsedDraft) -> str:
    return hashlib.sha256(parsed.full_text.encode("utf-8")).hexdigest()


def load_draft_version(
    session: Session,
    consultation_id: int,
    parsed: ParsedDraft,
    *,
    label: str = "征求意见稿",
    source_file: str | None = None,
    comment_base: bool | None = None,
) -> tuple[DraftVersion, bool]:
    """Attach a parsed text to a consultation as a version with its provision tree.

    Idempotent: loading the same text under the same label again changes nothing and
    returns ``(version, False)``. A different text under an existing label is refused.
    The first version loaded is the one comments refer to (``is_comment_base``) unless
    ``comment_base`` says otherwise.
    """
    consultation = get_consultation(session, consultation_id)
    if not parsed.articles:
        raise InputError(f"{source_file or 'draft'}: no articles (第X条) found")
    text_hash = draft_text_hash(parsed)
    existing = session.scalar(
        select(DraftVersion).where(
            DraftVersion.consultation_id == consultation.id, DraftVersion.label == label
        )
    )
    if existing is not None:
        if existing.text_hash == text_hash:
            return existing, False
        raise ConflictError(
            f"consultation {consultation.id} already has a different {label!r}; "
            "load the new text under another label (e.g. --label 二审稿)"
        )
    has_base = session.scalar(
        select(func.count())
        .select_from(DraftVersion)
        .where(DraftVersion.consultation_id == consultation.id, DraftVersion.is_comment_base)
    )
    ordinal = session.scalar(
        select(func.count())
        .select_from(DraftVersion)
        .where(DraftVersion.consultation_id == consultation.id)
    )
    version = DraftVersion(
        consultation_id=consultation.id,
        label=label,
        ordinal=ordinal or 0,
        title=parsed.title,
        source_file=source_file,
        text_hash=text_hash,
        is_comment_base=bool(comment_base) if comment_base is not None else not has_base,
    )
    session.add(version)
    session.flush()
    _store_provisions(session, version, parsed)
    return version, True


def _store_provisions(session: Session, version: DraftVersion, parsed: ParsedDraft) -> None:
    """Write the 编/章/节/条/款/项 tree in document order."""
    order = 0
    headings: dict[tuple[str, str], Provision] = {}

    def add(kind: str, label: str, text: str, parent: Provision | None, **kw: Any) -> Provision:
        nonlocal order
        order += 1
        node = Provision(
            version_id=version.id,
            kind=kind,
            label=label,
            text=text,
            parent_id=parent.id if parent else None,
            order=order,
            **kw,
        )
        session.add(node)
        session.flush()
        return node

    def heading(kind: str, label: str | None, parent: Provision | None) -> Provision | None:
        if not label:
            return parent
        key = (kind, f"{parent.id if parent else ''}/{label}")
        if key not in headings:
            headings[key] = add(kind, label, "", parent, number=heading_number(label))
        return headings[key]

    for article in parsed.articles:
        parent = heading("part", article.part, None)
        parent = heading("chapter", article.chapter, parent)
        parent = heading("section", article.section, parent)
        art = add(
            "article",
            article.label,
            article.text,
            parent,
            number=article.number,
            suffix=article.suffix,
        )
        for p_index, paragraph in enumerate(article.paragraphs, start=1):
            para = add(
                "paragraph",
                f"第{to_chinese(p_index)}款",
                paragraph.text,
                art,
                number=p_index,
            )
            for i_index, item in enumerate(paragraph.items, start=1):
                add("item", f"（{to_chinese(i_index)}）", item, para, number=i_index)


def find_version(session: Session, consultation_id: int, label: str | None = None) -> DraftVersion | None:
    """The version with ``label``, or the one comments refer to when no label is given;
    None when there is none."""
    query = select(DraftVersion).where(DraftVersion.consultation_id == consultation_id)
    if label:
        query = query.where(DraftVersion.label == label)
    else:
        query = query.order_by(DraftVersion.is_comment_base.desc(), DraftVersion.ordinal)
    return session.scalars(query).first()


def get_version(session: Session, consultation_id: int, label: str | None = None) -> DraftVersion:
    """Like :func:`find_version`, but a missing version is an error the user can fix."""
    version = find_version(session, consultation_id, label)
    if version is None:
        what = f"version {label!r}" if label else "draft"
        raise NotFoundError(
            f"consultation {consultation_id} has no {what}; load one with `minyi draft load`",
            message_zh="该征求意见任务尚未导入草案文本",
        )
    return version


def article_provisions(session: Session, version_id: int) -> list[Provision]:
    return list(
        session.scalars(
            select(Provision)
            .where(Provision.version_id == version_id, Provision.kind == "article")
            .order_by(Provision.order)
        )
    )


# --- audit --------------------------------------------------------------------------


def audit(
    session: Session,
    action: str,
    entity: Any,
    *,
    actor: str,
    user_id: int | None = None,
    consultation_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    entry = AuditLog(
        actor=actor,
        user_id=user_id,
        action=action,
        entity=getattr(entity, "__tablename__", type(entity).__name__),
        entity_id=getattr(entity, "id", None),
        consultation_id=consultation_id
        if consultation_id is not None
        else getattr(entity, "consultation_id", None)
        if not isinstance(entity, Consultation)
        else entity.id,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


# --- users --------------------------------------------------------------------------


def find_consultation_id(session: Session, *, external_id: str) -> int | None:
    return session.scalar(select(Consultation.id).where(Consultation.external_id == external_id))


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def user_contact_point_ids(session: Session, user: User) -> set[int]:
    """The contact points a staff member works for (``models.accounts`` keeps them)."""
    from models import accounts

    points = accounts.contact_point_ids(session, user.id)
    if user.contact_point_id is not None:
        points.add(user.contact_point_id)
    return points


def user_consultation_ids(session: Session, user: User) -> set[int] | None:
    """The consultations a reviewer is limited to; None when not limited."""
    from models import accounts

    return accounts.consultation_ids(session, user.id)
