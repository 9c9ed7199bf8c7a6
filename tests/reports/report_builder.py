"""A realistic analysed consultation built directly with SQLAlchemy, so report tests do not
depend on the importers and the pipeline.

Two contact points gather comments on a fictional 《深圳经济特区电动自行车管理条例（征求
意见稿）》 (2025) through two symposiums, a form, e-mail and a forum; a second consultation
(2024) gives the yearly statistics something to tell apart. Comments carry real-looking
personal data (names, mobiles, an identity number, e-mail) in ``text`` and the personal
columns; ``masked_text`` is what the masker would have produced. Every figure a test expects
can be counted by hand from the tables below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from minyi.core.drafts import Article, Paragraph, ParsedDraft

CP_A = "华富街道基层立法联系点"
CP_B = "桃源街道基层立法联系点"

# Personal data that must never appear in anything sent upward.
PERSONAL_NAMES = ["张伟", "李娜", "王芳", "刘洋", "陈静", "赵磊", "孙丽", "周杰", "吴敏", "郑强", "黄婷"]
PHONES = ["13812345678", "13987654321", "15011112222", "0755-83451234", "18600001111"]
ID_NUMBER = "44030119900101123X"
EMAIL = "liuyang@example.com"

ARTICLES = [
    # (number, suffix, chapter, text)
    (1, None, "第一章 总则", "为了加强电动自行车管理，维护道路交通秩序，保护人身安全和财产安全，制定本条例。"),
    (2, None, "第一章 总则", "本条例适用于深圳经济特区内电动自行车的销售、登记、通行、停放、充电及其相关管理活动。"),
    (3, None, "第一章 总则", "电动自行车应当经登记取得号牌后，方可上道路行驶。\n登记时应当提交购车发票和产品合格证明。"),
    (4, None, "第二章 通行与停放", "驾驶电动自行车应当佩戴安全头盔。"),
    (5, None, "第二章 通行与停放", "禁止在住宅楼道、安全出口、疏散通道停放电动自行车或者为其充电。"),
    (5, "之一", "第二章 通行与停放", "物业服务企业应当在住宅小区内设置集中停放和充电场所。"),
    (6, None, "第二章 通行与停放", "电动自行车行驶最高时速不得超过每小时二十五公里。"),
    (7, None, "第三章 法律责任", "违反本条例第五条规定的，由消防救援机构责令改正，处五十元以上二百元以下罚款。"),
]


def S(text, masked=None, *, type="修改", articles=(), general=False, other=False, dup=None,
      cluster=None, auto=None, manual=None):
    return {
        "text": text, "masked": masked if masked is not None else text, "type": type,
        "articles": list(articles), "general": general, "other": other, "dup": dup,
        "cluster": cluster, "auto": auto, "manual": manual,
    }


SOURCES = {
    # key: (contact point, channel, name, origin, meta)
    "sym1": (CP_A, "symposium", "电动自行车管理条例座谈会（第一场）", "华富/座谈会纪要1.docx",
             {"date": "2025-09-20", "participants": 18}),
    "sym2": (CP_A, "symposium", "电动自行车管理条例座谈会（第二场）", "华富/座谈会纪要2.docx",
             {"date": "2025-09-27", "participants": 12}),
    "form": (CP_A, "form", "意见征集表.xlsx", "华富/意见征集表.xlsx", {}),
    "mail": (CP_A, "email", "居民来信", "华富/inbox/2025-09-30.eml", {}),
    "forum": (CP_A, "forum", "华富社区议事平台", "https://forum.example.cn/thread/123", {}),
    "formB": (CP_B, "form", "桃源街道问卷.xlsx", "桃源/问卷.xlsx", {}),
}

# (key, source, name, contact, organisation, role, submitted, reason, suggestions)
COMMENTS = [
    ("c1", "sym1", "张伟", PHONES[0], None, "社区居民", "2025-09-20", "外卖骑手流动性大，登记时难以提供原始发票。", [
        S("张伟（社区居民，电话13812345678）：第三条要求提交购车发票，建议改为提交购车发票或者其他合法来源证明。",
          "张某（社区居民）：第三条要求提交购车发票，建议改为提交购车发票或者其他合法来源证明。",
          articles=[3], dup="d1", cluster="A", auto="采纳"),
        S("建议条例明确与道路交通安全法的衔接，避免重复规定。", articles=[], general=True, cluster="G1", auto="研究参考"),
    ]),
    ("c2", "sym1", "李娜", PHONES[1], "深圳市电动自行车行业协会", "秘书长", "2025-09-20", None, [
        S("第三条要求提交购车发票，建议改为提交购车发票或者其他合法来源证明。", articles=[3], dup="d1", cluster="A",
          auto="采纳", manual="部分采纳"),
        S("第五条之一应明确充电场所的消防设施配置标准。", articles=[(5, "之一")], cluster="C", auto="未采纳"),
    ]),
    ("c3", "sym2", "王芳", PHONES[2], None, None, "2025-09-27", None, [
        S("建议条例明确与上位法的衔接关系。", articles=[], general=True, cluster="G1"),
        S("第五条禁止在楼道充电很好，但老旧小区没有充电场所，建议政府先建设再禁止，王芳联系电话15011112222。",
          "第五条禁止在楼道充电很好，但老旧小区没有充电场所，建议政府先建设再禁止。",
          articles=[5], cluster="B", auto="未采纳"),
    ]),
    ("c4", "form", "刘洋", EMAIL, "华富街道某物业服务公司", "项目经理", "2025-09-25", "楼道充电引发火灾的事故多发。", [
        S("第五条应当增加物业服务企业发现楼道充电时的劝阻和报告义务。", articles=[5], cluster="B", type="增加"),
        S("第二条适用范围建议增加“维修”。", articles=[2], cluster="D", type="增加", auto="采纳"),
    ]),
    ("c5", "form", "陈静", "身份证44030119900101123X", None, None, "2025-09-26", None, [
        S("陈静 身份证号44030119900101123X 建议第三条取消发票要求。", "某某 建议第三条取消发票要求。",
          articles=[3], cluster="A", auto="未采纳"),
    ]),
    ("c6", "mail", "赵磊", PHONES[3], None, None, "2025-09-30", None, [
        S("第七条罚款数额偏低，建议提高到五百元。联系人赵磊0755-83451234", "第七条罚款数额偏低，建议提高到五百元。",
          articles=[7], type="修改", auto="采纳"),
        S("建议对共享汽车的停放也一并作出规范。", articles=[], other=True, cluster="O1", type="其他"),
    ]),
    ("c7", "forum", "孙丽", None, None, None, "2025-10-02", None, [
        S("支持出台本条例，电动车乱停乱放问题该管了！", type="支持", general=True, cluster="G2"),
    ]),
    ("c8", "forum", "周杰", None, None, None, "2025-10-03", None, [
        S("第三条要求提交购车发票，建议改为提交购车发票或者其他合法来源证明。", articles=[3], dup="d1", cluster=None),
    ]),
    ("c9", "formB", "吴敏", PHONES[4], None, "快递员", "2025-10-05", None, [
        S("第三条的登记要求对外卖快递骑手不方便，建议允许凭其他合法来源证明登记。", articles=[3], cluster="A", auto="采纳"),
        S("第四条佩戴头盔的要求应当同样适用于乘坐人员。", articles=[4], cluster="E", type="修改"),
    ]),
    ("c10", "formB", "郑强", None, "桃源街道办事处", None, "2025-10-06", None, [
        S("第四条建议明确乘坐人员也应当佩戴安全头盔。", articles=[4], cluster="E", manual="采纳"),
    ]),
]

CLUSTERS = {
    # key: (scope, article key, label, reviewed, consolidated, reason, representative (comment, idx))
    # created in this order (not article order) so that sorting is tested.
    "B": ("article:5", (5, None), "老旧小区充电场所", False, None, None, ("c3", 1)),
    "A": ("article:3", (3, None), "登记证明材料", True,
          "建议将第三条第二款修改为：“登记时应当提交购车发票或者其他合法来源证明和产品合格证明。”",
          "外卖快递从业人员车辆来源多样，原始发票难以提供，应允许其他合法来源证明。", ("c2", 0)),
    "G1": ("general", None, "与上位法衔接", True, "建议进一步理顺本条例与道路交通安全法等上位法的衔接关系，避免重复规定。",
           None, ("c1", 1)),
    "E": ("article:4", (4, None), "乘坐人员佩戴头盔", False, None, None, ("c9", 1)),
    "C": ("article:5", (5, "之一"), "充电场所消防标准", False, None, None, ("c2", 1)),
    "D": ("article:2", (2, None), "适用范围", False, None, None, ("c4", 1)),
    "O1": ("other", None, "共享汽车停放", False, None, None, ("c6", 1)),
    "G2": ("general", None, "支持立法", False, None, None, ("c7", 0)),
}

# The 2024 consultation: (name, org, masked text, auto, manual)
PRIOR = [
    ("黄婷", None, "建议明确业主大会的表决规则。", "采纳", None),
    ("何军", "某业主委员会", "建议物业费调整须经业主大会同意。", "未采纳", "部分采纳"),
    ("张伟", None, "建议增加物业服务质量评价制度。", None, None),
]


@dataclass
class Built:
    consultation_id: int
    prior_consultation_id: int
    contact_points: dict[str, int]
    article_ids: dict[tuple[int, str | None], int]
    suggestion_ids: dict[tuple[str, int], int]
    cluster_ids: dict[str, int]
    url: str
    extra: dict = field(default_factory=dict)


def _draft() -> ParsedDraft:
    articles = []
    for number, suffix, chapter, text in ARTICLES:
        from minyi.core.numerals import to_chinese

        label = f"第{to_chinese(number)}条{suffix or ''}"
        paragraphs = [Paragraph(p) for p in text.split("\n")]
        articles.append(Article(number, suffix, label, text, paragraphs, chapter=chapter))
    return ParsedDraft(title="深圳经济特区电动自行车管理条例（征求意见稿）", articles=articles)


def build_consultation(session: Session, url: str) -> Built:
    """Create the analysed consultations described above; returns their ids."""
    from models.entities import (
        AdoptionDecision,
        Cluster,
        ClusterMember,
        Comment,
        DuplicateGroup,
        Source,
        Suggestion,
        SuggestionProvision,
    )
    from models.store import (
        article_provisions,
        create_consultation,
        get_or_create_contact_point,
        load_draft_version,
    )

    cp = {
        CP_A: get_or_create_contact_point(session, CP_A, "区级").id,
        CP_B: get_or_create_contact_point(session, CP_B, "区级").id,
    }
    consultation = create_consultation(
        session,
        title="深圳经济特区电动自行车管理条例",
        issuing_body="深圳市人大常委会法制工作委员会",
        level="市级",
        opened_on=date(2025, 9, 15),
        deadline=date(2025, 10, 15),
        contact_point=CP_A,
    )
    version, _ = load_draft_version(session, consultation.id, _draft(), label="征求意见稿")
    articles = {(p.number, p.suffix): p.id for p in article_provisions(session, version.id)}

    sources = {}
    for key, (point, channel, name, origin, meta) in SOURCES.items():
        src = Source(consultation_id=consultation.id, channel=channel, name=name, origin=origin,
                     contact_point_id=cp[point], meta=meta)
        session.add(src)
        session.flush()
        sources[key] = src

    dups: dict[str, DuplicateGroup] = {}
    suggestion_ids: dict[tuple[str, int], int] = {}
    spec_of: dict[int, dict] = {}
    for key, source_key, name, contact, org, role, submitted, reason, suggestions in COMMENTS:
        src = sources[source_key]
        comment = Comment(
            consultation_id=consultation.id, source_id=src.id, contact_point_id=src.contact_point_id,
            channel=src.channel, text="\n".join(s["text"] for s in suggestions),
            masked_text="\n".join(s["masked"] for s in suggestions),
            author_name=name, author_contact=contact, author_organisation=org,
            submitted_at=datetime.fromisoformat(submitted), reason=reason,
            meta={"role": role} if role else {},
        )
        session.add(comment)
        session.flush()
        for i, spec in enumerate(suggestions):
            sug = Suggestion(
                consultation_id=consultation.id, comment_id=comment.id, ordinal=i,
                text=spec["text"], masked_text=spec["masked"], text_hash=f"{key}-{i}",
                type=spec["type"], is_general=spec["general"], is_out_of_scope=spec["other"],
            )
            if spec["dup"]:
                group = dups.get(spec["dup"])
                if group is None:
                    group = dups[spec["dup"]] = DuplicateGroup(consultation_id=consultation.id, kind="exact", size=0)
                    session.add(group)
                    session.flush()
                group.size += 1
                sug.duplicate_group_id = group.id
            session.add(sug)
            session.flush()
            if spec["dup"] and dups[spec["dup"]].canonical_suggestion_id is None:
                dups[spec["dup"]].canonical_suggestion_id = sug.id
            for art in spec["articles"]:
                art_key = art if isinstance(art, tuple) else (art, None)
                session.add(SuggestionProvision(suggestion_id=sug.id, provision_id=articles[art_key],
                                                method="explicit", evidence=f"第{art_key[0]}条"))
            for source, status in (("auto", spec["auto"]), ("manual", spec["manual"])):
                if status:
                    session.add(AdoptionDecision(
                        consultation_id=consultation.id, suggestion_id=sug.id, status=status,
                        source=source, decided_by="auto" if source == "auto" else "reviewer1",
                    ))
            suggestion_ids[(key, i)] = sug.id
            spec_of[sug.id] = spec

    cluster_ids = {}
    for ckey, (scope, art_key, label, reviewed, consolidated, reason, rep) in CLUSTERS.items():
        members = [sid for sid, spec in spec_of.items() if spec["cluster"] == ckey]
        people = {sid_key[0] for sid_key, sid in suggestion_ids.items() if sid in members}
        cluster = Cluster(
            consultation_id=consultation.id, scope=scope, label=label,
            provision_id=articles[art_key] if art_key else None,
            representative_suggestion_id=suggestion_ids[rep], size=len(people),
            consolidated_text=consolidated, reason_text=reason, reviewed=reviewed,
            keywords=[label],
        )
        session.add(cluster)
        session.flush()
        for sid in members:
            session.add(ClusterMember(cluster_id=cluster.id, suggestion_id=sid))
        cluster_ids[ckey] = cluster.id

    prior = create_consultation(
        session,
        title="深圳经济特区物业管理条例（修订征求意见稿）",
        issuing_body="深圳市人大常委会法制工作委员会",
        opened_on=date(2024, 5, 6),
        deadline=date(2024, 6, 5),
        contact_point=CP_A,
    )
    prior_src = Source(consultation_id=prior.id, channel="symposium", name="物业条例座谈会",
                       contact_point_id=cp[CP_A], meta={"date": "2024-05-20", "participants": 9})
    session.add(prior_src)
    session.flush()
    for i, (name, org, text, auto, manual) in enumerate(PRIOR):
        comment = Comment(consultation_id=prior.id, source_id=prior_src.id, contact_point_id=cp[CP_A],
                          channel="symposium", text=text, masked_text=text, author_name=name,
                          author_organisation=org)
        session.add(comment)
        session.flush()
        sug = Suggestion(consultation_id=prior.id, comment_id=comment.id, ordinal=0, text=text,
                         masked_text=text, text_hash=f"prior-{i}", type="修改", is_general=True)
        session.add(sug)
        session.flush()
        for source, status in (("auto", auto), ("manual", manual)):
            if status:
                session.add(AdoptionDecision(consultation_id=prior.id, suggestion_id=sug.id, status=status,
                                             source=source, decided_by=source))
    session.commit()
    return Built(consultation.id, prior.id, cp, articles, suggestion_ids, cluster_ids, url)


