"""Feedback that rolls up between levels (社区 → 街道 → 区级 → 市级 → 国家级) and decisions
that flow back down.

* Contact points form a hierarchy (``add_point``); a higher level's consultation has
  participating lower-level points (``add_participants``).
* A level sends its feedback as a bundle (``export_bundle``: one JSON file built from the
  masked feedback document — no personal data); the level above imports it with
  ``minyi comments import`` (``minyi.services.intake``; ``models.rollup.settle_received``
  makes a corrected bundle replace the earlier one row by row). Hand-typed or minyi-written
  feedback tables (.docx/.xlsx) import the same way.
* The level above analyses as usual; its documents count the people behind rolled-up rows
  and name the points ("有N个联系点、M人提出", ``minyi.services.documents``).
* Decisions recorded at the top go back down as a decisions bundle (``export_decisions``);
  each level below imports it (``import_decisions``) and so sees the decision on its own
  suggestions, which fills its statistics (``rollup_statistics``: per point, per level, per
  year, with roll-up totals).

Each level may run its own minyi (bundles are files passed between them) or share one
database (the demo): both work, since rows are matched by bundle and row keys, not ids.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from collectors.importers.bundle import load_bundle
from minyi.core.errors import InputError, NotFoundError
from minyi.core.records import DECISIONS_BUNDLE_SCHEMA
from minyi.services import documents
from minyi.services.context import Actor, audit
from models import adoption_store, report_queries
from models import rollup as store
from models.entities import Consultation, ContactPoint, Suggestion
from models.store import get_consultation
from reports import formats
from reports.bundle import (
    DecisionsBundle,
    FeedbackBundle,
    RollupStats,
    build_rollup_stats,
    bundle_points,
    feedback_items,
    participation,
    strongest,
    write_bundle,
)
from reports.letters import reply_text

# The rule of a decision recorded from above (AdoptionDecision.rule).
FROM_ABOVE_RULE = "from_above"
# The detector's "cannot tell" is no decision: it does not travel down.
UNDECIDABLE = "无法判断"


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


# --- contact points and participants -------------------------------------------------------


@dataclass
class PointResult:
    id: int
    name: str
    level: str | None
    parent: str | None
    created: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "level": self.level, "parent": self.parent,
                "created": self.created}


def _point_result(point: ContactPoint, created: bool = False) -> PointResult:
    return PointResult(point.id, point.name, point.level, point.parent.name if point.parent else None, created)


def add_point(session: Session, actor: Actor, name: str, *, level: str | None = None,
              parent: str | None = None) -> PointResult:
    """Create a contact point (or give an existing one its level and parent); audited."""
    actor.require("create_consultation")
    point, created = store.upsert_point(session, name, level, parent)
    result = _point_result(point, created)
    audit(session, actor, "add_point" if created else "update_point", point, after=result.to_dict())
    return result


def list_points(session: Session, actor: Actor) -> list[PointResult]:
    """Every contact point with its level and parent, parents before their children."""
    actor.require("read")
    points = store.points_tree(session)
    children: dict[int | None, list[ContactPoint]] = defaultdict(list)
    for p in points:
        children[p.parent_id if p.parent_id in {q.id for q in points} else None].append(p)
    out: list[PointResult] = []

    def walk(parent_id: int | None) -> None:
        for p in children.get(parent_id, []):
            out.append(_point_result(p))
            walk(p.id)

    walk(None)
    return out


@dataclass
class ParticipantsResult:
    consultation_id: int
    added: list[str]
    points: list[dict[str, Any]]  # name, level, rows, people

    def to_dict(self) -> dict[str, Any]:
        return {"consultation_id": self.consultation_id, "added": self.added, "points": self.points}


def add_participants(session: Session, actor: Actor, consultation_id: int, names: list[str]) -> ParticipantsResult:
    """Add lower-level points to a higher level's consultation (they must exist: see
    ``add_point``); audited. Returns every participant with what it sent so far."""
    consultation = get_consultation(session, consultation_id)
    actor.require("edit_consultation", consultation)
    points = [store.find_point(session, n) for n in names]
    for p in points:
        if p.id == consultation.contact_point_id:
            raise InputError(f"{p.name!r} runs consultation {consultation_id}; it cannot take part in it")
    added = store.add_participants(session, consultation_id, [p.id for p in points])
    if added:
        audit(session, actor, "add_participants", consultation,
              after={"contact_points": [p.name for p in points if p.id in added]})
    result = participants(session, actor, consultation_id)
    result.added = [p.name for p in points if p.id in added]
    return result


def participants(session: Session, actor: Actor, consultation_id: int) -> ParticipantsResult:
    """The participating points with the rows and people each sent (masked figures only)."""
    consultation = get_consultation(session, consultation_id)
    actor.require("read", consultation)
    rows = report_queries.suggestion_rows(session, consultation_id)
    own = consultation.contact_point.name if consultation.contact_point else None
    listed = [(p.name, p.level) for p in store.participants(session, consultation_id)]
    took = participation(rows, store.origins(session, consultation_id), listed, own)
    return ParticipantsResult(consultation_id, [], [t.to_dict() for t in took])


# --- the feedback bundle --------------------------------------------------------------------


@dataclass
class BundleResult:
    path: str
    format: str
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, **self.summary}


def _consultation_info(c: Consultation) -> dict[str, Any]:
    return {
        "title": c.title, "issuing_body": c.issuing_body, "level": c.level, "external_id": c.external_id,
        "opened_on": c.opened_on.isoformat() if c.opened_on else None,
        "deadline": c.deadline.isoformat() if c.deadline else None, "source_url": c.source_url,
    }


def _version_info(session: Session, consultation_id: int) -> dict[str, Any] | None:
    version = report_queries.base_version(session, consultation_id)
    if version is None:
        return None
    return {"label": version.label, "title": version.title, "text_hash": version.text_hash}


def _sending_point(session: Session, consultation: Consultation, contact_point: str | None) -> ContactPoint:
    if contact_point:
        return store.find_point(session, contact_point)
    if consultation.contact_point is None:
        raise InputError(
            f"consultation {consultation.id} has no contact point; name the sender with --contact-point",
            message_zh="该征求意见任务未指定联系点",
        )
    return consultation.contact_point


def feedback_bundle(session: Session, actor: Actor, consultation_id: int, *,
                    contact_point: str | None = None) -> FeedbackBundle:
    """The bundle of the feedback document (the same rows, from the same masked model)."""
    consultation = documents.reportable(session, actor, consultation_id)
    sender = _sending_point(session, consultation, contact_point)
    rollup = store.is_rollup(session, consultation_id)
    # The rows of exactly the document's scope: one point's, or everything a level gathered.
    scope = None if rollup and not contact_point else sender.name
    doc = documents.feedback(session, actor, consultation_id, contact_point=scope)
    report = documents.consultation_report(session, actor, consultation_id, contact_point=scope)
    members = {r.suggestion_id: r for r in report.rows}
    masker = documents.Masker.for_consultation(session, consultation_id)
    items = masker.value(feedback_items(doc, members, store.origins(session, consultation_id), sender.name))
    levels = {p.name: p.level for p in store.points_tree(session)}
    for item in items:
        for p in item["points"]:
            p["level"] = levels.get(p["name"])
    fig = doc.figures
    return FeedbackBundle(
        uid=uuid.uuid4().hex,
        sequence=store.next_sequence(session, consultation_id, "sent", "feedback", sender.id),
        issued_at=_now(),
        contact_point={"name": sender.name, "level": sender.level,
                       "parent": sender.parent.name if sender.parent else None},
        consultation=_consultation_info(consultation),
        draft_version=_version_info(session, consultation_id),
        figures={"comments": fig.comments, "suggestions": fig.suggestions,
                 "suggestions_deduplicated": fig.suggestions_deduplicated, "symposiums": fig.symposiums,
                 "symposium_participants": fig.symposium_participants,
                 "channels": {c.code: c.comments for c in fig.channels},
                 "rows": len(items), "people": sum(int(i["count"]) for i in items)},
        items=items,
        points=bundle_points(items, levels),
    )


def export_bundle(session: Session, actor: Actor, consultation_id: int, path: str | Path, *,
                  contact_point: str | None = None, record: bool = True) -> BundleResult:
    """Write the feedback bundle (``minyi report feedback --format bundle``) and remember
    which suggestions each row stands for, so decisions coming back find them; unless
    ``record=False`` the rows are also stored as sent (FeedbackItem), as for the .docx."""
    bundle = feedback_bundle(session, actor, consultation_id, contact_point=contact_point)
    written = write_bundle(bundle, path)
    sender = store.find_point(session, bundle.contact_point["name"])
    if record:
        store.record_sent(session, consultation_id, "feedback", bundle.uid, sender.id, bundle.sequence,
                          bundle.issued_at, written, bundle.items, {"points": bundle.points})
    consultation = get_consultation(session, consultation_id)
    audit(session, actor, "export_bundle", consultation,
          after={"file": Path(written).name, "contact_point": sender.name, **bundle.summary()})
    return BundleResult(written, "bundle", bundle.summary())


# --- decisions, back down -----------------------------------------------------------------


def decisions_bundle(session: Session, actor: Actor, consultation_id: int) -> DecisionsBundle:
    """Per row a lower level sent, the decision that counts on its suggestions here and the
    reply to pass on (masked)."""
    consultation = documents.reportable(session, actor, consultation_id)
    items = store.received_items(session, consultation_id)
    if not items:
        raise InputError(f"consultation {consultation_id} has received no feedback from lower levels",
                         message_zh="尚未收到下级联系点的反馈")
    by_comment: dict[int, list[int]] = defaultdict(list)
    for sid, cid in session.execute(select(Suggestion.id, Suggestion.comment_id)
                                    .where(Suggestion.consultation_id == consultation_id)):
        by_comment[cid].append(sid)
    decided = {d["suggestion_id"]: d for d in adoption_store.effective_decisions(session, consultation_id)}
    final_label = store.final_version_label(session, consultation_id)
    masker = documents.Masker.for_consultation(session, consultation_id)
    out = []
    for item in items:
        decisions = [decided[s] for s in by_comment.get(item.comment_id, []) if s in decided]
        chosen = strongest((d["status"], d["source"]) for d in decisions)
        status = chosen[0] if chosen else None
        same = [d for d in decisions if d["status"] == status]
        note = next((d["note"] for d in same if d.get("note")), None)
        finals = list(dict.fromkeys(a for d in same for a in d.get("final_articles") or []))
        out.append({
            "point": item.bundle.contact_point.name if item.bundle.contact_point else None,
            "key": item.item_key,
            "status": status,
            "note": masker.text(note) if note else None,
            "final_articles": finals,
            "final_label": final_label,
            "reply": reply_text(status, finals, masker.text(note) if note else None, final_label),
            "people": item.people,
        })
    own = consultation.contact_point
    return DecisionsBundle(
        uid=uuid.uuid4().hex,
        sequence=store.next_sequence(session, consultation_id, "sent", "decisions", own.id if own else None),
        issued_at=_now(),
        contact_point={"name": own.name if own else None, "level": own.level if own else None},
        consultation=_consultation_info(consultation),
        items=out,
    )


def export_decisions(session: Session, actor: Actor, consultation_id: int, path: str | Path) -> BundleResult:
    """Write the decisions bundle for the lower levels (``minyi adoption export-decisions``)."""
    bundle = decisions_bundle(session, actor, consultation_id)
    written = write_bundle(bundle, path)
    consultation = get_consultation(session, consultation_id)
    store.record_sent(session, consultation_id, "decisions", bundle.uid, consultation.contact_point_id,
                      bundle.sequence, bundle.issued_at, written, bundle.items)
    audit(session, actor, "export_decisions", consultation,
          after={"file": Path(written).name, **bundle.summary()})
    return BundleResult(written, "decisions", bundle.summary())


@dataclass
class DecisionsImport:
    consultation_id: int
    file: str
    already_imported: bool = False
    applied: int = 0  # rows of ours with a decision, now recorded on their suggestions
    suggestions: int = 0
    undecided: int = 0
    unknown: list[str] = field(default_factory=list)  # keys we never sent (or no longer have)
    statuses: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"consultation_id": self.consultation_id, "file": self.file,
                "already_imported": self.already_imported, "applied": self.applied,
                "suggestions": self.suggestions, "undecided": self.undecided, "unknown": self.unknown,
                "statuses": self.statuses}


def import_decisions(session: Session, actor: Actor, consultation_id: int, path: str | Path) -> DecisionsImport:
    """Record the decisions taken above on the rows this level sent: each suggestion of a
    decided row gets the decision (as a reviewer's, rule "from_above", so it counts in the
    statistics), its note and the final articles. Importing the same bundle again changes
    nothing; a later bundle from above updates the decisions."""
    consultation = get_consultation(session, consultation_id)
    actor.require("import", consultation)
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    bundle = load_bundle(data, path.name)
    if bundle["schema"] != DECISIONS_BUNDLE_SCHEMA:
        raise InputError(f"{path.name}: this is a feedback bundle; import it with `minyi comments import`",
                         message_zh=f"{path.name}：这是意见反馈包，请用“导入意见”")
    ours = {p: store.find_point(session, p).id if p else None
            for p in store_point_names(session, consultation_id)}
    items = [i for i in bundle["items"] if isinstance(i, dict) and i.get("point") in ours]
    if not items:
        raise InputError(
            f"{path.name}: has no decisions on feedback sent from consultation {consultation_id} "
            f"(sent by: {', '.join(n for n in ours if n) or 'nobody yet'})",
            message_zh="该采纳情况反馈包不涉及本联系点报送的意见",
        )
    issuer = (bundle.get("contact_point") or {}).get("name") or "上级"
    sender = session.scalar(select(ContactPoint).where(ContactPoint.name == issuer))
    result = DecisionsImport(consultation_id, path.name)
    _bundle, new = store.record_received_decisions(
        session, consultation_id, str(bundle["bundle_id"]), sender.id if sender else None,
        int(bundle.get("sequence") or 0), store._when(bundle.get("issued_at")), str(path), items)
    if not new:
        result.already_imported = True
        return result
    user = f"上级：{issuer}"[:100]
    statuses: dict[str, int] = defaultdict(int)
    for item in items:
        sent = store.latest_sent_items(session, consultation_id, ours[item["point"]]).get(str(item.get("key")))
        if sent is None:
            result.unknown.append(str(item.get("key")))
            continue
        status = item.get("status")
        if not status or status not in adoption_store.ADOPTION_STATUSES or status == UNDECIDABLE:
            result.undecided += 1
            continue
        ids = list(session.scalars(select(Suggestion.id).where(Suggestion.id.in_(sent.suggestion_ids))))
        if not ids:
            result.unknown.append(str(item.get("key")))
            continue
        rows = adoption_store.store_manual_decisions(session, status=status, user=user, suggestion_ids=ids,
                                                     note=item.get("note"))
        for decision, before in rows:
            decision.rule = FROM_ABOVE_RULE
            if item.get("final_articles"):
                decision.final_articles = list(item["final_articles"])
            if item.get("final_label"):
                decision.evidence = {**(decision.evidence or {}), "final_label": item["final_label"]}
            audit(session, actor, "import_decision", decision, consultation_id=consultation_id,
                  before=before, after=adoption_store.brief(decision))
        result.applied += 1
        result.suggestions += len(ids)
        statuses[status] += 1
    result.statuses = dict(statuses)
    session.flush()
    return result


def store_point_names(session: Session, consultation_id: int) -> list[str | None]:
    """Names of the points this consultation sent feedback bundles for."""
    ids = store.sent_feedback_points(session, consultation_id)
    names = {p.id: p.name for p in session.scalars(select(ContactPoint).where(ContactPoint.id.in_(
        [i for i in ids if i is not None])))}
    return [names.get(i) for i in ids if i in names]


# --- statistics ----------------------------------------------------------------------------


def _reporting_consultations(session: Session) -> list[int]:
    """Consultations whose rows are not also counted in another one here: a consultation
    whose bundle another consultation of this database received is that one's lower level."""
    sent = session.execute(select(store.FeedbackBundle.consultation_id, store.FeedbackBundle.bundle_uid)
                           .where(store.FeedbackBundle.direction == "sent",
                                  store.FeedbackBundle.kind == "feedback")).all()
    received = set(session.scalars(select(store.FeedbackBundle.bundle_uid)
                                   .where(store.FeedbackBundle.direction == "received",
                                          store.FeedbackBundle.kind == "feedback")))
    below = {cid for cid, uid in sent if uid in received}
    return [cid for cid in session.scalars(select(Consultation.id).order_by(Consultation.id)) if cid not in below]


def rollup_statistics(session: Session, actor: Actor, *, year: int | None = None,
                      contact_point: str | None = None) -> RollupStats:
    """Fed back, adopted, partly adopted and the adoption rate per point, per level and per
    year, with each point's roll-up total (its own and every point below it). Rows are
    counted once: a consultation whose feedback another consultation here received counts
    inside that one. ``contact_point`` limits to that point and the points below it."""
    actor.require("report")
    rows, _ = report_queries.stat_rows(session, year=year, consultation_ids=_reporting_consultations(session))
    masker = documents.Masker()  # statistics: counts and masked texts across consultations
    rows = [r.masked(masker.text) for r in rows]
    points = [(p.name, p.level, p.parent.name if p.parent else None) for p in store.points_tree(session)]
    if contact_point:
        store.find_point(session, contact_point)
    return build_rollup_stats(rows, points, year=year, top=contact_point)


@dataclass
class StatsWritten:
    stats: RollupStats
    format: str
    path: str | None = None
    text: str | None = None
    chart: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "chart": self.chart, **self.stats.to_dict()}


def write_rollup_statistics(session: Session, actor: Actor, fmt: str | None = "table",
                            path: str | Path | None = None, *, year: int | None = None,
                            contact_point: str | None = None, chart: str | Path | None = None) -> StatsWritten:
    """Render the roll-up statistics (table / json / csv / xlsx) and draw a chart of fed
    back vs adopted per point to ``chart``."""
    fmt = formats.check_format(RollupStats, fmt, path)
    stats = rollup_statistics(session, actor, year=year, contact_point=contact_point)
    out = formats.write(stats, fmt, path)
    result = StatsWritten(stats, fmt, str(path) if path is not None else None)
    if not formats.FORMATS[fmt].to_file:
        result.text = out
    if chart is not None:
        from reports import charts

        lines = stats.by_point
        result.chart = charts.adoption_bars(
            [p.key for p in lines], [p.total.suggestions for p in lines],
            [p.total.adopted_full for p in lines], [p.total.adopted_partly for p in lines],
            "各联系点反馈建议及采纳情况（含下级）", chart,
        )
    return result


# --- the demo --------------------------------------------------------------------------------


@dataclass
class DemoRollup:
    district_consultation_id: int
    second_consultation_id: int
    outputs: dict[str, str] = field(default_factory=dict)
    steps: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"district_consultation_id": self.district_consultation_id,
                "second_consultation_id": self.second_consultation_id,
                "outputs": self.outputs, "steps": self.steps}


DEMO_DISTRICT = {"name": "福田区人大常委会法制工作委员会", "level": "区级"}
DEMO_SECOND = "samples/ebike/second-point"


def demo_rollup(session: Session, sample_dir: str | Path, workdir: str | Path, *,
                main_consultation_id: int | None = None, backend: str | None = None,
                actor: Actor | None = None) -> DemoRollup:
    """The roll-up on the sample: the main contact point and a second, smaller one each
    send a bundle to the district, which analyses across both, detects adoption against
    the enacted text and sends the decisions back down; the second point then writes its
    letters to contributors and its public notice. Idempotent: a second run adds nothing
    twice (the same rows are recognised, decisions are re-recorded)."""
    import tomllib

    from minyi.services import replies
    from minyi.services.adoption import detect_adoption
    from minyi.services.analysis import analyze
    from minyi.services.context import SYSTEM
    from minyi.services.intake import import_files
    from models.store import create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file

    actor = actor or SYSTEM
    sample_dir, workdir = Path(sample_dir), Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    second_dir = sample_dir / "second-point"
    manifest = tomllib.loads((second_dir / "point.toml").read_text(encoding="utf-8"))
    main_manifest = tomllib.loads((sample_dir / "consultation.toml").read_text(encoding="utf-8"))
    info = main_manifest["consultation"]
    main_id = main_consultation_id or session.scalar(
        select(Consultation.id).where(Consultation.external_id == info.get("external_id", "sample:ebike")))
    if main_id is None:
        raise NotFoundError("the sample consultation is not loaded; run the main demo first")
    main = get_consultation(session, main_id)
    district, _ = store.upsert_point(session, DEMO_DISTRICT["name"], DEMO_DISTRICT["level"], None)
    if main.contact_point is not None and main.contact_point.parent_id is None:
        main.contact_point.parent = district
    second_info = manifest["contact_point"]
    second_point, _ = store.upsert_point(session, second_info["name"], second_info["level"], district.name)

    def consultation(external_id: str, point: str, level: str | None) -> int:
        found = session.scalar(select(Consultation.id).where(Consultation.external_id == external_id))
        if found is not None:
            return found
        c = create_consultation(session, title=info["title"], issuing_body=info.get("issuing_body"),
                                level=info.get("level"), opened_on=main.opened_on, deadline=main.deadline,
                                contact_point=point, contact_point_level=level, external_id=external_id)
        draft = sample_dir / main_manifest["draft"]["file"]
        load_draft_version(session, c.id, parse_file(draft), label=main_manifest["draft"].get("label", "征求意见稿"),
                           source_file=str(draft), comment_base=True)
        return c.id

    second_id = consultation("sample:ebike:second-point", second_point.name, second_point.level)
    district_id = consultation("sample:ebike:district", district.name, district.level)
    result = DemoRollup(district_id, second_id)
    files = [second_dir / f["path"] for f in manifest.get("files", [])]
    result.steps["second_import"] = import_files(session, actor, second_id, files).to_dict()["imported"]
    analyze(session, actor, second_id, backend=backend)
    store.add_participants(session, district_id, [p.id for p in (main.contact_point, second_point) if p])
    # Each point sends its bundle up; the district imports them (a re-run recognises them).
    bundles = []
    for cid, name in ((main_id, "main"), (second_id, "second")):
        out = export_bundle(session, actor, cid, workdir / f"rollup-{name}{'.bundle.json'}")
        result.outputs[f"bundle_{name}"] = out.path
        bundles.append(out.path)
    imported = import_files(session, actor, district_id, bundles)
    result.steps["district_import"] = {"imported": imported.imported, "skipped": imported.skipped}
    result.steps["district_analysis"] = analyze(session, actor, district_id, backend=backend).suggestions
    final = sample_dir / main_manifest["final"]["file"]
    detect_adoption(session, actor, district_id, final, label=main_manifest["final"].get("label", "公布稿"))
    result.outputs["district_feedback"] = documents.feedback_document(
        session, actor, district_id, "docx", workdir / "rollup-district-feedback.docx").path
    result.outputs["district_review"] = documents.review_report(
        session, actor, district_id, "docx", workdir / "rollup-district-review.docx").path
    decisions = export_decisions(session, actor, district_id, workdir / "rollup-decisions.bundle.json")
    result.outputs["decisions"] = decisions.path
    for cid, name in ((main_id, "main"), (second_id, "second")):
        result.steps[f"decisions_{name}"] = import_decisions(session, actor, cid, decisions.path).to_dict()
    written = write_rollup_statistics(session, actor, "xlsx", workdir / "rollup-statistics.xlsx",
                                      contact_point=district.name, chart=workdir / "rollup-statistics.png")
    result.outputs["statistics"] = written.path or ""
    result.outputs["statistics_chart"] = written.chart or ""
    result.steps["summary"] = written.stats.sentence()
    letters = replies.write_contributor_letters(session, actor, second_id, workdir / "rollup-second-contributors")
    result.outputs.update({f"letters_{k}": v for k, v in letters.files.items()})
    result.outputs["notice"] = replies.public_notice_document(
        session, actor, second_id, "docx", workdir / "rollup-second-notice.docx").path
    return result
