"""Consultations through the application layer: create with the draft, list, show, edit
what the feedback document prints, edit a symposium — audited, versioned, undoable."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from minyi.core.errors import ConflictError, InputError, PermissionDenied
from minyi.core.records import CommentIn, RecordIn, SourceIn
from minyi.services import consultations, documents, review
from minyi.services.audit_log import list_audit
from minyi.services.context import Actor, unit_of_work
from models.entities import AuditLog, Consultation, Source
from models.ingest import ingest

ADMIN = Actor("管理员", role="admin")
WANG = Actor("王芳", role="staff", contact_point_ids=frozenset({1}))
POINT = "福田区华富街道基层立法联系点"


def act(url, operation, *args, actor=ADMIN, **kwargs):
    with unit_of_work(url) as session:
        return operation(session, actor, *args, **kwargs)


@pytest.fixture
def consultation(db_url, sample_dir) -> int:
    """The sample draft, one form comment and one symposium of 18 people."""
    info = act(db_url, consultations.create_consultation, title="深圳经济特区电动自行车管理条例（征求意见稿）",
               issuing_body="深圳市司法局", opened_on="2025-09-15", deadline="2025-10-15",
               contact_point=POINT, draft=sample_dir / "draft.md")
    with unit_of_work(db_url) as session:
        for channel, meta, text in (
            ("form", {}, "第三十条限速太低，建议改为二十五公里。"),
            ("symposium", {"meeting_date": "2025-09-25", "participant_count": 18}, "居民甲：第四十五条充电场所太少。"),
        ):
            source = SourceIn(channel=channel, name=f"{channel}.docx", fingerprint=channel, meta=meta)
            comment = CommentIn(text, external_id=channel)
            ingest(session, info.id, source, [RecordIn(origin=f"{channel}.docx", locator="1",
                                                       payload={"text": text}, comment=comment)])
    return info.id


def _symposium_id(url: str, consultation_id: int) -> int:
    with unit_of_work(url) as session:
        return session.scalar(select(Source.id).where(Source.consultation_id == consultation_id,
                                                      Source.channel == "symposium"))


def test_create_loads_the_draft_and_audits_who_did_it(consultation, db_url):
    with unit_of_work(db_url) as session:
        info = consultations.show_consultation(session, ADMIN, consultation)
        rows = session.execute(select(AuditLog.actor, AuditLog.action).order_by(AuditLog.id)).all()
    assert info.fields["versions"] == ["征求意见稿"] and info.fields["version"] == 1
    assert info.fields["contact_point"] == POINT
    assert [tuple(r) for r in rows[:2]] == [("管理员", "create"), ("管理员", "load_draft")]
    assert info.symposiums[0]["participants"] == 18 and info.symposiums[0]["date"] == "2025-09-25"


def test_a_bad_draft_creates_nothing(db_url, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("关于征求意见的通知\n请反馈意见。\n", encoding="utf-8")
    with pytest.raises(InputError, match="notes.txt"):
        act(db_url, consultations.create_consultation, title="某某条例", draft=bad)
    with unit_of_work(db_url) as session:
        assert session.scalars(select(Consultation)).all() == []


def test_only_who_may_create_creates(db_url):
    with pytest.raises(PermissionDenied):
        act(db_url, consultations.create_consultation, title="某某条例", actor=Actor("乙", role="reviewer"))


def test_list_shows_what_the_user_may_read(consultation, db_url):
    act(db_url, consultations.create_consultation, title="另一条例", contact_point="另一联系点")
    with unit_of_work(db_url) as session:
        point = session.get(Consultation, consultation).contact_point_id
        everyone = consultations.list_consultations(session, ADMIN)
        staff = consultations.list_consultations(session, Actor("丙", role="staff", contact_point_ids=frozenset({point})))
    assert [r["title"] for r in everyone] == ["另一条例", "深圳经济特区电动自行车管理条例（征求意见稿）"]
    assert [r["id"] for r in staff] == [consultation] and staff[0]["comments"] == 2


def test_load_draft_is_idempotent_and_audited_once(consultation, db_url, sample_dir):
    again = act(db_url, consultations.load_draft, consultation, sample_dir / "draft.md")
    final = act(db_url, consultations.load_draft, consultation, sample_dir / "final.md", label="公布稿")
    assert (again.created, final.created, final.comment_base) == (False, True, False)
    with unit_of_work(db_url) as session:
        loads = session.scalars(select(AuditLog.action).where(AuditLog.action == "load_draft")).all()
    assert len(loads) == 2


def test_update_changes_what_the_feedback_document_prints(consultation, db_url):
    with unit_of_work(db_url) as session:
        before = documents.feedback(session, ADMIN, consultation)
    assert before.recipient == "深圳市司法局：" and before.issuer == POINT
    result = act(db_url, consultations.update_consultation, consultation, actor=WANG, expected_version=1,
                 addressee="深圳市人大常委会法制工作委员会", signer="福田区人大常委会华富街道工委",
                 signed_on="2025-10-20", status="reported")
    with unit_of_work(db_url) as session:
        doc = documents.feedback(session, ADMIN, consultation)
        entry = list_audit(session, ADMIN, consultation_id=consultation, user="王芳").entries[0]
    assert doc.recipient == "深圳市人大常委会法制工作委员会："
    assert doc.issuer == "福田区人大常委会华富街道工委" and doc.date == date(2025, 10, 20)
    assert doc.to_doc().date_text == "2025年10月20日"
    assert (entry.action, entry.id) == ("update_consultation", result.audit_id)
    change = {c["field"]: (c["before"], c["after"]) for c in entry.changes}
    assert change["addressee"] == (None, "深圳市人大常委会法制工作委员会")
    assert change["signed_on"] == (None, "2025-10-20") and change["status"] == ("open", "reported")
    assert "主送机关" in entry.summary_zh and "落款单位" in entry.summary_zh

    with pytest.raises(ConflictError) as err:  # someone still looking at version 1
        act(db_url, consultations.update_consultation, consultation, title="新标题", expected_version=1)
    assert "王芳" in str(err.value) and err.value.message_zh.startswith("该记录已被他人修改")


def test_update_is_checked(consultation, db_url):
    for changes, message in (
        ({"status": "done"}, "--status"),
        ({"deadline": "2025-09-01"}, "before the opening date"),
        ({"title": ""}, "title is empty"),
        ({"opened_on": "15/09/2025"}, "YYYY-MM-DD"),
        ({"contact_point": "x"}, "cannot change contact_point"),
        ({}, "nothing to change"),
    ):
        with pytest.raises(InputError, match=message):
            act(db_url, consultations.update_consultation, consultation, **changes)
    with pytest.raises(PermissionDenied):
        act(db_url, consultations.update_consultation, consultation, signer="x", actor=Actor("丁", role="reviewer"))


def test_update_clears_a_field_and_undo_puts_it_back(consultation, db_url):
    act(db_url, consultations.update_consultation, consultation, issuing_body="", actor=WANG)
    with unit_of_work(db_url) as session:
        assert session.get(Consultation, consultation).issuing_body is None
    act(db_url, review.undo, actor=WANG)
    with unit_of_work(db_url) as session:
        c = session.get(Consultation, consultation)
        assert c.issuing_body == "深圳市司法局" and c.row_version == 3


def test_symposium_date_and_participants(consultation, db_url):
    source = _symposium_id(db_url, consultation)
    with unit_of_work(db_url) as session:
        doc = documents.feedback(session, ADMIN, consultation)
    assert doc.figures.symposium_participants == 18 and "18人次" in doc.intro[0]
    result = act(db_url, consultations.update_symposium, source, held_on="2025-09-26", participants=20,
                 actor=WANG, expected_version=1)
    with unit_of_work(db_url) as session:
        doc = documents.feedback(session, ADMIN, consultation)
        entry = list_audit(session, ADMIN, consultation_id=consultation).entries[0]
    assert doc.figures.symposium_participants == 20 and "20人次" in doc.intro[0]
    assert doc.figures.symposium_dates == [date(2025, 9, 26)]
    change = {c["field"]: (c["before"], c["after"]) for c in entry.changes}
    assert change == {"date": ("2025-09-25", "2025-09-26"), "participants": (18, 20)}
    assert result.version(f"source:{source}") == 2
    with pytest.raises(ConflictError):
        act(db_url, consultations.update_symposium, source, participants=21, expected_version=1)

    act(db_url, review.undo, actor=WANG)
    with unit_of_work(db_url) as session:
        meta = session.get(Source, source).meta
    assert (meta["participant_count"], meta["meeting_date"]) == (18, "2025-09-25")


def test_only_a_symposium_has_participants(consultation, db_url):
    with unit_of_work(db_url) as session:
        form = session.scalar(select(Source.id).where(Source.channel == "form"))
    with pytest.raises(InputError, match="not a symposium"):
        act(db_url, consultations.update_symposium, form, participants=3)
    with pytest.raises(InputError, match="participants"):
        act(db_url, consultations.update_symposium, _symposium_id(db_url, consultation), participants=-1)
