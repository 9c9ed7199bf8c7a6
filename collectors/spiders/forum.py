"""`forum`: comments from online community platforms, one spider for every site, configured
by a TOML file of selectors (collectors/sites/discuz.toml for Discuz! X3, the most common
Chinese forum software; see collectors/sites/README.md to add another).

Path: board index → boards (thread lists, paginated) → threads (paginated) → posts. Each
post becomes one item; ``post_to_record`` turns it into the ``RecordIn`` that ingest stores.
Quoted text of earlier posts is removed from a reply's text (it is kept in the record).
"""

from __future__ import annotations

import hashlib
import re
from copy import deepcopy
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from parsel import Selector
from scrapy.http import TextResponse

from minyi.core.records import CommentIn, RecordIn, SourceIn
from collectors.spiders.common import MinyiSpider
from collectors.spiders.siteconfig import Sel, SiteConfig, load_site_config
from collectors.spiders.textutil import element_text, normalise_lines, parse_datetime, remove_element


def node_value(node: Selector) -> str:
    """A selection's value: an attribute or text node as it is, an element as its text."""
    root = node.root
    if isinstance(root, str):
        return normalise_lines(root)
    return element_text(root)


def first_value(node: Selector, sels: list[Sel]) -> str | None:
    """The first non-empty value the selectors find, tried in order (alternatives)."""
    for sel in sels:
        for found in sel.select(node):
            value = node_value(found)
            if value:
                return value
    return None


def link_of(node: Selector) -> tuple[str | None, str]:
    """(href, link text) of a selected link; a selected attribute is taken as the href."""
    root = node.root
    if isinstance(root, str):
        return (root.strip() or None), ""
    href = root.get("href")
    return (href.strip() if href else None), element_text(root)


def parse_floor(text: str | None, pattern: re.Pattern[str], names: dict[str, int]) -> int | None:
    """'5#' → 5, '楼主' → 1, '沙发' → 2 (Discuz! names the first four floors)."""
    if not text:
        return None
    compact = "".join(text.split())
    for name, number in names.items():
        if compact.startswith(name):
            return number
    match = pattern.search(compact)
    return int(match.group(1)) if match else None


def parse_count(text: str | None) -> int | None:
    match = re.search(r"\d+", (text or "").replace(",", ""))
    return int(match.group()) if match else None


def _outermost(nodes: list[Any]) -> list[Any]:
    """Drop selections nested in another one (div.quote > blockquote is one quote)."""
    roots = [n.root for n in nodes if not isinstance(n.root, str)]
    keep = []
    for node in nodes:
        el = node.root
        if isinstance(el, str):
            continue
        if any(anc in roots for anc in el.iterancestors()):
            continue
        keep.append(node)
    return keep


def split_post_text(element: Any, quote: Sel | None, strip: Sel | None) -> tuple[str, list[str], str]:
    """(reply text without quotes and noise, quoted texts, full text) of a post's text
    element. Works on a copy: the response's tree is left as it was."""
    full = element_text(element)
    root = deepcopy(element)
    wrapper = Selector(root=root, type="html")
    if strip is not None:
        for node in _outermost(list(strip.select(wrapper))):
            if node.root is not root:
                remove_element(node.root)
    quotes: list[str] = []
    if quote is not None:
        for node in _outermost(list(quote.select(wrapper))):
            if node.root is root:
                continue
            text = element_text(node.root)
            if text:
                quotes.append(text)
            remove_element(node.root)
    return element_text(root), quotes, full


class ForumSpider(MinyiSpider):
    name = "forum"

    def __init__(
        self,
        *args: Any,
        config: SiteConfig | None = None,
        config_path: str | None = None,
        base_url: str | None = None,
        known_posts: dict[str, int] | None = None,
        **kwargs: Any,
    ) -> None:
        config = config or load_site_config(config_path, base_url=base_url)
        super().__init__(*args, base_url=base_url or config.base_url, **kwargs)
        self.config = config
        # Posts already stored per thread id: a thread whose list entry shows no more
        # replies than that is not fetched again (incremental crawls).
        self.known_posts = dict(known_posts or {})
        self.seen_threads: set[str] = set()
        self.seen_boards: set[str] = set()
        self.threads_found = 0
        self.threads_skipped = 0

    # --- URLs -----------------------------------------------------------------------

    def _id(self, key: str, url: str) -> str | None:
        match = self.config.patterns[key].search(url)
        return match.group(1) if match else None

    def board_url(self, board: str) -> str:
        template = self.config.urls.get("board")
        if template and re.fullmatch(r"[\w-]+", board):
            return self.url(template.format(board_id=board))
        return self.url(board)

    def thread_url(self, thread_id: str, href: str, page_url: str) -> str:
        # A canonical URL drops the ?extra=page%3D2 noise that makes one thread look like many.
        template = self.config.urls.get("thread")
        if template:
            return self.url(template.format(thread_id=thread_id))
        return urljoin(page_url, href)

    def _decode(self, response: scrapy.http.Response) -> TextResponse:
        if self.config.encoding and isinstance(response, TextResponse):
            return response.replace(encoding=self.config.encoding)
        return response

    def _request(self, url: str, callback: Any, **cb_kwargs: Any) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.on_error, cb_kwargs=cb_kwargs)

    # --- crawl ----------------------------------------------------------------------

    async def start(self):  # type: ignore[no-untyped-def,override]
        if self.config.boards:
            for board in self.config.boards:
                url = self.board_url(board)
                self.seen_boards.add(self._id("board_id", url) or url)
                yield self._request(url, self.parse_board, board_name=None)
        else:
            for start in self.config.start_urls:
                yield self._request(self.url(start), self.parse_index)

    def _board_links(self, response: TextResponse) -> Any:
        sel = self.config.first("board_link")
        if sel is None:
            return
        for node in sel.select(response):
            href, text = link_of(node)
            if not href:
                continue
            url = urljoin(response.url, href)
            board_id = self._id("board_id", url)
            if board_id is None:
                continue
            if board_id in self.seen_boards:
                continue
            self.seen_boards.add(board_id)
            canonical = self.board_url(board_id) if self.config.urls.get("board") else url
            yield self._request(canonical, self.parse_board, board_name=text or None)

    def parse_index(self, response: scrapy.http.Response) -> Any:
        response = self._decode(response)
        yield from self._board_links(response)

    def parse_board(self, response: scrapy.http.Response, board_name: str | None = None) -> Any:
        response = self._decode(response)
        cfg = self.config
        board_name = first_value(response, cfg.sel("board_name")) or board_name
        if not cfg.boards:  # crawling every board: sub-boards are boards too
            yield from self._board_links(response)
        row_sel, link_sel = cfg.first("thread_row"), cfg.first("thread_link")
        assert row_sel is not None and link_sel is not None  # checked when the config loaded
        for row in row_sel.select(response):
            links = link_sel.select(row)
            if not links:
                continue
            href, title = link_of(links[0])
            if not href:
                continue
            thread_id = self._id("thread_id", urljoin(response.url, href))
            if thread_id is None or thread_id in self.seen_threads:
                continue  # sticky threads are listed on every page
            self.seen_threads.add(thread_id)
            self.threads_found += 1
            replies = parse_count(first_value(row, cfg.sel("thread_replies")))
            if replies is not None and self.known_posts.get(thread_id, -1) >= replies + 1:
                self.threads_skipped += 1
                continue
            yield self._request(
                self.thread_url(thread_id, href, response.url),
                self.parse_thread,
                thread_id=thread_id,
                title=title,
                board=board_name,
                page=1,
            )
        next_sel = cfg.first("list_next_page")
        if next_sel is not None:
            nodes = next_sel.select(response)
            href = link_of(nodes[0])[0] if nodes else None
            if href:
                yield self._request(urljoin(response.url, href), self.parse_board, board_name=board_name)

    def parse_thread(
        self,
        response: scrapy.http.Response,
        thread_id: str,
        title: str | None,
        board: str | None,
        page: int,
    ) -> Any:
        response = self._decode(response)
        cfg = self.config
        title = first_value(response, cfg.sel("thread_title")) or title
        post_sel = cfg.first("post")
        assert post_sel is not None
        for index, post in enumerate(post_sel.select(response)):
            yield self.extract_post(
                post, thread_id=thread_id, title=title, board=board, page=page, index=index, url=response.url
            )
        next_sel = cfg.first("thread_next_page")
        if next_sel is not None:
            nodes = next_sel.select(response)
            href = link_of(nodes[0])[0] if nodes else None
            if href:
                yield self._request(
                    urljoin(response.url, href),
                    self.parse_thread,
                    thread_id=thread_id,
                    title=title,
                    board=board,
                    page=page + 1,
                )

    def extract_post(
        self,
        post: Selector,
        *,
        thread_id: str,
        title: str | None,
        board: str | None,
        page: int,
        index: int,
        url: str,
    ) -> dict[str, Any]:
        cfg = self.config
        raw_id = first_value(post, cfg.sel("post_id"))
        post_id = None
        if raw_id:
            match = cfg.patterns["post_id"].search(raw_id)
            post_id = match.group(1) if match else None
        floor_text = first_value(post, cfg.sel("floor"))
        item: dict[str, Any] = {
            "kind": "post",
            "site": cfg.name,
            "board": board,
            "thread_id": thread_id,
            "thread_title": title,
            "page": page,
            "index": index,
            "url": url,
            "post_id": post_id,
            "floor": parse_floor(floor_text, cfg.patterns["floor"], cfg.floor_names),
            "floor_text": floor_text,
            "author": first_value(post, cfg.sel("author")),
            "time": first_value(post, cfg.sel("time")),
            "text": None,
            "quotes": [],
            "full_text": None,
            "error": None,
        }
        text_sel = cfg.first("text")
        assert text_sel is not None
        nodes = [n for n in text_sel.select(post) if not isinstance(n.root, str)]
        if not nodes:
            item["error"] = (
                f"no post text found with selectors.text = {text_sel.expr!r} "
                "(blocked, deleted or hidden post?)"
            )
            item["full_text"] = element_text(post.root) if not isinstance(post.root, str) else post.root
            return item
        text, quotes, full = split_post_text(nodes[0].root, cfg.first("quote"), cfg.first("strip"))
        item.update(text=text, quotes=quotes, full_text=full)
        return item


# --- items → records ----------------------------------------------------------------


def forum_source(config: SiteConfig, base_url: str) -> SourceIn:
    """One Source per site: the fingerprint (site name + host and path of the base URL)
    stays the same across crawls, so records hash the same and re-crawls add nothing."""
    parts = urlsplit(base_url)
    key = f"forum\x00{config.name}\x00{parts.netloc}{parts.path}"
    return SourceIn(
        channel="forum",
        name=config.name,
        origin=base_url,
        fingerprint=hashlib.sha256(key.encode("utf-8")).hexdigest(),
        meta={"spider": "forum", "config": str(config.path) if config.path else None},
    )


def post_locator(item: dict[str, Any]) -> str:
    parts = [f"thread={item['thread_id']}"]
    if item.get("floor") is not None:
        parts.append(f"floor={item['floor']}")
    if item.get("post_id"):
        parts.append(f"post={item['post_id']}")
    if item.get("floor") is None and not item.get("post_id"):
        parts += [f"page={item.get('page')}", f"index={item.get('index')}"]
    return ";".join(parts)


def thread_of_locator(locator: str | None) -> str | None:
    match = re.match(r"thread=([^;]+)", locator or "")
    return match.group(1) if match else None


def post_to_record(item: dict[str, Any]) -> RecordIn:
    """The record ingest stores for one scraped post. The payload holds the post's own
    fields as scraped (not the board or thread title, which may be renamed without the post
    changing); a post without readable text is kept as a quarantined record."""
    payload = {
        "thread_id": item["thread_id"],
        "post_id": item.get("post_id"),
        "floor": item.get("floor_text"),
        "author": item.get("author"),
        "time": item.get("time"),
        "text": item.get("text"),
        "quotes": item.get("quotes") or [],
    }
    if item.get("error"):
        return RecordIn(
            origin=item["url"], locator=post_locator(item), payload=payload,
            raw_text=item.get("full_text"), error=item["error"],
        )
    comment = CommentIn(
        text=item.get("text") or "",
        author_name=item.get("author"),
        submitted_at=parse_datetime(item.get("time")),
        external_id=f"{item['thread_id']}#{item.get('post_id') or item.get('floor')}",
        meta={
            "site": item.get("site"),
            "board": item.get("board"),
            "thread_id": item["thread_id"],
            "thread_title": item.get("thread_title"),
            "floor": item.get("floor"),
            "post_id": item.get("post_id"),
            "quoted_posts": item.get("quotes") or [],
            "first_post": item.get("floor") == 1,
        },
    )
    return RecordIn(
        origin=item["url"], locator=post_locator(item), payload=payload,
        raw_text=item.get("full_text"), comment=comment,
    )
