"""What the review application's pages show, read once per page and checked against the
acting user: the consultation list, the article view, the review queue, a cluster with its
members, the adoption proposals; plus the queue's accept (a reviewer confirms where the
analysis put a suggestion) and the quarantine's correct-in-place and dismiss.

Commenters' personal data is shown only to admins and to staff of the contact point that
collected the comment; everyone else gets the masked text (``visible_text``).
"""

from __future__ import annotations

import csv
import difflib
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minyi.core.errors import InputError, NotFoundError
from minyi.core.vocab import CHANNELS, REVIEWED_SCOPES, SUGGESTION_TYPES
from minyi.services import intake, review
from minyi.services.audit_log import ChangeResult
from minyi.services.context import Actor, audit
from models.provisions import ProvisionTree
from models import accounts as account_store
from models import page_queries as pq
from models import review_store
from models.entities import Consultation
from models.store import find_version, get_consultation, list_consultations
from pipeline.mask import mask_text

QUEUE_LIMIT = 50
REASON_ZH = {
    "low_score": "语义匹配得分低",
    "small_margin": "两个条款得分接近",
    "missing_article": "引用的条款在草案中不存在",
    "citation_mismatch": "疑似引用有误：所引条款与意见内容不符",
    "chapter": "按章引用，未指明具体条款",
    "host": "疑似主持人发言",
    "complaint": "疑似投诉举报",
    "unplaced": "未能对应到具体条款",
}
# Sureness of each flagged kind (lower: shown earlier in the queue).
FLAG_SURENESS = {"missing_article": 0.05, "citation_mismatch": 0.08, "host": 0.1, "complaint": 0.1, "chapter": 0.3, "unplaced": 0.45}
STATUS_ZH = {"open": "征求意见中", "closed": "已截止", "reported": "已报送", "archived": "已归档"}


# --- personal data --------------------------------------------------------------------------


def sees_comment(actor: Actor, consultation: Consultation, point_id: int | None) -> bool:
    """Admins, and staff of the contact point that collected the comment (the
    consultation's own point when the comment names none)."""
    if not actor.sees_personal_data(consultation):
        return False
    if actor.role == "admin":
        return True
    point = point_id if point_id is not None else consultation.contact_point_id
    return point in actor.contact_point_ids


def visible_text(actor: Actor, consultation: Consultation, text: str | None, masked: str | None,
                 point_id: int | None) -> str:
    if sees_comment(actor, consultation, point_id):
        return text or ""
    if masked is not None:
        return masked
    return mask_text(text or "")


def _readable(session: Session, actor: Actor, consultation_id: int) -> Consultation:
    consultation = get_consultation(session, consultation_id)
    actor.require("read", consultation)
    return consultation


# --- consultations --------------------------------------------------------------------------


def consultation_list(session: Session, actor: Actor, today: date | None = None) -> list[dict[str, Any]]:
    """Consultations the user may read with counts, status and days to the deadline."""
    today = today or date.today()
    rows = [r for r in list_consultations(session) if actor.may("read", session.get(Consultation, r["id"]))]
    counts = pq.consultation_counts(session, [r["id"] for r in rows])
    for row in rows:
        row.update(counts[row["id"]])
        row["status_zh"] = STATUS_ZH.get(row["status"], row["status"])
        deadline = date.fromisoformat(row["deadline"]) if row["deadline"] else None
        row["days_left"] = (deadline - today).days if deadline else None
        row["may_edit"] = actor.may("edit_consultation", session.get(Consultation, row["id"]))
    return rows


# --- the article view -----------------------------------------------------------------------


@dataclass
class ArticleView:
    consultation: dict[str, Any]
    has_draft: bool
    articles: list[dict[str, Any]]
    general: list[dict[str, Any]]
    other: list[dict[str, Any]]
    not_opinion: list[dict[str, Any]]
    not_opinion_total: int
    filters: dict[str, Any]
    options: dict[str, Any]
    totals: dict[str, int] = field(default_factory=dict)


def article_view(
    session: Session,
    actor: Actor,
    consultation_id: int,
    *,
    contact_point_id: int | None = None,
    channel: str | None = None,
    stype: str | None = None,
    state: str | None = None,
    article_id: int | None = None,
    mine: bool = False,
) -> ArticleView:
    """The draft article by article (款/项), each with its clusters; 总体意见, 草案范围外 and
    非意见 at the end. Filters: contact point, channel, type, review state
    ("reviewed"/"open"), one article, and clusters assigned to the user."""
    consultation = _readable(session, actor, consultation_id)
    if channel and channel not in CHANNELS:
        raise InputError(f"unknown channel {channel!r}", message_zh="渠道无效")
    if stype and stype not in SUGGESTION_TYPES:
        raise InputError(f"unknown type {stype!r}", message_zh="意见类型无效")
    if state not in (None, "", "reviewed", "open"):
        raise InputError(f"unknown state {state!r}", message_zh="审阅状态无效")
    reviewed = {"reviewed": True, "open": False}.get(state or "")
    only = account_store.assigned_cluster_ids(session, consultation_id, actor.user_id) if mine and actor.user_id else (
        set() if mine else None)
    clusters = pq.cluster_rows(session, consultation_id, contact_point_id=contact_point_id, channel=channel,
                               stype=stype, reviewed=reviewed, cluster_ids=only)
    for c in clusters:
        c["shown_text"] = visible_text(actor, consultation, c["text"], c["masked_text"], c["contact_point_id"])
    by_article: dict[int, list[dict[str, Any]]] = {}
    general, other = [], []
    for c in clusters:
        if c["provision_id"] is not None:
            by_article.setdefault(c["provision_id"], []).append(c)
        elif c["scope"] == "other":
            other.append(c)
        else:
            general.append(c)
    version = find_version(session, consultation_id)
    articles = _article_tree(pq.provisions(session, version.id), by_article) if version else []
    if article_id is not None:
        articles = [a for a in articles if a["id"] == article_id]
        if not articles:
            raise NotFoundError(f"no article {article_id} in consultation {consultation_id}", message_zh="未找到该条款")
        general, other = [], []
    total, rows = pq.not_opinions(session, consultation_id)
    for r in rows:
        r["shown_text"] = visible_text(actor, consultation, r["text"], r["masked_text"], r["contact_point_id"])
    return ArticleView(
        consultation=_consultation_fields(consultation),
        has_draft=version is not None,
        articles=articles,
        general=general,
        other=other,
        not_opinion=rows if article_id is None else [],
        not_opinion_total=total,
        filters={"contact_point": contact_point_id, "channel": channel or "", "type": stype or "",
                 "state": state or "", "mine": mine},
        options={"contact_points": pq.contact_points_of(session, consultation_id), "channels": CHANNELS,
                 "types": SUGGESTION_TYPES},
        totals={"clusters": len(clusters), "reviewed": sum(1 for c in clusters if c["reviewed"]),
                "people": sum(c["size"] for c in clusters)},
    )


def _consultation_fields(c: Consultation) -> dict[str, Any]:
    return {"id": c.id, "title": c.title, "status": c.status, "status_zh": STATUS_ZH.get(c.status, c.status),
            "deadline": c.deadline, "contact_point_id": c.contact_point_id, "version": c.row_version}


def _article_tree(nodes: list[dict[str, Any]], clusters: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Articles in order with their heading (编/章/节), 款 and 项, and their clusters."""
    tree = ProvisionTree(nodes)
    articles: list[dict[str, Any]] = []
    paragraphs: dict[int, dict[str, Any]] = {}
    heading_seen: set[int] = set()
    for n in nodes:
        if n["kind"] == "article":
            heads = []
            for parent in tree.ancestors(n):
                if parent["id"] not in heading_seen:
                    heads.insert(0, parent["label"])
                    heading_seen.add(parent["id"])
            articles.append({**n, "headings": heads, "paragraphs": [], "clusters": clusters.get(n["id"], [])})
        elif n["kind"] == "paragraph" and articles:
            para = {**n, "items": []}
            paragraphs[n["id"]] = para
            articles[-1]["paragraphs"].append(para)
        elif n["kind"] in ("item", "subitem") and n["parent_id"] in paragraphs:
            paragraphs[n["parent_id"]]["items"].append(n)
    for a in articles:
        a["people"] = sum(c["size"] for c in a["clusters"])
    return articles


# --- the review queue -----------------------------------------------------------------------


def review_queue(session: Session, actor: Actor, consultation_id: int, *, limit: int = QUEUE_LIMIT) -> dict[str, Any]:
    """What the analysis was least sure of, least sure first: low or close semantic scores,
    citations of articles the draft lacks, chapter-level citations, host remarks and
    complaints, and suggestions it could not place. A suggestion leaves the queue once a
    reviewer accepted or moved it."""
    consultation = _readable(session, actor, consultation_id)
    candidates: dict[int, dict[str, Any]] = {}

    def add(sid: int, sureness: float, reason: str, detail: str | None = None) -> None:
        item = candidates.setdefault(sid, {"id": sid, "sureness": sureness, "reasons": []})
        item["sureness"] = min(item["sureness"], sureness)
        item["reasons"].append(REASON_ZH[reason] + (f"（{detail}）" if detail else ""))

    for sid, score, margin in pq.queue_semantic(session, consultation_id, limit):
        if margin is not None and margin * 4 < score:
            add(sid, margin * 4, "small_margin", f"相差{margin:.2f}")
        else:
            add(sid, score, "low_score", f"{score:.2f}")
    for sid, kind in pq.queue_flagged(session, consultation_id, limit):
        add(sid, FLAG_SURENESS[kind], kind)
    for sid in pq.queue_unplaced(session, consultation_id, limit):
        add(sid, FLAG_SURENESS["unplaced"], "unplaced")
    items = sorted(candidates.values(), key=lambda i: (i["sureness"], i["id"]))[:limit]
    ids = [i["id"] for i in items]
    rows = pq.suggestions_by_id(session, ids)
    links = pq.links_of(session, ids)
    clusters = pq.clusters_of_suggestions(session, ids)
    for item in items:
        row = rows[item["id"]]
        item.update(
            version=row["version"], type=row["type"], contact_point=row["contact_point"],
            channel=CHANNELS.get(row["channel"], row["channel"]),
            text=visible_text(actor, consultation, row["text"], row["masked_text"], row["contact_point_id"]),
            comment=visible_text(actor, consultation, row["comment_text"], row["comment_masked"], row["contact_point_id"]),
            links=links.get(item["id"], []), placement=_placement(row, links.get(item["id"], [])),
            clusters=clusters.get(item["id"], []), problems=row["reference_problems"],
        )
        check = row["citation_check"]
        if check and check.get("likely"):
            likely = "、".join(f"第{n}条" for n in check["likely"])
            item["reasons"] = [
                f"{r}（可能为{likely}）" if r == REASON_ZH["citation_mismatch"] else r for r in item["reasons"]
            ]
    return {"consultation": _consultation_fields(consultation), "items": items,
            "open": pq.queue_open_count(session, consultation_id), "may_review": actor.may("review", consultation)}


def _placement(row: dict[str, Any], links: list[dict[str, Any]]) -> str:
    if row["reviewed_scope"] == "not_opinion":
        return "非意见"
    if links:
        return "、".join(review_store.provision_label(link["label"], link["paragraph"]) for link in links)
    return "草案范围外" if row["is_out_of_scope"] else "总体意见"


def _current_target(row: dict[str, Any], links: list[dict[str, Any]]) -> list[str]:
    """The ``move_suggestion`` targets that keep a suggestion where it is ("12", "12.2";
    two 款 of one article become the article, as move takes one of them only)."""
    by_article: dict[str, set[int | None]] = {}
    for link in links:
        if link["kind"] == "article" and link["number"] is not None:
            by_article.setdefault(f"{link['number']}{link['suffix'] or ''}", set()).add(link["paragraph"])
    if not by_article:
        return ["out-of-scope" if row["is_out_of_scope"] else "general"]
    targets = []
    for article, paragraphs in by_article.items():
        only = next(iter(paragraphs)) if len(paragraphs) == 1 else None
        targets.append(f"{article}.{only}" if only else article)
    return targets


def accept_suggestions(session: Session, actor: Actor, versions: dict[int, int | None]) -> list[ChangeResult]:
    """A reviewer confirms where the analysis put each suggestion (id → the version seen):
    it leaves the queue and a re-analysis keeps it there."""
    if not versions:
        raise InputError("no suggestion chosen", message_zh="请先选择意见建议")
    ids = list(versions)
    rows = pq.suggestions_by_id(session, ids)
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFoundError(f"no suggestion {missing[0]}", message_zh=f"未找到意见建议{missing[0]}")
    links = pq.links_of(session, ids)
    done = []
    for sid in ids:
        if rows[sid]["reviewed_scope"] is not None and versions[sid] is None:
            continue  # already decided (taken along as a duplicate of an earlier one)
        done.append(review.move_suggestion(session, actor, sid, _current_target(rows[sid], links.get(sid, [])),
                                           expected_version=versions[sid]))
    return done


# --- a cluster ------------------------------------------------------------------------------

_SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text or "") if s.strip()]


def cluster_page(session: Session, actor: Actor, cluster_id: int) -> dict[str, Any]:
    """A cluster with its members: exact duplicates collapsed into one line with a count;
    a form-letter campaign shown once, each member with its own added sentences."""
    cluster = review_store.get_cluster(session, cluster_id)
    consultation = _readable(session, actor, cluster.consultation_id)
    members = pq.cluster_members(session, cluster_id)
    canon = pq.group_texts(session, [m["group_canonical"] for m in members if m["group_canonical"]])
    for m in members:
        m["shown_text"] = visible_text(actor, consultation, m["text"], m["masked_text"], m["contact_point_id"])
        m["channel_zh"] = CHANNELS.get(m["channel"], m["channel"])
    entries: list[dict[str, Any]] = []
    exact: dict[tuple[Any, str], dict[str, Any]] = {}
    campaigns: dict[int, dict[str, Any]] = {}
    for m in members:
        if m["group_kind"] == "campaign" and m["group_id"] is not None:
            camp = campaigns.get(m["group_id"])
            if camp is None:
                base = canon.get(m["group_canonical"])
                base_text = visible_text(actor, consultation, *base) if base else m["shown_text"]
                camp = campaigns[m["group_id"]] = {"kind": "campaign", "group_id": m["group_id"],
                                                   "text": base_text, "members": []}
                entries.append(camp)
            own = set(sentences(camp["text"]))
            m["added"] = [s for s in sentences(m["shown_text"]) if s not in own]
            camp["members"].append(m)
            continue
        key = (m["group_id"] if m["group_kind"] == "exact" else None, m["text_hash"])
        if m["group_kind"] == "exact" or key in exact:
            if key in exact:
                exact[key]["members"].append(m)
                continue
        entry = {"kind": "single", "text": m["shown_text"], "members": [m]}
        exact[key] = entry
        entries.append(entry)
    for e in entries:
        e["count"] = len(e["members"])
    pending = review_store.last_change(session, review_store.key_of(cluster), cluster.consultation_id)
    return {
        "cluster": {"id": cluster.id, "label": cluster.label, "type": cluster.type, "size": cluster.size,
                    "scope": cluster.scope, "provision_id": cluster.provision_id,
                    "article": cluster.provision.label if cluster.provision else
                    ("草案范围外" if cluster.scope == "other" else "总体意见"),
                    "consolidated_text": cluster.consolidated_text, "reason_text": cluster.reason_text,
                    "reviewed": bool(cluster.reviewed), "representative_id": cluster.representative_suggestion_id,
                    "keywords": list(cluster.keywords or []), "version": cluster.row_version,
                    "last_change": (f"{pending.actor} {pending.at:%Y-%m-%d %H:%M} "
                                    f"{(pending.after or {}).get('summary_zh') or pending.action}") if pending else None},
        "consultation": _consultation_fields(consultation),
        "entries": entries,
        "members": members,
        "siblings": pq.sibling_clusters(session, cluster),
        "may_review": actor.may("review", consultation),
        "may_assign": actor.may("edit_consultation", consultation),
    }


# --- adoption -------------------------------------------------------------------------------


def adoption_page(session: Session, actor: Actor, consultation_id: int, *, status: str | None = None,
                  source: str | None = None, page: int = 1, per_page: int = 30) -> dict[str, Any]:
    """Adoption proposals with their evidence (draft and final wording, changes marked),
    filtered by status and by who decided (auto/manual), a page at a time."""
    from minyi.services.adoption import adoption_decisions, count_statuses

    consultation = _readable(session, actor, consultation_id)
    decisions = adoption_decisions(session, actor, consultation_id)
    counts = count_statuses(decisions)
    if status:
        decisions = [d for d in decisions if d["status"] == status]
    if source in ("auto", "manual"):
        decisions = [d for d in decisions if d["source"] == source]
    total = len(decisions)
    page = max(1, page)
    shown = decisions[(page - 1) * per_page: page * per_page]
    for d in shown:
        ev = d.get("evidence") or {}
        d["diff"] = diff_spans(ev.get("draft_text") or "", ev.get("final_text") or "")
        d["text"] = mask_text(d["text"] or "") if d.get("text") else ""
    return {"consultation": _consultation_fields(consultation), "decisions": shown, "counts": counts,
            "total": total, "page": page, "pages": max(1, -(-total // per_page)),
            "may_adopt": actor.may("adopt", consultation)}


def diff_spans(old: str, new: str) -> list[tuple[str, str]]:
    """(kind, text) pieces: "same", "del" (only in the draft), "ins" (only in the final text)."""
    if not old and not new:
        return []
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out.append(("same", old[a0:a1]))
        else:
            if a1 > a0:
                out.append(("del", old[a0:a1]))
            if b1 > b0:
                out.append(("ins", new[b0:b1]))
    return out


# --- quarantine -----------------------------------------------------------------------------


def correct_quarantined(session: Session, actor: Actor, consultation_id: int, record_id: int, text: str) -> intake.ImportSummary:
    """Correct a quarantined record's text in place and import it again (through the fix
    file of ``intake.export_quarantine``, so it is the same path as the CLI's fix loop)."""
    if not (text or "").strip():
        raise InputError("the corrected text is empty", message_zh="更正后的意见内容不能为空")
    with tempfile.TemporaryDirectory(prefix="minyi-fix-") as tmp:
        path = Path(tmp) / "quarantine.csv"
        intake.export_quarantine(session, actor, consultation_id, path)
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            fieldnames = reader.fieldnames or []
            rows = [r for r in reader if r.get("quarantine_id") == str(record_id)]
        if not rows:
            raise NotFoundError(f"no quarantined record {record_id} in consultation {consultation_id}",
                                message_zh=f"未找到隔离记录{record_id}")
        rows[0]["text"] = text.strip()
        fix = Path(tmp) / f"更正-{record_id}.csv"
        with fix.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerow(rows[0])
        return intake.import_files(session, actor, consultation_id, [fix])


def dismiss_quarantined(session: Session, actor: Actor, consultation_id: int, record_id: int, reason: str) -> None:
    """Take a record out of quarantine without a comment (a "无" row, a blank line), with
    the reason; audited."""
    consultation = get_consultation(session, consultation_id)
    actor.require("import", consultation)
    reason = (reason or "").strip()
    if not reason:
        raise InputError("give the reason for dismissing the record", message_zh="请填写驳回理由")
    raw = pq.dismiss_raw_record(session, consultation_id, record_id, reason)
    audit(session, actor, "dismiss_quarantined", raw, consultation_id=consultation_id, after={"reason": reason})


REVIEWED_SCOPE_ZH = REVIEWED_SCOPES


def rights(session: Session, actor: Actor, consultation_id: int) -> dict[str, bool]:
    """What the user may do on the consultation (which buttons a page shows)."""
    consultation = _readable(session, actor, consultation_id)
    return {name: actor.may(name, consultation) for name in
            ("import", "analyze", "review", "adopt", "report", "edit_consultation", "see_personal_data", "audit")}


def own_contact_point(session: Session, actor: Actor) -> str | None:
    """A staff member's contact point when they work for exactly one (new consultations
    are theirs by default)."""
    if actor.role != "staff" or len(actor.contact_point_ids) != 1:
        return None
    from models.entities import ContactPoint

    point = session.get(ContactPoint, next(iter(actor.contact_point_ids)))
    return point.name if point else None
