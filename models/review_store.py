"""Storage for reviewer operations: load a row and check the version the reviewer saw,
change it, and snapshot every row an operation touches for the audit log and undo.

An operation works through a :class:`Change`: it calls ``change.touch(row)`` before it
modifies a row (the "before" snapshot), ``change.created(row)`` for a row it adds and
``change.deleted(row)`` for one it removes; ``change.finish()`` flushes (a row someone else
changed meanwhile is a ``ConflictError``) and takes the "after" snapshots. Snapshots are
plain JSON: ``{"suggestion:5": {...}, "cluster:3": {...}}``; the audit log keeps them, undo
(:func:`restore`) puts back the "before" values of what the operation changed, field by
field, and a conflict names the change that made a row newer.

Rows are versioned (``row_version``, SQLAlchemy's ``version_id_col``); every row a change
touches gets a new version, even when only its links or memberships changed, so a reviewer
working from an older view of it gets a conflict instead of overwriting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from minyi.core.errors import ConflictError, InputError, NotFoundError
from minyi.core import citations
from minyi.core.numerals import parse_number, to_chinese
from models.provisions import ProvisionTree
from models.entities import (
    AuditLog,
    Cluster,
    ClusterMember,
    Consultation,
    DuplicateGroup,
    Provision,
    Source,
    Suggestion,
    SuggestionProvision,
)
from models.analysis_store import people_in_clusters
from models.store import find_version

# What the user calls each kind of row (English, Chinese), and how keys name them.
NAMES: dict[str, tuple[str, str]] = {
    "consultation": ("consultation", "征求意见任务"),
    "source": ("source", "意见来源"),
    "suggestion": ("suggestion", "意见建议"),
    "cluster": ("cluster", "归并意见"),
    "duplicate_group": ("duplicate group", "重复意见组"),
}
MODELS: dict[str, type] = {
    "consultation": Consultation,
    "source": Source,
    "suggestion": Suggestion,
    "cluster": Cluster,
    "duplicate_group": DuplicateGroup,
}
# Source.meta keys of a symposium (the minutes importer writes these; reports read them).
SYMPOSIUM_DATE = "meeting_date"
SYMPOSIUM_PARTICIPANTS = "participant_count"
# Audit rows scanned to find who changed a row last (the newest first).
_HISTORY_LIMIT = 2000


def key_of(row: Any) -> str:
    return f"{row.__tablename__}:{row.id}"


def parse_key(key: str) -> tuple[str, int]:
    kind, _, ident = key.partition(":")
    return kind, int(ident)


def name_of(row_or_key: Any, *, zh: bool = False) -> str:
    """"suggestion 5" / "意见建议5"."""
    kind, ident = parse_key(row_or_key if isinstance(row_or_key, str) else key_of(row_or_key))
    en, cn = NAMES.get(kind, (kind, kind))
    return f"{cn}{ident}" if zh else f"{en} {ident}"


# --- loading ----------------------------------------------------------------------------


def get_row(session: Session, kind: str, ident: int) -> Any:
    row = session.get(MODELS[kind], ident)
    if row is None:
        en, cn = NAMES[kind]
        raise NotFoundError(f"no {en} with id {ident}", message_zh=f"未找到编号为 {ident} 的{cn}")
    return row


def get_suggestion(session: Session, suggestion_id: int) -> Suggestion:
    return get_row(session, "suggestion", suggestion_id)


def get_cluster(session: Session, cluster_id: int) -> Cluster:
    return get_row(session, "cluster", cluster_id)


def get_group(session: Session, group_id: int) -> DuplicateGroup:
    return get_row(session, "duplicate_group", group_id)


def get_source(session: Session, source_id: int) -> Source:
    return get_row(session, "source", source_id)


def check_version(session: Session, row: Any, expected: int | None) -> None:
    """Refuse an edit made on an older version of ``row`` than the stored one, naming both
    versions and the change that made it newer."""
    if expected is None or expected == row.row_version:
        return
    last = recorded_change(session, row)
    if last is not None:
        when = last.at.strftime("%Y-%m-%d %H:%M")
        after = last.after or {}
        what = f"{last.actor} at {when}: {after.get('summary') or last.action}"
        what_zh = f"{last.actor}于{when}{after.get('summary_zh') or last.action}"
    else:  # changed by the analysis or by a program that writes no snapshot
        what, what_zh = "changed by the analysis or another program", "由自动分析或其他程序修改"
    raise ConflictError(
        f"{name_of(row)} was changed by someone else: you edited version {expected}, "
        f"it is now version {row.row_version} ({what}); reload it and try again",
        message_zh=(
            f"该记录已被他人修改：您编辑的是{name_of(row, zh=True)}的第{expected}版，"
            f"当前为第{row.row_version}版（{what_zh}）。请刷新后重试。"
        ),
    )


def recorded_change(session: Session, row: Any) -> AuditLog | None:
    """The audit row of the change that left ``row`` as it is now; None when a program
    that writes no snapshot (the analysis, an import) changed it last."""
    consultation_id = row.id if isinstance(row, Consultation) else getattr(row, "consultation_id", None)
    last = last_change(session, key_of(row), consultation_id)
    if last is None:
        return None
    snap = ((last.after or {}).get("entities") or {}).get(key_of(row)) or {}
    return last if snap.get("version") == row.row_version else None


def last_change(session: Session, key: str, consultation_id: int | None) -> AuditLog | None:
    """The newest audit row whose snapshots include ``key``."""
    # Snapshots of a large cluster run to tens of kilobytes: only rows whose text names
    # the key are read and decoded (and then checked, as the text may name it elsewhere).
    named = cast(AuditLog.after, String).like(f'%"{key}"%')
    query = select(AuditLog.id).where(named).order_by(AuditLog.id.desc()).limit(_HISTORY_LIMIT)
    if consultation_id is not None:
        query = query.where(AuditLog.consultation_id == consultation_id)
    for audit_id in session.scalars(query).all():
        row = session.get(AuditLog, audit_id)
        if row is not None and key in ((row.after or {}).get("entities") or {}):
            return row
    return None


# --- snapshots ----------------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def snapshot(session: Session, row: Any) -> dict[str, Any]:
    """The row as JSON: the fields reviewers change (restored by undo) and, for reading,
    a few that identify it (``text``, ``label``)."""
    kind = row.__tablename__
    snap: dict[str, Any] = {"version": row.row_version}
    if kind == "consultation":
        snap.update(
            title=row.title, issuing_body=row.issuing_body, addressee=row.addressee,
            signer=row.signer, signed_on=_iso(row.signed_on), opened_on=_iso(row.opened_on),
            deadline=_iso(row.deadline), status=row.status,
        )
    elif kind == "source":
        meta = row.meta or {}
        snap.update(
            consultation_id=row.consultation_id, name=row.name,
            date=meta.get(SYMPOSIUM_DATE), participants=meta.get(SYMPOSIUM_PARTICIPANTS),
        )
    elif kind == "suggestion":
        snap.update(
            consultation_id=row.consultation_id,
            text=(row.masked_text or row.text or "")[:80],  # masked: the log may be read widely
            reviewed_scope=row.reviewed_scope, is_general=bool(row.is_general),
            is_out_of_scope=bool(row.is_out_of_scope), duplicate_group_id=row.duplicate_group_id,
            group_is_manual=bool(row.group_is_manual), links=_links(session, row.id),
        )
    elif kind == "cluster":
        snap.update(
            consultation_id=row.consultation_id, scope=row.scope, provision_id=row.provision_id,
            label=row.label, keywords=list(row.keywords or []),
            representative_suggestion_id=row.representative_suggestion_id, type=row.type,
            size=row.size, consolidated_text=row.consolidated_text, reason_text=row.reason_text,
            is_manual=bool(row.is_manual), reviewed=bool(row.reviewed),
            members=[
                [sid, bool(manual)]
                for sid, manual in session.execute(
                    select(ClusterMember.suggestion_id, ClusterMember.is_manual)
                    .where(ClusterMember.cluster_id == row.id)
                    .order_by(ClusterMember.suggestion_id)
                )
            ],
        )
    elif kind == "duplicate_group":
        snap.update(
            consultation_id=row.consultation_id, kind=row.kind,
            canonical_suggestion_id=row.canonical_suggestion_id, size=row.size,
            is_manual=bool(row.is_manual),
            members=list(
                session.scalars(
                    select(Suggestion.id).where(Suggestion.duplicate_group_id == row.id).order_by(Suggestion.id)
                )
            ),
        )
    else:  # pragma: no cover - every versioned kind reviewers edit is listed above
        raise ValueError(f"no snapshot for {kind}")
    return snap


def _links(session: Session, suggestion_id: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(SuggestionProvision, Provision.label)
        .join(Provision, Provision.id == SuggestionProvision.provision_id)
        .where(SuggestionProvision.suggestion_id == suggestion_id)
        .order_by(SuggestionProvision.id)
    ).all()
    return [
        {
            "provision_id": link.provision_id, "method": link.method, "score": link.score,
            "paragraph": link.paragraph, "item": link.item, "evidence": link.evidence,
            "is_manual": bool(link.is_manual), "label": provision_label(label, link.paragraph),
        }
        for link, label in rows
    ]


def provision_label(article_label: str, paragraph: int | None) -> str:
    """第十二条 + 2 → 第十二条第二款."""
    return f"{article_label}第{to_chinese(paragraph)}款" if paragraph else article_label


def bump(row: Any) -> None:
    """Give ``row`` a new version at the next flush even when none of its own columns
    changed (its links or memberships did)."""
    flag_modified(row, "title" if isinstance(row, Consultation) else "consultation_id")


@dataclass
class Change:
    """The rows one reviewer operation touches, with their snapshots before and after."""

    session: Session
    before: dict[str, dict[str, Any]] = field(default_factory=dict)
    rows: dict[str, Any] = field(default_factory=dict)
    new: list[Any] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    after: dict[str, dict[str, Any]] = field(default_factory=dict)

    def touch(self, *rows: Any) -> None:
        """Snapshot rows before they change (once per row per change)."""
        for row in rows:
            key = key_of(row)
            if key not in self.before and key not in self.rows:
                self.before[key] = snapshot(self.session, row)
                self.rows[key] = row

    def created(self, row: Any) -> None:
        """A row the operation made (flushed, so it has its id): no "before" snapshot."""
        self.new.append(row)
        self.rows[key_of(row)] = row

    def deleted(self, row: Any) -> None:
        self.touch(row)
        self.gone.add(key_of(row))
        self.session.delete(row)

    def finish(self) -> dict[str, dict[str, Any]]:
        """Flush (a concurrent edit is a ConflictError) and snapshot what is now stored."""
        for key, row in self.rows.items():
            # Not yet written with a new version (an operation may flush on its way).
            if key in self.before and key not in self.gone and row.row_version == self.before[key]["version"]:
                bump(row)
        try:
            self.session.flush()
        except StaleDataError as exc:
            raise ConflictError(
                "a row was changed by someone else while you edited it; reload it and try again",
                message_zh="该记录已被他人修改，请刷新后重试。",
            ) from exc
        for key, row in self.rows.items():
            if key not in self.gone:
                self.after[key] = snapshot(self.session, row)
        return self.after


# --- restoring (undo) ---------------------------------------------------------------------

# Order of restoring kinds: groups before the suggestions that point at them, suggestions
# before the clusters whose members they are.
_RESTORE_ORDER = ("consultation", "source", "duplicate_group", "suggestion", "cluster")
# Snapshot fields undo never writes back: counted again afterwards (size, a group's
# members), or there only for reading (text, the row's version).
_DERIVED = {
    "version", "text", "size", "consultation_id",
    "duplicate_group:members",
}


def restore(change: Change, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> None:
    """Undo one operation, field by field: a field it changed goes back to its old value if
    it is still as the operation left it (else ``ConflictError``: someone changed it since);
    members it added to a cluster leave and members it removed come back, whatever else
    joined since (the analysis may have added some); rows it removed are made again (same
    id), rows it made are removed. Sizes and representatives are counted again."""
    session = change.session
    clusters: set[int] = set()
    groups: set[int] = set()
    for kind in _RESTORE_ORDER:
        for key in [k for k in dict.fromkeys([*before, *after]) if parse_key(k)[0] == kind]:
            old, new = before.get(key), after.get(key)
            row = session.get(MODELS[kind], parse_key(key)[1])
            if old is None:  # made by the operation: removed at the end
                continue
            if new is None:  # removed by the operation: made again
                if row is not None:
                    raise _undo_conflict(session, key, row, "exists again")
                row = _recreate(session, key, old)
                change.created(row)
                for name, value in old.items():
                    if name not in _DERIVED and f"{kind}:{name}" not in _DERIVED:
                        _set_field(session, row, name, value)
            else:
                if row is None:
                    raise _undo_conflict(session, key, None, "was removed")
                change.touch(row)
                _undo_fields(session, key, row, old, new)
            if kind == "cluster":
                clusters.add(row.id)
            elif kind == "duplicate_group":
                groups.add(row.id)
            elif kind == "suggestion" and old.get("duplicate_group_id") != (new or {}).get("duplicate_group_id"):
                groups.update(g for g in (old.get("duplicate_group_id"), (new or {}).get("duplicate_group_id")) if g)
            session.flush()
    for key in after:
        if key not in before:
            kind, ident = parse_key(key)
            row = session.get(MODELS[kind], ident)
            if row is None:
                continue
            if kind == "duplicate_group":
                for s in group_members(session, ident):
                    change.touch(s)
                    s.duplicate_group_id = None
            change.deleted(row)
            (clusters if kind == "cluster" else groups).discard(ident)
    settle(change, clusters)
    for gid in groups:
        group = session.get(DuplicateGroup, gid)
        if group is not None and key_of(group) not in change.gone:
            change.touch(group)
            group.size = len(group_members(session, gid))


def _undo_fields(session: Session, key: str, row: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
    kind = parse_key(key)[0]
    now = snapshot(session, row)
    changed = [
        name for name, value in old.items()
        if name not in _DERIVED and f"{kind}:{name}" not in _DERIVED and value != new.get(name)
    ]
    for name in changed:  # every field checked before any is written
        if name != "members" and not _same(name, now.get(name), new.get(name)):
            raise _undo_conflict(session, key, row, f"changed since ({name})")
    for name in changed:
        if name == "members":
            _undo_members(row, old["members"], new.get("members") or [])
        else:
            _set_field(session, row, name, old[name])


def _undo_members(cluster: Cluster, old: list[list[Any]], new: list[list[Any]]) -> None:
    """Members the operation added leave, members it removed come back; others stay."""
    was = {sid: manual for sid, manual in old}
    made = {sid: manual for sid, manual in new}
    present = {m.suggestion_id: m for m in cluster.members}
    for sid in made.keys() - was.keys():
        if sid in present:
            cluster.members.remove(present.pop(sid))
    for sid, manual in was.items():
        if sid in present:
            if made.get(sid) != manual and present[sid].is_manual == made.get(sid):
                present[sid].is_manual = manual
        elif sid not in made:
            cluster.members.append(ClusterMember(suggestion_id=sid, is_manual=manual))


def _same(name: str, a: Any, b: Any) -> bool:
    if name == "links":
        def norm(links: Any) -> list[tuple[Any, ...]]:
            return sorted((x["provision_id"], x["paragraph"] or 0, x["method"]) for x in links or [])

        return norm(a) == norm(b)
    return a == b


def _set_field(session: Session, row: Any, name: str, value: Any) -> None:
    kind = row.__tablename__
    if kind == "consultation" and name in ("signed_on", "opened_on", "deadline"):
        setattr(row, name, _date(value))
    elif kind == "source":
        meta = row.meta or {}
        held_on = value if name == "date" else meta.get(SYMPOSIUM_DATE)
        participants = value if name == "participants" else meta.get(SYMPOSIUM_PARTICIPANTS)
        set_symposium(row, held_on, participants)
    elif kind == "cluster" and name == "members":
        row.members = [ClusterMember(suggestion_id=sid, is_manual=manual) for sid, manual in value]
    elif kind == "suggestion" and name == "links":
        replace_links(session, row, [
            SuggestionProvision(
                provision_id=link["provision_id"], method=link["method"], score=link["score"],
                paragraph=link["paragraph"], item=link["item"], evidence=link["evidence"],
                is_manual=link["is_manual"],
            )
            for link in value
        ])
    else:
        setattr(row, name, value)


def _undo_conflict(session: Session, key: str, row: Any, what: str) -> ConflictError:
    last = recorded_change(session, row) if row is not None else None
    if last is not None:
        who = f" (last by {last.actor}: {(last.after or {}).get('summary') or last.action})"
    else:
        who = " (by the analysis or another program)" if row is not None else ""
    return ConflictError(
        f"cannot undo: {name_of(key)} {what}{who}",
        message_zh=f"无法撤销：{name_of(key, zh=True)}此后已被修改，请先处理后再试。",
    )


def _recreate(session: Session, key: str, snap: dict[str, Any]) -> Any:
    kind, ident = parse_key(key)
    if kind == "cluster":
        row: Any = Cluster(id=ident, consultation_id=snap["consultation_id"], scope=snap["scope"])
    elif kind == "duplicate_group":
        row = DuplicateGroup(id=ident, consultation_id=snap["consultation_id"], kind=snap["kind"])
    else:  # operations never remove consultations, sources or suggestions
        raise ConflictError(f"cannot undo: {name_of(key)} no longer exists")
    session.add(row)
    session.flush()
    return row


# --- suggestions --------------------------------------------------------------------------

# "12", "12.2", "10之一", "10之一.2" — or as cited: "第十二条", "第十二条第二款".
_TARGET = re.compile(rf"^(?P<num>\d+)(?P<suffix>之[{citations.SUFFIX_DIGITS}]+)?(?:\.(?P<para>\d+))?$")
_CITED_TARGET = re.compile(
    rf"^{citations.ARTICLE.pattern}(?:\s*{citations.DI}\s*(?P<para>{citations.NUM})\s*款)?$"
)


@dataclass(frozen=True)
class ArticleTarget:
    provision: Provision
    paragraph: int | None

    @property
    def label(self) -> str:
        return provision_label(self.provision.label, self.paragraph)


def article_target(session: Session, consultation_id: int, text: str) -> ArticleTarget:
    """"12" → 第十二条, "12.2" → 第十二条第二款, "5之一" → 第五条之一 of the version comments
    refer to."""
    match = _TARGET.match(text.strip()) or _CITED_TARGET.match(text.strip())
    try:
        number = parse_number(match.group("num")) if match else None
        paragraph = parse_number(match.group("para")) if match and match.group("para") else None
    except ValueError:
        number = None
    if match is None or number is None:
        raise InputError(
            f"--to: {text!r} is not an article (12), a paragraph (12.2), general, out-of-scope or not-opinion",
            message_zh=f"“{text}”不是有效的条款（如 12 或 12.2）",
        )
    suffix = re.sub(r"\s+", "", match.group("suffix") or "") or None
    version = find_version(session, consultation_id)
    if version is None:
        raise InputError(
            f"consultation {consultation_id} has no draft: a suggestion can only be general, "
            "out-of-scope or not-opinion; load the draft with `minyi draft load`",
            message_zh="该征求意见任务尚未导入草案文本，无法调整到具体条款",
        )
    article = session.scalar(
        select(Provision).where(
            Provision.version_id == version.id, Provision.kind == "article",
            Provision.number == number,
            Provision.suffix.is_(None) if suffix is None else Provision.suffix == suffix,
        )
    )
    if article is None:
        raise InputError(
            f"--to: the draft ({version.label}) has no article {number}{suffix or ''}",
            message_zh=f"草案中没有第{to_chinese(number)}条{suffix or ''}",
        )
    if paragraph is not None:
        count = session.scalar(
            select(func.count()).select_from(Provision).where(
                Provision.parent_id == article.id, Provision.kind == "paragraph"
            )
        ) or 0
        if not 1 <= paragraph <= count:
            raise InputError(
                f"--to: {article.label} has {count} paragraph(s) (款), not {paragraph}",
                message_zh=f"{article.label}共{count}款，没有第{to_chinese(paragraph)}款",
            )
    return ArticleTarget(article, paragraph)


def replace_links(session: Session, suggestion: Suggestion, links: Iterable[SuggestionProvision]) -> None:
    for link in list(suggestion.links):
        suggestion.links.remove(link)
    session.flush()  # the unique (suggestion, provision) pair may come back below
    suggestion.links.extend(links)


def manual_link(target: ArticleTarget) -> SuggestionProvision:
    return SuggestionProvision(
        provision_id=target.provision.id, method="manual", score=1.0, paragraph=target.paragraph,
        evidence="审阅人指定", is_manual=True,
    )


def with_duplicates(session: Session, suggestion: Suggestion) -> list[Suggestion]:
    """The suggestion and the other members of its duplicate group (they say the same thing,
    so they move together), by id."""
    if suggestion.duplicate_group_id is None:
        return [suggestion]
    return list(
        session.scalars(
            select(Suggestion)
            .where(Suggestion.duplicate_group_id == suggestion.duplicate_group_id)
            .order_by(Suggestion.id)
        )
    )


def group_members(session: Session, group_id: int) -> list[Suggestion]:
    return list(
        session.scalars(select(Suggestion).where(Suggestion.duplicate_group_id == group_id).order_by(Suggestion.id))
    )


def effective_scope(suggestion: Suggestion) -> str | None:
    """The reviewer's decision, else the analysis' (``Suggestion.scope``)."""
    return suggestion.reviewed_scope or suggestion.scope


def placements(session: Session, suggestion: Suggestion) -> set[str]:
    """Where the suggestion sits, as cluster scopes: "article:<provision id>" per linked
    article, else "general" / "other"; nothing for a non-opinion."""
    if effective_scope(suggestion) == "not_opinion":
        return set()
    articles = _article_ids(session, [suggestion.id]).get(suggestion.id, set())
    if articles:
        return {f"article:{pid}" for pid in articles}
    return {"other"} if suggestion.is_out_of_scope else {"general"}


def cluster_placement(cluster: Cluster) -> str:
    """The cluster's scope in the terms of :func:`placements`."""
    if cluster.provision_id is not None:
        return f"article:{cluster.provision_id}"
    return "other" if cluster.scope == "other" else "general"


def _article_ids(session: Session, suggestion_ids: Sequence[int]) -> dict[int, set[int]]:
    """suggestion id → ids of the articles its links point to (a link to a 款 counts for
    its article)."""
    out: dict[int, set[int]] = {}
    rows = session.execute(
        select(SuggestionProvision.suggestion_id, Provision.id, Provision.kind, Provision.parent_id)
        .join(Provision, Provision.id == SuggestionProvision.provision_id)
        .where(SuggestionProvision.suggestion_id.in_(list(suggestion_ids)))
    ).all()
    versions = {v for (v,) in session.execute(
        select(Provision.version_id).where(Provision.id.in_({pid for _s, pid, _k, _p in rows}))
    )}
    tree = ProvisionTree(session.execute(
        select(Provision.id, Provision.parent_id, Provision.kind).where(Provision.version_id.in_(versions))
    ).all())
    for sid, pid, _kind, _parent in rows:
        article = tree.article_of(tree.by_id[pid])
        out.setdefault(sid, set()).add(article.id if article is not None else pid)
    return out


def describe_placement(session: Session, suggestion: Suggestion) -> str:
    """For messages: 第十二条、第十三条 / 总体意见 / 草案范围外 / 非意见."""
    if effective_scope(suggestion) == "not_opinion":
        return "非意见"
    links = _links(session, suggestion.id)
    if links:
        return "、".join(link["label"] for link in links)
    return "草案范围外" if suggestion.is_out_of_scope else "总体意见"


# --- clusters -----------------------------------------------------------------------------


def memberships(session: Session, suggestion_ids: Iterable[int]) -> list[ClusterMember]:
    ids = list(suggestion_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(ClusterMember).where(ClusterMember.suggestion_id.in_(ids)).order_by(ClusterMember.id)
        )
    )


def member_ids(session: Session, cluster: Cluster) -> list[int]:
    return list(
        session.scalars(
            select(ClusterMember.suggestion_id).where(ClusterMember.cluster_id == cluster.id).order_by(ClusterMember.id)
        )
    )


def leave_clusters(change: Change, suggestion_ids: Iterable[int], *, keep: Any = lambda _cluster: False) -> set[int]:
    """Take the suggestions out of every cluster except those ``keep`` accepts; returns the
    ids of the clusters that lost members."""
    touched: set[int] = set()
    for member in memberships(change.session, suggestion_ids):
        cluster = member.cluster
        if keep(cluster):
            continue
        change.touch(cluster)
        cluster.members.remove(member)
        touched.add(cluster.id)
    return touched


def leave_unfitting_clusters(change: Change, suggestions: Iterable[Suggestion]) -> set[int]:
    """Take each suggestion out of the clusters that do not fit where it now sits (after
    an undo put it back: the analysis may have clustered it at its corrected place)."""
    touched: set[int] = set()
    for s in suggestions:
        fits = placements(change.session, s)
        touched |= leave_clusters(change, [s.id], keep=lambda c: cluster_placement(c) in fits)
    return touched


def join_cluster(change: Change, target: Cluster, suggestion_ids: Iterable[int]) -> set[int]:
    """Put the suggestions into ``target`` as a reviewer's placement (``is_manual``),
    taking them out of the other clusters of the same scope; returns the clusters that
    lost members."""
    ids = list(dict.fromkeys(suggestion_ids))
    change.touch(target)
    scope = cluster_placement(target)
    touched = leave_clusters(
        change, ids, keep=lambda c: c.id == target.id or cluster_placement(c) != scope
    )
    present = {m.suggestion_id: m for m in target.members}
    for sid in ids:
        if sid in present:
            present[sid].is_manual = True
        else:
            target.members.append(ClusterMember(suggestion_id=sid, is_manual=True))
    return touched


def settle(change: Change, cluster_ids: Iterable[int]) -> list[int]:
    """After members moved: sizes counted again, a representative that left replaced, and a
    cluster left without members removed. Returns the ids of removed clusters."""
    session = change.session
    session.flush()
    removed = []
    touched = sorted(set(cluster_ids))
    people = people_in_clusters(session, touched)  # one count for all of them
    for cid in touched:
        cluster = session.get(Cluster, cid)
        if cluster is None:
            continue
        change.touch(cluster)
        ids = member_ids(session, cluster)
        if not ids:
            change.deleted(cluster)
            removed.append(cid)
            continue
        cluster.size = people[cid]
        if cluster.representative_suggestion_id not in ids:
            cluster.representative_suggestion_id = pick_representative(session, ids)
    return removed


def pick_representative(session: Session, suggestion_ids: Sequence[int]) -> int:
    """The fullest wording among the suggestions (ties: the oldest)."""
    rows = session.execute(
        select(Suggestion.id, Suggestion.masked_text, Suggestion.text).where(Suggestion.id.in_(list(suggestion_ids)))
    ).all()
    return max(rows, key=lambda r: (len(r.masked_text or r.text or ""), -r.id)).id


def suggestion_text(session: Session, suggestion_id: int) -> str:
    s = session.get(Suggestion, suggestion_id)
    return (s.masked_text or s.text or "") if s is not None else ""


# --- consultations and sources ------------------------------------------------------------


def set_symposium(source: Source, held_on: str | None, participants: int | None) -> None:
    """The symposium's date (ISO) and head count in ``Source.meta``, where the minutes
    importer puts them and the reports read them."""
    meta = dict(source.meta or {})
    for key, value in ((SYMPOSIUM_DATE, held_on), (SYMPOSIUM_PARTICIPANTS, participants)):
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    source.meta = meta


def symposium_sources(session: Session, consultation_id: int) -> list[Source]:
    return list(
        session.scalars(
            select(Source)
            .where(Source.consultation_id == consultation_id, Source.channel == "symposium")
            .order_by(Source.id)
        )
    )


# --- the audit log ------------------------------------------------------------------------


def operations_of(session: Session, actor: str, consultation_id: int | None = None) -> Iterable[AuditLog]:
    """The user's audit rows, newest first."""
    query = select(AuditLog).where(AuditLog.actor == actor).order_by(AuditLog.id.desc())
    if consultation_id is not None:
        query = query.where(AuditLog.consultation_id == consultation_id)
    return session.scalars(query)


def audit_rows(
    session: Session,
    *,
    consultation_id: int | None = None,
    actor: str | None = None,
    since: Any = None,
    until: Any = None,
    limit: int | None = None,
) -> list[AuditLog]:
    """Audit rows, newest first, filtered by consultation, user and time (``until``
    exclusive)."""
    query = select(AuditLog).order_by(AuditLog.id.desc())
    if consultation_id is not None:
        query = query.where(AuditLog.consultation_id == consultation_id)
    if actor is not None:
        query = query.where(AuditLog.actor == actor)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    if until is not None:
        query = query.where(AuditLog.at < until)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))
