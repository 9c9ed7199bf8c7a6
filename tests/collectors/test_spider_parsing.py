"""The spiders' pure parts: text extraction, dates, deadlines, floors, site configuration."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from parsel import Selector

from collectors.spiders.forum import parse_floor, post_to_record, split_post_text
from collectors.spiders.moj import external_id_for, issuing_body_of
from collectors.spiders.npc_flcaw import safe_file_name
from collectors.spiders.siteconfig import DEFAULT_FLOOR_NAMES, Sel, load_site_config, parse_site_config
from collectors.spiders.textutil import html_to_text, parse_datetime, parse_deadline
from minyi.core.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("发表于 2015-3-4 10:22:33", datetime(2015, 3, 4, 10, 22, 33)),
        ("发表于 2026-3-3", datetime(2026, 3, 3)),
        ("2026-08-28 00:00:00", datetime(2026, 8, 28)),
        ("2025年6月5日 9:05", datetime(2025, 6, 5, 9, 5)),
        ("2026-04-01T09:30:00+08:00", datetime(2026, 4, 1, 9, 30)),
        ("二〇二五年七月十五日", datetime(2025, 7, 15)),
        ("3 天前", None),
        ("2025-13-40", None),
    ],
)
def test_parse_datetime(text, expected):
    assert parse_datetime(text) == expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("征求意见截止日期为2025年7月5日。", date(2025, 7, 5)),
        ("截止时间：2026年4月20日。", date(2026, 4, 20)),
        ("请于2025年7月5日前将意见反馈至邮箱。", date(2025, 7, 5)),
        ("征求意见时间为2025年6月5日至2025年7月20日。", date(2025, 7, 20)),
        ("请于二〇二五年六月十一日前通过电子邮件提出意见。", date(2025, 6, 11)),
        ("意见反馈截止时间为2025-07-05", date(2025, 7, 5)),
        ("请于7月5日前反馈。", date(2025, 7, 5)),  # the year of the notice
        ("现向社会公开征求意见。", None),
    ],
)
def test_parse_deadline(sentence, expected):
    assert parse_deadline(sentence, published=date(2025, 6, 5)) == expected


def test_short_deadline_in_january_of_a_december_notice_is_next_year():
    assert parse_deadline("请于1月10日前反馈", published=date(2025, 12, 20)) == date(2026, 1, 10)


def test_html_to_text_keeps_paragraphs_and_drops_markup():
    html = '<p>\u3000\u3000第一段<br/>第二行</p><p>第二段 <span style="color:red">积极</span>参与。</p><script>x()</script>'
    assert html_to_text(html) == "第一段\n第二行\n第二段 积极参与。"


@pytest.mark.parametrize(("text", "floor"), [("楼主", 1), ("沙发", 2), ("板凳", 3), ("地板", 4), ("5#", 5), ("#12", 12), (None, None)])
def test_parse_floor(text, floor):
    assert parse_floor(text, re.compile(r"(\d+)"), DEFAULT_FLOOR_NAMES) == floor


def test_quote_is_split_from_the_reply_and_text_after_it_kept():
    html = (
        '<td class="t_f"><div class="quote"><blockquote><font size="2">张三 发表于 2026-3-2</font><br />'
        '原帖文字</blockquote></div><br />回复正文<i class="pstatus">本帖最后由 李四 编辑</i></td>'
    )
    element = Selector(text=html).css("td.t_f")[0].root
    text, quotes, full = split_post_text(element, Sel.parse("div.quote, blockquote"), Sel.parse("i.pstatus"))
    assert text == "回复正文"
    assert quotes == ["张三 发表于 2026-3-2\n原帖文字"]
    assert "原帖文字" in full and "回复正文" in full
    assert "原帖文字" in Selector(text=html).css("td.t_f").get()  # the page itself is untouched


def test_post_without_text_becomes_a_quarantined_record():
    record = post_to_record(
        {"thread_id": "12", "post_id": "1202", "floor": 2, "floor_text": "沙发", "author": "x", "time": None,
         "text": None, "quotes": [], "url": "http://h/t", "error": "no post text found"}
    )
    assert record.error == "no post text found" and record.comment is None
    assert record.locator == "thread=12;floor=2;post=1202"


def test_record_hash_ignores_board_and_thread_title():
    item = {"thread_id": "11", "post_id": "1", "floor": 1, "floor_text": "楼主", "author": "a", "time": "t",
            "text": "正文", "quotes": [], "url": "http://h/t", "board": "甲", "thread_title": "旧标题"}
    renamed = {**item, "board": "乙", "thread_title": "新标题", "url": "http://h/t?page=1"}
    assert post_to_record(item).hash_with("fp") == post_to_record(renamed).hash_with("fp")


def test_moj_helpers():
    assert external_id_for("http://x/pub/202506/t20250605_520514.html") == "moj:t20250605_520514"
    assert issuing_body_of("司法部、中国人民银行关于《金融法（草案）》公开征求意见的通知") == "司法部、中国人民银行"
    assert issuing_body_of("某某通知") == "司法部"


def test_attachment_file_name_cannot_escape_the_directory():
    assert safe_file_name("../../etc/passwd", "x.pdf") == "_.._etc_passwd"
    assert safe_file_name("", "fallback.pdf") == "fallback.pdf"


# --- site configuration -------------------------------------------------------------


def test_discuz_configuration_loads():
    config = load_site_config()
    assert config.first("post").expr == "#postlist table[id^=pid]"
    assert config.urls["thread"] == "forum.php?mod=viewthread&tid={thread_id}"


def test_base_url_argument_overrides_the_file():
    assert load_site_config(base_url="http://bbs.local/").base_url == "http://bbs.local/"


def _minimal(**changes):
    data = {
        "name": "站点",
        "base_url": "http://h/",
        "boards": ["http://h/list"],
        "selectors": {"thread_row": "li", "thread_link": "a", "post": "div.post", "text": "div.body"},
    }
    data.update(changes)
    return data


def test_selector_kind_is_detected():
    assert Sel.parse("//div[@id='x']").kind == "xpath"
    assert Sel.parse("xpath:.//a").kind == "xpath"
    assert Sel.parse("div.t_f::text").kind == "css"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"selector": {}}, "unknown key(s) selector"),
        ({"name": ""}, "'name'"),
        ({"boards": [], "start_urls": []}, "start_urls"),
        ({"selectors": {"post": "div[", "text": "p", "thread_row": "li", "thread_link": "a"}}, "selectors.post"),
        ({"selectors": {"post": "div", "thread_row": "li", "thread_link": "a"}}, "selectors.text is required"),
        ({"selectors": {"post": "div", "text": "p", "thread_row": "li", "thread_link": "a", "txet": "p"}}, "txet"),
        ({"patterns": {"thread_id": "tid=\\d+"}}, "patterns.thread_id"),
        ({"boards": ["2"]}, "urls.board"),
        ({"encoding": "klingon"}, "encoding"),
    ],
)
def test_bad_configuration_names_the_key(changes, message):
    with pytest.raises(ConfigError) as caught:
        parse_site_config(_minimal(**changes))
    assert message in str(caught.value)


def test_missing_or_broken_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_site_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_site_config(bad)
