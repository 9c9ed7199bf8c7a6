"""The domain model: consultations, drafts, raw records, comments, suggestions, analysis
results, feedback, adoption and the people who use minyi.

Personal data (author name, contact, organisation) lives in separate columns of
``Comment`` so that it can be masked and access-controlled; ``RawRecord.payload`` keeps
the record exactly as received and is never shown to reviewers of other units.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    false,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    JSON,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from models.base import Base, CreatedAt, utcnow

from minyi.core.vocab import (  # noqa: E402  (the vocabularies live in the core)
    CONTACT_POINT_LEVELS,
    CONSULTATION_LEVELS,
    CONSULTATION_STATUSES,
    CHANNELS,
    PROVISION_KINDS,
    PROVISION_KIND_ZH,
    RECORD_STATUSES,
    LINK_METHODS,
    SUGGESTION_TYPES,
    DUPLICATE_KINDS,
    ADOPTION_STATUSES,
    REVIEWED_SCOPES,
    ROLES,
)


class Versioned:
    """A row reviewers edit: ``row_version`` counts its changes, and SQLAlchemy refuses an
    UPDATE whose row changed since it was read (optimistic concurrency, ``version_id_col``),
    so a stale edit fails with a conflict instead of overwriting someone else's."""

    row_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.row_version}


class ContactPoint(CreatedAt, Base):
    """基层立法联系点 (or a committee office) that gathers opinions."""

    __tablename__ = "contact_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    level: Mapped[str | None] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("contact_point.id"))

    parent: Mapped[ContactPoint | None] = relationship(remote_side=[id])


class Consultation(Versioned, CreatedAt, Base):
    """征求意见任务: one draft opened for comment."""

    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    issuing_body: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str | None] = mapped_column(String(20))
    opened_on: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    source_url: Mapped[str | None] = mapped_column(String(1000))
    # Identifier on an official site (e.g. the NPC flxxId), used by crawlers to update.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_point.id"))
    published_comment_count: Mapped[int | None] = mapped_column(Integer)
    published_participant_count: Mapped[int | None] = mapped_column(Integer)
    notice_text: Mapped[str | None] = mapped_column(Text)
    attachment_url: Mapped[str | None] = mapped_column(String(1000))
    # The feedback document's 主送机关, 落款 (signing unit) and 成文日期; when empty it is
    # addressed to the issuing body, signed by the contact point and dated the day written.
    addressee: Mapped[str | None] = mapped_column(String(200))
    signer: Mapped[str | None] = mapped_column(String(200))
    signed_on: Mapped[date | None] = mapped_column(Date)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    contact_point: Mapped[ContactPoint | None] = relationship()
    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="consultation", order_by="DraftVersion.ordinal"
    )


class DraftVersion(CreatedAt, Base):
    """One text of the draft: 征求意见稿, 一审稿, 二审稿, 公布稿 …"""

    __tablename__ = "draft_version"
    __table_args__ = (UniqueConstraint("consultation_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    label: Mapped[str] = mapped_column(String(50))
    # Order of the versions within a consultation (0 = the text opened for comment).
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str | None] = mapped_column(String(500))
    source_file: Mapped[str | None] = mapped_column(String(1000))
    text_hash: Mapped[str] = mapped_column(String(64))
    is_comment_base: Mapped[bool] = mapped_column(Boolean, default=False)

    consultation: Mapped[Consultation] = relationship(back_populates="versions")
    provisions: Mapped[list[Provision]] = relationship(
        back_populates="version", order_by="Provision.order", cascade="all, delete-orphan"
    )


class Provision(Base):
    """A node of the draft's tree: 编/章/节/条/款/项/目."""

    __tablename__ = "provision"
    __table_args__ = (Index("ix_provision_version_kind_number", "version_id", "kind", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_version.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("provision.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[int | None] = mapped_column(Integer)
    suffix: Mapped[str | None] = mapped_column(String(20))  # 之一, 之二 …
    label: Mapped[str] = mapped_column(String(200))  # 第十二条, 第二章 总则, 第二款, （三）
    text: Mapped[str] = mapped_column(Text, default="")
    order: Mapped[int] = mapped_column(Integer)  # document order within the version

    version: Mapped[DraftVersion] = relationship(back_populates="provisions")
    parent: Mapped[Provision | None] = relationship(remote_side=[id])


class Source(Versioned, CreatedAt, Base):
    """One import unit: a file, an e-mail, a crawl of one site, a symposium."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(1000))  # file name, site name, meeting title
    origin: Mapped[str | None] = mapped_column(String(1000))  # path or URL
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)  # content hash
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_point.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"))  # e-mail attachment
    # e.g. symposium date and participant count ("meeting_date", "participant_count"),
    # e-mail headers, crawl settings.
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    contact_point: Mapped[ContactPoint | None] = relationship()


class RawRecord(CreatedAt, Base):
    """Every input record exactly as received, before anything else happens to it."""

    __tablename__ = "raw_record"
    __table_args__ = (UniqueConstraint("consultation_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"), index=True)
    origin: Mapped[str] = mapped_column(String(1000))  # file path or URL
    locator: Mapped[str | None] = mapped_column(String(200))  # sheet/row, paragraph, floor
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # fields as received
    raw_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="ok")
    error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, onupdate=utcnow)

    source: Mapped[Source | None] = relationship()


class Comment(CreatedAt, Base):
    """A comment as one person or group submitted it."""

    __tablename__ = "comment"
    # The contact points of a consultation, read per point (the article view's filter).
    __table_args__ = (Index("ix_comment_point", "contact_point_id", "consultation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    raw_record_id: Mapped[int | None] = mapped_column(ForeignKey("raw_record.id"), unique=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("source.id"), index=True)
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_point.id"))
    channel: Mapped[str] = mapped_column(String(20), default="other")
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    text: Mapped[str] = mapped_column(Text)
    # Personal data: separate columns so it can be masked and access-controlled.
    author_name: Mapped[str | None] = mapped_column(String(200))
    author_contact: Mapped[str | None] = mapped_column(String(500))
    author_organisation: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    # What the submitter declared beside the text (a form's 条款 / 原文 / 理由 columns).
    declared_articles: Mapped[list[Any]] = mapped_column(default=list)
    quoted_text: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # Filled by the pipeline.
    normalized_text: Mapped[str | None] = mapped_column(Text)
    masked_text: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)

    contact_point: Mapped[ContactPoint | None] = relationship()
    source: Mapped[Source | None] = relationship()
    raw_record: Mapped[RawRecord | None] = relationship()
    suggestions: Mapped[list[Suggestion]] = relationship(
        back_populates="comment", order_by="Suggestion.ordinal", cascade="all, delete-orphan"
    )


class DuplicateGroup(Versioned, CreatedAt, Base):
    """Suggestions that say the same thing ("有N人提出")."""

    __tablename__ = "duplicate_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # exact / near / campaign / semantic
    canonical_suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestion.id", use_alter=True, ondelete="SET NULL")
    )
    size: Mapped[int] = mapped_column(Integer, default=1)
    # A reviewer joined groups into this one: the analysis may add to it, never split it.
    is_manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Suggestion(Versioned, CreatedAt, Base):
    """One point of a comment (a comment may make several)."""

    __tablename__ = "suggestion"
    __table_args__ = (
        UniqueConstraint("comment_id", "ordinal"),
        # The review queue (open suggestions, least sure first) and the counts by reviewed
        # scope read this index only.
        Index("ix_suggestion_queue", "consultation_id", "reviewed_scope", "sureness"),
        # A new batch's exact copies of stored suggestions, and the suggestions not yet
        # compared (dedup_key NULL), are found through this index.
        Index("ix_suggestion_dedup_key", "consultation_id", "dedup_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))  # indexed first in the composite index above
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    masked_text: Mapped[str | None] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str | None] = mapped_column(String(10))
    is_general: Mapped[bool] = mapped_column(Boolean, default=False)
    # True when the suggestion is outside the draft's scope (其他意见建议).
    is_out_of_scope: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("duplicate_group.id", ondelete="SET NULL"), index=True
    )
    # A reviewer's decision on where the suggestion belongs (REVIEWED_SCOPES: "article",
    # "general", "out_of_scope", "not_opinion"); the analysis never maps it again.
    reviewed_scope: Mapped[str | None] = mapped_column(String(20))
    # A reviewer decided the suggestion's duplicate group (took it out, or joined groups):
    # the analysis never puts it into a group, nor takes it out of one.
    group_is_manual: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The analysis' scope (pipeline.scope.SCOPES: article / general / chapter / out_of_scope /
    # not_opinion); a reviewer's ``reviewed_scope`` always wins over it.
    scope: Mapped[str | None] = mapped_column(String(20))
    # A citation that looks wrong, for the reviewer ({"cited": [54], "likely": [50],
    # "evidence": "…"}); None when the citation is sound. The writer's citation stays linked.
    citation_check: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # How sure the analysis is of where it put the suggestion (pipeline.queue: lower is
    # less sure; QUEUE_SURE and above stays out of the review queue). None: not yet worked
    # out, after the analysis (re)placed the suggestion.
    sureness: Mapped[float | None] = mapped_column(Float)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The stored duplicate index (pipeline.dedup.DedupIndex): NULL until duplicate detection
    # compared the suggestion; a later batch queries these instead of comparing everything
    # again. dedup_key: the exact stage's key (0: nothing to compare); dedup_cell: the
    # semantic stage's block; dedup_code: the embedding's sign code (pipeline.dedup.sign_codes).
    dedup_key: Mapped[int | None] = mapped_column(BigInteger)
    dedup_cell: Mapped[int | None] = mapped_column(ForeignKey("dedup_cell.id"), index=True)
    dedup_code: Mapped[bytes | None] = mapped_column(LargeBinary)

    comment: Mapped[Comment] = relationship(back_populates="suggestions")
    links: Mapped[list[SuggestionProvision]] = relationship(
        back_populates="suggestion", cascade="all, delete-orphan"
    )
    duplicate_group: Mapped[DuplicateGroup | None] = relationship(
        foreign_keys=[duplicate_group_id]
    )


class DedupBand(Base):
    """A MinHash LSH band hash of a stored suggestion (pipeline.dedup.band_hashes): a new
    suggestion sharing one with it is compared with it. The suggestion id is a plain number,
    not a foreign key: a row left behind by a deleted suggestion only names a candidate that
    is no longer there."""

    __tablename__ = "dedup_band"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), primary_key=True)
    band_hash: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class DedupCell(Base):
    """A block of the semantic duplicate stage: one scope's suggestions near one centroid.
    A new suggestion is compared with the members of its nearest block."""

    __tablename__ = "dedup_cell"
    __table_args__ = (Index("ix_dedup_cell_scope", "consultation_id", "backend", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    backend: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(100))
    centroid: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian, L2-normalised


class SuggestionProvision(CreatedAt, Base):
    """A link from a suggestion to a provision, with how it was found."""

    __tablename__ = "suggestion_provision"
    __table_args__ = (UniqueConstraint("suggestion_id", "provision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestion.id", ondelete="CASCADE"), index=True
    )
    provision_id: Mapped[int] = mapped_column(ForeignKey("provision.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(String(20))  # explicit / semantic / manual
    score: Mapped[float] = mapped_column(Float, default=1.0)
    # Finer reference inside the article, when the suggestion named it (第二款第（三）项).
    paragraph: Mapped[int | None] = mapped_column(Integer)
    item: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(String(500))  # the matched reference text
    is_manual: Mapped[bool] = mapped_column(Boolean, default=False)

    suggestion: Mapped[Suggestion] = relationship(back_populates="links")
    provision: Mapped[Provision] = relationship()


class Cluster(Versioned, CreatedAt, Base):
    """Suggestions on one article (or 总体意见) that make the same point."""

    __tablename__ = "cluster"
    # One article's clusters (the article view of one article).
    __table_args__ = (Index("ix_cluster_article", "consultation_id", "provision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))  # indexed first in the composite index above
    # The article the cluster is about; None for 总体意见 (general) or 其他.
    provision_id: Mapped[int | None] = mapped_column(ForeignKey("provision.id"))
    scope: Mapped[str] = mapped_column(String(50))  # "article:12", "general", "other"
    label: Mapped[str | None] = mapped_column(String(500))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    representative_suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestion.id", ondelete="SET NULL")
    )
    type: Mapped[str | None] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer, default=0)  # people, duplicates included
    # Reviewer work: consolidated wording, reason, and whether a person edited it.
    consolidated_text: Mapped[str | None] = mapped_column(Text)
    reason_text: Mapped[str | None] = mapped_column(Text)
    is_manual: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, onupdate=utcnow)

    members: Mapped[list[ClusterMember]] = relationship(
        back_populates="cluster", cascade="all, delete-orphan"
    )
    provision: Mapped[Provision | None] = relationship()


class ClusterMember(Base):
    __tablename__ = "cluster_member"
    __table_args__ = (UniqueConstraint("cluster_id", "suggestion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("cluster.id", ondelete="CASCADE"))
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestion.id", ondelete="CASCADE"), index=True
    )
    is_manual: Mapped[bool] = mapped_column(Boolean, default=False)

    cluster: Mapped[Cluster] = relationship(back_populates="members")
    suggestion: Mapped[Suggestion] = relationship()


class FeedbackItem(CreatedAt, Base):
    """One row of the document sent upward (三、逐条修改意见 and the other sections)."""

    __tablename__ = "feedback_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_point.id"))
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("cluster.id", ondelete="SET NULL"))
    provision_id: Mapped[int | None] = mapped_column(ForeignKey("provision.id"))
    section: Mapped[str] = mapped_column(String(20))  # general / article / other
    ordinal: Mapped[int] = mapped_column(Integer)
    article_label: Mapped[str | None] = mapped_column(String(100))
    draft_text: Mapped[str | None] = mapped_column(Text)
    suggestion_text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    proposers: Mapped[str | None] = mapped_column(Text)
    count: Mapped[int] = mapped_column(Integer, default=1)
    report_file: Mapped[str | None] = mapped_column(String(1000))


class AdoptionDecision(Versioned, Base):
    """Whether a suggestion was adopted. A reviewer's decision (source='manual') always
    wins over the detector's (source='auto'); re-detection never overwrites it."""

    __tablename__ = "adoption_decision"
    __table_args__ = (UniqueConstraint("suggestion_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"))
    final_version_id: Mapped[int | None] = mapped_column(ForeignKey("draft_version.id"))
    status: Mapped[str] = mapped_column(String(10))
    confidence: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(10))  # auto / manual
    decided_by: Mapped[str] = mapped_column(String(100))  # "auto" or a user name
    rule: Mapped[str | None] = mapped_column(String(100))
    draft_articles: Mapped[list[Any]] = mapped_column(default=list)
    final_articles: Mapped[list[Any]] = mapped_column(default=list)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class User(CreatedAt, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    password_hash: Mapped[str | None] = mapped_column(String(300))
    contact_point_id: Mapped[int | None] = mapped_column(ForeignKey("contact_point.id"))
    # May see unmasked personal data of its own contact point's comments.
    can_see_personal_data: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The acting user's name (a registered user's username, else the operating-system user).
    actor: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(100))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id"), index=True)
    # Reviewer operations store snapshots of every row they touched ({"entities": {"cluster:3":
    # {...}}}): what the audit page shows, what undo restores and what a conflict names.
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class PipelineRun(Base):
    __tablename__ = "pipeline_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50), default="analyze")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    backend: Mapped[str | None] = mapped_column(String(50))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class EmbeddingCache(Base):
    """Embeddings by backend and text hash, so a re-run embeds only new text."""

    __tablename__ = "embedding_cache"
    __table_args__ = (UniqueConstraint("backend", "text_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    backend: Mapped[str] = mapped_column(String(200))
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
