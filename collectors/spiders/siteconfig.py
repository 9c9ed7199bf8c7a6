"""Forum site configuration: a small TOML file of selectors (see collectors/sites/README.md).

Loading validates everything up front (unknown keys, selectors that do not compile, regexes
that do not compile) so a typo fails in a second with the key named, not after an hour of
crawling with nothing found.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parsel import Selector

from minyi.core.errors import ConfigError

SITES_DIR = Path(__file__).resolve().parent.parent / "sites"
DEFAULT_FORUM_CONFIG = SITES_DIR / "discuz.toml"

# Selector keys: (required, may be a list of alternatives tried in order).
SELECTOR_KEYS: dict[str, tuple[bool, bool]] = {
    "board_link": (False, False),
    "board_name": (False, True),
    "thread_row": (False, False),
    "thread_link": (False, False),
    "thread_replies": (False, True),
    "list_next_page": (False, False),
    "thread_title": (False, True),
    "post": (True, False),
    "post_id": (False, True),
    "author": (False, True),
    "time": (False, True),
    "floor": (False, True),
    "text": (True, False),
    "quote": (False, False),
    "strip": (False, False),
    "thread_next_page": (False, False),
}
TOP_KEYS = {"name", "base_url", "start_urls", "boards", "encoding", "selectors", "patterns", "urls", "floor_names"}
PATTERN_KEYS = {"board_id", "thread_id", "post_id", "floor"}
URL_KEYS = {"board", "thread"}

DEFAULT_PATTERNS = {"board_id": r"fid=(\d+)", "thread_id": r"tid=(\d+)", "post_id": r"(\d+)", "floor": r"(\d+)"}
DEFAULT_FLOOR_NAMES = {"楼主": 1, "沙发": 2, "板凳": 3, "地板": 4}


@dataclass(frozen=True)
class Sel:
    """One selector expression: XPath when it starts with '/', './', '(' or 'xpath:',
    otherwise CSS (with Scrapy's ::text and ::attr(name) extensions)."""

    expr: str
    kind: str  # "css" or "xpath"

    @classmethod
    def parse(cls, raw: str) -> Sel:
        raw = raw.strip()
        if raw.startswith("xpath:"):
            return cls(raw[6:].strip(), "xpath")
        if raw.startswith("css:"):
            return cls(raw[4:].strip(), "css")
        if raw.startswith(("/", "./", "(")):
            return cls(raw, "xpath")
        return cls(raw, "css")

    def select(self, node: Selector) -> Any:
        return node.xpath(self.expr) if self.kind == "xpath" else node.css(self.expr)

    def __str__(self) -> str:
        return self.expr


@dataclass
class SiteConfig:
    name: str
    base_url: str
    path: Path | None = None
    start_urls: list[str] = field(default_factory=list)
    boards: list[str] = field(default_factory=list)
    encoding: str | None = None
    selectors: dict[str, list[Sel]] = field(default_factory=dict)
    patterns: dict[str, re.Pattern[str]] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    floor_names: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_FLOOR_NAMES))

    def sel(self, key: str) -> list[Sel]:
        return self.selectors.get(key, [])

    def first(self, key: str) -> Sel | None:
        found = self.selectors.get(key)
        return found[0] if found else None


def load_site_config(path: str | Path | None = None, *, base_url: str | None = None) -> SiteConfig:
    """Read and check a site TOML file (default: the Discuz! one). ``base_url`` overrides
    the file's ``base_url`` (the same layout serves many sites)."""
    path = Path(path) if path else DEFAULT_FORUM_CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: site configuration file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return parse_site_config(data, path=path, base_url=base_url)


def parse_site_config(data: dict[str, Any], *, path: Path | None = None, base_url: str | None = None) -> SiteConfig:
    where = str(path) if path else "site configuration"

    def fail(msg: str) -> ConfigError:
        return ConfigError(f"{where}: {msg}")

    unknown = set(data) - TOP_KEYS
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(TOP_KEYS))}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail("'name' (the site's name, shown as the comments' source) is missing")
    url = base_url or data.get("base_url")
    if not isinstance(url, str) or not url.strip():
        raise fail("'base_url' is missing (set it in the file or pass --base-url)")

    def str_list(key: str) -> list[str]:
        value = data.get(key, [])
        if isinstance(value, (str, int)):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise fail(f"'{key}' must be a list of strings")
        return [str(v) for v in value]

    start_urls = str_list("start_urls")
    boards = str_list("boards")
    if not start_urls and not boards:
        raise fail("give 'start_urls' (board index pages) or 'boards' (boards to crawl)")

    raw_selectors = data.get("selectors")
    if not isinstance(raw_selectors, dict):
        raise fail("the [selectors] table is missing")
    unknown = set(raw_selectors) - set(SELECTOR_KEYS)
    if unknown:
        raise fail(f"unknown selector(s) {', '.join(sorted(unknown))}; allowed: {', '.join(SELECTOR_KEYS)}")
    selectors: dict[str, list[Sel]] = {}
    probe = Selector(text="<html><body><p>probe</p></body></html>")
    for key, (required, many) in SELECTOR_KEYS.items():
        value = raw_selectors.get(key)
        if value is None or value == "" or value == []:
            if required:
                raise fail(f"selectors.{key} is required")
            continue
        values = value if isinstance(value, list) else [value]
        if not many and len(values) > 1:
            raise fail(f"selectors.{key} takes one selector, not a list")
        parsed = []
        for raw in values:
            if not isinstance(raw, str):
                raise fail(f"selectors.{key} must be a string")
            sel = Sel.parse(raw)
            try:
                sel.select(probe)
            except Exception as exc:  # cssselect SelectorSyntaxError, lxml XPathError
                raise fail(f"selectors.{key} = {raw!r} is not a valid {sel.kind.upper()} selector: {exc}") from exc
            parsed.append(sel)
        selectors[key] = parsed
    if boards or start_urls:
        for key in ("thread_row", "thread_link"):
            if key not in selectors:
                raise fail(f"selectors.{key} is required to read the thread lists")
    if start_urls and not boards and "board_link" not in selectors:
        raise fail("selectors.board_link is required to find the boards on the start_urls pages")

    patterns: dict[str, re.Pattern[str]] = {}
    raw_patterns = data.get("patterns", {})
    if not isinstance(raw_patterns, dict) or set(raw_patterns) - PATTERN_KEYS:
        raise fail(f"[patterns] may only set {', '.join(sorted(PATTERN_KEYS))}")
    for key, default in DEFAULT_PATTERNS.items():
        raw = raw_patterns.get(key, default)
        try:
            pattern = re.compile(raw)
        except (re.error, TypeError) as exc:
            raise fail(f"patterns.{key} = {raw!r} is not a valid regular expression: {exc}") from exc
        if pattern.groups < 1:
            raise fail(f"patterns.{key} = {raw!r} needs one (group) around the id")
        patterns[key] = pattern

    urls = data.get("urls", {})
    if not isinstance(urls, dict) or set(urls) - URL_KEYS:
        raise fail(f"[urls] may only set {', '.join(sorted(URL_KEYS))}")
    for key, placeholder in (("board", "{board_id}"), ("thread", "{thread_id}")):
        if key in urls and placeholder not in str(urls[key]):
            raise fail(f"urls.{key} must contain {placeholder}")
    if any(not b.startswith(("http", "/")) and "?" not in b and "." not in b for b in boards) and "board" not in urls:
        raise fail("'boards' lists board ids; set urls.board (e.g. \"forum.php?mod=forumdisplay&fid={board_id}\")")

    floor_names = dict(DEFAULT_FLOOR_NAMES)
    raw_floors = data.get("floor_names", {})
    if not isinstance(raw_floors, dict) or not all(isinstance(v, int) for v in raw_floors.values()):
        raise fail("[floor_names] maps a floor's name to its number, e.g. 沙发 = 2")
    floor_names.update(raw_floors)

    encoding = data.get("encoding") or None
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise fail(f"encoding {encoding!r} is unknown") from exc

    return SiteConfig(
        name=name.strip(),
        base_url=url.strip(),
        path=path,
        start_urls=start_urls,
        boards=boards,
        encoding=encoding,
        selectors=selectors,
        patterns=patterns,
        urls={k: str(v) for k, v in urls.items()},
        floor_names=floor_names,
    )
