"""Consultations, contact points and draft versions in storage."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from minyi.core.errors import ConflictError, InputError, NotFoundError
from models.entities import AuditLog, DraftVersion, Provision
from models.store import (
    article_provisions,
    create_consultation,
    get_consultation,
    get_or_create_contact_point,
    get_version,
    list_consultations,
    load_draft_version,
)
from minyi.core.drafts import Article, Paragraph, ParsedDraft


def small_draft(extra: str = "") -> ParsedDraft:
    return ParsedDraft(
        title="某某条例（征求意见稿）",
        articles=[
            Article(1, None, "第一条", "为了规范管理，制定本条例。", [Paragraph("为了规范管理，制定本条例。")], chapter="第一章 总则"),
            Article(
                2, None, "第二条", "有下列情形之一的，不得登记：\n（一）无合格证；\n（二）改装的。" + extra,
                [Paragraph("有下列情形之一的，不得登记：", ["（一）无合格证；", "（二）改装的。" + extra])],
                chapter="第二章 登记", section="第一节 一般规定",
            ),
            Article(2, "之一", "第二条之一", "登记不收费。", [Paragraph("登记不收费。")], chapter="第二章 登记", section="第一节 一般规定"),
        ],
    )


def test_contact_point_is_created_once(session):
    a = get_or_create_contact_point(session, "华富街道基层立法联系点", "区级")
    b = get_or_create_contact_point(session, " 华富街道基层立法联系点 ")
    assert a.id == b.id


def test_contact_point_level_is_validated(session):
    with pytest.raises(InputError, match="level"):
        get_or_create_contact_point(session, "某联系点", "乡级")


def test_create_and_list_consultation(session):
    c = create_consultation(
        session, title="某某条例（征求意见稿）", opened_on=date(2026, 3, 1),
        deadline=date(2026, 3, 31), contact_point="华富街道基层立法联系点",
    )
    session.commit()
    rows = list_consultations(session)
    assert [r["id"] for r in rows] == [c.id]
    assert rows[0]["contact_point"] == "华富街道基层立法联系点"
    assert rows[0]["comments"] == 0


def test_deadline_before_opening_is_refused(session):
    with pytest.raises(InputError, match="deadline"):
        create_consultation(session, title="x", opened_on=date(2026, 3, 2), deadline=date(2026, 3, 1))


def test_unknown_consultation_is_not_found(session):
    with pytest.raises(NotFoundError, match="42"):
        get_consultation(session, 42)


def test_load_draft_builds_the_provision_tree(session):
    c = create_consultation(session, title="某某条例")
    version, created = load_draft_version(session, c.id, small_draft(), source_file="d.md")
    session.commit()
    assert created and version.is_comment_base
    kinds = dict(
        session.execute(
            select(Provision.kind, func.count()).where(Provision.version_id == version.id).group_by(Provision.kind)
        ).all()
    )
    assert kinds == {"chapter": 2, "section": 1, "article": 3, "paragraph": 3, "item": 2}
    articles = article_provisions(session, version.id)
    assert [(a.number, a.suffix) for a in articles] == [(1, None), (2, None), (2, "之一")]
    section = session.get(Provision, articles[1].parent_id)
    assert (section.kind, section.label) == ("section", "第一节 一般规定")
    assert session.get(Provision, section.parent_id).label == "第二章 登记"


def test_loading_the_same_text_twice_changes_nothing(session):
    c = create_consultation(session, title="某某条例")
    load_draft_version(session, c.id, small_draft())
    _, created = load_draft_version(session, c.id, small_draft())
    assert not created
    assert session.scalar(select(func.count()).select_from(DraftVersion)) == 1


def test_a_different_text_under_the_same_label_is_refused(session):
    c = create_consultation(session, title="某某条例")
    load_draft_version(session, c.id, small_draft())
    with pytest.raises(ConflictError, match="征求意见稿"):
        load_draft_version(session, c.id, small_draft(extra="修改"))


def test_later_versions_are_not_the_comment_base(session):
    c = create_consultation(session, title="某某条例")
    load_draft_version(session, c.id, small_draft())
    final, _ = load_draft_version(session, c.id, small_draft(extra="修改"), label="公布稿")
    assert not final.is_comment_base
    assert get_version(session, c.id).label == "征求意见稿"
    assert get_version(session, c.id, "公布稿").id == final.id


def test_draft_without_articles_is_refused(session):
    c = create_consultation(session, title="某某条例")
    with pytest.raises(InputError, match="no articles"):
        load_draft_version(session, c.id, ParsedDraft(title="空", articles=[]), source_file="empty.md")


def test_storage_writes_no_audit_rows(session):
    # Storage does not know who acts: minyi.services.consultations audits, naming the user
    # (tests/services/test_consultations.py).
    c = create_consultation(session, title="某某条例")
    load_draft_version(session, c.id, small_draft())
    assert session.scalars(select(AuditLog.action)).all() == []
