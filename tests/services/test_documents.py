"""The document and export workflows: permissions, and masking of what leaves minyi.

Personal data is planted in a comment that the pipeline has not masked yet (a mobile number
and a name after 联系人, in the text and in the form's 理由), so only the workflows' own
masking stands between it and the documents.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from report_builder import CP_A, build_consultation  # noqa: E402
from report_helpers import assert_no_personal_data, docx_text  # noqa: E402

from minyi.core.errors import PermissionDenied  # noqa: E402
from minyi.services import documents, exports  # noqa: E402
from minyi.services.context import Actor  # noqa: E402

MOBILE = "13700001234"
NAME = "王小明"
PLANTED_TEXT = f"第六条时速限制建议提高到三十公里。联系人：{NAME}，手机{MOBILE}"
PLANTED_REASON = f"经常骑车上下班，现行限速不合理。联系人：{NAME} {MOBILE}"
REVIEWER = Actor("审阅人", "reviewer")
ADMIN = Actor("管理员", "admin")


@pytest.fixture
def session(sqlite_url):
    from models.db import get_engine

    s = sessionmaker(bind=get_engine(sqlite_url), expire_on_commit=False)()
    yield s
    s.close()


@pytest.fixture
def built(session, sqlite_url):
    """The report fixture plus one comment of 华富 on 第六条 that is not analysed yet."""
    from models.entities import AdoptionDecision, Comment, Suggestion, SuggestionProvision

    b = build_consultation(session, sqlite_url)
    comment = Comment(
        consultation_id=b.consultation_id, contact_point_id=b.contact_points[CP_A], channel="email",
        text=PLANTED_TEXT, author_name=NAME, author_contact=MOBILE, reason=PLANTED_REASON,
        submitted_at=datetime(2025, 10, 8),
    )
    session.add(comment)
    session.flush()
    suggestion = Suggestion(consultation_id=b.consultation_id, comment_id=comment.id, ordinal=0,
                            text=PLANTED_TEXT, masked_text=None, text_hash="planted", type="修改")
    session.add(suggestion)
    session.flush()
    session.add(SuggestionProvision(suggestion_id=suggestion.id, provision_id=b.article_ids[(6, None)],
                                    method="explicit", evidence="第六条"))
    session.add(AdoptionDecision(consultation_id=b.consultation_id, suggestion_id=suggestion.id, status="采纳",
                                 source="manual", decided_by="审阅人", rule="manual", note=f"已电话核实，联系人：{NAME}，{MOBILE}"))
    session.commit()
    b.extra["planted"] = suggestion.id
    return b


def assert_masked(text: str) -> None:
    assert MOBILE not in text and NAME not in text
    assert_no_personal_data(text)


@pytest.mark.parametrize("actor", [Actor("guest", "viewer"), Actor("nobody", "none")], ids=["viewer", "no-role"])
def test_an_actor_without_report_permission_is_refused(built, session, tmp_path, actor):
    cid = built.consultation_id
    out = tmp_path / "out"
    calls = [
        lambda: documents.feedback_document(session, actor, cid, "docx", out / "f.docx"),
        lambda: documents.review_report(session, actor, cid, "md", out / "r.md"),
        lambda: documents.yearly_summary(session, actor, 2025, "md", out / "y.md"),
        lambda: documents.statistics(session, actor, "year", "json"),
        lambda: exports.export_suggestions(session, actor, cid, "jsonl"),
        lambda: exports.export_adoption(session, actor, cid, "jsonl"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied, match=f"user '{actor.name}' .* may not report"):
            call()
    assert not out.exists()


def test_staff_of_another_contact_point_is_refused(built, session, tmp_path):
    from report_builder import CP_B

    staff_b = Actor("桃源工作人员", "staff", contact_point_ids=frozenset({built.contact_points[CP_B]}))
    with pytest.raises(PermissionDenied, match="may not report on consultation"):
        documents.feedback_document(session, staff_b, built.consultation_id, "md", tmp_path / "f.md")


def test_feedback_docx_md_and_recorded_rows_are_masked_for_a_reviewer(built, session, tmp_path):
    from models.entities import FeedbackItem

    cid = built.consultation_id
    docx = documents.feedback_document(session, REVIEWER, cid, "docx", tmp_path / "f.docx")
    md = documents.feedback_document(session, REVIEWER, cid, None, tmp_path / "f.md")
    session.commit()
    assert (docx.format, md.format) == ("docx", "md")
    for text in (docx_text(Document(docx.path)), Path(md.path).read_text(encoding="utf-8")):
        # The planted opinion and its reason are in the document, without the person.
        assert "第六条时速限制建议提高到三十公里" in text and "现行限速不合理" in text
        assert_masked(text)
    items = session.scalars(select(FeedbackItem).where(FeedbackItem.consultation_id == cid)).all()
    planted = [i for i in items if "第六条时速限制" in i.suggestion_text]
    assert len(planted) == 1 and planted[0].article_label == "第六条"
    assert_masked(" ".join(f"{i.suggestion_text} {i.reason or ''} {i.proposers or ''}" for i in items))


def test_review_report_and_statistics_are_masked_even_for_an_admin(built, session, tmp_path):
    review = documents.review_report(session, ADMIN, built.consultation_id, "md", tmp_path / "r.md")
    text = Path(review.path).read_text(encoding="utf-8")
    assert "第六条时速限制建议提高到三十公里" in text
    assert_masked(text)
    stats = documents.statistics(session, ADMIN, "consultation", "csv")
    assert "深圳经济特区电动自行车管理条例" in stats.text


def test_suggestion_export_is_masked_unless_the_actor_may_see_personal_data(built, session, tmp_path):
    cid = built.consultation_id
    result = exports.export_suggestions(session, REVIEWER, cid, "jsonl")
    rows = [json.loads(line) for line in result.text.splitlines()]
    planted = next(r for r in rows if r["suggestion_id"] == built.extra["planted"])
    assert planted["text"].startswith("第六条时速限制建议提高到三十公里") and planted["articles"] == [6]
    assert_masked(result.text)
    workbook = exports.export_suggestions(session, REVIEWER, cid, "xlsx", tmp_path / "s.xlsx")
    assert workbook.path == str(tmp_path / "s.xlsx") and workbook.rows == len(rows)

    with pytest.raises(PermissionDenied, match="may not see_personal_data"):
        exports.export_suggestions(session, REVIEWER, cid, "jsonl", include_personal_data=True)
    full = exports.export_suggestions(session, ADMIN, cid, "csv", tmp_path / "s.csv", include_personal_data=True)
    assert MOBILE in full.text and (tmp_path / "s.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_adoption_export_masks_texts_and_notes(built, session):
    result = exports.export_adoption(session, REVIEWER, built.consultation_id, "jsonl")
    rows = [json.loads(line) for line in result.text.splitlines()]
    planted = next(r for r in rows if r["suggestion_id"] == built.extra["planted"])
    assert planted["status"] == "采纳" and planted["note"].startswith("已电话核实")
    # Why the status stands, in Chinese beside the rule's code.
    assert (planted["rule"], planted["reason"]) == ("manual", "人工确认")
    assert all(re.search(r"[\u4e00-\u9fff]", r["reason"]) if r["rule"] else r["reason"] == "" for r in rows)
    assert_masked(result.text)
