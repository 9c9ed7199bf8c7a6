"""Symposium minutes (座谈会纪要, .docx): header lines, speaker turns and opinion tables.

Header lines at the top ("时间：2024年3月5日", "参加人员：…") go to Source.meta. The body is
split into speaker turns — "张三（某公司法务）：…", "张三：…", "李四代表表示，…", "某公司法务王五
提出：…", "与会人员认为…" — and a paragraph that starts no turn continues the one before it.
A table with an opinion column (条款/意见/提出人 …) gives one record per row; other tables
(sign-in sheets) are kept in Source.meta.

The text is read from the document's XML, so nothing Word shows is missed: paragraphs
inside content controls (``w:sdt``), tracked insertions (``w:ins``; deletions are left
out), tables nested in table cells, and line breaks inside a paragraph (each line is read
as its own paragraph, so "张三：…<br>李四：…" are two turns). A speaker label on a line of
its own ("张三（某公司法务）：") starts that speaker's turn: the words below it are never
added to the previous speaker's.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from collectors.importers.columns import (
    cell_text,
    comment_from_fields,
    header_score,
    parse_when,
    payload_keys,
    recognise_header,
    row_fields,
)
from minyi.core.records import CommentIn, RecordIn, SourceIn, file_fingerprint
from minyi.core.errors import InputError
from minyi.core.numerals import parse_number

HEADER_KEYS = {
    "时间": "time", "会议时间": "time", "日期": "time", "地点": "place", "会议地点": "place",
    "主持人": "host", "主持": "host", "参加人员": "participants", "参会人员": "participants",
    "出席人员": "participants", "与会人员": "participants", "出席": "participants",
    "记录人": "recorder", "记录": "recorder", "会议主题": "topic", "主题": "topic",
    "议题": "topic", "列席人员": "attendees",
}
_HEADER = re.compile(r"^(?P<key>" + "|".join(sorted(HEADER_KEYS, key=len, reverse=True)) + r")\s*[：:]\s*(?P<value>.*)$")
_ENUM = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．](?!\d))\s*")
ROLES = (
    "人大代表", "政协委员", "代表", "委员", "律师", "法务", "居民", "业主", "主任", "副主任", "书记",
    "经理", "总经理", "教授", "副教授", "老师", "法官", "检察官", "民警", "警官", "站长", "所长",
    "局长", "科长", "处长", "社区工作者", "网格员", "骑手", "外卖员", "快递员", "商户", "店主",
    "负责人", "工作人员", "专家", "学者", "研究员", "物业经理", "志愿者", "信息员",
)
_ROLE = "(?:" + "|".join(sorted(map(re.escape, ROLES), key=len, reverse=True)) + ")"
_VERB = r"(?:提出|表示|认为|建议|指出|谈到|强调|说|反映|补充|提到|回应称|回应|称|介绍|发言)"
_WHO = r"[^，,：:。；;！？!?“”\"\s（）()]{2,24}?"
# 张三（某公司法务）：… / 骑手代表刘强（外卖骑手）：… / 张三：… / 王静补充：…
_TURN_COLON = re.compile(
    rf"^(?P<who>{_WHO})\s*(?:[（(](?P<paren>[^（）()]{{1,40}})[）)])?\s*(?:{_VERB})?\s*[：:]\s*(?P<text>.+)$", re.S
)
# 某公司法务王五提出：… / 李四代表表示，… / 与会人员认为…
_TURN_VERB = re.compile(rf"^(?P<who>{_WHO}){_VERB}\s*[：:，,]?\s*(?P<text>.+)$", re.S)
_COLLECTIVE = re.compile(r"^(?:与会|参会|大家|多数|多名|部分|有的|有些|不少|多位|个别|其他|其余|有\S{1,4}$)")
# Bodies whose name may precede a person's: 某共享出行公司周宇.
_ORG_SUFFIX = r"(?:公司|企业|集团|协会|商会|社区|小区|街道|中心|事务所|平台|店|站|学校|医院|委员会|居委会|业委会|局|所|队)"
# Not speakers although they look like "XX：" (headings of the minutes).
NOT_SPEAKERS = {
    "会议", "主要意见", "意见", "建议", "总结", "备注", "附件", "综上", "会议认为", "会议指出", "具体意见",
    "总体意见", "其他意见", "会议内容", "会议情况", "主要内容", "发言", "发言摘要", "问题", "结论", "小结",
    "一是", "二是", "三是", "四是", "五是", "同时", "此外", "另外", "我们", "我", "他", "她", "本人",
}
# A "who" that is a pronoun, a connective or an article reference continues a turn.
_NOT_WHO = re.compile(
    r"^(?:[他她我你其该此这那另它]|同时|此外|因此|所以|但|而且|对于|关于|针对|附|会议|会上|会后)|[第条款由]"
    r"|(?:意见|建议|问题|情况|内容|如下|摘要|汇总表?|说明|规定|要求)$"
)
_ANNOUNCES = re.compile(r"如下表?[。：:]?$")
# The recorder's account of the meeting ("会议最后，李振华主任对大家提出的意见建议表示感谢……",
# "会上，大家围绕……进行了讨论"): it ends the turn before it and is no one's opinion.
_NARRATION = re.compile(r"^(?:会议|座谈会)(?:最后|结束|开始|期间|上)|^会(?:上|后|前)[，,]|^(?:最后|会议结束前)，主持人")
_COUNT = re.compile(r"(?:共|计|等|约)?\s*(\d+|[一二三四五六七八九十百零两]+)\s*(?:人|名|位)")


@dataclass
class Turn:
    paragraph: int  # 1-based index of its first paragraph
    lines: list[str]  # paragraphs as written
    speaker: str | None
    organisation: str | None
    text_lines: list[str]
    meta: dict[str, Any] = field(default_factory=dict)


def participant_count(value: str) -> int | None:
    """'共12人' → 12; '张三、李四（某公司）、王五' → 3."""
    m = _COUNT.search(value)
    if m:
        try:
            return parse_number(m.group(1))
        except ValueError:
            return None
    stripped = re.sub(r"[（(][^）)]*[）)]", "", value)
    items = [p for p in re.split(r"[、，,；;\s]+", stripped) if p.strip()]
    if len(items) >= 2 and all(len(p) <= 20 for p in items):
        return len(items)
    return None


# Common surnames (the first ~150 of 百家姓 by frequency): "街道人大代表" is a body, "王芳代表"
# a person, and only the surname tells them apart.
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古"
    "吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫"
    "寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)


def _is_name(text: str) -> bool:
    return (2 <= len(text) <= 3 and text[0] in SURNAMES) or (
        len(text) <= 4 and text.startswith(("某", "欧阳", "司马", "诸葛"))
    )


def split_who(who: str) -> tuple[str | None, str | None, bool] | None:
    """(name, organisation/role, collective) of a speaker phrase, or None when the phrase
    does not look like a speaker (no person's name, role, organisation or group)."""
    who = who.strip()
    if _COLLECTIVE.match(who):
        return None, None, True
    m = re.match(rf"^(?P<org>.*?(?:{_ROLE}|{_ORG_SUFFIX}))(?P<name>[\u4e00-\u9fa5]{{2,3}})$", who)
    if m and _is_name(m.group("name")):
        return m.group("name"), m.group("org"), False  # 某公司法务王五, 某共享出行公司周宇
    m = re.match(rf"^(?P<name>[\u4e00-\u9fa5]{{2,3}})(?P<role>{_ROLE})$", who)
    if m and _is_name(m.group("name")):
        return m.group("name"), m.group("role"), False  # 李四代表
    if re.search(rf"(?:{_ROLE}|{_ORG_SUFFIX})$", who):
        return None, who, False  # 街道人大代表, 某换电运营企业
    if _is_name(who):
        return who, None, False
    return None


def match_turn(text: str) -> tuple[str | None, str | None, bool, str] | None:
    """(speaker, organisation, collective, opinion text) when a paragraph starts a turn."""
    body = _ENUM.sub("", text, count=1).strip()
    if _HEADER.match(body):
        return None
    for pattern in (_TURN_COLON, _TURN_VERB):
        m = pattern.match(body)
        if not m or m.group("who") in NOT_SPEAKERS or _NOT_WHO.search(m.group("who")):
            continue
        who = split_who(m.group("who"))
        if who is None:
            continue
        name, org, collective = who
        paren = (m.groupdict().get("paren") or "").strip()
        if paren:
            org = f"{org}（{paren}）" if org else paren
        return name, org, collective, m.group("text").strip()
    return None


def speaker_label(text: str) -> tuple[str | None, str | None, bool, str] | None:
    """A speaker label on a line of its own ("张三（某公司法务）：", "李四代表发言："): the
    turn it starts, with no words yet."""
    body = _ENUM.sub("", text, count=1).strip()
    m = re.match(rf"^(?P<who>{_WHO})\s*(?:[（(](?P<paren>[^（）()]{{1,40}})[）)])?\s*(?:{_VERB})?\s*[：:]$", body)
    if not m or m.group("who") in NOT_SPEAKERS or _NOT_WHO.search(m.group("who")) or _HEADER.match(body):
        return None
    who = split_who(m.group("who"))
    if who is None:
        return None
    name, org, collective = who
    paren = (m.group("paren") or "").strip()
    if paren:
        org = f"{org}（{paren}）" if org else paren
    return name, org, collective, ""


def is_heading(text: str) -> bool:
    """'一、关于第十二条' or '（二）充电安全': short, numbered or without sentence punctuation."""
    return len(text) <= 40 and not re.search(r"[。；;！？!?]", text) and (
        bool(_ENUM.match(text)) or not re.search(r"[，,：:]", text)
    )


# --- document reading ---------------------------------------------------------------


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Containers whose children are body blocks: content controls, custom XML, smart tags.
_BLOCK_WRAPPERS = {f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml", f"{_W}smartTag"}
# Left out of the text: deleted runs, field instructions, properties.
_SKIPPED = {f"{_W}del", f"{_W}moveFrom", f"{_W}instrText", f"{_W}rPr", f"{_W}pPr", f"{_W}sdtPr"}


def paragraph_text(p: Any) -> str:
    """A w:p's visible text: runs wherever they sit (w:ins, w:hyperlink, w:sdt, w:smartTag),
    tabs and line breaks kept, deleted text left out."""
    parts: list[str] = []

    def walk(el: Any) -> None:
        for child in el:
            tag = child.tag
            if tag in _SKIPPED or not isinstance(tag, str):
                continue
            if tag == f"{_W}t":
                parts.append(child.text or "")
            elif tag == f"{_W}tab":
                parts.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
            else:
                walk(child)

    walk(p)
    return "".join(parts)


def iter_blocks(doc: Any) -> Iterator[tuple[str, Any]]:
    """("p", text) and ("t", table element) of the body in document order, content
    controls opened; a paragraph with line breaks gives one "p" per line."""

    def walk(parent: Any) -> Iterator[tuple[str, Any]]:
        for child in parent.iterchildren():
            if child.tag == f"{_W}p":
                for line in paragraph_text(child).split("\n"):
                    yield "p", line
            elif child.tag == f"{_W}tbl":
                yield "t", child
            elif child.tag in _BLOCK_WRAPPERS:
                yield from walk(child)

    yield from walk(doc.element.body)


def cell_text_of(tc: Any) -> str:
    """A table cell's text, nested tables and content controls included."""
    return "\n".join(
        line for p in tc.iter(f"{_W}p") for line in [paragraph_text(p).strip()] if line
    )


def table_rows(table: Any) -> list[list[str]]:
    """A w:tbl's rows as cell texts; a cell spanning N columns gives its text and N-1 empty
    cells, so columns line up with the header."""
    rows = []
    for tr in table.iterchildren(f"{_W}tr"):
        cells: list[str] = []
        for tc in _row_cells(tr):
            span = tc.find(f"{_W}tcPr/{_W}gridSpan")
            cells.append(cell_text_of(tc))
            if span is not None:
                cells.extend([""] * (int(span.get(f"{_W}val", "1") or 1) - 1))
        rows.append(cells)
    return rows


def _row_cells(tr: Any) -> Iterator[Any]:
    for child in tr.iterchildren():
        if child.tag == f"{_W}tc":
            yield child
        elif child.tag in _BLOCK_WRAPPERS:  # cells wrapped in a content control
            yield from _row_cells(child)


def read_minutes(
    data: bytes,
    name: str,
    origin: str,
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: dict[str, str] | None = None,
) -> tuple[SourceIn, list[RecordIn]]:
    from docx import Document

    from collectors.importers.spreadsheet import is_encrypted_ole

    if is_encrypted_ole(data):
        raise InputError(f"{name}: the document is password-protected; save it without a password")
    try:
        doc = Document(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, KeyError, ValueError, lxml errors …
        raise InputError(f"{name}: not a readable .docx document (corrupt or password-protected?): {exc}") from exc
    meta: dict[str, Any] = {"format": "docx"}
    placed: list[tuple[float, RecordIn]] = []  # (position in the document, record)
    turns: list[Turn] = []
    loose: list[tuple[int, str]] = []  # body paragraphs before the first turn
    extra_tables: list[list[list[str]]] = []
    section: str | None = None
    current: Turn | None = None
    paragraph_no = table_no = 0
    for kind, block in iter_blocks(doc):
        if kind == "t":
            table_no += 1
            current = None  # a table ends the turn before it
            rows = table_rows(block)
            recs = table_records(rows, table_no, origin, mapping)
            if recs is None:
                extra_tables.append(rows)
            else:
                placed.extend((paragraph_no + 0.5, r) for r in recs)
            continue
        paragraph_no += 1
        text = block.strip()
        if not text:
            continue
        header = _HEADER.match(text)
        if header and (not turns or len(text) <= 60):
            # Head lines, and short closing ones ("记录人：…") that must not join a turn.
            key = HEADER_KEYS[header.group("key")]
            meta.setdefault(key, header.group("value").strip())
            current = None
            continue
        if "title" not in meta and not turns and not loose and is_heading(text):
            meta["title"] = text
            continue
        announces = bool(_ANNOUNCES.search(text)) or bool(_NARRATION.match(text))
        turn = None if announces else match_turn(text) or speaker_label(text)
        if announces:
            # "现将发言要点整理如下：" / "汇总如下表。" / "会议最后，……": the recorder's words,
            # not an opinion.
            loose.append((paragraph_no, text))
            current = None
        elif turn is not None:
            speaker, org, collective, body = turn
            current = Turn(paragraph_no, [text], speaker, org, [body] if body else [], {"section": section} if section else {})
            if collective:
                current.meta["collective"] = True
                current.meta["speaker_phrase"] = text[: len(text) - len(body)].strip(" ：:，,")
            turns.append(current)
        elif is_heading(text):
            section, current = text, None
        elif current is not None:
            current.lines.append(text)
            current.text_lines.append(text)
        else:
            loose.append((paragraph_no, text))
    meeting = parse_when(meta.get("time")) if meta.get("time") else None
    if meeting:
        meta["meeting_date"] = meeting.date().isoformat()
    if meta.get("participants"):
        count = participant_count(meta["participants"])
        if count:
            meta["participant_count"] = count
    if extra_tables:
        meta["tables"] = extra_tables
    if turns:
        # Paragraphs outside any turn are the minutes' own account of the meeting.
        if loose:
            meta["narrative"] = "\n".join(t for _n, t in loose)
    else:
        turns = [Turn(n, [t], None, None, [t]) for n, t in loose]
    placed.extend((turn.paragraph, turn_record(turn, origin, meeting)) for turn in turns)
    records = [r for _pos, r in sorted(placed, key=lambda pr: pr[0])]
    source = SourceIn(
        channel=channel or "symposium",
        name=name,
        origin=origin,
        fingerprint=file_fingerprint(data),
        contact_point=contact_point,
        meta=meta,
    )
    return source, records


def turn_record(turn: Turn, origin: str, meeting: datetime | None) -> RecordIn:
    written = "\n".join(turn.lines)
    meta = dict(turn.meta)
    if turn.speaker is None and turn.organisation is None and not meta.get("collective"):
        meta["speaker"] = None
    comment = CommentIn(
        text="\n".join(turn.text_lines),
        author_name=turn.speaker,
        author_organisation=turn.organisation,
        submitted_at=meeting,
        meta=meta,
    )
    return RecordIn(origin, f"paragraph={turn.paragraph}", {"text": written}, raw_text=written, comment=comment)


def table_records(
    rows: list[list[str]], table_no: int, origin: str, mapping: dict[str, str] | None
) -> list[RecordIn] | None:
    """One record per row of a table with an opinion column, or None for other tables."""
    if not rows:
        return None
    found = recognise_header(rows[0], mapping)
    if not header_score(found):
        return None
    keys = payload_keys(rows[0])
    records = []
    for r, values in enumerate(rows[1:], start=2):
        seq = found.get("seq")
        if all(not v for i, v in enumerate(values) if i != seq):
            continue
        payload = {k: cell_text(v) for k, v in zip(keys, values)}
        comment, _ = comment_from_fields(row_fields(values, found))
        if comment.author_name and not comment.author_organisation:
            # 提出人 cells of minutes read "骑手代表刘强" or "某换电运营企业".
            who = split_who(comment.author_name)
            if who is not None and not who[2]:
                comment.author_name, comment.author_organisation = who[0], who[1]
        records.append(
            RecordIn(origin, f"table={table_no};row={r}", payload, raw_text=comment.text or None, comment=comment)
        )
    return records
