"""The intake workflow on a real database: import, audit, permissions, quarantine, listing."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import func, select

from minyi.core.errors import PermissionDenied
from minyi.services.context import Actor
from minyi.services.intake import export_quarantine, import_files, list_comments, list_quarantine
from models.entities import AuditLog, Comment, RawRecord, Source
from models.store import create_consultation, get_or_create_contact_point

FORM = "华富街道意见征集表.xlsx"
OPERATOR = Actor(name="王敏", role="admin")
VIEWER = Actor(name="guest", role="viewer")


@pytest.fixture
def cid(session) -> int:
    c = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）")
    session.commit()
    return c.id


@pytest.fixture
def form(sample_dir):
    return sample_dir / "comments" / FORM


def stored(session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Comment)),
        session.scalar(select(func.count()).select_from(RawRecord)),
    )


def import_rows(session) -> list[AuditLog]:
    return list(session.scalars(select(AuditLog).where(AuditLog.action == "import").order_by(AuditLog.id)))


def test_sample_form_twice_adds_nothing_and_audits_each_import(session, cid, form):
    first = import_files(session, OPERATOR, cid, [form])
    session.commit()
    assert first.imported > 0 and first.records == first.imported + first.quarantined + first.containers
    after_first = stored(session)
    assert after_first == (first.imported, first.records)

    second = import_files(session, OPERATOR, cid, [form])
    session.commit()
    assert (second.imported, second.quarantined, second.skipped) == (0, 0, first.records)
    assert stored(session) == after_first

    rows = import_rows(session)
    source_id = session.scalar(select(Source.id).where(Source.name == FORM))
    assert [(r.actor, r.entity, r.entity_id, r.consultation_id) for r in rows] == [
        ("王敏", "source", source_id, cid),
        ("王敏", "source", source_id, cid),
    ]
    assert rows[0].after["file"] == FORM
    assert (rows[0].after["imported"], rows[0].after["records"]) == (first.imported, first.records)
    assert (rows[1].after["imported"], rows[1].after["skipped"]) == (0, first.records)


def test_one_audit_row_per_file(session, cid, sample_dir):
    files = sorted((sample_dir / "comments").glob("来信-*.eml"))
    summary = import_files(session, OPERATOR, cid, files)
    session.commit()
    rows = import_rows(session)
    assert sorted(r.after["file"] for r in rows) == sorted(f.name for f in files)
    # An e-mail's attachments are counted with the e-mail that brought them.
    assert sum(r.after["records"] for r in rows) == summary.records


def test_progress_reaches_the_total(session, cid, form):
    calls: list[tuple[str, int, int | None]] = []
    summary = import_files(session, OPERATOR, cid, [form], progress=lambda *a: calls.append(a))
    assert calls[0] == ("import", 0, summary.records)
    assert calls[-1] == ("import", summary.records, summary.records)


def test_viewer_may_not_import(session, cid, form):
    with pytest.raises(PermissionDenied, match="'guest' \\(viewer\\) may not import on consultation"):
        import_files(session, VIEWER, cid, [form])
    assert stored(session) == (0, 0) and import_rows(session) == []


def test_staff_of_another_contact_point_may_not_import(session, form):
    ours = get_or_create_contact_point(session, "福田区华富街道基层立法联系点")
    theirs = get_or_create_contact_point(session, "南山区招商街道基层立法联系点")
    cid = create_consultation(session, title="某条例", contact_point=ours.name).id
    with pytest.raises(PermissionDenied):
        import_files(session, Actor("李四", role="staff", contact_point_ids=frozenset({theirs.id})), cid, [form])
    summary = import_files(session, Actor("张三", role="staff", contact_point_ids=frozenset({ours.id})), cid, [form])
    assert summary.imported > 0


def test_quarantine_is_for_those_who_import(session, cid, tmp_path):
    jsonl = tmp_path / "export.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in [{"text": "建议降低罚款数额", "author": "赵六"}, {"text": "无", "author": "李四"}]),
        encoding="utf-8",
    )
    import_files(session, OPERATOR, cid, [jsonl])
    listed = list_quarantine(session, OPERATOR, cid)
    assert listed.count == 1 and "no opinion" in listed.records[0]["reason"]
    fix = tmp_path / "fix.csv"
    exported = export_quarantine(session, OPERATOR, cid, fix)
    with fix.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert (exported.written, exported.exported, [r["author"] for r in rows]) == (1, str(fix), ["李四"])
    with pytest.raises(PermissionDenied):
        list_quarantine(session, VIEWER, cid)
    with pytest.raises(PermissionDenied):
        export_quarantine(session, VIEWER, cid, tmp_path / "leak.csv")
    assert not (tmp_path / "leak.csv").exists()


def test_comments_show_personal_data_only_to_those_who_may_see_it(session, cid, form):
    import_files(session, OPERATOR, cid, [form])
    full = list_comments(session, OPERATOR, cid, limit=5)
    assert not full.masked and full.comments[0]["author_name"] == "李建国"
    seen = list_comments(session, VIEWER, cid, limit=5)
    assert seen.masked and [c["id"] for c in seen.comments] == [c["id"] for c in full.comments]
    assert {c["author_name"] for c in seen.comments} == {None}
    assert {c["author_contact"] for c in seen.comments} == {None}
