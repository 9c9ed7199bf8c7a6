"""`npc_flcaw`: draft laws open for comment on 中国人大网 (www.npc.gov.cn/flcaw/).

The site's list page is rendered by JavaScript from JSON endpoints, which this spider reads:

* ``flca-list?flag=0|1&type=0&page=N&per_page=M`` → ``{rows: [{flxxmc, flxxId, ksrq, jsrq,
  gzyj, gzrs}], total, page, per_page}`` (flag 0: open, 1: closed);
* ``flca/<flxxId>/info/`` → ``{flxxmc, casmmc, ksrq, jsrq, tsy}`` (tsy: the notice, HTML);
* ``flca/<flxxId>/fjxx/`` → the attachment record (``fileName``, ``size``); the file itself
  is served as ``flca/<flxxId>/fjxx/attachment.pdf`` (the record's ``path`` answers 404).

The site publishes counts (意见条数, 参与人数), not comment texts: each draft becomes a
``consultation`` item, which the crawl service stores (created, or updated by external id).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import scrapy

from collectors.spiders.common import MinyiSpider
from collectors.spiders.textutil import html_to_text, parse_date

ISSUING_BODY = "全国人大常委会法制工作委员会"


def _count(value: Any) -> int | None:
    try:
        return int(str(value).replace(",", "").strip())
    except (TypeError, ValueError):
        return None


def safe_file_name(name: str, fallback: str) -> str:
    """A file name that cannot climb out of the download directory."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", (name or "").strip()).strip(". ")
    return name or fallback


class NpcFlcawSpider(MinyiSpider):
    name = "npc_flcaw"
    default_base_url = "http://www.npc.gov.cn/flcaw/"

    def __init__(
        self,
        *args: Any,
        include_closed: bool = False,
        per_page: int = 100,
        max_pages: int = 20,
        download_dir: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.flags = (0, 1) if include_closed else (0,)
        self.per_page = int(per_page)
        self.max_pages = int(max_pages)
        self.download_dir = Path(download_dir) if download_dir else None

    def list_url(self, flag: int, page: int) -> str:
        return self.url(f"flca-list?flag={flag}&type=0&page={page}&per_page={self.per_page}")

    def page_url(self, flxx_id: str) -> str:
        """The page people open in a browser for one draft."""
        return self.url(f"userIndex.html?lid={flxx_id}")

    async def start(self):  # type: ignore[no-untyped-def,override]
        for flag in self.flags:
            yield scrapy.Request(
                self.list_url(flag, 1), callback=self.parse_list, errback=self.on_error,
                cb_kwargs={"flag": flag, "page": 1},
            )

    def _json(self, response: scrapy.http.Response) -> Any:
        try:
            return json.loads(response.text)
        except (ValueError, AttributeError) as exc:
            self.errors.append({"url": response.url, "kind": "other", "reason": f"not JSON: {exc}"[:300]})
            return None

    def parse_list(self, response: scrapy.http.Response, flag: int, page: int) -> Any:
        data = self._json(response)
        if not isinstance(data, dict):
            return
        rows = data.get("rows") or []
        for row in rows:
            flxx_id = str(row.get("flxxId") or "").strip()
            if not flxx_id:
                self.errors.append({"url": response.url, "kind": "other", "reason": "list row without flxxId"})
                continue
            yield scrapy.Request(
                self.url(f"flca/{flxx_id}/info/"), callback=self.parse_info, errback=self.on_info_error,
                cb_kwargs={"row": row, "flag": flag},
            )
        total = _count(data.get("total"))
        if rows and total is not None and page * self.per_page < total and page < self.max_pages:
            yield scrapy.Request(
                self.list_url(flag, page + 1), callback=self.parse_list, errback=self.on_error,
                cb_kwargs={"flag": flag, "page": page + 1},
            )

    def on_info_error(self, failure: Any) -> Any:
        # The list row alone still makes a consultation (title, dates, counts).
        self.on_error(failure)
        kwargs = failure.request.cb_kwargs
        yield from self._attachment_step(kwargs["row"], {}, kwargs["flag"])

    def parse_info(self, response: scrapy.http.Response, row: dict[str, Any], flag: int) -> Any:
        info = self._json(response)
        yield from self._attachment_step(row, info if isinstance(info, dict) else {}, flag)

    def _attachment_step(self, row: dict[str, Any], info: dict[str, Any], flag: int) -> Any:
        flxx_id = str(row["flxxId"])
        yield scrapy.Request(
            self.url(f"flca/{flxx_id}/fjxx/"), callback=self.parse_fjxx, errback=self.on_fjxx_error,
            cb_kwargs={"row": row, "info": info, "flag": flag},
        )

    def on_fjxx_error(self, failure: Any) -> Any:
        self.on_error(failure)
        kwargs = failure.request.cb_kwargs
        yield self.consultation_item(kwargs["row"], kwargs["info"], None, kwargs["flag"])

    def parse_fjxx(self, response: scrapy.http.Response, row: dict[str, Any], info: dict[str, Any], flag: int) -> Any:
        record = self._json(response)
        if isinstance(record, list):  # one object per attachment; the draft comes first
            record = record[0] if record else None
        attachment = None
        if isinstance(record, dict) and (record.get("fileName") or record.get("fileId")):
            attachment = {
                "url": urljoin(response.url, "attachment.pdf"),
                "file_name": record.get("fileName"),
                "title": record.get("fileTitle"),
                "format": record.get("fileFormat"),
                "declared_size": _count(record.get("size")),
            }
        item = self.consultation_item(row, info, attachment, flag)
        yield item
        if attachment and self.download_dir is not None:
            yield scrapy.Request(
                attachment["url"], callback=self.save_attachment, errback=self.on_error,
                cb_kwargs={"external_id": item["external_id"], "attachment": attachment},
            )

    def consultation_item(
        self, row: dict[str, Any], info: dict[str, Any], attachment: dict[str, Any] | None, flag: int
    ) -> dict[str, Any]:
        flxx_id = str(row["flxxId"])
        merged = {**row, **{k: v for k, v in info.items() if v not in (None, "")}}
        problems = []
        opened, deadline = parse_date(merged.get("ksrq")), parse_date(merged.get("jsrq"))
        for key, value, parsed in (("ksrq", merged.get("ksrq"), opened), ("jsrq", merged.get("jsrq"), deadline)):
            if value and parsed is None:
                problems.append(f"{key} {value!r} is not a date")
        return {
            "kind": "consultation",
            "site": self.name,
            "external_id": flxx_id,
            "title": (merged.get("flxxmc") or "").strip(),
            "issuing_body": ISSUING_BODY,
            "level": "国家",
            "opened_on": opened,
            "deadline": deadline,
            "published_comment_count": _count(row.get("gzyj")),
            "published_participant_count": _count(row.get("gzrs")),
            "notice_text": html_to_text(merged.get("tsy")) or None,
            "attachment_url": attachment["url"] if attachment else None,
            "source_url": self.page_url(flxx_id),
            "status_hint": "closed" if flag == 1 else None,
            "meta": {
                "npc": {
                    "flxxId": flxx_id,
                    "explanation_title": merged.get("casmmc"),
                    "info_url": self.url(f"flca/{flxx_id}/info/"),
                    "attachment": attachment,
                },
            },
            "problems": problems,
        }

    def save_attachment(self, response: scrapy.http.Response, external_id: str, attachment: dict[str, Any]) -> Any:
        assert self.download_dir is not None
        name = safe_file_name(attachment.get("file_name") or "", f"{external_id}.pdf")
        target = self.download_dir / external_id / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.body)
        yield {
            "kind": "attachment",
            "site": self.name,
            "external_id": external_id,
            "path": str(target),
            "bytes": len(response.body),
            "declared_size": attachment.get("declared_size"),
            "url": response.url,
        }
