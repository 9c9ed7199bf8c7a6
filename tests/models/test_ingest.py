"""models.ingest: RawRecord first, quarantine instead of loss, idempotency, fixes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from minyi.core.errors import InputError, NotFoundError
from minyi.core.records import FIXES_KEY, PARENT_FINGERPRINT, PARENT_LOCATOR, CommentIn, RecordIn, SourceIn
from models.entities import Comment, ContactPoint, RawRecord, Source
from models.ingest import MAX_TEXT_CHARS, ingest, list_quarantined
from models.store import create_consultation


@pytest.fixture
def cid(session) -> int:
    c = create_consultation(session, title="某某市电动自行车管理条例（征求意见稿）")
    session.commit()
    return c.id


def source(fp: str = "f" * 64, **kw) -> SourceIn:
    return SourceIn(channel=kw.pop("channel", "form"), name=kw.pop("name", "form.xlsx"), origin="/in/form.xlsx", fingerprint=fp, **kw)


def rec(n: int, text: str | None, **comment_kw) -> RecordIn:
    comment = CommentIn(text=text, **comment_kw) if text is not None else None
    return RecordIn("/in/form.xlsx", f"row={n}", {"意见": text or "", "n": n}, raw_text=text, comment=comment)


def count(session, model, **where) -> int:
    q = select(func.count()).select_from(model)
    for k, v in where.items():
        q = q.where(getattr(model, k) == v)
    return session.scalar(q)


def test_each_record_is_stored_as_raw_record_and_comment(session, cid):
    summary = ingest(session, cid, source(), [rec(1, "建议删除第十二条"), rec(2, "建议增加过渡期")])
    session.commit()
    assert (summary.imported, summary.skipped, summary.quarantined) == (2, 0, 0)
    comments = session.scalars(select(Comment).order_by(Comment.id)).all()
    assert [c.text for c in comments] == ["建议删除第十二条", "建议增加过渡期"]
    assert all(c.raw_record.status == "ok" and c.raw_record.source_id == summary.source_id for c in comments)
    assert [c.id for c in comments] == summary.comment_ids
    assert comments[0].raw_record.payload == {"意见": "建议删除第十二条", "n": 1}


def test_same_records_again_add_nothing(session, cid):
    records = [rec(1, "建议删除第十二条"), rec(2, ""), rec(3, "建议增加过渡期")]
    first = ingest(session, cid, source(), records)
    again = [rec(1, "建议删除第十二条"), rec(2, ""), rec(3, "建议增加过渡期")]
    second = ingest(session, cid, source(), again)
    session.commit()
    assert (first.imported, first.quarantined) == (2, 1)
    assert (second.imported, second.quarantined, second.skipped) == (0, 0, 3)
    assert second.source_id == first.source_id
    assert count(session, RawRecord) == 3 and count(session, Comment) == 2 and count(session, Source) == 1


def test_same_payload_in_another_file_is_a_new_record(session, cid):
    ingest(session, cid, source("a" * 64), [rec(1, "建议删除第十二条")])
    other = ingest(session, cid, source("b" * 64, name="other.xlsx"), [rec(1, "建议删除第十二条")])
    assert other.imported == 1


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("   \n ", "empty"),
        ("无", "no opinion"),
        ("意" * (MAX_TEXT_CHARS + 1), "characters long"),
        ("建议修改\ufffd\ufffd条", "broken encoding"),
        ("#VALUE!", "unreadable cell"),
    ],
    ids=["blank", "none", "oversize", "fffd", "excel-error"],
)
def test_invalid_comment_is_quarantined_with_reason(session, cid, text, reason_part):
    summary = ingest(session, cid, source(), [rec(1, text)])
    session.commit()
    assert (summary.imported, summary.quarantined) == (0, 1)
    raw = session.scalars(select(RawRecord)).one()
    assert raw.status == "quarantined" and reason_part in raw.error
    assert summary.quarantine == [("/in/form.xlsx", "row=1", raw.error)]
    assert count(session, Comment) == 0


def test_reader_error_is_quarantined_and_kept(session, cid):
    bad = RecordIn("/in/x.jsonl", "line=2", {"line": "{oops"}, raw_text="{oops", error="line 2: Expecting value")
    summary = ingest(session, cid, source(), [bad])
    session.commit()
    [raw] = list_quarantined(session, cid)
    assert raw.error == "line 2: Expecting value" and raw.raw_text == "{oops" and summary.quarantined == 1


def test_record_without_comment_or_error_is_a_container(session, cid):
    summary = ingest(session, cid, source(), [rec(1, None)])
    assert (summary.containers, summary.imported, summary.quarantined) == (1, 0, 0)
    assert session.scalars(select(RawRecord)).one().status == "ok"


def test_channel_and_contact_point_come_from_comment_or_source(session, cid):
    src = source(channel="symposium", contact_point="华富街道基层立法联系点")
    ingest(session, cid, src, [rec(1, "意见一"), rec(2, "意见二", channel="email", contact_point="莲花街道联系点")])
    session.commit()
    first, second = session.scalars(select(Comment).order_by(Comment.id)).all()
    assert (first.channel, first.contact_point.name) == ("symposium", "华富街道基层立法联系点")
    assert (second.channel, second.contact_point.name) == ("email", "莲花街道联系点")
    assert count(session, ContactPoint) == 2


def test_personal_and_declared_fields_are_kept(session, cid):
    when = datetime(2024, 3, 5, 1, 30, tzinfo=timezone.utc)
    ingest(
        session, cid, source(),
        [rec(1, "建议修改", author_name="张三", author_contact="13800000000", author_organisation="某公司",
             external_id="A-7", declared_articles=["第十二条"], quoted_text="原文", reason="理由", submitted_at=when)],
    )
    session.commit()
    c = session.scalars(select(Comment)).one()
    assert (c.author_name, c.author_contact, c.author_organisation, c.external_id) == ("张三", "13800000000", "某公司", "A-7")
    assert (c.declared_articles, c.quoted_text, c.reason) == (["第十二条"], "原文", "理由")
    # Aware times are stored as China Standard Time wall clock.
    assert c.submitted_at == datetime(2024, 3, 5, 9, 30)


def test_overlong_author_name_is_quarantined_not_a_database_error(session, cid):
    summary = ingest(session, cid, source(), [rec(1, "建议", author_name="某" * 201)])
    session.commit()
    assert summary.quarantined == 1 and "author_name" in summary.quarantine[0][2]


def test_progress_reports_increments_that_sum_to_records(session, cid):
    seen: list[int] = []
    ingest(session, cid, source(), [rec(i, f"意见{i}") for i in range(1, 1002)], progress=seen.append)
    assert sum(seen) == 1001 and len(seen) == 3


def test_unknown_consultation_and_channel_are_refused(session, cid):
    with pytest.raises(NotFoundError):
        ingest(session, cid + 99, source(), [rec(1, "意见")])
    with pytest.raises(InputError, match="channel"):
        ingest(session, cid, source(channel="wechat"), [rec(1, "意见")])


def test_child_source_links_to_parent_source_and_message(session, cid):
    parent = ingest(session, cid, source("p" * 64, channel="email", name="letter.eml"), [rec(1, None)])
    child_src = source("c" * 64, name="att.xlsx", meta={PARENT_FINGERPRINT: "p" * 64, PARENT_LOCATOR: "row=1"})
    child = ingest(session, cid, child_src, [rec(2, "附件里的意见")])
    session.commit()
    row = session.get(Source, child.source_id)
    message = session.scalars(select(RawRecord).where(RawRecord.source_id == parent.source_id)).one()
    assert row.parent_id == parent.source_id and row.meta["parent_raw_record_id"] == message.id


def test_fixed_record_resolves_its_quarantine_entry(session, cid):
    ingest(session, cid, source(), [rec(1, ""), rec(2, "无")])
    session.commit()
    empty, none = list_quarantined(session, cid)
    fix = RecordIn("/in/fix.csv", "row=2", {"quarantine_id": str(empty.id), "text": "建议删除第十二条"},
                   comment=CommentIn(text="建议删除第十二条", meta={FIXES_KEY: str(empty.id)}))
    summary = ingest(session, cid, source("d" * 64, name="fix.csv"), [fix])
    session.commit()
    assert summary.imported == 1 and summary.resolved == 1
    assert [r.id for r in list_quarantined(session, cid)] == [none.id]
    session.refresh(empty)
    comment = session.get(Comment, summary.comment_ids[0])
    assert empty.status == "ok" and empty.error.startswith(f"resolved: comment #{comment.id}; was: comment text is empty")
    assert comment.meta[FIXES_KEY] == empty.id


def test_fix_naming_a_record_not_in_quarantine_is_itself_quarantined(session, cid):
    ok = ingest(session, cid, source(), [rec(1, "已有意见")])
    raw_id = session.get(Comment, ok.comment_ids[0]).raw_record_id
    fix = RecordIn("/in/fix.csv", "row=2", {"t": "x"}, comment=CommentIn(text="新意见", meta={FIXES_KEY: raw_id}))
    summary = ingest(session, cid, source("e" * 64), [fix])
    assert summary.quarantined == 1 and "not in quarantine" in summary.quarantine[0][2]


def test_naive_datetimes_are_kept_as_written(session, cid):
    when = datetime(2024, 3, 5, 9, 30)
    ingest(session, cid, source(), [rec(1, "意见", submitted_at=when)])
    assert session.scalars(select(Comment)).one().submitted_at == when
