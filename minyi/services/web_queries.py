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
from minyi.core.vocab import CHANNELS, REVIEWED_SCOPES, SUGGESTION_TYPES, adoption_rule_label
from minyi.services import intake, review
from minyi.services.audit_log import ChangeResult
from minyi.services.context import Actor, audit
from minyi.services.sureness import placement, rate_placements
from models.provisions import ProvisionTree
from models import accounts as account_store
from models import page_queries as pq
from models import review_store
from models.entities import Consultation
from models.store import find_version, get_consultation, list_consultations
from pipeline.mask import mask_text
from pipeline.sureness import QUEUE_SURE, doubts

QUEUE_LIMIT = 50
# The whole draft shows each article's largest clusters, and of 总体意见 / 范围外 each.
CLUSTERS_PER_ARTICLE = 10
TAIL_CLUSTERS = 50
# A cluster page: lines of its member list, and members shown one by one in a line.
ENTRIES_PER_PAGE = 40
MEMBERS_PER_ENTRY = 20
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
    more: dict[str, int] = field(default_factory=dict)  # tail clusters not shown


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
    part: str | None = None,
    mine: bool = False,
) -> ArticleView:
    """The draft article by article (款/项), each with its clusters; 总体意见, 草案范围外 and
    非意见 at the end. Filters: contact point, channel, type, review state
    ("reviewed"/"open"), one article, one of the tail parts ("general"/"other"), and
    clusters assigned to the user.

    The whole draft shows each article's largest clusters (``CLUSTERS_PER_ARTICLE``, and
    ``TAIL_CLUSTERS`` of each tail part) with how many more there are; one article or one
    part shows all of its own. Only the shown clusters' texts are read, so the page does
    not grow with the consultation."""
    consultation = _readable(session, actor, consultation_id)
    if channel and channel not in CHANNELS:
        raise InputError(f"unknown channel {channel!r}", message_zh="渠道无效")
    if stype and stype not in SUGGESTION_TYPES:
        raise InputError(f"unknown type {stype!r}", message_zh="意见类型无效")
    if state not in (None, "", "reviewed", "open"):
        raise InputError(f"unknown state {state!r}", message_zh="审阅状态无效")
    if part not in (None, "", "general", "other"):
        raise InputError(f"unknown part {part!r}", message_zh="筛选条件有误")
    reviewed = {"reviewed": True, "open": False}.get(state or "")
    only = account_store.assigned_cluster_ids(session, consultation_id, actor.user_id) if mine and actor.user_id else (
        set() if mine else None)
    clusters = pq.cluster_rows(session, consultation_id, contact_point_id=contact_point_id, channel=channel,
                               stype=stype, reviewed=reviewed, cluster_ids=only, provision_id=article_id)
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
    whole = article_id is None and not part
    if article_id is not None:
        articles = [a for a in articles if a["id"] == article_id]
        if not articles:
            raise NotFoundError(f"no article {article_id} in consultation {consultation_id}", message_zh="未找到该条款")
        general, other = [], []
    elif part:
        articles = []
        general, other = (general, []) if part == "general" else ([], other)
    more = {"general": 0, "other": 0}
    if whole:
        for a in articles:
            a["more"] = max(0, len(a["clusters"]) - CLUSTERS_PER_ARTICLE)
            a["clusters"] = a["clusters"][:CLUSTERS_PER_ARTICLE]
        more = {"general": max(0, len(general) - TAIL_CLUSTERS), "other": max(0, len(other) - TAIL_CLUSTERS)}
        general, other = general[:TAIL_CLUSTERS], other[:TAIL_CLUSTERS]
    shown = [c for a in articles for c in a["clusters"]] + general + other
    texts = pq.suggestion_texts(session, [c["representative_id"] for c in shown if c["representative_id"]])
    for c in shown:
        text, masked, point = texts.get(c["representative_id"], ("", None, None))
        c["shown_text"] = visible_text(actor, consultation, text, masked, point)
    total, rows = pq.not_opinions(session, consultation_id)
    for r in rows:
        r["shown_text"] = visible_text(actor, consultation, r["text"], r["masked_text"], r["contact_point_id"])
    return ArticleView(
        consultation=_consultation_fields(consultation),
        has_draft=version is not None,
        articles=articles,
        general=general,
        other=other,
        not_opinion=rows if whole else [],
        not_opinion_total=total,
        filters={"contact_point": contact_point_id, "channel": channel or "", "type": stype or "",
                 "state": state or "", "mine": mine, "part": part or "", "article": article_id},
        options={"contact_points": pq.contact_points_of(session, consultation_id), "channels": CHANNELS,
                 "types": SUGGESTION_TYPES},
        totals={"clusters": len(clusters), "reviewed": sum(1 for c in clusters if c["reviewed"]),
                "people": sum(c["size"] for c in clusters)},
        more=more,
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
        a["cluster_count"] = len(a["clusters"])
    return articles


# --- the review queue -----------------------------------------------------------------------


def review_queue(session: Session, actor: Actor, consultation_id: int, *, limit: int = QUEUE_LIMIT) -> dict[str, Any]:
    """What the analysis was least sure of, least sure first: low or close semantic scores,
    citations of articles the draft lacks, citations whose article does not match the
    content, chapter-level citations, host remarks and complaints, and suggestions it could
    not place (``pipeline.sureness``). A suggestion leaves the queue once a reviewer
    accepted or moved it. The order is stored by the analysis, so the page reads ``limit``
    rows of an index whatever the consultation's size."""
    consultation = _readable(session, actor, consultation_id)
    rate_placements(session, consultation_id)
    page = pq.queue_page(session, consultation_id, QUEUE_SURE, limit)
    ids = [sid for sid, _ in page]
    rows = pq.suggestions_by_id(session, ids)
    links = pq.links_of(session, ids)
    clusters = pq.clusters_of_suggestions(session, ids)
    items = []
    for sid, value in page:
        row = rows[sid]
        scores = sorted((link["score"] for link in links.get(sid, []) if link["method"] == "semantic"), reverse=True)
        why = doubts(placement({**row, "semantic_scores": scores}))
        reasons = [REASON_ZH[d.kind] + (f"（{d.detail}）" if d.detail else "") for d in why]
        check = row["citation_check"]
        if check and check.get("likely"):
            likely = "、".join(f"第{n}条" for n in check["likely"])
            reasons = [f"{r}（可能为{likely}）" if r == REASON_ZH["citation_mismatch"] else r for r in reasons]
        items.append(dict(
            id=sid, sureness=value, reasons=reasons,
            version=row["version"], type=row["type"], contact_point=row["contact_point"],
            channel=CHANNELS.get(row["channel"], row["channel"]),
            text=visible_text(actor, consultation, row["text"], row["masked_text"], row["contact_point_id"]),
            comment=visible_text(actor, consultation, row["comment_text"], row["comment_masked"], row["contact_point_id"]),
            links=links.get(sid, []), placement=_placement(row, links.get(sid, [])),
            clusters=clusters.get(sid, []), problems=row["reference_problems"],
        ))
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


def cluster_fields(session: Session, actor: Actor, cluster_id: int) -> dict[str, Any]:
    """A cluster's own fields (what its form edits) and its consultation."""
    return _cluster_fields(session, actor, cluster_id)[0]


def _cluster_fields(session: Session, actor: Actor, cluster_id: int) -> tuple[dict[str, Any], Any, Consultation]:
    cluster = review_store.get_cluster(session, cluster_id)
    consultation = _readable(session, actor, cluster.consultation_id)
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
        "may_review": actor.may("review", consultation),
        "may_assign": actor.may("edit_consultation", consultation),
    }, cluster, consultation


def cluster_page(session: Session, actor: Actor, cluster_id: int, *, page: int = 1) -> dict[str, Any]:
    """A cluster with its members: exact duplicates collapsed into one line with a count;
    a form-letter campaign shown once, each member with its own added sentences (those
    carry the new points, so they come first).

    ``ENTRIES_PER_PAGE`` lines a page; in a line, ``MEMBERS_PER_ENTRY`` members one by one
    and the rest together (chosen at once for a split), so a page of a 5,000-member
    cluster stays small."""
    data, cluster, consultation = _cluster_fields(session, actor, cluster_id)
    members = pq.cluster_members(session, cluster_id)
    entries = _member_entries(members)
    pages = max(1, -(-len(entries) // ENTRIES_PER_PAGE))
    page = min(max(1, page), pages)
    shown = entries[(page - 1) * ENTRIES_PER_PAGE: page * ENTRIES_PER_PAGE]
    for e in shown:
        if e["kind"] == "campaign":
            # Letters that differ from the template carry the new points: they come first.
            e["members"].sort(key=lambda m: (m["same_as_canonical"], m["id"]))
            e["with_added"] = sum(1 for m in e["members"] if not m["same_as_canonical"])
        e["count"] = len(e["members"])
        e["rest"] = e["members"][MEMBERS_PER_ENTRY:]
        e["rest_ids"] = ",".join(str(m["id"]) for m in e["rest"])
        e["members"] = e["members"][:MEMBERS_PER_ENTRY]
    wanted = [e["canonical"] for e in shown if e.get("canonical")] + [
        m["id"] for e in shown for m in (e["members"] if e["kind"] == "campaign" else e["members"][:1])]
    texts = pq.suggestion_texts(session, wanted)

    def shown_text(sid: int) -> str:
        text, masked, point = texts.get(sid, ("", None, None))
        return visible_text(actor, consultation, text, masked, point)

    for e in shown:
        for m in e["members"]:
            m["channel_zh"] = CHANNELS.get(m["channel"], m["channel"])
        if e["kind"] == "campaign":
            e["text"] = shown_text(e["canonical"] if e["canonical"] in texts else e["members"][0]["id"])
            own = set(sentences(e["text"]))
            for m in e["members"]:
                m["shown_text"] = e["text"] if m["same_as_canonical"] else shown_text(m["id"])
                m["added"] = [x for x in sentences(m["shown_text"]) if x not in own]
        else:
            e["text"] = e["members"][0]["shown_text"] = shown_text(e["members"][0]["id"])
    on_page = [m for e in shown for m in e["members"]]
    return {
        **data,
        "entries": shown,
        "members": on_page,
        "member_count": len(members),
        "page": page,
        "pages": pages,
        "siblings": pq.sibling_clusters(session, cluster),
    }


def _member_entries(members: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines of the member list in order of first appearance: one per campaign, one per
    exact-duplicate text, one per other member."""
    entries: list[dict[str, Any]] = []
    exact: dict[tuple[Any, str], dict[str, Any]] = {}
    campaigns: dict[int, dict[str, Any]] = {}
    for m in members:
        if m["group_kind"] == "campaign" and m["group_id"] is not None:
            camp = campaigns.get(m["group_id"])
            if camp is None:
                camp = campaigns[m["group_id"]] = {"kind": "campaign", "group_id": m["group_id"],
                                                   "canonical": m["group_canonical"], "members": []}
                entries.append(camp)
            camp["members"].append(m)
            continue
        key = (m["group_id"] if m["group_kind"] == "exact" else None, m["text_hash"])
        if key in exact:
            exact[key]["members"].append(m)
            continue
        entry = {"kind": "single", "members": [m]}
        exact[key] = entry
        entries.append(entry)
    return entries


# --- adoption -------------------------------------------------------------------------------


def adoption_page(session: Session, actor: Actor, consultation_id: int, *, status: str | None = None,
                  source: str | None = None, page: int = 1, per_page: int = 30) -> dict[str, Any]:
    """Adoption proposals with their evidence (draft and final wording, changes marked),
    filtered by status and by who decided (auto/manual), a page at a time: the decisions
    are counted and paged on plain columns, and only the page's are read whole."""
    from minyi.services.adoption import adoption_decisions, count_statuses, decision_summary

    consultation = _readable(session, actor, consultation_id)
    summary = decision_summary(session, actor, consultation_id)
    counts = count_statuses(status for _sid, status, _source in summary)
    chosen = [sid for sid, st, src in summary
              if (not status or st == status) and (source not in ("auto", "manual") or src == source)]
    total = len(chosen)
    page = max(1, page)
    ids = chosen[(page - 1) * per_page: page * per_page]
    shown = adoption_decisions(session, actor, consultation_id, ids)
    for d in shown:
        ev = d.get("evidence") or {}
        d["diff"] = diff_spans(ev.get("draft_text") or "", ev.get("final_text") or "")
        d["rule_label"] = adoption_rule_label(d.get("rule"))
        # Found in another article than the one the suggestion was mapped to: that change too.
        found = ev.get("found") or {}
        d["found"] = {"final_article": found.get("final_article"), "draft_article": found.get("draft_article"),
                      "diff": diff_spans(found.get("draft_text") or "", found.get("final_text") or "")} if found else None
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


def consultation_heading(session: Session, actor: Actor, consultation_id: int) -> dict[str, Any]:
    """The consultation's title, status and deadline, for a page about it."""
    return _consultation_fields(_readable(session, actor, consultation_id))


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
