"""What every minyi spider shares: polite defaults, retries with back-off, error records.

Government and community sites are small servers run by small offices; a crawl must never
be the reason one of them slows down. Hence one request at a time per site, AutoThrottle,
robots.txt, a download timeout, retries that wait longer each time, and a cap on errors.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import (
    CannotResolveHostError,
    CloseSpider,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet.error import (
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
    TCPTimedOutError,
    TimeoutError,
)

USER_AGENT = "minyi/0.1 (legislative consultation collector; polite crawler)"

POLITE_SETTINGS: dict[str, Any] = {
    "ROBOTSTXT_OBEY": True,
    "USER_AGENT": USER_AGENT,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
    "CONCURRENT_REQUESTS": 4,
    "DOWNLOAD_DELAY": 1.0,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 2.0,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
    "DOWNLOAD_TIMEOUT": 30,
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 3,
    # Back-off of our retry middleware: wait BASE * 2**(n-1) seconds before retry n, at most MAX.
    "MINYI_RETRY_BACKOFF_BASE": 2.0,
    "MINYI_RETRY_BACKOFF_MAX": 60.0,
    # Exceptions in our own callbacks (a page the parser chokes on) before the crawl stops.
    "CLOSESPIDER_ERRORCOUNT": 20,
    # Failed downloads (after retries) before the crawl stops: the site is in trouble.
    "MINYI_MAX_DOWNLOAD_ERRORS": 50,
    # No control ports: a crawler on a contact point's PC opens no listening socket.
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "LOG_ENABLED": False,
    "LOG_LEVEL": "WARNING",
    "DOWNLOADER_MIDDLEWARES": {
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "collectors.spiders.common.BackoffRetryMiddleware": 550,
    },
}

# Failures that mean "the site is not there" rather than "this page is broken".
# Scrapy ≥ 2.14 wraps Twisted's errors in its own; both are listed.
UNREACHABLE = (
    ConnectionRefusedError,
    DNSLookupError,
    NoRouteError,
    DownloadConnectionRefusedError,
    CannotResolveHostError,
)
DNS_FAILURES = (DNSLookupError, CannotResolveHostError)
TIMEOUTS = (TimeoutError, TCPTimedOutError, defer.TimeoutError, DownloadTimeoutError)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry middleware, but each retry waits longer (2 s, 4 s, 8 s … by default):
    a server answering 500/503 is often overloaded, and hammering it makes that worse."""

    def __init__(self, settings):  # type: ignore[no-untyped-def]
        super().__init__(settings)
        self.base = settings.getfloat("MINYI_RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("MINYI_RETRY_BACKOFF_MAX", 60.0)

    def delay_for(self, retry_times: int) -> float:
        return min(self.cap, self.base * 2 ** max(0, retry_times - 1))

    async def _wait(self, result: Any) -> Any:
        if isinstance(result, scrapy.Request) and self.base > 0:
            from twisted.internet import reactor
            from twisted.internet.task import deferLater
            from scrapy.utils.defer import maybe_deferred_to_future

            delay = self.delay_for(result.meta.get("retry_times", 1))
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
        return result

    async def process_response(self, request, response, spider=None):  # type: ignore[override,no-untyped-def]
        return await self._wait(super().process_response(request, response))

    async def process_exception(self, request, exception, spider=None):  # type: ignore[override,no-untyped-def]
        return await self._wait(super().process_exception(request, exception))


def describe_failure(failure: Any) -> tuple[str, str]:
    """(kind, one-line reason) of a failed request: kind is 'unreachable', 'timeout',
    'http', 'robots' (forbidden by robots.txt: not an error, the site asked) or 'other'."""
    exc = failure.value
    if failure.check(IgnoreRequest) and "robots.txt" in str(exc):
        return "robots", "forbidden by robots.txt"
    if failure.check(IgnoreRequest) and "redirect" in str(exc):
        return "redirect", "redirect loop (too many redirections)"
    if failure.check(HttpError):
        status = exc.response.status
        return "http", f"HTTP {status}"
    if failure.check(*UNREACHABLE):
        name = "DNS lookup failed" if failure.check(*DNS_FAILURES) else "connection refused"
        if failure.check(NoRouteError):
            name = "no route to host"
        return "unreachable", name
    if failure.check(*TIMEOUTS):
        return "timeout", "timed out"
    text = " ".join(str(exc).split()) or type(exc).__name__
    return "other", f"{type(exc).__name__}: {text}"[:300]


class MinyiSpider(scrapy.Spider):
    """Base spider: a configurable base URL and a record of every page that failed."""

    default_base_url = ""
    custom_settings = POLITE_SETTINGS

    def __init__(self, *args: Any, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = normalise_base_url(base_url or self.default_base_url)
        self.allowed_domains = [urlsplit(self.base_url).hostname or ""]
        self.errors: list[dict[str, str]] = []
        self.robots_forbidden: list[str] = []

    def url(self, path: str) -> str:
        return urljoin(self.base_url, path)

    def on_error(self, failure: Any) -> None:
        """Errback: remember the failure (the crawl summary lists it) and stop the crawl
        when a site keeps failing."""
        kind, reason = describe_failure(failure)
        request = getattr(failure, "request", None)
        url = request.url if request is not None else ""
        if kind == "robots":
            self.robots_forbidden.append(url)
            return
        self.errors.append({"url": url, "kind": kind, "reason": reason})
        limit = self.crawler.settings.getint("MINYI_MAX_DOWNLOAD_ERRORS", 0)
        if limit and len(self.errors) >= limit:
            raise CloseSpider(f"too many failed requests ({len(self.errors)})")


def normalise_base_url(url: str) -> str:
    """A base URL ends with '/' so relative paths join below it, not beside it."""
    from minyi.core.errors import InputError

    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"base URL {url!r} is not an http(s) URL")
    if not parts.path.endswith("/") and "." not in parts.path.rsplit("/", 1)[-1]:
        url = url.split("?", 1)[0] + "/"
    return url
