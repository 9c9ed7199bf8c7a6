"""Storage of adoption decisions (采纳 / 部分采纳 / 未采纳 …).

Two kinds of rows per suggestion, at most one of each (unique on suggestion + source):

- ``source="auto"``: what the detector proposed from the texts (``store_proposal``);
  re-detection updates it in place;
- ``source="manual"``: a reviewer's decision (``store_manual_decisions``); it always wins
  (``minyi.core.decisions.winning``) and detection never touches it.

:func:`effective_decisions` gives the one that counts per suggestion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minyi.core.decisions import AUTO, MANUAL, winning
from minyi.core.drafts import Article, Paragraph, ParsedDraft
from minyi.core.errors import InputError, NotFoundError
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
from models.provisions import ProvisionTree
from models.store import get_consultation


# --- versions as parsed drafts ------------------------------------------------------


def version_as_parsed(session: Session, version: DraftVersion) -> tuple[ParsedDraft, dict[int, str]]:
    """Rebuild a stored version as a ParsedDraft, with a map provision id → article key
    (every provision under an article maps to that article)."""
    nodes = list(
        session.scalars(
            select(Provision).where(Provision.version_id == version.id).order_by(Provision.order)
        )
    )
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
    tree = ProvisionTree(nodes)
    for n in nodes:
        article = tree.article_of(n)
        if article is not None:
            key_of[n.id] = articles[article.id].key
    parsed = ParsedDraft(title=version.title, articles=list(articles.values()), source=version.source_file)
    return parsed, key_of


# --- detection ----------------------------------------------------------------------


@dataclass
class AdoptionInputs:
    """What the detector needs from the database: each suggestion with the draft article
    keys it is linked to, and the decisions already stored."""

    suggestions: list[Suggestion]
    article_keys: dict[int, list[str]]  # suggestion id → draft article keys
    existing: dict[tuple[int, str], AdoptionDecision]
    # Suggestions whose article the writer cited or a reviewer set (an explicit or manual
    # link), as opposed to one the analysis inferred.
    cited: set[int] = field(default_factory=set)


def adoption_inputs(session: Session, consultation_id: int, key_of: dict[int, str]) -> AdoptionInputs:
    suggestions = list(
        session.scalars(
            select(Suggestion).where(Suggestion.consultation_id == consultation_id).order_by(Suggestion.id)
        )
    )
    keys: dict[int, list[str]] = {}
    cited: set[int] = set()
    for sid, links in _links_by_suggestion(session, consultation_id).items():
        found: list[str] = []
        for provision_id, method in links:
            key = key_of.get(provision_id)  # links into other versions do not count
            if key and key not in found:
                found.append(key)
            if key and method in ("explicit", "manual"):
                cited.add(sid)
        keys[sid] = found
    existing = {
        (d.suggestion_id, d.source): d
        for d in session.scalars(
            select(AdoptionDecision).where(AdoptionDecision.consultation_id == consultation_id)
        )
    }
    return AdoptionInputs(suggestions, keys, existing, cited)


def store_proposal(
    session: Session, inputs: AdoptionInputs, suggestion: Suggestion, final_version_id: int, proposal: Any
) -> str:
    """Write (or update) the detector's row for one suggestion; returns "created",
    "updated" or "unchanged". A reviewer's row is never touched."""
    values = {
        "final_version_id": final_version_id,
        "status": proposal.status,
        "confidence": proposal.confidence,
        "rule": proposal.rule,
        "draft_articles": proposal.draft_articles,
        "final_articles": proposal.final_articles,
        "evidence": proposal.evidence,
    }
    row = inputs.existing.get((suggestion.id, AUTO))
    if row is None:
        session.add(
            AdoptionDecision(
                consultation_id=suggestion.consultation_id,
                suggestion_id=suggestion.id,
                source=AUTO,
                decided_by=AUTO,
                **values,
            )
        )
        return "created"
    if any(getattr(row, k) != v for k, v in values.items()):
        for k, v in values.items():
            setattr(row, k, v)
        row.decided_at = utcnow()
        return "updated"
    return "unchanged"


def _links_by_suggestion(session: Session, consultation_id: int) -> dict[int, list[tuple[int, str]]]:
    """Each suggestion's links as (provision id, method), in the order they were made."""
    rows = session.execute(
        select(SuggestionProvision.suggestion_id, SuggestionProvision.provision_id, SuggestionProvision.method)
        .join(Suggestion, Suggestion.id == SuggestionProvision.suggestion_id)
        .where(Suggestion.consultation_id == consultation_id)
        .order_by(SuggestionProvision.id)
    ).all()
    out: dict[int, list[tuple[int, str]]] = {}
    for suggestion_id, provision_id, method in rows:
        out.setdefault(suggestion_id, []).append((provision_id, method))
    return out


# --- reviewer decisions -------------------------------------------------------------


def consultations_of(
    session: Session, suggestion_ids: int | list[int] | None, cluster_id: int | None
) -> set[int]:
    """The consultations the targeted suggestions (or cluster) belong to."""
    if cluster_id is not None:
        found = session.scalar(select(Cluster.consultation_id).where(Cluster.id == cluster_id))
        return {found} if found is not None else set()
    ids = [suggestion_ids] if isinstance(suggestion_ids, int) else list(suggestion_ids or [])
    return set(session.scalars(select(Suggestion.consultation_id).where(Suggestion.id.in_(ids)).distinct()))


def store_manual_decisions(
    session: Session,
    *,
    status: str,
    user: str,
    suggestion_ids: int | list[int] | None = None,
    cluster_id: int | None = None,
    note: str | None = None,
) -> list[tuple[AdoptionDecision, dict[str, Any] | None]]:
    """Record a reviewer's decision for some suggestions (or every member of a cluster);
    returns each manual row with what counted before it (for the audit log)."""
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
        before = brief(winning(manual, auto))
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
        out.append((manual, before))
    session.flush()
    return out


def brief(d: AdoptionDecision | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"suggestion_id": d.suggestion_id, "status": d.status, "source": d.source, "decided_by": d.decided_by, "note": d.note}


def decision_summary(session: Session, consultation_id: int) -> list[tuple[int, str, str]]:
    """(suggestion id, status, source) of the decision that counts per suggestion, ordered
    by suggestion id: plain columns, to count and page by before reading whole rows."""
    chosen: dict[int, dict[str, str]] = {}
    for sid, status, source in session.execute(
        select(AdoptionDecision.suggestion_id, AdoptionDecision.status, AdoptionDecision.source)
        .where(AdoptionDecision.consultation_id == consultation_id)
        .order_by(AdoptionDecision.suggestion_id, AdoptionDecision.id)
    ):
        chosen[sid] = winning({"status": status, "source": source}, chosen.get(sid))
    return [(sid, d["status"], d["source"]) for sid, d in chosen.items()]


def effective_decisions(session: Session, consultation_id: int,
                        suggestion_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """One row per suggestion that has a decision (of ``suggestion_ids`` only, when given):
    the reviewer's if any, else the detector's; ordered by suggestion id."""
    get_consultation(session, consultation_id)
    query = (
        select(AdoptionDecision, Suggestion, Comment)
        .join(Suggestion, Suggestion.id == AdoptionDecision.suggestion_id)
        .join(Comment, Comment.id == Suggestion.comment_id)
        .where(AdoptionDecision.consultation_id == consultation_id)
        .order_by(AdoptionDecision.suggestion_id, AdoptionDecision.id)
    )
    if suggestion_ids is not None:
        query = query.where(AdoptionDecision.suggestion_id.in_(suggestion_ids or [-1]))
    rows = session.execute(query).all()
    chosen: dict[int, tuple[AdoptionDecision, Suggestion, Comment]] = {}
    for d, s, c in rows:
        kept = chosen.get(d.suggestion_id)
        if kept is None or winning(d, kept[0]) is d:
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


def count_statuses(statuses: Iterable[str]) -> dict[str, int]:
    """How many decisions have each status, in the vocabulary's order."""
    counts = Counter(statuses)
    return {s: counts[s] for s in ADOPTION_STATUSES if counts[s]}
