"""The crawl workflow: run a spider and store what it found.

``crawl(unit_of_work, actor, "forum", consultation_id=1, config_path="site.toml")`` checks
the arguments (``collectors.crawl.plan_crawl``), checks the actor and reads what a forum
crawl already holds, crawls (``collectors.crawl.run_spider``) and then stores the items:
forum posts through ``models.ingest.ingest`` (RawRecord first, then the Comment; a re-crawl
adds only new posts), official consultations through
``models.consultation_sync.upsert_consultation`` (created, or updated by external id).
Every change is written to the audit log in the actor's name.

The crawl takes minutes, so it holds no database session: ``session_factory`` (such as
``unit_of_work``) opens one before the crawl and one to store the result.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from collectors.crawl import (
    CRAWL_STAGE,
    CrawlPlan,
    CrawlResult,
    aborted,
    forum_records,
    known_posts,
    plan_crawl,
    run_spider,
)
from minyi.core.errors import InputError
from minyi.core.progress import Progress, no_progress
from minyi.services.context import Actor, audit
from models.consultation_sync import ConsultationIn, record_attachment, stored_locators, upsert_consultation
from models.entities import Source
from models.ingest import ingest
from models.store import get_consultation

SessionFactory = Callable[[], AbstractContextManager[Session]]
STORE_STAGE = "store"  # progress: posts stored (CRAWL_STAGE: pages fetched)
CONSULTATION_FIELDS = frozenset(ConsultationIn.__dataclass_fields__)


@dataclass
class CrawlSummary:
    spider: str
    base_url: str
    consultation_id: int | None = None
    pages: int = 0  # responses received (robots.txt not counted)
    threads_found: int = 0
    threads_skipped: int = 0  # unchanged since the last crawl, not fetched
    posts_found: int = 0
    imported: int = 0
    skipped: int = 0  # already stored
    quarantined: int = 0
    consultations_found: int = 0
    consultations_created: int = 0
    consultations_updated: int = 0
    consultations_unchanged: int = 0
    consultation_ids: list[int] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    robots_forbidden: list[str] = field(default_factory=list)  # pages robots.txt keeps us from
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None

    @property
    def aborted(self) -> bool:
        return aborted(self.finish_reason)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["aborted"] = self.aborted
        return data


def crawl(
    session_factory: SessionFactory,
    actor: Actor,
    spider: str,
    *,
    consultation_id: int | None = None,
    config_path: str | Path | None = None,
    base_url: str | None = None,
    settings_overrides: dict[str, Any] | None = None,
    spider_args: dict[str, Any] | None = None,
    progress: Progress = no_progress,
) -> CrawlSummary:
    """Crawl with ``spider`` and store the result; see the module docstring.

    Raises InputError/ConfigError/NotFoundError/PermissionDenied before anything is fetched,
    and CrawlError (storing nothing) when the site cannot be reached at all.
    """
    plan = plan_crawl(
        spider, consultation_id=consultation_id, config_path=config_path, base_url=base_url,
        spider_args=spider_args,
    )
    with session_factory() as session:
        _prepare(session, actor, plan, consultation_id)
    result = run_spider(plan, settings_overrides, progress)
    summary = CrawlSummary(
        spider=spider,
        base_url=plan.base_url,
        consultation_id=consultation_id,
        pages=result.pages,
        errors=list(result.errors),
        robots_forbidden=list(result.robots_forbidden),
        finish_reason=result.finish_reason,
        threads_found=result.threads_found,
        threads_skipped=result.threads_skipped,
    )
    with session_factory() as session:
        store_found(session, actor, summary, result, source=plan.source, progress=progress)
    return summary


def _prepare(session: Session, actor: Actor, plan: CrawlPlan, consultation_id: int | None) -> None:
    """Check the actor; a forum crawl learns which posts it already holds."""
    if not plan.stores_comments:
        actor.require("create_consultation")
        return
    assert consultation_id is not None and plan.source is not None  # plan_crawl checked it
    actor.require("import", get_consultation(session, consultation_id))
    locators = stored_locators(session, consultation_id, plan.source.fingerprint or "")
    plan.spider_args["known_posts"] = known_posts(locators)


def store_found(
    session: Session,
    actor: Actor,
    summary: CrawlSummary,
    result: CrawlResult,
    *,
    source: Any = None,
    progress: Progress = no_progress,
) -> None:
    """Store crawled items (the one place a crawl writes to the database)."""
    _store_posts(session, actor, summary, result.of_kind("post"), source, progress)
    for item in result.of_kind("consultation"):
        _store_consultation(session, actor, summary, item)
    for item in result.of_kind("attachment"):
        info = {k: item.get(k) for k in ("path", "bytes", "declared_size", "url")}
        record_attachment(session, item["external_id"], info)
        summary.attachments.append({"external_id": item["external_id"], **info})


def _store_posts(
    session: Session,
    actor: Actor,
    summary: CrawlSummary,
    posts: list[dict[str, Any]],
    source: Any,
    progress: Progress,
) -> None:
    summary.posts_found = len(posts)
    if not posts:
        return
    if summary.consultation_id is None or source is None:
        raise InputError("forum posts need a consultation and a source")
    done = 0
    progress(STORE_STAGE, 0, len(posts))

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(STORE_STAGE, done, len(posts))

    result = ingest(session, summary.consultation_id, source, forum_records(posts), progress=advance)
    summary.imported += result.imported
    summary.skipped += result.skipped
    summary.quarantined += result.quarantined
    summary.quarantine += [{"origin": o, "locator": loc, "reason": r} for o, loc, r in result.quarantine]
    audit(
        session, actor, "import", session.get(Source, result.source_id),
        consultation_id=summary.consultation_id,
        after={"site": summary.base_url, "records": result.records, "imported": result.imported,
               "skipped": result.skipped, "quarantined": result.quarantined},
    )


def _store_consultation(session: Session, actor: Actor, summary: CrawlSummary, item: dict[str, Any]) -> None:
    summary.consultations_found += 1
    url = item.get("source_url") or ""
    for problem in item.get("problems") or []:
        summary.errors.append({"url": url, "kind": "data", "reason": problem})
    try:
        done = upsert_consultation(
            session, ConsultationIn(**{k: v for k, v in item.items() if k in CONSULTATION_FIELDS})
        )
    except InputError as exc:
        summary.errors.append({"url": url, "kind": "data", "reason": str(exc)})
        return
    summary.consultation_ids.append(done.consultation.id)
    setattr(summary, f"consultations_{done.action}", getattr(summary, f"consultations_{done.action}") + 1)
    if done.action != "unchanged":
        action = "create" if done.action == "created" else "update"
        before = done.before if done.action == "updated" else None
        audit(session, actor, action, done.consultation, before=before, after=done.after)
