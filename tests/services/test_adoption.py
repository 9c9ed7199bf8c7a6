"""Adoption decisions in the database (SQLite and PostgreSQL): detect, set, re-detect."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from minyi.core.errors import InputError, NotFoundError
from minyi.services.adoption import detect_adoption, set_adoption
from minyi.services.context import SYSTEM, Actor
from models.adoption_store import effective_decisions
from models.entities import (
    AdoptionDecision,
    AuditLog,
    Cluster,
    ClusterMember,
    Comment,
    Provision,
    Suggestion,
    SuggestionProvision,
)
from models.store import article_provisions, create_consultation, get_version, load_draft_version
from minyi.core.drafts import Article, Paragraph, ParsedDraft
from minyi.core.numerals import to_chinese

PURPOSE = "为了加强电动自行车管理，维护道路交通秩序，保障人身和财产安全，制定本条例。"
PENALTY = "违反本条例规定，驾驶电动自行车未佩戴安全头盔的，由公安机关交通管理部门处五百元罚款。"
INSURANCE = "鼓励保险机构开发电动自行车第三者责任保险产品，鼓励电动自行车所有人投保。"
STALL = "公共停车场的经营者应当在停车场内设置电动自行车专用停放区域，并配备充电设施。"
NEW_ART = "电动自行车维修经营者不得改装电动自行车的动力系统、限速装置。"
EFFECT = "本条例自2026年6月1日起施行。"


def parsed(*texts: str, title: str = "电动自行车管理条例") -> ParsedDraft:
    arts = [
        Article(i, None, f"第{to_chinese(i)}条", t, [Paragraph(t)], chapter="第一章 总则")
        for i, t in enumerate(texts, start=1)
    ]
    return ParsedDraft(title, arts)


DRAFT = parsed(PURPOSE, PENALTY, INSURANCE, STALL, EFFECT)
# 公布稿: 罚款 lowered (第二条), 第三条 deleted, a new article before 停车场 (now 第四条).
FINAL = parsed(PURPOSE, PENALTY.replace("五百元", "二百元"), NEW_ART, STALL, EFFECT)


def add_suggestion(session, consultation_id, text, type_, article_numbers, ordinal=0, external_id=None,
                   method="explicit"):
    """A comment with one suggestion linked to articles of the comment-base version (what
    the analysis pipeline writes)."""
    comment = Comment(consultation_id=consultation_id, text=text, channel="form", external_id=external_id)
    session.add(comment)
    session.flush()
    s = Suggestion(
        consultation_id=consultation_id,
        comment_id=comment.id,
        ordinal=ordinal,
        text=text,
        text_hash=hashlib.sha256(text.encode()).hexdigest(),
        type=type_,
        is_general=not article_numbers,
    )
    session.add(s)
    session.flush()
    version = get_version(session, consultation_id)
    arts = {p.number: p for p in article_provisions(session, version.id)}
    for n in article_numbers:
        session.add(SuggestionProvision(suggestion_id=s.id, provision_id=arts[n].id, method=method))
    session.flush()
    return s


@pytest.fixture
def consultation(session):
    c = create_consultation(session, title="电动自行车管理条例（征求意见稿）")
    load_draft_version(session, c.id, DRAFT, label="征求意见稿")
    sugg = {
        "lower": add_suggestion(session, c.id, "罚款由五百元降为二百元。", "修改", [2], external_id="F-1"),
        "delete": add_suggestion(session, c.id, "建议删除本条。", "删除", [3], external_id="F-2"),
        "stall": add_suggestion(session, c.id, "建议将“应当”改为“可以”。", "修改", [4], external_id="F-3"),
        "support": add_suggestion(session, c.id, "支持本条例尽快出台。", "支持", [], external_id="F-4"),
    }
    session.commit()
    return c, sugg


def _statuses(session, consultation_id):
    return {d["suggestion_id"]: d["status"] for d in effective_decisions(session, consultation_id)}


def test_detect_writes_auto_decisions(session, consultation):
    c, s = consultation
    summary = detect_adoption(session, SYSTEM, c.id, FINAL)
    session.commit()
    assert summary.final_loaded and summary.suggestions == 4 and summary.created == 4
    assert summary.alignment["deleted"] == 1 and summary.alignment["added"] == 1
    statuses = _statuses(session, c.id)
    assert statuses == {
        s["lower"].id: "采纳",
        s["delete"].id: "采纳",
        s["stall"].id: "未采纳",
        s["support"].id: "无法判断",
    }
    rows = {d["suggestion_id"]: d for d in effective_decisions(session, c.id)}
    lower = rows[s["lower"].id]
    assert (lower["source"], lower["decided_by"], lower["external_id"]) == ("auto", "auto", "F-1")
    assert lower["draft_articles"] == ["第二条"] and lower["final_articles"] == ["第二条"]
    assert lower["evidence"]["rule"] == "replacement_made" and "二百元" in lower["evidence"]["final_text"]
    # 第四条 of the draft is still 第四条 (one deleted, one inserted before it) and unchanged.
    assert rows[s["stall"].id]["final_articles"] == ["第四条"]
    assert summary.auto_counts == summary.effective_counts == {"采纳": 2, "未采纳": 1, "无法判断": 1}


def test_the_detector_knows_which_articles_were_cited_and_which_inferred(session, consultation):
    from models.adoption_store import adoption_inputs, version_as_parsed

    c, s = consultation
    inferred = add_suggestion(session, c.id, "停车场应当配备充电设施。", "修改", [4], method="semantic")
    placed = add_suggestion(session, c.id, "停车场的充电设施应当免费。", "修改", [4], method="manual")
    _, key_of = version_as_parsed(session, get_version(session, c.id))
    inputs = adoption_inputs(session, c.id, key_of)
    assert inputs.article_keys[inferred.id] == ["4"]
    assert inputs.cited == {s["lower"].id, s["delete"].id, s["stall"].id, placed.id}


def test_detect_is_idempotent(session, consultation):
    c, _ = consultation
    detect_adoption(session, SYSTEM, c.id, FINAL)
    session.commit()
    again = detect_adoption(session, SYSTEM, c.id, FINAL)
    session.commit()
    assert (again.final_loaded, again.created, again.updated, again.unchanged) == (False, 0, 0, 4)
    n = session.scalar(select(func.count()).select_from(AdoptionDecision))
    assert n == 4
    versions = session.scalar(
        select(func.count()).select_from(Provision).where(Provision.kind == "article")
    )
    assert versions == 10  # two versions of five articles, loaded once each


def test_manual_decision_survives_redetection(session, consultation):
    c, s = consultation
    detect_adoption(session, SYSTEM, c.id, FINAL)
    set_adoption(session, Actor('张审'), suggestion_ids=[s["stall"].id], status="部分采纳", note="已在实施细则体现")
    session.commit()
    summary = detect_adoption(session, SYSTEM, c.id, FINAL)
    session.commit()
    assert summary.manual_kept == 1
    assert summary.effective_counts["部分采纳"] == 1 and summary.auto_counts["未采纳"] == 1
    rows = {d["suggestion_id"]: d for d in effective_decisions(session, c.id)}
    stall = rows[s["stall"].id]
    assert (stall["status"], stall["source"], stall["decided_by"], stall["note"]) == (
        "部分采纳",
        "manual",
        "张审",
        "已在实施细则体现",
    )
    # The detector's evidence is kept beside the reviewer's word.
    assert stall["final_articles"] == ["第四条"] and stall["evidence"]["rule"] == "article_unchanged"
    auto = session.scalar(
        select(AdoptionDecision).where(
            AdoptionDecision.suggestion_id == s["stall"].id, AdoptionDecision.source == "auto"
        )
    )
    assert auto.status == "未采纳"
    log = session.scalars(select(AuditLog).where(AuditLog.action == "set_adoption")).all()
    assert len(log) == 1 and log[0].actor == "张审"
    assert log[0].before["status"] == "未采纳" and log[0].after["status"] == "部分采纳"


def test_redetection_against_a_changed_text_updates_auto_rows(session, consultation):
    c, s = consultation
    detect_adoption(session, SYSTEM, c.id, FINAL)
    set_adoption(session, Actor('李审'), suggestion_ids=s["lower"].id, status="未采纳")
    # A later reading where 第四条 now says 可以: the stall suggestion becomes adopted.
    second = parsed(PURPOSE, PENALTY.replace("五百元", "二百元"), NEW_ART, STALL.replace("应当", "可以"), EFFECT)
    summary = detect_adoption(session, SYSTEM, c.id, second, label="三审稿")
    session.commit()
    # Every auto row now refers to the 三审稿; only one changed its status.
    assert summary.updated == 4 and summary.auto_counts == {"采纳": 3, "无法判断": 1}
    statuses = _statuses(session, c.id)
    assert statuses[s["stall"].id] == "采纳"
    assert statuses[s["lower"].id] == "未采纳"  # the reviewer's word still counts


def test_set_by_cluster(session, consultation):
    c, s = consultation
    cluster = Cluster(consultation_id=c.id, scope="article:2", size=2)
    session.add(cluster)
    session.flush()
    for key in ("lower", "stall"):
        session.add(ClusterMember(cluster_id=cluster.id, suggestion_id=s[key].id))
    session.flush()
    rows = set_adoption(session, Actor('王审'), cluster_id=cluster.id, status="研究参考")
    session.commit()
    assert sorted(r.suggestion_id for r in rows) == sorted([s["lower"].id, s["stall"].id])
    assert set(_statuses(session, c.id).values()) == {"研究参考"}


def test_set_rejects_bad_input(session, consultation):
    c, s = consultation
    with pytest.raises(InputError, match="status"):
        set_adoption(session, Actor('张审'), suggestion_ids=[s["lower"].id], status="通过")
    with pytest.raises(InputError, match="user"):
        set_adoption(session, Actor(' '), suggestion_ids=[s["lower"].id], status="采纳")
    with pytest.raises(NotFoundError, match="suggestion"):
        set_adoption(session, Actor('张审'), suggestion_ids=[999999], status="采纳")
    with pytest.raises(NotFoundError, match="cluster"):
        set_adoption(session, Actor('张审'), cluster_id=999999, status="采纳")


def test_final_label_must_differ_from_the_comment_base(session, consultation):
    c, _ = consultation
    with pytest.raises(InputError, match="label"):
        detect_adoption(session, SYSTEM, c.id, FINAL, label="征求意见稿")
    with pytest.raises(NotFoundError):
        detect_adoption(session, SYSTEM, 999999, FINAL)


def test_only_those_allowed_to_decide_adoption_may_and_every_decision_is_audited(session, consultation):
    from minyi.core.errors import PermissionDenied
    from models.entities import AdoptionDecision, AuditLog

    c, s = consultation
    with pytest.raises(PermissionDenied, match="adopt"):
        detect_adoption(session, Actor("访客", role="viewer"), c.id, FINAL)
    with pytest.raises(PermissionDenied, match="adopt"):
        set_adoption(session, Actor("某联系点", role="staff", contact_point_ids=frozenset({99})),
                     suggestion_ids=[s["lower"].id], status="采纳")
    assert session.scalar(select(func.count()).select_from(AdoptionDecision)) == 0
    detect_adoption(session, SYSTEM, c.id, FINAL)
    set_adoption(session, Actor("张审", role="reviewer"), suggestion_ids=[s["lower"].id], status="部分采纳")
    session.commit()
    row = session.scalars(select(AuditLog).where(AuditLog.action == "set_adoption")).one()
    assert row.actor == "张审" and row.consultation_id == c.id
    assert row.before["status"] == "采纳" and row.before["source"] == "auto"
    assert row.after["status"] == "部分采纳" and row.after["decided_by"] == "张审"
