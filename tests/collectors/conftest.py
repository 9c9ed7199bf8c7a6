"""A real HTTP server on 127.0.0.1 serving sites we wrote in the real page structures:

* a Discuz! X3-style forum (``forum.php?mod=…``): boards, paginated thread lists and
  threads, quoted replies, a GBK-encoded board, a broken-HTML thread, a 404, a permanent
  500, a 500 that recovers on retry, a slow page below the download timeout and one above;
  robots.txt forbidding one board;
* the NPC draft-law JSON endpoints (``/flcaw/…``) in the shape of the real snapshots;
* the Ministry of Justice list and detail pages (``/moj/…``).

The forum is rendered from a small model (``ForumSite``) so tests can add a post between two
crawls and know exactly which posts exist. Crawls run in fresh processes (the Twisted
reactor cannot restart): ``crawl_cli`` runs ``python -m minyi crawl …``.
"""

from __future__ import annotations

import html
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

SITES = Path(__file__).resolve().parent / "sites"
REPO = Path(__file__).resolve().parents[2]

# Settings that keep test crawls fast: no politeness delays, a short timeout, one quick retry.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "false",
    "DOWNLOAD_TIMEOUT": "1",
    "RETRY_TIMES": "1",
    "MINYI_RETRY_BACKOFF_BASE": "0.05",
}
SLOW_OK = 0.2  # seconds: below the timeout
SLOW_TOO_LONG = 3.0  # above it


# --- the forum model ----------------------------------------------------------------


@dataclass
class Post:
    pid: int
    author: str | None  # None: anonymous (匿名)
    time: str  # as Discuz! prints it
    text: str  # the reply's own words (what the comment text must be)
    quote_of: int | None = None  # pid of the post this reply quotes
    edited: bool = False  # 本帖最后由 … 编辑
    relative: str | None = None  # shown as "3 天前" with the full time in a title
    blocked: bool = False  # 作者被禁止或删除 内容自动屏蔽 (no text element)


@dataclass
class Thread:
    tid: int
    title: str
    author: str
    posts: list[Post] = field(default_factory=list)
    behaviour: str | None = None  # "404", "500", "flaky500", "slow", "too_slow", "static:<file>"
    listed_replies: int | None = None  # what the list shows, for threads without a model


@dataclass
class Board:
    fid: int
    name: str
    threads: list[Thread]
    encoding: str = "utf-8"
    show_replies: bool = True


POSTS_PER_PAGE = 4
THREADS_PER_PAGE = 4


def build_forum() -> dict[int, Board]:
    b2 = [
        Thread(10, "【置顶】关于《电动自行车管理条例（征求意见稿）》征集意见的公告", "街道办", [
            Post(1001, "街道办", "2026-3-1 09:00:00", "现就《电动自行车管理条例（征求意见稿）》向社区居民征集意见，欢迎跟帖。"),
            Post(1002, "刘一", "2026-3-1 10:11:12", "支持出台条例，希望尽快实施。"),
            Post(1003, "陈二", "2026-3-1 11:00:00", "第五条的登记要求太繁琐了。"),
        ]),
        Thread(11, "第十二条充电管理的意见", "张三", [
            Post(1101, "张三", "2026-3-2 10:05:31", "第十二条规定禁止在楼道充电，建议同时要求物业建设集中充电设施。", edited=True),
            Post(1102, "李四", "2026-3-2 11:20:00", "赞同楼主，集中充电桩应当免费安装。", quote_of=1101),
            Post(1103, None, "2026-3-3", "匿名说一句：收费标准应当公开。"),
            Post(1104, "王五", "2026-3-3 14:02:45", "第十三条的罚款数额过高。"),
            Post(1105, "赵六", "2026-3-5 09:12:08", "建议增加对老旧小区改造的补贴。", relative="3 天前"),
            Post(1106, "李四", "2026-3-5 10:00:00", "补充：充电设施要有消防验收。", quote_of=1105),
        ]),
        Thread(12, "灌水", "钱七", [
            Post(1201, "钱七", "2026-3-4 08:00:00", "第二十条建议删除。"),
            Post(1202, "被禁用户", "2026-3-4 08:30:00", "", blocked=True),
        ]),
        Thread(13, "第八条头盔规定", "孙八", [
            Post(1301, "孙八", "2026-3-4 12:00:00", "第八条要求佩戴头盔，建议明确儿童头盔标准。"),
            Post(1302, "周九", "2026-3-4 12:30:00", "同意，另外应当允许后座搭载一名未成年人。"),
        ], behaviour="flaky500"),
        Thread(14, "已删除的主题", "吴十", behaviour="404", listed_replies=3),
        Thread(15, "慢页面：上牌流程", "郑一", [
            Post(1501, "郑一", "2026-3-6 07:00:00", "上牌流程应当网上办理。"),
            Post(1502, "冯二", "2026-3-6 07:30:00", "第六条应当写明办理时限。"),
        ], behaviour="slow"),
        Thread(16, "超时页面", "褚三", behaviour="too_slow", listed_replies=5),
        Thread(17, "关于停车收费的几点看法", "王五", [
            Post(1701, "王五", "2026-3-6 08:30:00", "第十二条规定的收费标准偏高，建议按小时分段计费 并公示收费依据。"),
            Post(1702, "赵六", "2026-3-6 09:01", "同意楼上。\n另外夜间应当免费。"),
            Post(1703, "孙七", "2026-3-7 20:15:09", "建议删除第十五条 <临时停车> 的例外规定"),
        ], behaviour="static:thread-17.html"),
        Thread(18, "服务器错误", "卫四", behaviour="500", listed_replies=2),
    ]
    b3 = [
        Thread(30, "社区议事：电动车停放", "蒋五", [
            Post(3001, "蒋五", "2026-3-8 19:00:00", "小区电动车停放点太少，建议第十条增加规划要求。"),
            Post(3002, "沈六", "2026-3-8 19:30:00", "", quote_of=3001),  # a quote and nothing else
            Post(3003, "韩七", "2026-3-8 20:00:00", "支持，另建议设置雨棚。", quote_of=3001),
        ]),
        Thread(31, "外卖骑手的意见", "杨八", [
            Post(3101, "杨八", "2026-3-9 12:00:00", "希望第二十二条对外卖骑手的超速处罚区别对待。"),
        ]),
    ]
    b99 = [Thread(99, "内部讨论", "管理员", [Post(9901, "管理员", "2026-3-1 08:00:00", "内部版块，不应被抓取。")])]
    return {
        2: Board(2, "立法意见征集", b2),
        3: Board(3, "社区议事", b3, encoding="gbk", show_replies=False),
        99: Board(99, "内部版块", b99),
    }


# The non-Discuz platform: (topic id, title, [(post id, user, ISO time, text, quoted text)]).
SIMPLE_TOPICS = [
    (5, "养犬管理规定征求意见", [
        (501, "居民甲", "2026-04-01T09:00:00", "第九条建议允许小型犬乘坐公共交通。", None),
        (502, "居民乙", "2026-04-01T09:30:00", "反对，会影响其他乘客。", "第九条建议允许小型犬乘坐公共交通。"),
        (503, "居民丙", "2026-04-02T18:45:10", "建议划定遛狗时段。", None),
    ]),
    (6, "关于犬只登记费用", [
        (601, "居民丁", "2026-04-03T08:00:00", "第十四条的登记费应当减免。", None),
    ]),
]


def expected_posts(boards: dict[int, Board]) -> dict[tuple[str, int], Post]:
    """Every post a crawl can reach: (thread id, floor) → post. Board 99 is robots-forbidden."""
    found = {}
    for board in boards.values():
        if board.fid == 99:
            continue
        for thread in board.threads:
            for floor, post in enumerate(thread.posts, start=1):
                found[(str(thread.tid), floor)] = post
    return found


# --- Discuz! X3 page rendering ------------------------------------------------------

E = html.escape


def _page(title: str, body: str, encoding: str) -> str:
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}" />\n'
        f"<title>{E(title)} -  示例街道议事论坛 -  Powered by Discuz!</title>\n"
        '<script src="static/js/common.js" type="text/javascript"></script>\n'
        f'</head>\n<body id="nv_forum">\n<div id="wp" class="wp">\n{body}\n</div>\n</body>\n</html>\n'
    )


def _pager(base: str, page: int, pages: int) -> str:
    if pages <= 1:
        return ""
    parts = []
    for p in range(1, pages + 1):
        parts.append(f"<strong>{p}</strong>" if p == page else f'<a href="{base}&amp;page={p}">{p}</a>')
    if page < pages:
        parts.append(f'<a href="{base}&amp;page={page + 1}" class="nxt">下一页</a>')
    return f'<div class="pg">{"".join(parts)}</div>'


def render_index(boards: dict[int, Board]) -> str:
    cells = []
    for board in boards.values():
        n_posts = sum(len(t.posts) for t in board.threads)
        cells.append(
            '<td class="fl_g" width="24.9%">'
            f'<div class="fl_icn_g"><a href="forum.php?mod=forumdisplay&amp;fid={board.fid}">'
            '<img src="static/image/common/forum.gif" alt="" /></a></div>'
            f'<dl><dt><a href="forum.php?mod=forumdisplay&amp;fid={board.fid}">{E(board.name)}</a></dt>'
            f"<dd><em>主题: {len(board.threads)}</em>, <em>帖数: {n_posts}</em></dd></dl></td>"
        )
    body = (
        '<div id="pt" class="bm cl"><div class="z"><a href="./" class="nvhm">示例街道议事论坛</a>'
        '<em>&raquo;</em><a href="forum.php">论坛</a></div></div>\n'
        '<div id="ct" class="wp cl"><div class="mn"><div class="fl bm">'
        '<div class="bm bmw flg cl"><div class="bm_h cl"><h2><a href="forum.php?gid=1">议事厅</a></h2></div>'
        '<div id="category_1" class="bm_c"><table cellspacing="0" cellpadding="0" class="fl_tb"><tr>'
        + "".join(cells)
        + "</tr></table></div></div></div></div></div>"
    )
    return _page("论坛", body, "utf-8")


def _thread_row(board: Board, thread: Thread, sticky: bool) -> str:
    tid = thread.tid
    link = f"forum.php?mod=viewthread&amp;tid={tid}&amp;extra=page%3D1"
    replies = thread.listed_replies if thread.listed_replies is not None else max(0, len(thread.posts) - 1)
    num = (
        f'<td class="num"><a href="{link}" class="xi2">{replies}</a><em>{replies * 37 + 5}</em></td>'
        if board.show_replies
        else ""
    )
    kind = "stickthread" if sticky else "normalthread"
    return (
        f'<tbody id="{kind}_{tid}">\n<tr>\n'
        f'<td class="icn"><a href="{link}" title="新窗口打开" target="_blank">'
        '<img src="static/image/common/folder_common.gif" /></a></td>\n'
        f'<th class="common"><a href="javascript:;" id="content_{tid}" class="showcontent y" title="更多操作"></a>\n'
        f'<a href="{link}" onclick="atarget(this)" class="s xst">{E(thread.title)}</a>\n</th>\n'
        f'<td class="by"><cite><a href="home.php?mod=space&amp;uid=1" c="1">{E(thread.author)}</a></cite>'
        "<em><span>2026-3-1</span></em></td>\n"
        f"{num}\n"
        '<td class="by"><cite><a href="home.php?mod=space&amp;username=x">x</a></cite>'
        '<em><a href="#"><span title="2026-3-9 10:00">昨天&nbsp;10:00</span></a></em></td>\n'
        "</tr>\n</tbody>\n"
    )


def render_board(board: Board, page: int) -> tuple[int, str]:
    sticky = [t for t in board.threads if t.title.startswith("【置顶】")]
    normal = [t for t in board.threads if t not in sticky]
    pages = max(1, -(-len(normal) // THREADS_PER_PAGE))
    if page > pages:
        return 404, ""
    shown = normal[(page - 1) * THREADS_PER_PAGE : page * THREADS_PER_PAGE]
    rows = "".join(_thread_row(board, t, True) for t in sticky)  # stickies on every page
    rows += '<tbody id="separatorline"><tr class="ts"><td>&nbsp;</td><th>版块主题</th></tr></tbody>\n'
    rows += "".join(_thread_row(board, t, False) for t in shown)
    base = f"forum.php?mod=forumdisplay&amp;fid={board.fid}"
    body = (
        '<div id="pt" class="bm cl"><div class="z"><a href="./">示例街道议事论坛</a> <em>&rsaquo;</em> '
        f'<a href="forum.php">论坛</a> <em>&rsaquo;</em> <a href="{base}">{E(board.name)}</a></div></div>\n'
        '<div class="bm bml pbn"><div class="bm_h cl">'
        f'<h1 class="xs2"><a href="{base}">{E(board.name)}</a> '
        '<span class="xs1 xw0 i">今日: <strong class="xi1">0</strong></span></h1></div></div>\n'
        f'<div class="bm bw0 pgs cl">{_pager(base, page, pages)}'
        f'<a href="{base}&amp;filter=lastpost&amp;orderby=lastpost">最新</a></div>\n'
        '<div id="threadlist" class="tl bm bmw"><div class="bm_c"><form method="post" name="moderate" id="moderate">'
        f'<table summary="forum_{board.fid}" cellspacing="0" cellpadding="0" id="threadlisttableid">\n'
        f"{rows}</table></form></div></div>\n"
        f'<div class="bm bw0 pgs cl"><span id="fd_page_bottom">{_pager(base, page, pages)}</span></div>'
    )
    return 200, _page(board.name, body, board.encoding)


def _post_html(board: Board, thread: Thread, post: Post, floor: int, by_pid: dict[int, Post]) -> str:
    pid, tid = post.pid, thread.tid
    if post.author:
        author = (
            f'<div class="pi"><div class="authi"><a href="home.php?mod=space&amp;uid={pid}" '
            f'target="_blank" class="xw1">{E(post.author)}</a></div></div>'
        )
    else:
        author = '<div class="pi">匿名</div>'
    names = {1: "楼主", 2: "沙发", 3: "板凳", 4: "地板"}
    floor_html = names.get(floor) or f"<em>{floor}</em><sup>#</sup>"
    if post.relative:
        time_html = f'发表于 <span title="{E(post.time)}">{E(post.relative)}</span>'
    else:
        time_html = f"发表于 {E(post.time)}"
    if post.blocked:
        content = '<div class="locked">提示: <em>作者被禁止或删除 内容自动屏蔽</em></div>'
    else:
        message = ""
        if post.edited:
            message += f'<i class="pstatus"> 本帖最后由 {E(post.author or "")} 于 2026-3-2 11:00 编辑 </i><br />\r\n<br />\r\n'
        if post.quote_of is not None:
            quoted = by_pid[post.quote_of]
            message += (
                '<div class="quote"><blockquote><font size="2">'
                f'<a href="forum.php?mod=redirect&amp;goto=findpost&amp;pid={quoted.pid}&amp;ptid={tid}" target="_blank">'
                f'<font color="#999999">{E(quoted.author or "匿名")} 发表于 {E(quoted.time)}</font></a></font><br />\r\n'
                f"{E(quoted.text)}</blockquote></div><br />\r\n"
            )
        message += E(post.text).replace("\n", "<br />\r\n")
        content = (
            '<div class="t_fsz"><table cellspacing="0" cellpadding="0"><tr>'
            f'<td class="t_f" id="postmessage_{pid}">\r\n{message}</td></tr></table></div>'
        )
    return (
        f'<div id="post_{pid}">\n'
        f'<table id="pid{pid}" class="plhin" summary="pid{pid}" cellspacing="0" cellpadding="0">\n<tr>\n'
        f'<td class="pls" rowspan="2"><div id="favatar{pid}" class="pls favatar">{author}'
        f'<div><div class="avatar"><img src="uc_server/avatar.php?uid={pid}&amp;size=middle" /></div></div></div></td>\n'
        '<td class="plc">\n<div class="pi">\n'
        f'<strong><a href="forum.php?mod=redirect&amp;goto=findpost&amp;ptid={tid}&amp;pid={pid}" id="postnum{pid}" '
        f"onclick=\"setCopy(this.href, '帖子地址复制成功');return false;\">{floor_html}</a></strong>\n"
        '<div class="pti"><div class="pdbt"></div><div class="authi">'
        f'<img class="authicn vm" id="authicon{pid}" src="static/image/common/online_member.gif" />\n'
        f'<em id="authorposton{pid}">{time_html}</em>\n'
        f'<span class="pipe">|</span><a href="forum.php?mod=viewthread&amp;tid={tid}&amp;page=1&amp;authorid={pid}" rel="nofollow">只看该作者</a>'
        "</div></div>\n</div>\n"
        f'<div class="pct"><div class="pcb">{content}</div></div>\n'
        "</td></tr>\n"
        '<tr><td class="pls"></td><td class="plc"><div class="po hin"><div class="pob cl"><em>'
        f'<a class="fastre" href="forum.php?mod=post&amp;action=reply&amp;fid={board.fid}&amp;tid={tid}&amp;repquote={pid}">回复</a>'
        "</em></div></div></td></tr>\n</table>\n</div>\n"
    )


def render_thread(board: Board, thread: Thread, page: int) -> tuple[int, str]:
    pages = max(1, -(-len(thread.posts) // POSTS_PER_PAGE))
    if page > pages:
        return 404, ""
    by_pid = {p.pid: p for p in thread.posts}
    start = (page - 1) * POSTS_PER_PAGE
    posts = "".join(
        _post_html(board, thread, post, start + i + 1, by_pid)
        for i, post in enumerate(thread.posts[start : start + POSTS_PER_PAGE])
    )
    base = f"forum.php?mod=viewthread&amp;tid={thread.tid}&amp;extra=page%3D1"
    body = (
        '<div id="pt" class="bm cl"><div class="z"><a href="./">示例街道议事论坛</a> <em>&rsaquo;</em> '
        f'<a href="forum.php?mod=forumdisplay&amp;fid={board.fid}">{E(board.name)}</a></div></div>\n'
        f'<div id="ct" class="wp cl"><div id="pgt" class="pgs mbm cl"><div class="pgt">{_pager(base, page, pages)}</div></div>\n'
        '<div id="postlist" class="pl bm">\n'
        '<table cellspacing="0" cellpadding="0"><tr><td class="pls ptn pbn"><div class="hm ptn">'
        f'<span class="xg1">回复:</span> <span class="xi1">{len(thread.posts) - 1}</span></div></td>'
        f'<td class="plc ptm pbn vwthd"><h1 class="ts"><span id="thread_subject">{E(thread.title)}</span></h1></td></tr></table>\n'
        f"{posts}"
        '<div id="postlistreply" class="pl"><div id="post_new" class="viewthread_table" style="display: none"></div></div>\n'
        "</div>\n"
        f'<div class="pgs mtm mbm cl">{_pager(base, page, pages)}</div></div>'
    )
    return 200, _page(thread.title, body, board.encoding)


# --- the server ---------------------------------------------------------------------


class FixtureSites:
    """State of the fixture server: the forum model, the NPC rows, a request log."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.boards = build_forum()
        self.npc = {
            flag: json.loads((SITES / "npc" / name).read_text(encoding="utf-8"))
            for flag, name in ((0, "open.json"), (1, "closed.json"))
        }
        self.requests: list[str] = []
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()

    def thread(self, tid: int) -> tuple[Board, Thread] | None:
        for board in self.boards.values():
            for thread in board.threads:
                if thread.tid == tid:
                    return board, thread
        return None

    def handle(self, raw_path: str) -> tuple[int, str, bytes, float]:
        """(status, content type, body, delay) for a GET of ``raw_path``."""
        with self.lock:
            self.requests.append(raw_path)
            self.hits[raw_path] = self.hits.get(raw_path, 0) + 1
            hits = self.hits[raw_path]
        parts = urlsplit(raw_path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        html_utf8 = "text/html; charset=utf-8"
        if path == "/robots.txt":
            return 200, "text/plain", (SITES / "discuz" / "robots.txt").read_bytes(), 0
        if path == "/forum.php":
            mod = query.get("mod")
            page = int(query.get("page", "1"))
            if mod is None:
                return 200, html_utf8, render_index(self.boards).encode("utf-8"), 0
            if mod == "forumdisplay":
                board = self.boards.get(int(query.get("fid", "0")))
                if board is None:
                    return 404, html_utf8, b"not found", 0
                status, text = render_board(board, page)
                return self._encoded(status, text, board)
            if mod == "viewthread":
                found = self.thread(int(query.get("tid", "0")))
                if found is None:
                    return 404, html_utf8, b"not found", 0
                board, thread = found
                behaviour = thread.behaviour or ""
                if behaviour == "404":
                    return 404, html_utf8, "<html><body>抱歉，指定的主题不存在或已被删除</body></html>".encode(), 0
                if behaviour == "500" or (behaviour == "flaky500" and hits == 1):
                    return 500, html_utf8, b"<html><body>Discuz! Database Error</body></html>", 0
                if behaviour.startswith("static:"):
                    return 200, html_utf8, (SITES / "discuz" / behaviour[7:]).read_bytes(), 0
                delay = SLOW_OK if behaviour == "slow" else SLOW_TOO_LONG if behaviour == "too_slow" else 0
                status, text = render_thread(board, thread, page)
                status, ctype, body, _ = self._encoded(status, text, board)
                return status, ctype, body, delay
            return 404, html_utf8, b"not found", 0
        if path.startswith("/bbs/"):
            return self._simple(path, query)
        if path.startswith("/flcaw/"):
            return self._npc(path[len("/flcaw/"):], query)
        if path.startswith(("/moj/", "/govcn/")):
            name = "list.html" if path.endswith("/") else path.rsplit("/", 1)[-1]
            file = SITES / "moj" / name
            if file.is_file():
                return 200, html_utf8, file.read_bytes(), 0
            return 404, html_utf8, b"<html><body>404</body></html>", 0
        return 404, html_utf8, b"not found", 0

    def _simple(self, path: str, query: dict[str, str]) -> tuple[int, str, bytes, float]:
        """A small non-Discuz community platform (the README's second example)."""
        ctype = "text/html; charset=utf-8"
        page = int(query.get("p", "1"))
        if path == "/bbs/list" and query.get("board") == "1":
            topics = SIMPLE_TOPICS[(page - 1) * 1 : page * 1]
            if not topics:
                return 404, ctype, b"", 0
            items = "".join(
                f'<li><a class="topic" href="/bbs/topic/{tid}?from=list">{E(title)}</a> '
                f'<span class="replies">{len(posts) - 1}</span></li>'
                for tid, title, posts in topics
            )
            nxt = f'<a rel="next" href="/bbs/list?board=1&amp;p={page + 1}">下一页</a>' if page < len(SIMPLE_TOPICS) else ""
            body = f'<html><head><meta charset="utf-8"></head><body><ul class="topics">{items}</ul>{nxt}</body></html>'
            return 200, ctype, body.encode(), 0
        if path.startswith("/bbs/topic/"):
            tid = int(path.rsplit("/", 1)[-1])
            topic = next((t for t in SIMPLE_TOPICS if t[0] == tid), None)
            if topic is None:
                return 404, ctype, b"", 0
            posts = topic[2][(page - 1) * 2 : page * 2]
            articles = "".join(
                f'<article class="reply" data-id="{pid}"><header><span class="user">{E(user)}</span>'
                f'<time datetime="{when}">{when[5:10]}</time><span class="floor">#{(page - 1) * 2 + i + 1}</span></header>'
                f'<div class="content">{"<blockquote class=cite>" + E(quote) + "</blockquote>" if quote else ""}<p>{E(text)}</p></div></article>'
                for i, (pid, user, when, text, quote) in enumerate(posts)
            )
            nxt = f'<a rel="next" href="/bbs/topic/{tid}?p={page + 1}">下一页</a>' if page * 2 < len(topic[2]) else ""
            body = f'<html><head><meta charset="utf-8"><title>{E(topic[1])}</title></head><body><h2 class="subject">{E(topic[1])}</h2>{articles}{nxt}</body></html>'
            return 200, ctype, body.encode(), 0
        return 404, ctype, b"", 0

    def _encoded(self, status: int, text: str, board: Board) -> tuple[int, str, bytes, float]:
        if board.encoding == "utf-8":
            return status, "text/html; charset=utf-8", text.encode("utf-8"), 0
        # GBK pages say so only in their <meta> (as many old Discuz! installs do).
        return status, "text/html", text.encode(board.encoding), 0

    def _npc(self, rest: str, query: dict[str, str]) -> tuple[int, str, bytes, float]:
        ctype = "application/json;charset=UTF-8"
        if rest == "flca-list":
            data = self.npc.get(int(query.get("flag", "0")))
            if data is None:
                return 404, ctype, b"{}", 0
            page, per_page = int(query.get("page", "1")), int(query.get("per_page", "10"))
            rows = data["rows"][(page - 1) * per_page : page * per_page]
            body = {"per_page": per_page, "total": len(data["rows"]), "page": page, "rows": rows}
            return 200, ctype, json.dumps(body, ensure_ascii=False).encode("utf-8"), 0
        bits = rest.strip("/").split("/")
        if len(bits) >= 3 and bits[0] == "flca":
            flxx_id, kind = bits[1], bits[2]
            if kind in ("info", "fjxx") and len(bits) == 3:
                file = SITES / "npc" / kind / f"{flxx_id}.json"
                if file.is_file():
                    return 200, ctype, file.read_bytes(), 0
            if kind == "fjxx" and bits[3:] == ["attachment.pdf"]:
                file = SITES / "npc" / "fjxx" / f"{flxx_id}.json"
                if file.is_file():
                    size = int(json.loads(file.read_text(encoding="utf-8"))["size"])
                    head = b"%PDF-1.4\n% minyi test attachment\n"
                    return 200, "application/pdf", head + b"0" * (size - len(head)), 0
        return 404, ctype, b'{"error":"not found"}', 0


def _handler(sites: FixtureSites) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            status, ctype, body, delay = sites.handle(self.path)
            if delay:
                time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the crawler gave up waiting (the too-slow page)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def spiderkit():
    """This module's helpers (site models, fast settings, environment) for the spider tests;
    a fixture rather than ``from conftest import`` because several conftest modules exist."""
    import types

    return types.SimpleNamespace(
        FAST=FAST, REPO=REPO, SITES=SITES, SIMPLE_TOPICS=SIMPLE_TOPICS, Post=Post,
        expected_posts=expected_posts, env=_env, free_port=free_port,
    )


@pytest.fixture(scope="session")
def fixture_server():
    sites = FixtureSites()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(sites))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sites.base = f"http://127.0.0.1:{server.server_address[1]}/"  # type: ignore[attr-defined]
    yield sites
    server.shutdown()
    server.server_close()


@pytest.fixture
def sites(fixture_server):
    """The fixture sites, reset to their initial content for each test."""
    fixture_server.reset()
    return fixture_server


# --- running crawls in fresh processes ----------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


def _env(db_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["MINYI_DATABASE_URL"] = db_url
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("MINYI_CONFIG", None)
    return env


@pytest.fixture
def crawl_cli():
    """Run `python -m minyi crawl ARGS… --set <fast settings>` in a fresh process."""

    def run(db_url: str, *args: str, fast: bool = True, timeout: float = 90) -> Run:
        cmd = [sys.executable, "-m", "minyi", "crawl", *map(str, args)]
        if fast:
            for key, value in FAST.items():
                cmd += ["--set", f"{key}={value}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(db_url), timeout=timeout, cwd=REPO)
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def crawl_lib():
    """Call ``minyi.services.crawl.crawl(unit_of_work, SYSTEM, spider, **kwargs)`` in a fresh
    process; returns its summary as a dict, or {"error": type, "message": str} when it raised."""

    code = (
        "import json, sys\n"
        "from minyi.services.context import SYSTEM, unit_of_work\n"
        "from minyi.services.crawl import crawl\n"
        "kw = json.loads(sys.argv[1])\n"
        "try:\n"
        "    print(json.dumps(crawl(unit_of_work, SYSTEM, **kw).to_dict(), ensure_ascii=False, default=str))\n"
        "except Exception as exc:\n"
        "    print(json.dumps({'error': type(exc).__name__, 'message': str(exc)}, ensure_ascii=False))\n"
    )

    def run(db_url: str, spider: str, **kwargs) -> dict:
        kwargs["settings_overrides"] = {**FAST, **kwargs.get("settings_overrides", {})}
        payload = json.dumps({"spider": spider, **kwargs}, default=str)
        proc = subprocess.run(
            [sys.executable, "-c", code, payload], capture_output=True, text=True, env=_env(db_url), timeout=90, cwd=REPO
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    return run
