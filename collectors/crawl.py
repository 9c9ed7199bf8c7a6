"""Run a spider in-process and hand back what it found; storing it is the application
layer's job (the crawl service).

``plan = plan_crawl("forum", consultation_id=1, config_path="site.toml")`` checks the
arguments and builds the spider's settings before anything is fetched;
``run_spider(plan, progress=...)`` crawls and returns every item with the spider's counts;
``forum_records(items)`` turns the posts into ``RecordIn``s in thread order.

Scrapy runs on the Twisted reactor, which cannot be restarted: one process runs one crawl.
Code that needs several crawls (tests) runs each in a fresh process (``python -m minyi crawl``).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minyi.core.errors import CrawlError, InputError
from minyi.core.progress import Progress, no_progress
from minyi.core.records import RecordIn, SourceIn

SPIDERS: dict[str, str] = {
    "forum": "collectors.spiders.forum:ForumSpider",
    "npc_flcaw": "collectors.spiders.npc_flcaw:NpcFlcawSpider",
    "moj": "collectors.spiders.moj:MojSpider",
}
# Finish reasons that mean the crawl was cut short.
ABORTED_PREFIXES = ("closespider_errorcount", "too many failed requests")
CRAWL_STAGE = "crawl"  # the progress stage: pages fetched, total unknown until the end


@dataclass
class CrawlPlan:
    """What to crawl and how: checked before anything is fetched."""

    spider: str
    spider_cls: type
    base_url: str
    spider_args: dict[str, Any]
    source: SourceIn | None = None  # forum: the site, as the source of the comments

    @property
    def stores_comments(self) -> bool:
        return self.source is not None


@dataclass
class CrawlResult:
    """Everything one crawl found, before anything is stored."""

    items: list[dict[str, Any]]
    pages: int  # responses received (robots.txt not counted)
    finish_reason: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    robots_forbidden: list[str] = field(default_factory=list)  # pages robots.txt keeps us from
    threads_found: int = 0
    threads_skipped: int = 0  # unchanged since the last crawl, not fetched

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [i for i in self.items if i.get("kind") == kind]


def aborted(finish_reason: str | None) -> bool:
    return bool(finish_reason and finish_reason.startswith(ABORTED_PREFIXES))


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


def _crawl(
    spider_cls: type,
    spider_kwargs: dict[str, Any],
    overrides: dict[str, Any] | None,
    on_page: Callable[[int], None],
) -> tuple[list[dict[str, Any]], Any, int, str | None]:
    """Crawl in this process; returns (items, spider, pages, finish reason). ``on_page``
    gets the number of pages fetched so far."""
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
        on_page(pages)

    def spider_closed(spider: Any, reason: str) -> None:
        finish["reason"] = reason

    def request_dropped(request: Any, spider: Any = None) -> None:
        # A redirect back to a page already asked for (a redirect loop) is dropped by the
        # duplicate filter without an errback: report it as a failed page.
        errors = getattr(spider, "errors", None)
        redirected = request.meta.get("redirect_urls")
        if errors is not None and redirected:
            errors.append({"url": redirected[0], "kind": "redirect", "reason": "redirect loop (redirects to itself)"})

    def spider_error(failure: Any, response: Any = None, spider: Any = None) -> None:
        # A page the parser could not read is a failed page, never dropped in silence.
        exc = failure.value
        errors = getattr(spider, "errors", None)
        if errors is not None:
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
            errors.append({"url": getattr(response, "url", ""), "kind": "parse", "reason": f"cannot parse the page: {reason}"})

    crawler.signals.connect(item_scraped, signal=signals.item_scraped)
    crawler.signals.connect(response_received, signal=signals.response_received)
    crawler.signals.connect(spider_closed, signal=signals.spider_closed)
    crawler.signals.connect(spider_error, signal=signals.spider_error)
    crawler.signals.connect(request_dropped, signal=signals.request_dropped)
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


def plan_crawl(
    spider_name: str,
    *,
    consultation_id: int | None = None,
    config_path: str | Path | None = None,
    base_url: str | None = None,
    spider_args: dict[str, Any] | None = None,
) -> CrawlPlan:
    """Check the arguments (InputError/ConfigError naming the option or the config key)."""
    from collectors.spiders.common import normalise_base_url

    spider_cls = spider_class(spider_name)
    args = dict(spider_args or {})
    if spider_name == "forum":
        from collectors.spiders.forum import forum_source
        from collectors.spiders.siteconfig import load_site_config

        if consultation_id is None:
            raise InputError("forum: --consultation is required (the consultation the posts comment on)")
        config = load_site_config(config_path, base_url=base_url)
        base = normalise_base_url(config.base_url)
        args.update(config=config, base_url=base)
        return CrawlPlan(spider_name, spider_cls, base, args, source=forum_source(config, base))
    if config_path:
        raise InputError(f"{spider_name}: --config is for the forum spider only")
    if consultation_id is not None:
        raise InputError(
            f"{spider_name}: --consultation is for the forum spider; "
            "this spider creates or updates consultations itself"
        )
    base = normalise_base_url(base_url or spider_cls.default_base_url)
    args["base_url"] = base
    return CrawlPlan(spider_name, spider_cls, base, args)


def known_posts(locators: Iterable[str]) -> dict[str, int]:
    """Posts already stored per thread, from their locators: the forum spider skips a
    thread whose reply count says nothing was added."""
    from collectors.spiders.forum import thread_of_locator

    return dict(Counter(t for t in map(thread_of_locator, locators) if t))


def run_spider(
    plan: CrawlPlan,
    settings_overrides: dict[str, Any] | None = None,
    progress: Progress = no_progress,
) -> CrawlResult:
    """Crawl in this process and return what was found.

    Raises CrawlError when the site cannot be reached at all (nothing should be stored then).
    """
    progress(CRAWL_STAGE, 0, None)
    items, spider, pages, reason = _crawl(
        plan.spider_cls, plan.spider_args, settings_overrides, lambda done: progress(CRAWL_STAGE, done, None)
    )
    progress(CRAWL_STAGE, pages, pages)
    result = CrawlResult(
        items=items,
        pages=pages,
        finish_reason=reason,
        errors=list(getattr(spider, "errors", [])),
        robots_forbidden=list(getattr(spider, "robots_forbidden", [])),
        threads_found=getattr(spider, "threads_found", 0),
        threads_skipped=getattr(spider, "threads_skipped", 0),
    )
    why = unreachable_reason(pages, result.errors)
    if why:
        raise CrawlError(f"cannot reach {plan.base_url}: {why}")
    return result


def forum_records(posts: list[dict[str, Any]]) -> list[RecordIn]:
    """Scraped posts as records, in thread, page and floor order."""
    from collectors.spiders.forum import post_to_record

    ordered = sorted(posts, key=lambda i: (_num(i["thread_id"]), i.get("page") or 0, i.get("index") or 0))
    return [post_to_record(i) for i in ordered]


def _num(value: Any) -> tuple[int, str]:
    text = str(value)
    return (int(text), "") if text.isdigit() else (sys.maxsize, text)
