"""Storage of adoption decisions (采纳 / 部分采纳 / 未采纳 …).

Two kinds of rows per suggestion, at most one of each (unique on suggestion + source):

- ``source="auto"``: what :func:`detect_adoption` proposed from the texts; re-detection
  updates it in place;
- ``source="manual"``: a reviewer's decision (:func:`set_adoption`); it always wins and
  detection never touches it.

:func:`effective_decisions` gives the one that counts per suggestion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minyi.errors import InputError, NotFoundError
from models.entities import (
    ADOPTION_STATUSES,
    AdoptionDecision,
    ClusterMember,
    Cluster,
    Comment,
    DraftVersion,
    Provision,
    Suggestion,
    SuggestionProvision,
    User,
)
from models.base import utcnow
from models.store import audit, get_consultation, get_version, load_draft_version
from pipeline.align import align_versions, summarise
from pipeline.drafts.model import Article, Paragraph, ParsedDraft
from reports.adoption import SuggestionInput, propose

AUTO, MANUAL = "auto", "manual"


@dataclass
class DetectSummary:
    consultation_id: int
    draft_version_id: int
    final_version_id: int
    label: str
    final_loaded: bool  # False when the same text was already loaded under this label
    suggestions: int = 0
    created: int = 0  # auto rows written for the first time
    updated: int = 0  # auto rows whose proposal changed
    unchanged: int = 0
    manual_kept: int = 0  # suggestions whose reviewer decision overrides the proposal
    auto_counts: dict[str, int] = field(default_factory=dict)
    effective_counts: dict[str, int] = field(default_factory=dict)
    alignment: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- versions as parsed drafts ------------------------------------------------------


def version_as_parsed(session: Session, version: DraftVersion) -> tuple[ParsedDraft, dict[int, str]]:
    """Rebuild a stored version as a ParsedDraft, with a map provision id → article key
    (every provision under an article maps to that article)."""
    nodes = list(
        session.scalars(
            select(Provision).where(Provision.version_id == version.id).order_by(Provision.order)
        )
    )
    by_id = {n.id: n for n in nodes}
    articles: dict[int, Article] = {}
    for n in nodes:
        if n.kind == "article":
            articles[n.id] = Article(
                number=n.number or 0, suffix=n.suffix, label=n.label, text=n.text, paragraphs=[]
            )
    paragraphs: dict[int, Paragraph] = {}
    for n in nodes:
        if n.kind == "paragraph" and n.parent_id in articles:
            paragraphs[n.id] = Paragraph(n.text)
            articles[n.parent_id].paragraphs.append(paragraphs[n.id])
        elif n.kind == "item" and n.parent_id in paragraphs:
            paragraphs[n.parent_id].items.append(n.text)
    key_of: dict[int, str] = {}
    for n in nodes:
        cur: Provision | None = n
        while cur is not None and cur.kind != "article":
            cur = by_id.get(cur.parent_id) if cur.parent_id else None
        if cur is not None:
            key_of[n.id] = articles[cur.id].key
    parsed = ParsedDraft(title=version.title, articles=list(articles.values()), source=version.source_file)
    return parsed, key_of


# --- detection ----------------------------------------------------------------------


def detect_adoption(
    session: Session,
    consultation_id: int,
    final_path_or_parsed: str | Path | ParsedDraft,
    label: str = "公布稿",
    on_progress: Callable[[int, int], None] | None = None,
) -> DetectSummary:
    """Load the later version (idempotent), align it with the version comments refer to,
    and write an auto decision for every suggestion. Reviewer decisions are left alone.
    ``on_progress(done, total)`` is called after each suggestion (for a progress bar)."""
    get_consultation(session, consultation_id)
    base = get_version(session, consultation_id)  # before loading, so base is not the final
    if base.label == label:
        raise InputError(
            f"--label {label!r} is the version the comments refer to; give the later text another label"
        )
    if isinstance(final_path_or_parsed, ParsedDraft):
        final_parsed, source_file = final_path_or_parsed, final_path_or_parsed.source
    else:
        from pipeline.drafts.parser import parse_file

        final_parsed, source_file = parse_file(final_path_or_parsed), str(final_path_or_parsed)
    final_version, loaded = load_draft_version(
        session, consultation_id, final_parsed, label=label, source_file=source_file, comment_base=False
    )
    old, key_of = version_as_parsed(session, base)
    new, _ = version_as_parsed(session, final_version)
    alignment = align_versions(old, new)

    summary = DetectSummary(
        consultation_id=consultation_id,
        draft_version_id=base.id,
        final_version_id=final_version.id,
        label=label,
        final_loaded=loaded,
        alignment=summarise(alignment),
    )
    suggestions = list(
        session.scalars(
            select(Suggestion).where(Suggestion.consultation_id == consultation_id).order_by(Suggestion.id)
        )
    )
    links = _links_by_suggestion(session, consultation_id)
    existing = {
        (d.suggestion_id, d.source): d
        for d in session.scalars(
            select(AdoptionDecision).where(AdoptionDecision.consultation_id == consultation_id)
        )
    }
    auto_counts: Counter[str] = Counter()
    effective: Counter[str] = Counter()
    for s in suggestions:
        keys: list[str] = []
        for provision_id in links.get(s.id, []):
            key = key_of.get(provision_id)  # links into other versions do not count
            if key and key not in keys:
                keys.append(key)
        proposal = propose(
            SuggestionInput(text=s.text, type=s.type, draft_articles=keys, is_general=s.is_general, id=s.id),
            alignment,
            old,
            new,
        )
        values = {
            "final_version_id": final_version.id,
            "status": proposal.status,
            "confidence": proposal.confidence,
            "rule": proposal.rule,
            "draft_articles": proposal.draft_articles,
            "final_articles": proposal.final_articles,
            "evidence": proposal.evidence,
        }
        row = existing.get((s.id, AUTO))
        if row is None:
            session.add(
                AdoptionDecision(
                    consultation_id=consultation_id,
                    suggestion_id=s.id,
                    source=AUTO,
                    decided_by=AUTO,
                    **values,
                )
            )
            summary.created += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.decided_at = utcnow()
            summary.updated += 1
        else:
            summary.unchanged += 1
        auto_counts[proposal.status] += 1
        manual = existing.get((s.id, MANUAL))
        if manual is not None:
            summary.manual_kept += 1
        effective[manual.status if manual is not None else proposal.status] += 1
        if on_progress is not None:
            on_progress(sum(auto_counts.values()), len(suggestions))
    session.flush()
    summary.suggestions = len(suggestions)
    summary.auto_counts = dict(auto_counts)
    summary.effective_counts = dict(effective)
    audit(
        session,
        "detect_adoption",
        final_version,
        actor="pipeline",
        consultation_id=consultation_id,
        after={"label": label, "created": summary.created, "updated": summary.updated, "counts": dict(auto_counts)},
    )
    return summary


def _links_by_suggestion(session: Session, consultation_id: int) -> dict[int, list[int]]:
    rows = session.execute(
        select(SuggestionProvision.suggestion_id, SuggestionProvision.provision_id)
        .join(Suggestion, Suggestion.id == SuggestionProvision.suggestion_id)
        .where(Suggestion.consultation_id == consultation_id)
        .order_by(SuggestionProvision.id)
    ).all()
    out: dict[int, list[int]] = {}
    for suggestion_id, provision_id in rows:
        out.setdefault(suggestion_id, []).append(provision_id)
    return out


# --- reviewer decisions -------------------------------------------------------------


def set_adoption(
    session: Session,
    *,
    status: str,
    user: str,
    suggestion_ids: int | list[int] | None = None,
    cluster_id: int | None = None,
    note: str | None = None,
) -> list[AdoptionDecision]:
    """Record a reviewer's decision for some suggestions (or every member of a cluster).
    The manual row always wins over the detector's; each change is audited."""
    if status not in ADOPTION_STATUSES:
        raise InputError(f"status {status!r} is not one of {', '.join(ADOPTION_STATUSES)}")
    user = (user or "").strip()
    if not user:
        raise InputError("user: a reviewer name is required for a manual decision")
    if (suggestion_ids is None) == (cluster_id is None):
        raise InputError("give either suggestion ids or a cluster id")
    if cluster_id is not None:
        if session.get(Cluster, cluster_id) is None:
            raise NotFoundError(f"no cluster with id {cluster_id}")
        ids = list(
            session.scalars(
                select(ClusterMember.suggestion_id)
                .where(ClusterMember.cluster_id == cluster_id)
                .order_by(ClusterMember.suggestion_id)
            )
        )
        if not ids:
            raise InputError(f"cluster {cluster_id} has no suggestions")
    else:
        ids = [suggestion_ids] if isinstance(suggestion_ids, int) else list(dict.fromkeys(suggestion_ids or []))
        if not ids:
            raise InputError("no suggestion ids given")
    account = session.scalar(select(User).where(User.username == user))
    # One query for the suggestions and one for their decisions, not two per suggestion.
    suggestions = {s.id: s for s in session.scalars(select(Suggestion).where(Suggestion.id.in_(ids)))}
    decisions: dict[tuple[int, str], AdoptionDecision] = {
        (d.suggestion_id, d.source): d
        for d in session.scalars(select(AdoptionDecision).where(AdoptionDecision.suggestion_id.in_(ids)))
    }
    out = []
    for sid in ids:
        suggestion = suggestions.get(sid)
        if suggestion is None:
            raise NotFoundError(f"no suggestion with id {sid}")
        manual, auto = decisions.get((sid, MANUAL)), decisions.get((sid, AUTO))
        before = _brief(manual or auto)
        if manual is None:
            manual = AdoptionDecision(
                consultation_id=suggestion.consultation_id,
                suggestion_id=sid,
                source=MANUAL,
                # Keep the detector's evidence beside the reviewer's word, for the export.
                final_version_id=auto.final_version_id if auto else None,
                draft_articles=list(auto.draft_articles) if auto else [],
                final_articles=list(auto.final_articles) if auto else [],
                evidence=dict(auto.evidence) if auto else {},
            )
            session.add(manual)
        manual.status = status
        manual.confidence = 1.0
        manual.decided_by = user
        manual.rule = "manual"
        manual.note = note
        manual.decided_at = utcnow()
        session.flush()
        audit(
            session,
            "set_adoption",
            manual,
            actor=user,
            user_id=account.id if account else None,
            consultation_id=suggestion.consultation_id,
            before=before,
            after=_brief(manual),
        )
        out.append(manual)
    return out


def _brief(d: AdoptionDecision | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"suggestion_id": d.suggestion_id, "status": d.status, "source": d.source, "decided_by": d.decided_by, "note": d.note}


def effective_decisions(session: Session, consultation_id: int) -> list[dict[str, Any]]:
    """One row per suggestion that has a decision: the reviewer's if any, else the
    detector's; ordered by suggestion id."""
    get_consultation(session, consultation_id)
    rows = session.execute(
        select(AdoptionDecision, Suggestion, Comment)
        .join(Suggestion, Suggestion.id == AdoptionDecision.suggestion_id)
        .join(Comment, Comment.id == Suggestion.comment_id)
        .where(AdoptionDecision.consultation_id == consultation_id)
        .order_by(AdoptionDecision.suggestion_id)
    ).all()
    chosen: dict[int, tuple[AdoptionDecision, Suggestion, Comment]] = {}
    for d, s, c in rows:
        if d.suggestion_id not in chosen or d.source == MANUAL:
            chosen[d.suggestion_id] = (d, s, c)
    out = []
    for d, s, c in chosen.values():
        out.append(
            {
                "suggestion_id": s.id,
                "external_id": (s.meta or {}).get("external_id") or c.external_id,
                "text": s.masked_text or s.text,
                "type": s.type,
                "status": d.status,
                "confidence": d.confidence,
                "source": d.source,
                "decided_by": d.decided_by,
                "rule": d.rule,
                "note": d.note,
                "draft_articles": list(d.draft_articles or []),
                "final_articles": list(d.final_articles or []),
                "evidence": dict(d.evidence or {}),
                "decided_at": d.decided_at,
            }
        )
    return out


def count_statuses(decisions: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(d["status"] for d in decisions)
    return {s: counts[s] for s in ADOPTION_STATUSES if counts[s]}
