"""`moj`: 司法部 立法意见征集 (www.moj.gov.cn/pub/sfbgw/lfyjzj/lflfyjzj/).

List page: ``ul.newsMsgList_zzy > li`` with ``div.rightData`` (date) and ``a.leftA`` (title,
truncated with "..." on the real site). Detail page: ``h1`` (the full title), ``div.sT``
(来源, 发布时间), ``div.TRS_Editor`` (the notice, with the deadline inside a sentence).
Each notice becomes a ``consultation`` item.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy

from collectors.spiders.common import MinyiSpider
from collectors.spiders.textutil import element_text, normalise_lines, parse_date, parse_deadline

ISSUING_BODY = "司法部"


def external_id_for(url: str) -> str:
    """'…/202506/t20250605_520514.html' → 'moj:t20250605_520514' (stable across mirrors)."""
    stem = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    stem = re.sub(r"\.s?html?$", "", stem) or url
    return f"moj:{stem}"


def issuing_body_of(title: str) -> str:
    """The issuing bodies named before 关于 in a notice title ('司法部、中国人民银行…关于…')."""
    head, sep, _ = title.partition("关于")
    head = head.strip()
    return head[:200] if sep and head else ISSUING_BODY


def list_page_url(base_url: str, page: int) -> str:
    """TRS sites number list pages index.html, index_1.html, index_2.html …"""
    if page == 0:
        return base_url
    root = base_url if base_url.endswith("/") else base_url.rsplit("/", 1)[0] + "/"
    return urljoin(root, f"index_{page}.html")


class MojSpider(MinyiSpider):
    name = "moj"
    default_base_url = "https://www.moj.gov.cn/pub/sfbgw/lfyjzj/lflfyjzj/"

    def __init__(self, *args: Any, pages: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pages = max(1, int(pages))

    async def start(self):  # type: ignore[no-untyped-def,override]
        for page in range(self.pages):
            yield scrapy.Request(
                list_page_url(self.base_url, page), callback=self.parse_list, errback=self.on_error
            )

    def parse_list(self, response: scrapy.http.Response) -> Any:
        for li in response.css("ul.newsMsgList_zzy > li"):
            link = li.css("a.leftA")
            href = link.attrib.get("href") if link else None
            if not href:
                continue
            entry = {
                "title": normalise_lines(" ".join(link.css("::text").getall())),
                "date": normalise_lines(" ".join(li.css("div.rightData ::text").getall())),
                "url": urljoin(response.url, href),
            }
            yield scrapy.Request(
                entry["url"], callback=self.parse_detail, errback=self.on_detail_error,
                cb_kwargs={"entry": entry},
            )

    def on_detail_error(self, failure: Any) -> Any:
        self.on_error(failure)
        # The list entry alone (truncated title, date) is still worth a consultation.
        yield self.consultation_item(failure.request.cb_kwargs["entry"], None)

    def parse_detail(self, response: scrapy.http.Response, entry: dict[str, Any]) -> Any:
        yield self.consultation_item(entry, response)

    def consultation_item(self, entry: dict[str, Any], response: scrapy.http.Response | None) -> dict[str, Any]:
        title = source = published = body = None
        if response is not None and hasattr(response, "css"):
            title = normalise_lines(" ".join(response.css("h1 ::text").getall())) or None
            for span in response.css("div.sT span"):
                text = normalise_lines(" ".join(span.css("::text").getall()))
                key, _, value = text.partition("：")
                if not value:
                    key, _, value = text.partition(":")
                if key.strip() == "来源":
                    source = value.strip() or None
                elif key.strip() == "发布时间":
                    published = value.strip() or None
            editor = response.css("div.TRS_Editor")
            if editor:
                body = element_text(editor[0].root) or None
        problems = []
        list_title = entry.get("title") or ""
        truncated = list_title.endswith(("...", "…"))
        if title is None:
            title = list_title
            if truncated:
                problems.append("no h1 on the detail page: the title is the list's truncated one")
        opened = parse_date(published) or parse_date(entry.get("date"))
        deadline = parse_deadline(body, published=opened)
        if body and deadline is None:
            problems.append("no deadline sentence found in the notice")
        return {
            "kind": "consultation",
            "site": self.name,
            "external_id": external_id_for(entry["url"]),
            "title": title,
            "issuing_body": issuing_body_of(title),
            "level": "国家",
            "opened_on": opened,
            "deadline": deadline,
            "published_comment_count": None,
            "published_participant_count": None,
            "notice_text": body,
            "attachment_url": None,
            "source_url": entry["url"],
            "status_hint": None,
            "meta": {"moj": {"来源": source, "发布时间": published, "list_title": list_title}},
            "problems": problems,
        }
