"""Statistics and downloads (the feedback document, the review report, exports)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from minyi.core.errors import InputError
from minyi.services import documents, exports, web_queries
from web.deps import ActorDep, SessionDep
from web.render import render

router = APIRouter()
GROUPINGS = {"contact-point": "按联系点", "consultation": "按征求意见任务", "year": "按年度", "channel": "按渠道"}
DOWNLOADS = {
    "feedback": ("意见建议反馈", ("docx", "xlsx", "pdf")),
    "review": ("审阅报告", ("docx", "xlsx", "pdf")),
    "suggestions": ("意见建议明细", ("xlsx", "csv", "jsonl")),
    "adoption": ("采纳情况明细", ("xlsx", "csv", "jsonl")),
}
MEDIA = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf", "csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
}


def _stats_filters(by: str, year: str) -> int | None:
    if by not in GROUPINGS:
        raise InputError(f"unknown grouping {by!r}", message_zh="统计方式无效")
    if year and not (year.isdigit() and len(year) == 4):
        raise InputError(f"bad year {year!r}", message_zh="年度应为四位数字")
    return int(year) if year else None


@router.get("/stats")
def stats(request: Request, db: SessionDep, actor: ActorDep, by: str = "contact-point", year: str = "",
          cp: str = ""):  # type: ignore[no-untyped-def]
    table = documents.statistics_table(db, actor, by, year=_stats_filters(by, year), contact_point=cp or None)
    peak = max([line.suggestions for line in table.lines] or [1]) or 1
    return render(request, "stats.html", {"t": table, "by": by, "year": year, "cp": cp, "groupings": GROUPINGS,
                                          "peak": peak})


STATS_DOWNLOADS = {"xlsx": "统计表", "csv": "统计表", "png": "统计图"}


@router.get("/stats/download.{fmt}")
def stats_download(db: SessionDep, actor: ActorDep, fmt: str, by: str = "contact-point", year: str = "",
                   cp: str = ""):  # type: ignore[no-untyped-def]
    """The table as .xlsx / .csv, or the bar chart of ``minyi stats --chart`` as .png."""
    if fmt not in STATS_DOWNLOADS:
        raise InputError(f"no statistics download .{fmt}", message_zh="不支持该下载格式")
    chosen = _stats_filters(by, year)
    folder = Path(tempfile.mkdtemp(prefix="minyi-stats-"))
    path = folder / f"{STATS_DOWNLOADS[fmt]}-{GROUPINGS[by]}.{fmt}"
    if fmt == "png":
        documents.statistics(db, actor, by, "table", year=chosen, contact_point=cp or None, chart=path)
    elif fmt == "csv":
        path.write_text(documents.statistics(db, actor, by, "csv", year=chosen, contact_point=cp or None).text or "",
                        encoding="utf-8-sig")
    else:
        documents.statistics(db, actor, by, "xlsx", path, year=chosen, contact_point=cp or None)
    import shutil

    return FileResponse(path, media_type=MEDIA.get(fmt, "image/png"), filename=path.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))


@router.get("/c/{consultation_id}/downloads")
def downloads(request: Request, db: SessionDep, actor: ActorDep, consultation_id: int):  # type: ignore[no-untyped-def]
    return render(request, "downloads.html", {"cid": consultation_id, "downloads": DOWNLOADS,
                                              "may": web_queries.rights(db, actor, consultation_id)})


@router.get("/c/{consultation_id}/download/{what}.{fmt}")
def download(db: SessionDep, actor: ActorDep, consultation_id: int, what: str, fmt: str):  # type: ignore[no-untyped-def]
    if what not in DOWNLOADS or fmt not in DOWNLOADS[what][1]:
        raise InputError(f"no download {what}.{fmt}", message_zh="不支持该下载格式")
    folder = Path(tempfile.mkdtemp(prefix="minyi-download-"))
    path = folder / f"{DOWNLOADS[what][0]}-{consultation_id}.{fmt}"
    if what == "feedback":
        documents.feedback_document(db, actor, consultation_id, fmt, path, record=False)
    elif what == "review":
        documents.review_report(db, actor, consultation_id, fmt, path)
    elif what == "suggestions":
        exports.export_suggestions(db, actor, consultation_id, fmt, path)
    else:
        exports.export_adoption(db, actor, consultation_id, fmt, path)
    import shutil

    return FileResponse(path, media_type=MEDIA[fmt], filename=path.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
