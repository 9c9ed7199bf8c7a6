"""The whole job on the shipped sample consultation, through the real command line:
`minyi demo` in a fresh folder, then checks against the sample's gold labels."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from models.entities import Comment, RawRecord, Source, Suggestion

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "samples" / "ebike" / "labels.jsonl"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    workdir = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINYI_")}
    proc = subprocess.run(
        [sys.executable, "-m", "minyi", "demo", "--workdir", str(workdir), "--json"],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    result["workdir"] = workdir
    return result


@pytest.fixture(scope="module")
def db(demo) -> Session:
    engine = create_engine(demo["database_url"])
    with Session(engine) as session:
        yield session
    engine.dispose()


def _suggestions(db: Session, demo: dict) -> int:
    """Suggestions of the sample consultation (the demo's roll-up adds other levels' too)."""
    return db.scalar(
        select(func.count()).select_from(Suggestion).where(Suggestion.consultation_id == demo["consultation_id"])
    )


def gold() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_sample_record_is_a_comment_or_quarantined(demo, db):
    labels = gold()
    bad = sum(1 for g in labels if g.get("quarantine"))
    assert demo["steps"]["import"]["quarantined"] == bad
    cid = demo["consultation_id"]
    assert db.scalar(select(func.count()).select_from(Comment).where(Comment.consultation_id == cid)) == len(labels) - bad
    quarantined = (
        select(func.count()).select_from(RawRecord).join(Source, Source.id == RawRecord.source_id)
        .where(RawRecord.status == "quarantined", Source.consultation_id == cid)
    )
    assert db.scalar(quarantined) == bad


def test_analysis_splits_maps_and_clusters(demo, db):
    run = demo["steps"]["analyze"]
    points = sum(len(g["points"]) for g in gold() if not g.get("quarantine"))
    suggestions = _suggestions(db, demo)
    assert run["suggestions"] == suggestions
    assert 0.9 * points <= suggestions <= 1.1 * points
    assert run["mapped_explicit"] > 0 and run["mapped_semantic"] > 0
    assert 0 < run["clusters"] <= suggestions
    assert run["duplicate_groups"] >= 1


def test_the_campaign_is_one_group_counted_per_person(demo, db):
    campaign = [g for g in gold() if g.get("campaign")]
    sizes = db.execute(
        select(Suggestion.duplicate_group_id, func.count()).where(Suggestion.duplicate_group_id.is_not(None))
        .group_by(Suggestion.duplicate_group_id)
    ).all()
    assert max(size for _gid, size in sizes) >= 0.9 * len(campaign)


def test_adoption_was_proposed_for_every_suggestion(demo, db):
    adoption = demo["steps"]["adoption"]
    assert sum(adoption["auto_counts"].values()) == _suggestions(db, demo)
    assert adoption["auto_counts"].get("采纳", 0) > 0


def test_running_the_demo_again_changes_nothing(demo, db):
    before = db.scalar(select(func.count()).select_from(Suggestion))  # every level's
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINYI_")}
    proc = subprocess.run(
        [sys.executable, "-m", "minyi", "demo", "--workdir", str(demo["workdir"]), "--json"],
        cwd=demo["workdir"], env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = json.loads(proc.stdout)
    assert again["steps"]["import"]["imported"] == 0
    assert again["steps"]["analyze"]["suggestions"] == 0  # nothing new to analyse
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Suggestion)) == before


def test_the_demo_tells_the_user_once_where_everything_is(demo):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MINYI_")}
    proc = subprocess.run(
        [sys.executable, "-m", "minyi", "demo", "--workdir", str(demo["workdir"]), "--quiet"],
        cwd=demo["workdir"], env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name, path in demo["outputs"].items():
        assert f"{name}: {path}" in proc.stdout
    assert proc.stdout.count("Review application") == 1
    assert proc.stdout.count(" serve\n") == 1


def test_the_demo_ends_with_the_feedback_document(demo, db):
    import docx
    import openpyxl

    from models.entities import FeedbackItem

    document = docx.Document(demo["outputs"]["feedback_docx"])
    text = "\n".join(p.text for p in document.paragraphs)
    assert "关于《深圳经济特区电动自行车管理条例（征求意见稿）》的意见建议" in text.replace("\n", "")
    for heading in ("一、征求意见工作开展情况", "二、总体意见", "三、逐条修改意见"):
        assert heading in text
    table_rows = sum(len(t.rows) - 1 for t in document.tables)
    assert table_rows == demo["steps"]["feedback"]["articles"]
    items = db.scalar(
        select(func.count()).select_from(FeedbackItem).where(FeedbackItem.consultation_id == demo["consultation_id"])
    )
    feedback = demo["steps"]["feedback"]
    assert items == feedback["general"] + feedback["articles"] + feedback["others"]
    workbook = openpyxl.load_workbook(demo["outputs"]["feedback_xlsx"])
    assert any("明细" in name for name in workbook.sheetnames)


def test_no_personal_data_reaches_the_feedback_document(demo, db):
    import re

    import docx

    document = docx.Document(demo["outputs"]["feedback_docx"])
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    text = "\n".join([p.text for p in document.paragraphs] + cells)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", text)
    assert not re.search(r"\d{17}[\dXx]", text)
    assert not re.search(r"[\w.]+@[\w.]+\.\w+", text)
    names = {
        n for (n,) in db.execute(
            select(Comment.author_name).where(Comment.consultation_id == demo["consultation_id"])
        ).all() if n and len(n) in (2, 3)
    }
    assert not [n for n in names if n in text and not n.endswith("某")]


def test_the_demo_says_how_to_open_the_review_application(demo):
    import tomllib

    web = demo["web"]
    assert web["user"] and len(web["password"]) >= 12 and web["address"].startswith("http://127.0.0.1:")
    config = tomllib.loads((Path(demo["workdir"]) / "minyi.toml").read_text(encoding="utf-8"))
    from minyi.core.settings import DEFAULT_SECRET_KEY

    assert config["web"]["secret_key"] != DEFAULT_SECRET_KEY and len(config["web"]["secret_key"]) >= 32


def test_the_demo_rolls_feedback_up_and_decisions_back_down(demo):
    rollup = demo["steps"]["rollup"]
    assert rollup, "the demo runs the roll-up with a second contact point"
