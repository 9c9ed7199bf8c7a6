"""A page the parser cannot read and a redirect loop are failed pages, never dropped in
silence: a real HTTP server on 127.0.0.1 and a spider run in a fresh process (the Twisted
reactor cannot restart)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
import scrapy
from collectors.crawl import _crawl
from collectors.spiders.common import MinyiSpider

class Probe(MinyiSpider):
    name = "probe"

    async def start(self):
        for path in ("ok", "bad", "loop"):
            yield scrapy.Request(self.url(path), callback=self.parse, errback=self.on_error)

    def parse(self, response):
        if response.url.endswith("/bad"):
            raise ValueError("no thread list on this page")
        yield {"url": response.url}

items, spider, pages, reason = _crawl(Probe, {"base_url": sys.argv[1]},
    {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "false", "RETRY_TIMES": "0", "ROBOTSTXT_OBEY": "false",
     "LOG_LEVEL": "ERROR", "REDIRECT_MAX_TIMES": "3"}, lambda n: None)
print(json.dumps({"items": items, "errors": spider.errors}))
"""


class _Site(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
            return
        body = b"<html><body>page</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:  # quiet
        pass


def test_unparsable_page_and_redirect_loop_are_reported_as_failed_pages(tmp_path):
    script = tmp_path / "probe.py"  # a file: Scrapy reads the callbacks' source
    script.write_text(SCRIPT, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        proc = subprocess.run([sys.executable, str(script), base], capture_output=True, text=True, cwd=REPO, timeout=90)
    finally:
        server.shutdown()
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert [i["url"] for i in out["items"]] == [base + "ok"]
    kinds = {e["url"].rsplit("/", 1)[-1]: e["kind"] for e in out["errors"]}
    assert kinds == {"bad": "parse", "loop": "redirect"}
    assert any("no thread list" in e["reason"] for e in out["errors"])
