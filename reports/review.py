"""The committee's review report (汇总分析报告): per article, the clusters of opinions across
all contact points, how many people made each point, a representative wording and the
draft text beside them; then 总体意见 and 其他意见建议.

Personal data is masked as in the feedback document: contact points (organisations) are
named, individuals are not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from minyi.core.reporting import ArticleInfo, ClusterView, ConsultationFigures, ConsultationReport
from minyi.core.vocab import CHANNELS
from reports.document import Doc, Heading, Para, Sheet, Table, cn_ordinal, people_text, zh_date
from reports.feedback import draft_name

CLUSTER_COLUMNS = ["序号", "意见（审核归并稿或代表性意见）", "人数", "联系点", "采纳情况", "审核提示"]
CLUSTER_WIDTHS = [10, 60, 12, 26, 20, 28]
SUMMARY_COLUMNS = ["序号", "条款", "意见组数", "人数", "联系点数"]
SUMMARY_WIDTHS = [12, 50, 30, 30, 34]
# A link found by wording alone (no citation) below this score is shown to the reviewer as
# doubtful (the semantic mapper's scores run from about 0.35 to 0.6).
LOW_CONFIDENCE = 0.4


@dataclass
class ArticleReview:
    article: ArticleInfo
    clusters: list[ClusterView]

    @property
    def people(self) -> int:
        return len({m.comment_id for c in self.clusters for m in c.members})

    @property
    def contact_points(self) -> list[str]:
        return sorted({p for c in self.clusters for p in c.contact_points})


@dataclass
class ReviewReport:
    formats = ("docx", "xlsx", "pdf", "md")  # what reports.formats can write it as

    consultation_id: int
    title: str
    draft_name: str
    figures: ConsultationFigures
    points: list[tuple[str, int, int]]  # (contact point, comments, suggestions)
    general: list[ClusterView]
    articles: list[ArticleReview]
    others: list[ClusterView]
    date: date

    def sections(self) -> dict[str, int]:
        return {
            "general": len(self.general),
            "articles": len(self.articles),
            "article_clusters": sum(len(a.clusters) for a in self.articles),
            "other": len(self.others),
        }

    def to_doc(self, assets_dir: str | Path | None = None) -> Doc:
        """The generic blocks every writer renders (no figures, so no ``assets_dir``)."""
        fig = self.figures
        blocks: list = [
            Heading(1, "一、基本情况"),
            Para(
                f"本次征求意见共有{len(self.points)}个联系点报送意见，收到意见{fig.comments}件，"
                f"梳理出意见建议{fig.suggestions}条，去除重复意见后为{fig.suggestions_deduplicated}条，"
                f"涉及草案{len(self.articles)}个条文。"
            ),
        ]
        if self.points:
            total = ["合计", f"{len(self.points)}个联系点", str(sum(c for _, c, _ in self.points)),
                     str(sum(s for _, _, s in self.points))]
            blocks.append(Table(
                ["序号", "联系点", "收到意见（件）", "意见建议（条）"],
                [*[[str(i), p, str(c), str(s)] for i, (p, c, s) in enumerate(self.points, start=1)], total],
                [12, 84, 30, 30], name="各联系点", total_row=True, centre_columns=[0, 2, 3],
            ))
        blocks.append(Heading(1, "二、总体意见"))
        blocks += [_cluster_para(i, c) for i, c in enumerate(self.general, start=1)] or [Para("无。")]
        blocks.append(Heading(1, "三、逐条意见"))
        if self.articles:
            blocks.append(Para("各条款收到意见情况如下表（按条文顺序）。"))
            blocks.append(Table(SUMMARY_COLUMNS, [*self.summary_rows(), self.summary_total()], SUMMARY_WIDTHS,
                                name="各条款统计", total_row=True, centre_columns=[0, 2, 3, 4]))
            flagged = sum(1 for a in self.articles for c in a.clusters if evidence_notes(c))
            if flagged:
                blocks.append(Para(f"其中{flagged}组意见的条款对应有待核对（引用疑似有误、引用了草案没有的条款，"
                                   "或仅凭文字相近对应到条文），见各表“审核提示”一栏。"))
            for i, a in enumerate(self.articles, start=1):
                blocks.append(Heading(2, f"（{cn_ordinal(i)}）{a.article.label}"))
                if a.article.text:
                    blocks.append(Para(f"草案原文：{a.article.text}"))
                blocks.append(Table(CLUSTER_COLUMNS, _cluster_rows(a.clusters), CLUSTER_WIDTHS,
                                    centre_columns=[0, 2]))
        else:
            blocks.append(Para("未收到针对具体条文的意见。"))
        blocks.append(Heading(1, "四、其他意见建议"))
        blocks += [_cluster_para(i, c) for i, c in enumerate(self.others, start=1)] or [Para("无。")]
        return Doc(title=self.title, blocks=blocks, date_text=zh_date(self.date))

    def to_sheets(self) -> list[Sheet]:
        article_rows = []
        for a in self.articles:
            for c in a.clusters:
                article_rows.append([
                    a.article.label, a.article.text, c.text, c.representative.text, c.count,
                    "、".join(c.contact_points), adoption_text(c.adoption), c.cluster_id or "",
                    "是" if c.reviewed else "否", "；".join(evidence_notes(c)),
                ])
        item_cols = ["序号", "主题", "意见", "人数", "联系点", "采纳情况"]
        channels = Counter(CHANNELS.get(c.code, c.code) for c in self.figures.channels)
        return [
            Sheet("逐条意见", ["条款", "草案原文", "归并意见", "代表性意见（已脱敏）", "人数", "联系点", "采纳情况",
                           "聚类编号", "已审核", "审核提示"], article_rows, [10, 40, 45, 45, 8, 24, 16, 9, 8, 40],
                  title=self.title),
            Sheet("各条款统计", SUMMARY_COLUMNS, [*self.summary_rows(), self.summary_total()], [6, 14, 10, 10, 10]),
            Sheet("总体意见", item_cols, _item_rows(self.general), [6, 18, 60, 8, 30, 16]),
            Sheet("其他意见建议", item_cols, _item_rows(self.others), [6, 18, 60, 8, 30, 16]),
            Sheet("各联系点", ["联系点", "收到意见（件）", "意见建议（条）"],
                  [*[list(p) for p in self.points],
                   ["合计", sum(c for _, c, _ in self.points), sum(s for _, _, s in self.points)]], [34, 16, 16]),
            Sheet("征集渠道", ["渠道"], [[c] for c in channels], [20]),
        ]

    def summary(self) -> dict[str, object]:
        """What `minyi report review --json` prints beside the path."""
        return {"title": self.title, "sections": self.sections(), "figures": self.figures.to_dict()}

    def summary_total(self) -> list[str]:
        """The 合计 row: groups and people over all articles (a person counted once)."""
        people = len({m.comment_id for a in self.articles for c in a.clusters for m in c.members})
        points = len({p for a in self.articles for p in a.contact_points})
        return ["合计", f"{len(self.articles)}个条文", str(sum(len(a.clusters) for a in self.articles)),
                str(people), str(points)]

    def summary_rows(self) -> list[list[str]]:
        return [
            [str(i), a.article.label, str(len(a.clusters)), str(a.people), str(len(a.contact_points))]
            for i, a in enumerate(self.articles, start=1)
        ]


def adoption_text(counts: dict[str, int]) -> str:
    return "、".join(f"{k}{v}" for k, v in Counter(counts).most_common()) or "未决定"


def _item_rows(clusters: list[ClusterView]) -> list[list[object]]:
    return [[i, c.label or "", c.text, c.count, "、".join(c.contact_points), adoption_text(c.adoption)]
            for i, c in enumerate(clusters, start=1)]


def _cluster_rows(clusters: list[ClusterView]) -> list[list[str]]:
    return [
        [str(i), cluster_text(c), str(c.count), "、".join(c.contact_points), adoption_text(c.adoption),
         "\n".join(evidence_notes(c))]
        for i, c in enumerate(clusters, start=1)
    ]


def cluster_text(c: ClusterView) -> str:
    """The reviewer's consolidated wording, marked; else the representative's, with how many
    other wordings it stands for."""
    if c.reviewed and c.consolidated_text:
        return f"【审核归并】{c.consolidated_text}"
    others = len({m.comment_id for m in c.members}) - 1
    return f"【代表性意见】{c.representative.text}" + (f"（另有{others}人意见相近）" if others > 0 else "")


def evidence_notes(c: ClusterView) -> list[str]:
    """What the reviewer should check about how the cluster's suggestions were placed:
    citations flagged as doubtful, citations of provisions the draft lacks, and links found
    by wording alone with a low score."""
    notes: list[str] = []
    for m in c.members:
        check = m.citation_check or {}
        if check.get("evidence"):
            notes.append(f"意见{m.suggestion_id}：{check['evidence']}")
        for problem in m.reference_problems:
            reason = problem.get("reason") if isinstance(problem, dict) else str(problem)
            if reason:
                notes.append(f"意见{m.suggestion_id}：引用有误（{reason}）")
    weak = [m for m in c.members
            if m.mapping_methods and set(m.mapping_methods) <= {"semantic"}
            and m.mapping_score is not None and m.mapping_score < LOW_CONFIDENCE]
    if weak:
        lowest = min(m.mapping_score for m in weak if m.mapping_score is not None)
        notes.append(f"{len(weak)}条意见未引用条款，仅凭文字相近对应到本条（匹配度最低{lowest:.2f}），请核对")
    return list(dict.fromkeys(notes))


def _cluster_para(i: int, c: ClusterView) -> Para:
    lead = f"（{cn_ordinal(i)}）" + (f"关于{c.label}。" if c.label and c.reviewed else "")
    points = "、".join(c.contact_points)
    return Para(f"{c.text}（{points}，{people_text(c.count)}）" if points else f"{c.text}（{people_text(c.count)}）", lead=lead)


def build_review(report: ConsultationReport, *, on: date | None = None) -> ReviewReport:
    """The committee's view of ``report`` (loaded for all contact points)."""
    name = draft_name(report.title, report.draft_label)
    per_article: dict[int, ArticleReview] = {}
    for v in report.views:
        if v.section == "article" and v.article is not None:
            per_article.setdefault(v.article.provision_id, ArticleReview(v.article, [])).clusters.append(v)
    comments: dict[str, set[int]] = {}
    suggestions: Counter[str] = Counter()
    for r in report.rows:
        key = r.contact_point or "（未指定联系点）"
        comments.setdefault(key, set()).add(r.comment_id)
        suggestions[key] += 1
    points = sorted(((p, len(c), suggestions[p]) for p, c in comments.items()), key=lambda t: (-t[2], t[0]))
    return ReviewReport(
        consultation_id=report.consultation_id,
        title=f"《{name}》意见建议汇总分析报告",
        draft_name=name,
        figures=report.figures,
        points=points,
        general=[v for v in report.views if v.section == "general"],
        articles=sorted(per_article.values(), key=lambda a: a.article.order),
        others=[v for v in report.views if v.section == "other"],
        date=on or date.today(),
    )
