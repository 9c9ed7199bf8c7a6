"""Adoption workflows: detect what the enacted text adopted, record reviewers' decisions.

Detection is analysis (``pipeline.align`` + ``pipeline.adoption``); this module loads its
inputs through ``models.adoption_store``, runs it and stores the proposals. A reviewer's
decision always wins (``minyi.core.decisions``) and re-detection never overwrites it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minyi.core.decisions import winning
from minyi.core.drafts import ParsedDraft
from minyi.core.errors import InputError
from minyi.core.progress import Progress, no_progress
from minyi.services.context import Actor, audit
from models import adoption_store
from models.store import get_consultation, get_version, load_draft_version
from pipeline.adoption import SuggestionInput, propose
from pipeline.align import align_versions, summarise


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


def detect_adoption(
    session: Session,
    actor: Actor,
    consultation_id: int,
    final: str | Path | ParsedDraft,
    label: str = "公布稿",
    progress: Progress = no_progress,
) -> DetectSummary:
    """Load the later version (idempotent), align it with the version comments refer to,
    and propose a status for every suggestion. Reviewer decisions are left alone."""
    consultation = get_consultation(session, consultation_id)
    actor.require("adopt", consultation)
    base = get_version(session, consultation_id)  # before loading, so base is not the final
    if base.label == label:
        raise InputError(
            f"label {label!r} is the version the comments refer to; give the later text another label"
        )
    if isinstance(final, ParsedDraft):
        final_parsed, source_file = final, final.source
    else:
        from pipeline.drafts.parser import parse_file

        final_parsed, source_file = parse_file(final), str(final)
    final_version, loaded = load_draft_version(
        session, consultation_id, final_parsed, label=label, source_file=source_file, comment_base=False
    )
    old, key_of = adoption_store.version_as_parsed(session, base)
    new, _ = adoption_store.version_as_parsed(session, final_version)
    alignment = align_versions(old, new)
    summary = DetectSummary(
        consultation_id=consultation_id,
        draft_version_id=base.id,
        final_version_id=final_version.id,
        label=label,
        final_loaded=loaded,
        alignment=summarise(alignment),
    )
    inputs = adoption_store.adoption_inputs(session, consultation_id, key_of)
    total = len(inputs.suggestions)
    auto_counts: Counter[str] = Counter()
    effective: Counter[str] = Counter()
    progress("adoption", 0, total)
    for done, s in enumerate(inputs.suggestions, 1):
        proposal = propose(
            SuggestionInput(
                text=s.text, type=s.type, draft_articles=inputs.article_keys.get(s.id, []),
                is_general=s.is_general, id=s.id, cited=s.id in inputs.cited,
            ),
            alignment,
            old,
            new,
        )
        outcome = adoption_store.store_proposal(session, inputs, s, final_version.id, proposal)
        setattr(summary, outcome, getattr(summary, outcome) + 1)
        auto_counts[proposal.status] += 1
        manual = inputs.existing.get((s.id, adoption_store.MANUAL))
        if manual is not None:
            summary.manual_kept += 1
        counted = winning(manual, proposal) if manual is not None else proposal
        effective[counted.status] += 1
        if done % 100 == 0 or done == total:
            progress("adoption", done, total)
    session.flush()
    summary.suggestions = total
    summary.auto_counts = dict(auto_counts)
    summary.effective_counts = dict(effective)
    audit(
        session, actor, "detect_adoption", final_version, consultation_id=consultation_id,
        after={"label": label, "created": summary.created, "updated": summary.updated,
               "counts": dict(auto_counts)},
    )
    return summary


def set_adoption(
    session: Session,
    actor: Actor,
    *,
    status: str,
    suggestion_ids: int | list[int] | None = None,
    cluster_id: int | None = None,
    note: str | None = None,
) -> list[Any]:
    """A reviewer's decision for some suggestions (or every member of a cluster); each
    change is audited. Returns the decision rows."""
    for consultation_id in adoption_store.consultations_of(session, suggestion_ids, cluster_id):
        actor.require("adopt", get_consultation(session, consultation_id))
    rows = adoption_store.store_manual_decisions(
        session, status=status, user=actor.name, suggestion_ids=suggestion_ids,
        cluster_id=cluster_id, note=note,
    )
    for decision, before in rows:
        audit(
            session, actor, "set_adoption", decision, consultation_id=decision.consultation_id,
            before=before, after=adoption_store.brief(decision),
        )
    return [d for d, _ in rows]


count_statuses = adoption_store.count_statuses


def adoption_decisions(session: Session, actor: Actor, consultation_id: int,
                       suggestion_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """The decision that counts per suggestion (of ``suggestion_ids`` only, when given)."""
    actor.require("read", get_consultation(session, consultation_id))
    return adoption_store.effective_decisions(session, consultation_id, suggestion_ids)


def decision_summary(session: Session, actor: Actor, consultation_id: int) -> list[tuple[int, str, str]]:
    """(suggestion id, status, source) of the decision that counts per suggestion."""
    actor.require("read", get_consultation(session, consultation_id))
    return adoption_store.decision_summary(session, consultation_id)
