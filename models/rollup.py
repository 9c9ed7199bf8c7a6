"""Storage for feedback that rolls up between levels (社区 → 街道 → 区级 → 市级 → 国家级).

* ``ConsultationParticipant``: the lower-level contact points taking part in a higher
  level's consultation.
* ``FeedbackBundle`` / ``BundleItem``: every bundle a level sent (its rows and the
  suggestions each row stands for, so decisions coming back find them) or received (its rows
  and the comment each became here). A point's newer bundle replaces its earlier one row by
  row: unchanged rows stay, changed or dropped rows are withdrawn (their comments deleted,
  their raw records kept for provenance), so nothing is ever counted twice.
* ``ContributorConsent``: whether a contributor agreed to be named in the public notice
  (set by hand; a form's 是否同意公开姓名 column is read from the raw record).

A rolled-up comment carries its origin in ``Comment.meta["rollup"]``: the people it stands
for and the points further down that raised it (``ROLLUP_KEY``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint, false, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from minyi.core.errors import ConflictError, InputError, NotFoundError
from minyi.core.records import ROLLUP_BUNDLE_KEY, text_hash
from minyi.core.records import ROLLUP_KEY as _ROLLUP_KEY
from models.base import Base, CreatedAt
from models.entities import (
    CONTACT_POINT_LEVELS,
    Comment,
    Consultation,
    ContactPoint,
    RawRecord,
    Source,
)

# Comment.meta key of a rolled-up comment, and the Source.meta key an importer sets on a
# bundle or feedback table (see ``settle_received``).
ROLLUP_KEY = _ROLLUP_KEY
BUNDLE_META_KEY = ROLLUP_BUNDLE_KEY
WITHDRAWN_PREFIX = "withdrawn: "


class ConsultationParticipant(CreatedAt, Base):
    """A lower-level contact point taking part in a higher level's consultation."""

    __tablename__ = "consultation_participant"
    __table_args__ = (UniqueConstraint("consultation_id", "contact_point_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    contact_point_id: Mapped[int] = mapped_column(ForeignKey("contact_point.id", ondelete="CASCADE"))

    contact_point: Mapped[ContactPoint] = relationship()


class FeedbackBundle(CreatedAt, Base):
    """A bundle sent or received: feedback going up, or decisions coming down."""

    __tablename__ = "feedback_bundle"
    __table_args__ = (UniqueConstraint("consultation_id", "direction", "bundle_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # sent / received
    kind: Mapped[str] = mapped_column(String(20))  # feedback / decisions
    bundle_uid: Mapped[str] = mapped_column(String(64))
    # The point that issued it (sent: this level's own point; received: the sender).
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_point.id", ondelete="SET NULL"))
    sequence: Mapped[int] = mapped_column(Integer, default=1)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)
    file: Mapped[str | None] = mapped_column(String(1000))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id", ondelete="SET NULL"))
    # A newer bundle of the same point replaced this one (received feedback).
    superseded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    contact_point: Mapped[ContactPoint | None] = relationship()
    items: Mapped[list[BundleItem]] = relationship(back_populates="bundle", cascade="all, delete-orphan",
                                                   order_by="BundleItem.id")


class BundleItem(Base):
    """One row of a bundle: sent, the suggestions it stands for; received, its comment."""

    __tablename__ = "bundle_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_id: Mapped[int] = mapped_column(ForeignKey("feedback_bundle.id", ondelete="CASCADE"), index=True)
    item_key: Mapped[str] = mapped_column(String(200))
    suggestion_ids: Mapped[list[Any]] = mapped_column(default=list)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="SET NULL"), index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    people: Mapped[int] = mapped_column(Integer, default=1)
    points: Mapped[list[Any]] = mapped_column(default=list)  # [{"name", "level", "people"}]
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)  # a decision: status, reply …

    bundle: Mapped[FeedbackBundle] = relationship(back_populates="items")


class ContributorConsent(CreatedAt, Base):
    """A contributor agreed (or not) to be named in the public notice."""

    __tablename__ = "contributor_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), unique=True)
    consent: Mapped[bool] = mapped_column(Boolean)
    set_by: Mapped[str] = mapped_column(String(100))


# --- contact points and participants -----------------------------------------------------


def check_level(level: str | None) -> None:
    if level is not None and level not in CONTACT_POINT_LEVELS:
        raise InputError(f"--level {level!r} is not one of {', '.join(CONTACT_POINT_LEVELS)}",
                         message_zh=f"联系点级别“{level}”无效")


def upsert_point(session: Session, name: str, level: str | None, parent: str | None) -> tuple[ContactPoint, bool]:
    """The point by name, created or given its level and parent; (point, created)."""
    check_level(level)
    name = (name or "").strip()
    if not name:
        raise InputError("contact point name is empty", message_zh="联系点名称为空")
    parent_point = find_point(session, parent) if parent else None
    point = session.scalar(select(ContactPoint).where(ContactPoint.name == name))
    created = point is None
    if point is None:
        point = ContactPoint(name=name)
        session.add(point)
    if level:
        point.level = level
    if parent_point is not None:
        if parent_point.id is not None and _is_ancestor(point, parent_point):
            raise ConflictError(f"{parent!r} is inside {name!r}: a point cannot be its own ancestor")
        point.parent = parent_point
    session.flush()
    return point, created


def _is_ancestor(point: ContactPoint, candidate: ContactPoint) -> bool:
    node: ContactPoint | None = candidate
    while node is not None:
        if node is point:
            return True
        node = node.parent
    return False


def find_point(session: Session, name: str) -> ContactPoint:
    point = session.scalar(select(ContactPoint).where(ContactPoint.name == (name or "").strip()))
    if point is None:
        raise NotFoundError(f"no contact point named {name!r}; create it with `minyi point add`",
                            message_zh=f"未找到联系点“{name}”")
    return point


def points_tree(session: Session) -> list[ContactPoint]:
    return list(session.scalars(select(ContactPoint).order_by(ContactPoint.id)))


def add_participants(session: Session, consultation_id: int, point_ids: list[int]) -> list[int]:
    """Add points to the consultation's participants; returns the ids newly added."""
    present = set(participant_ids(session, consultation_id))
    added = []
    for pid in dict.fromkeys(point_ids):
        if pid not in present:
            session.add(ConsultationParticipant(consultation_id=consultation_id, contact_point_id=pid))
            added.append(pid)
    session.flush()
    return added


def participant_ids(session: Session, consultation_id: int) -> list[int]:
    return list(session.scalars(
        select(ConsultationParticipant.contact_point_id)
        .where(ConsultationParticipant.consultation_id == consultation_id)
        .order_by(ConsultationParticipant.id)
    ))


def participants(session: Session, consultation_id: int) -> list[ContactPoint]:
    ids = participant_ids(session, consultation_id)
    points = {p.id: p for p in session.scalars(select(ContactPoint).where(ContactPoint.id.in_(ids)))}
    return [points[i] for i in ids]


def is_rollup(session: Session, consultation_id: int) -> bool:
    """True when the consultation gathers lower levels' feedback (participants or bundles)."""
    if participant_ids(session, consultation_id):
        return True
    return session.scalar(
        select(FeedbackBundle.id).where(FeedbackBundle.consultation_id == consultation_id,
                                        FeedbackBundle.direction == "received",
                                        FeedbackBundle.kind == "feedback").limit(1)
    ) is not None


# --- origins of rolled-up comments --------------------------------------------------------


@dataclass
class Origin:
    """Where a comment at this level came from: the people it stands for and the points
    (leaf contact points further down) that raised it."""

    people: int
    points: list[dict[str, Any]] = field(default_factory=list)  # [{"name", "level", "people"}]
    item_key: str | None = None
    sender: str | None = None


def origins(session: Session, consultation_id: int) -> dict[int, Origin]:
    """comment id → Origin, for the rolled-up comments of the consultation."""
    out: dict[int, Origin] = {}
    for cid, meta in session.execute(
        select(Comment.id, Comment.meta).where(Comment.consultation_id == consultation_id)
    ):
        info = (meta or {}).get(ROLLUP_KEY)
        if isinstance(info, dict):
            out[cid] = Origin(int(info.get("people") or 1), list(info.get("points") or []),
                              info.get("key"), info.get("sender"))
    return out


# --- bundles sent -------------------------------------------------------------------------


def next_sequence(session: Session, consultation_id: int, direction: str, kind: str, point_id: int | None) -> int:
    count = len(session.scalars(
        select(FeedbackBundle.id).where(FeedbackBundle.consultation_id == consultation_id,
                                        FeedbackBundle.direction == direction, FeedbackBundle.kind == kind,
                                        FeedbackBundle.contact_point_id == point_id)
    ).all())
    return count + 1


def record_sent(session: Session, consultation_id: int, kind: str, uid: str, point_id: int | None,
                sequence: int, issued_at: datetime, file: str | None,
                items: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> FeedbackBundle:
    """A bundle this level wrote, with each row's key and the suggestions it stands for."""
    bundle = FeedbackBundle(consultation_id=consultation_id, direction="sent", kind=kind, bundle_uid=uid,
                            contact_point_id=point_id, sequence=sequence, issued_at=issued_at, file=file,
                            meta=meta or {})
    bundle.items = [
        BundleItem(item_key=i["key"], suggestion_ids=list(i.get("suggestion_ids") or []),
                   people=int(i.get("count") or 1), points=list(i.get("points") or []),
                   meta={k: i[k] for k in ("status", "reply") if k in i})
        for i in items
    ]
    session.add(bundle)
    session.flush()
    return bundle


def latest_sent_items(session: Session, consultation_id: int, point_id: int | None) -> dict[str, BundleItem]:
    """item key → the row of the latest feedback bundle this level sent for ``point_id``."""
    bundle = session.scalar(
        select(FeedbackBundle)
        .where(FeedbackBundle.consultation_id == consultation_id, FeedbackBundle.direction == "sent",
               FeedbackBundle.kind == "feedback", FeedbackBundle.contact_point_id == point_id)
        .order_by(FeedbackBundle.sequence.desc(), FeedbackBundle.id.desc()).limit(1)
    )
    return {i.item_key: i for i in bundle.items} if bundle is not None else {}


def sent_feedback_points(session: Session, consultation_id: int) -> list[int | None]:
    return list(dict.fromkeys(session.scalars(
        select(FeedbackBundle.contact_point_id)
        .where(FeedbackBundle.consultation_id == consultation_id, FeedbackBundle.direction == "sent",
               FeedbackBundle.kind == "feedback").order_by(FeedbackBundle.id)
    )))


# --- bundles received ---------------------------------------------------------------------


@dataclass
class Settled:
    bundle_id: int
    sender: str | None
    kept: int = 0  # rows already here from an earlier bundle, unchanged
    added: int = 0
    withdrawn: int = 0  # rows of an earlier bundle the new one changed or dropped


def settle_received(session: Session, consultation_id: int, source_id: int) -> Settled | None:
    """After a bundle or feedback table was ingested as ``source_id``: record it, link its
    rows to their comments, and withdraw the rows of the same point's earlier bundles that
    this one no longer has. None when the source is not a bundle or feedback table.

    A bundle older (by sequence) than one already received from the point is refused:
    importing it would bring back rows the point has since corrected."""
    source = session.get(Source, source_id)
    info = (source.meta or {}).get(BUNDLE_META_KEY) if source is not None else None
    if not isinstance(info, dict):
        return None
    sender = source.contact_point
    sender_id = sender.id if sender is not None else None
    uid = str(info.get("uid") or source.fingerprint)
    sequence = int(info.get("sequence") or 0)
    earlier = list(session.scalars(
        select(FeedbackBundle).where(FeedbackBundle.consultation_id == consultation_id,
                                     FeedbackBundle.direction == "received", FeedbackBundle.kind == "feedback",
                                     FeedbackBundle.contact_point_id == sender_id)
    ))
    bundle = next((b for b in earlier if b.bundle_uid == uid), None)
    newer = [b for b in earlier if b is not bundle and not b.superseded and b.sequence > sequence > 0]
    if newer:
        raise ConflictError(
            f"{source.name}: bundle {sequence} of {sender.name if sender else 'this point'} is older than "
            f"bundle {newer[0].sequence} already imported; nothing was changed",
            message_zh="该反馈包早于已导入的版本，未导入",
        )
    if bundle is None:
        bundle = FeedbackBundle(consultation_id=consultation_id, direction="received", kind="feedback",
                                bundle_uid=uid, contact_point_id=sender_id, sequence=sequence,
                                issued_at=_when(info.get("issued_at")), file=source.origin or source.name,
                                source_id=source.id, meta={k: v for k, v in info.items() if k != "uid"})
        session.add(bundle)
        session.flush()
    if sender is not None:
        _place_sender(session, sender, info.get("sender") or {}, consultation_id)
        add_participants(session, consultation_id, [sender.id])
    result = Settled(bundle.id, sender.name if sender else None)
    current = _comments_of_source_records(session, consultation_id, source_id)
    live = {i.comment_id: i for b in earlier for i in b.items if not i.withdrawn and i.comment_id}
    for comment, content_hash in current:
        item = live.pop(comment.id, None)
        if item is not None:
            result.kept += 1
            if item.bundle_id != bundle.id:
                item.bundle_id = bundle.id
            continue
        if any(i.comment_id == comment.id for i in bundle.items):
            result.kept += 1
            continue
        rollup = (comment.meta or {}).get(ROLLUP_KEY) or {}
        bundle.items.append(BundleItem(item_key=str(rollup.get("key") or f"comment:{comment.id}"),
                                       comment_id=comment.id, content_hash=content_hash,
                                       people=int(rollup.get("people") or 1), points=list(rollup.get("points") or [])))
        result.added += 1
    for item in live.values():
        withdraw_item(session, item, f"replaced by {source.name}")
        result.withdrawn += 1
    for b in earlier:
        if b is not bundle:
            b.superseded = True
    session.flush()
    return result


def _place_sender(session: Session, sender: ContactPoint, declared: dict[str, Any], consultation_id: int) -> None:
    """A sender new to this level gets the level its bundle declares and, as parent, the
    point running the consultation (what the sender says is not taken over a known point)."""
    if not sender.level and declared.get("level") in CONTACT_POINT_LEVELS:
        sender.level = declared["level"]
    if sender.parent_id is None:
        own = session.get(Consultation, consultation_id).contact_point_id
        if own is not None and own != sender.id:
            sender.parent_id = own


def _comments_of_source_records(session: Session, consultation_id: int, source_id: int) -> list[tuple[Comment, str]]:
    """The comments of this source's rows, including rows an earlier import already stored
    (the same row re-sent: found by the record hash the reader gave it)."""
    hashes = session.scalars(select(RawRecord.content_hash).where(RawRecord.source_id == source_id)).all()
    source = session.get(Source, source_id)
    keys = list((source.meta or {}).get(BUNDLE_META_KEY, {}).get("record_hashes") or [])
    wanted = set(hashes) | set(keys)
    rows = session.execute(
        select(Comment, RawRecord.content_hash).join(RawRecord, RawRecord.id == Comment.raw_record_id)
        .where(Comment.consultation_id == consultation_id, RawRecord.content_hash.in_(list(wanted)))
        .order_by(Comment.id)
    ).all()
    return [(c, h) for c, h in rows]


def withdraw_item(session: Session, item: BundleItem, why: str) -> None:
    """Take a received row out: its comment (and so its suggestions, clusters memberships
    and decisions) is deleted; its raw record stays, marked, so the history is readable and
    a re-import of the old bundle adds nothing."""
    comment = session.get(Comment, item.comment_id) if item.comment_id else None
    if comment is not None:
        raw = comment.raw_record
        if raw is not None:
            raw.error = f"{WITHDRAWN_PREFIX}{why}"
            # The row's identity is freed: should a later bundle bring the same row back,
            # it is imported again instead of being taken for this withdrawn one.
            raw.content_hash = text_hash(f"{raw.content_hash}:withdrawn:{item.id}")
        session.delete(comment)
        session.flush()
    item.withdrawn = True
    item.comment_id = None


def received_items(session: Session, consultation_id: int) -> list[BundleItem]:
    """The live rows of every feedback bundle received for the consultation."""
    return list(session.scalars(
        select(BundleItem).join(FeedbackBundle, FeedbackBundle.id == BundleItem.bundle_id)
        .where(FeedbackBundle.consultation_id == consultation_id, FeedbackBundle.direction == "received",
               FeedbackBundle.kind == "feedback", BundleItem.withdrawn.is_(False),
               BundleItem.comment_id.is_not(None))
        .order_by(BundleItem.id)
    ))


def record_received_decisions(session: Session, consultation_id: int, uid: str, sender_id: int | None,
                              sequence: int, issued_at: datetime | None, file: str | None,
                              items: list[dict[str, Any]]) -> tuple[FeedbackBundle, bool]:
    """A decisions bundle from above, recorded once (by its id); (bundle, new)."""
    existing = session.scalar(select(FeedbackBundle).where(
        FeedbackBundle.consultation_id == consultation_id, FeedbackBundle.direction == "received",
        FeedbackBundle.bundle_uid == uid))
    if existing is not None:
        return existing, False
    bundle = FeedbackBundle(consultation_id=consultation_id, direction="received", kind="decisions",
                            bundle_uid=uid, contact_point_id=sender_id, sequence=sequence,
                            issued_at=issued_at, file=file)
    bundle.items = [BundleItem(item_key=i["key"], suggestion_ids=list(i.get("suggestion_ids") or []),
                               meta={k: i.get(k) for k in ("status", "reply", "note", "final_articles")})
                    for i in items]
    session.add(bundle)
    session.flush()
    return bundle, True


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        return None


def final_version_label(session: Session, consultation_id: int) -> str | None:
    """The label of the latest version after the commented one (公布稿 …), if loaded."""
    from models.entities import DraftVersion

    return session.scalar(
        select(DraftVersion.label).where(DraftVersion.consultation_id == consultation_id,
                                         DraftVersion.is_comment_base.is_(False))
        .order_by(DraftVersion.ordinal.desc(), DraftVersion.id.desc()).limit(1)
    )


# --- consent ------------------------------------------------------------------------------


def consent_overrides(session: Session, comment_ids: list[int]) -> dict[int, bool]:
    if not comment_ids:
        return {}
    return dict(session.execute(
        select(ContributorConsent.comment_id, ContributorConsent.consent)
        .where(ContributorConsent.comment_id.in_(comment_ids))
    ).all())


def set_consent(session: Session, comment_id: int, consent: bool, user: str) -> tuple[bool | None, ContributorConsent]:
    """Record consent for one comment; returns (the value before, the row)."""
    if session.get(Comment, comment_id) is None:
        raise NotFoundError(f"no comment with id {comment_id}", message_zh=f"未找到意见 {comment_id}")
    row = session.scalar(select(ContributorConsent).where(ContributorConsent.comment_id == comment_id))
    before = row.consent if row is not None else None
    if row is None:
        row = ContributorConsent(comment_id=comment_id, consent=consent, set_by=user)
        session.add(row)
    row.consent, row.set_by = consent, user
    session.flush()
    return before, row


def contributor_comments(session: Session, consultation_id: int, point_id: int | None) -> list[tuple[Comment, dict[str, Any]]]:
    """The consultation's own comments (not rolled up from below) of one point (None: all),
    with the raw record's payload (the form's columns as received)."""
    rows = session.execute(
        select(Comment, RawRecord.payload).outerjoin(RawRecord, RawRecord.id == Comment.raw_record_id)
        .outerjoin(Source, Source.id == Comment.source_id)
        .join(Consultation, Consultation.id == Comment.consultation_id)
        .where(Comment.consultation_id == consultation_id)
        .order_by(Comment.id)
    ).all()
    out = []
    for comment, payload in rows:
        if ROLLUP_KEY in (comment.meta or {}):
            continue
        effective = comment.contact_point_id or (comment.source.contact_point_id if comment.source else None) \
            or session.get(Consultation, consultation_id).contact_point_id
        if point_id is not None and effective != point_id:
            continue
        out.append((comment, dict(payload or {})))
    return out
