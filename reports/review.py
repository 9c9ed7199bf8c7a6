"""The committee's review report (汇总分析报告): per article, the clusters of opinions across
all contact points, how many people made each point, a representative wording and the
draft text beside them; then 总体意见 and 其他意见建议.

Personal data is masked as in the feedback document: contact points (organisations) are
named, individuals are not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from models.entities import CHANNELS
from models.store import get_consultation
from models.report_queries import (
    ArticleInfo,
    ClusterView,
    ConsultationFigures,
    articles_of,
    base_version,
    cluster_views,
    consultation_figures,
    suggestion_rows,
)
from reports.feedback import Doc, Heading, Para, Table, draft_name, people_text, zh_date

CLUSTER_COLUMNS = ["序号", "归并意见", "代表性意见（原文，已脱敏）", "人数", "联系点", "采纳情况"]
CLUSTER_WIDTHS = [8, 46, 44, 14, 26, 18]
SUMMARY_COLUMNS = ["序号", "条款", "意见组数", "人数", "联系点数"]
SUMMARY_WIDTHS = [12, 50, 30, 30, 34]


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
    consultation_id: int
    title: str
    draft_name: str
    figures: ConsultationFigures
    points: list[tuple[str, int, int]]  # (contact point, comments, suggestions)
    general: list[ClusterView]
    articles: list[ArticleReview]
    others: list[ClusterView]

    def sections(self) -> dict[str, int]:
        return {
            "general": len(self.general),
            "articles": len(self.articles),
            "article_clusters": sum(len(a.clusters) for a in self.articles),
            "other": len(self.others),
        }

    def to_doc(self, on=None) -> Doc:  # type: ignore[no-untyped-def]
        from datetime import date

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
            blocks.append(Table(
                ["序号", "联系点", "收到意见（件）", "意见建议（条）"],
                [[str(i), p, str(c), str(s)] for i, (p, c, s) in enumerate(self.points, start=1)],
                [12, 84, 30, 30], name="各联系点",
            ))
        blocks.append(Heading(1, "二、总体意见"))
        blocks += [_cluster_para(i, c) for i, c in enumerate(self.general, start=1)] or [Para("无。")]
        blocks.append(Heading(1, "三、逐条意见"))
        if self.articles:
            blocks.append(Para("各条款收到意见情况如下表（按条文顺序）。"))
            blocks.append(Table(SUMMARY_COLUMNS, self.summary_rows(), SUMMARY_WIDTHS, name="各条款统计"))
            for i, a in enumerate(self.articles, start=1):
                blocks.append(Heading(2, f"（{_cn(i)}）{a.article.label}"))
                blocks.append(Para(f"草案原文：{a.article.text}"))
                blocks.append(Table(CLUSTER_COLUMNS, _cluster_rows(a.clusters), CLUSTER_WIDTHS))
        else:
            blocks.append(Para("未收到针对具体条文的意见。"))
        blocks.append(Heading(1, "四、其他意见建议"))
        blocks += [_cluster_para(i, c) for i, c in enumerate(self.others, start=1)] or [Para("无。")]
        return Doc(title=self.title, blocks=blocks, date_text=zh_date(on or date.today()))

    def summary_rows(self) -> list[list[str]]:
        return [
            [str(i), a.article.label, str(len(a.clusters)), str(a.people), str(len(a.contact_points))]
            for i, a in enumerate(self.articles, start=1)
        ]


def _cn(n: int) -> str:
    from pipeline.numerals import to_chinese

    return to_chinese(n)


def adoption_text(counts: dict[str, int]) -> str:
    return "、".join(f"{k}{v}" for k, v in Counter(counts).most_common()) or "未决定"


def _cluster_rows(clusters: list[ClusterView]) -> list[list[str]]:
    return [
        [str(i), c.text, c.representative.text, people_text(c.count), "、".join(c.contact_points),
         adoption_text(c.adoption)]
        for i, c in enumerate(clusters, start=1)
    ]


def _cluster_para(i: int, c: ClusterView) -> Para:
    lead = f"（{_cn(i)}）" + (f"关于{c.label}。" if c.label and c.reviewed else "")
    points = "、".join(c.contact_points)
    return Para(f"{c.text}（{points}，{people_text(c.count)}）" if points else f"{c.text}（{people_text(c.count)}）", lead=lead)


def build_review(session: Session, consultation_id: int) -> ReviewReport:
    consultation = get_consultation(session, consultation_id)
    version = base_version(session, consultation_id)
    rows = suggestion_rows(session, consultation_id, None)
    articles = articles_of(session, consultation_id)
    views = cluster_views(session, consultation_id, None, rows=rows, articles=articles)
    figures = consultation_figures(session, consultation_id, None, rows=rows)
    name = draft_name(consultation.title, version.label if version else "征求意见稿")
    per_article: dict[int, ArticleReview] = {}
    for v in views:
        if v.section == "article" and v.article is not None:
            per_article.setdefault(v.article.provision_id, ArticleReview(v.article, [])).clusters.append(v)
    comments: dict[str, set[int]] = {}
    suggestions: Counter[str] = Counter()
    for r in rows:
        key = r.contact_point or "（未指定联系点）"
        comments.setdefault(key, set()).add(r.comment_id)
        suggestions[key] += 1
    points = sorted(((p, len(c), suggestions[p]) for p, c in comments.items()), key=lambda t: (-t[2], t[0]))
    return ReviewReport(
        consultation_id=consultation.id,
        title=f"《{name}》意见建议汇总分析报告",
        draft_name=name,
        figures=figures,
        points=points,
        general=[v for v in views if v.section == "general"],
        articles=sorted(per_article.values(), key=lambda a: a.article.order),
        others=[v for v in views if v.section == "other"],
    )


def review_sheets(report: ReviewReport):  # type: ignore[no-untyped-def]
    from reports.xlsx_writer import Sheet

    article_rows = []
    for a in report.articles:
        for c in a.clusters:
            article_rows.append([
                a.article.label, a.article.text, c.text, c.representative.text, c.count,
                "、".join(c.contact_points), adoption_text(c.adoption), c.cluster_id or "",
                "是" if c.reviewed else "否",
            ])
    item = lambda cs: [[i, c.label or "", c.text, c.count, "、".join(c.contact_points), adoption_text(c.adoption)]  # noqa: E731
                       for i, c in enumerate(cs, start=1)]
    item_cols = ["序号", "主题", "意见", "人数", "联系点", "采纳情况"]
    channels = Counter(CHANNELS.get(c.code, c.code) for c in report.figures.channels)
    return [
        Sheet("逐条意见", ["条款", "草案原文", "归并意见", "代表性意见（已脱敏）", "人数", "联系点", "采纳情况",
                       "聚类编号", "已审核"], article_rows, [10, 40, 45, 45, 8, 24, 16, 9, 8], title=report.title),
        Sheet("各条款统计", SUMMARY_COLUMNS, report.summary_rows(), [6, 14, 10, 10, 10]),
        Sheet("总体意见", item_cols, item(report.general), [6, 18, 60, 8, 30, 16]),
        Sheet("其他意见建议", item_cols, item(report.others), [6, 18, 60, 8, 30, 16]),
        Sheet("各联系点", ["联系点", "收到意见（件）", "意见建议（条）"], [list(p) for p in report.points], [34, 16, 16]),
        Sheet("征集渠道", ["渠道"], [[c] for c in channels], [20]),
    ]


def write_review(report: ReviewReport, fmt: str, path: str | Path) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt == "docx":
        from reports.docx_writer import write_docx

        return write_docx(report.to_doc(), path)
    if fmt == "xlsx":
        from reports.xlsx_writer import write_sheets

        return write_sheets(review_sheets(report), path)
    if fmt == "md":
        from reports.markdown import write_markdown

        return write_markdown(report.to_doc(), path)
    if fmt == "pdf":
        from reports.pdf import write_pdf

        return write_pdf(report.to_doc(), path)
    from minyi.errors import InputError

    raise InputError(f"--format: {fmt!r} is not one of docx, xlsx, md, pdf")
