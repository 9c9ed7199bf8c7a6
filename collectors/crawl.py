"""Run a spider in-process and store what it found, in one place.

``run_crawl("forum", consultation_id=1, config_path="site.toml")`` crawls, collects every
item, then stores them: forum posts through ``models.ingest.ingest`` (RawRecord first, then
the Comment; a re-crawl adds only new posts), official consultations through
``models.consultation_sync.upsert_consultation``.

Scrapy runs on the Twisted reactor, which cannot be restarted: one process runs one crawl.
Code that needs several crawls (tests) runs each in a fresh process (``python -m minyi crawl``).
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from minyi.errors import CrawlError, InputError

SPIDERS: dict[str, str] = {
    "forum": "collectors.spiders.forum:ForumSpider",
    "npc_flcaw": "collectors.spiders.npc_flcaw:NpcFlcawSpider",
    "moj": "collectors.spiders.moj:MojSpider",
}
# Finish reasons that mean the crawl was cut short.
ABORTED_PREFIXES = ("closespider_errorcount", "too many failed requests")


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
        return bool(self.finish_reason and self.finish_reason.startswith(ABORTED_PREFIXES))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["aborted"] = self.aborted
        return data


def spider_class(name: str) -> type:
    import importlib

    if name not in SPIDERS:
        raise InputError(f"unknown spider {name!r}; choose one of {', '.join(SPIDERS)}")
    module, _, attr = SPIDERS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def scrapy_settings(overrides: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """Polite defaults, then the caller's overrides (which win over the spider's own)."""
    from scrapy.settings import Settings

    from collectors.spiders.common import POLITE_SETTINGS

    settings = Settings()
    settings.setdict(POLITE_SETTINGS, priority="project")
    settings.setdict(dict(overrides or {}), priority="cmdline")
    return settings


def _run_spider(
    spider_cls: type,
    spider_kwargs: dict[str, Any],
    overrides: dict[str, Any] | None,
    on_page: Callable[[], None] | None = None,
) -> tuple[list[dict[str, Any]], Any, int, str | None]:
    """Crawl in this process; returns (items, spider, pages, finish reason)."""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(scrapy_settings(overrides))
    crawler = process.create_crawler(spider_cls)
    items: list[dict[str, Any]] = []
    pages = 0
    finish: dict[str, Any] = {}
    failures: list[Any] = []

    # Handlers are kept referenced here: Scrapy's signals hold only weak references.
    def item_scraped(item: Any, response: Any = None, spider: Any = None) -> None:
        items.append(dict(item))

    def response_received(response: Any, request: Any, spider: Any = None) -> None:
        nonlocal pages
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            return
        pages += 1
        if on_page is not None:
            on_page()

    def spider_closed(spider: Any, reason: str) -> None:
        finish["reason"] = reason

    crawler.signals.connect(item_scraped, signal=signals.item_scraped)
    crawler.signals.connect(response_received, signal=signals.response_received)
    crawler.signals.connect(spider_closed, signal=signals.spider_closed)
    deferred = process.crawl(crawler, **spider_kwargs)
    deferred.addErrback(failures.append)
    # Ctrl-C handlers can only be installed from the main thread.
    process.start(install_signal_handlers=_main_thread())
    if failures:
        exc = failures[0].value
        if isinstance(exc, (InputError, CrawlError)) or hasattr(exc, "message_zh"):
            raise exc
        raise CrawlError(f"{spider_cls.name}: crawl failed: {type(exc).__name__}: {exc}") from exc
    return items, crawler.spider, pages, finish.get("reason")


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def unreachable_reason(pages: int, errors: list[dict[str, str]]) -> str | None:
    """Why the site could not be reached at all, or None when it answered."""
    if pages or not errors:
        return None
    kinds = {e["kind"] for e in errors}
    if kinds <= {"unreachable", "timeout"}:
        return errors[0]["reason"]
    return None


def run_crawl(
    spider_name: str,
    *,
    consultation_id: int | None = None,
    config_path: str | Path | None = None,
    base_url: str | None = None,
    settings_overrides: dict[str, Any] | None = None,
    quiet: bool = False,
    spider_args: dict[str, Any] | None = None,
    database_url: str | None = None,
) -> CrawlSummary:
    """Crawl with ``spider_name`` and store the result; see the module docstring.

    Raises InputError/NotFoundError for bad arguments (before anything is fetched) and
    CrawlError when the site cannot be reached at all.
    """
    from collectors.spiders.common import normalise_base_url
    from models.db import require_schema, session_scope

    spider_cls = spider_class(spider_name)
    spider_args = dict(spider_args or {})
    source = None
    if spider_name == "forum":
        from collectors.spiders.forum import forum_source, thread_of_locator
        from collectors.spiders.siteconfig import load_site_config
        from models.consultation_sync import stored_locators
        from models.store import get_consultation

        if consultation_id is None:
            raise InputError("forum: --consultation is required (the consultation the posts comment on)")
        config = load_site_config(config_path, base_url=base_url)
        base = normalise_base_url(config.base_url)
        source = forum_source(config, base)
        with session_scope(database_url) as session:
            require_schema(session)
            get_consultation(session, consultation_id)
            locators = stored_locators(session, consultation_id, source.fingerprint or "")
        known = Counter(t for t in map(thread_of_locator, locators) if t)
        spider_args.update(config=config, base_url=base, known_posts=dict(known))
    else:
        if config_path:
            raise InputError(f"{spider_name}: --config is for the forum spider only")
        if consultation_id is not None:
            raise InputError(
                f"{spider_name}: --consultation is for the forum spider; "
                "this spider creates or updates consultations itself"
            )
        base = normalise_base_url(base_url or spider_cls.default_base_url)
        spider_args["base_url"] = base
        with session_scope(database_url) as session:
            require_schema(session)

    from minyi.cli.output import progress

    with progress(quiet or not sys.stderr.isatty()) as bar:
        task = bar.add_task(f"Crawling {base}", total=None)
        items, spider, pages, reason = _run_spider(
            spider_cls, spider_args, settings_overrides, on_page=lambda: bar.advance(task)
        )

    summary = CrawlSummary(
        spider=spider_name,
        base_url=base,
        consultation_id=consultation_id,
        pages=pages,
        errors=list(getattr(spider, "errors", [])),
        robots_forbidden=list(getattr(spider, "robots_forbidden", [])),
        finish_reason=reason,
        threads_found=getattr(spider, "threads_found", 0),
        threads_skipped=getattr(spider, "threads_skipped", 0),
    )
    why = unreachable_reason(pages, summary.errors)
    if why:
        raise CrawlError(f"cannot reach {base}: {why}")
    with session_scope(database_url) as session:
        store_items(session, summary, items, source=source)
    return summary


def store_items(session: Any, summary: CrawlSummary, items: list[dict[str, Any]], *, source: Any = None) -> None:
    """Store crawled items (the one place a crawl writes to the database)."""
    from collectors.spiders.forum import post_to_record
    from models.consultation_sync import ConsultationIn, record_attachment, upsert_consultation
    from models.ingest import ingest

    posts = [i for i in items if i.get("kind") == "post"]
    summary.posts_found = len(posts)
    if posts:
        if summary.consultation_id is None or source is None:
            raise InputError("forum posts need a consultation and a source")
        posts.sort(key=lambda i: (_num(i["thread_id"]), i.get("page") or 0, i.get("index") or 0))
        result = ingest(session, summary.consultation_id, source, (post_to_record(i) for i in posts))
        summary.imported += result.imported
        summary.skipped += result.skipped
        summary.quarantined += result.quarantined
        summary.quarantine += [
            {"origin": o, "locator": loc, "reason": r} for o, loc, r in result.quarantine
        ]
    fields = set(ConsultationIn.__dataclass_fields__)
    for item in items:
        if item.get("kind") != "consultation":
            continue
        summary.consultations_found += 1
        for problem in item.get("problems") or []:
            summary.errors.append({"url": item.get("source_url") or "", "kind": "data", "reason": problem})
        try:
            consultation, action = upsert_consultation(
                session, ConsultationIn(**{k: v for k, v in item.items() if k in fields})
            )
        except InputError as exc:
            summary.errors.append({"url": item.get("source_url") or "", "kind": "data", "reason": str(exc)})
            continue
        summary.consultation_ids.append(consultation.id)
        setattr(summary, f"consultations_{action}", getattr(summary, f"consultations_{action}") + 1)
    for item in items:
        if item.get("kind") == "attachment":
            info = {k: item.get(k) for k in ("path", "bytes", "declared_size", "url")}
            record_attachment(session, item["external_id"], info)
            summary.attachments.append({"external_id": item["external_id"], **info})


def _num(value: Any) -> tuple[int, str]:
    text = str(value)
    return (int(text), "") if text.isdigit() else (sys.maxsize, text)
