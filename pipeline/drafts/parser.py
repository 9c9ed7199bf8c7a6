"""Parse the text of a Chinese draft or enacted law into its provision tree.

Input is whatever :func:`pipeline.drafts.reader.read_document` returns: Markdown law
files, Word paragraphs, or PDF text whose lines are wrapped mid-sentence. The parser
works line by line:

1. clean lines (zero-width characters, HTML comments, page numbers);
2. split off the header (title, dates, 说明, a 目录) from the body, which starts at the
   first 编/章/节 heading or 第X条;
3. walk the body with a small state machine that opens articles, paragraphs (款),
   items (项) and sub-items (目), and joins wrapped lines. A line that begins with
   "第X条" only opens an article when it is not a cross-reference: it must not read
   like a citation ("第X条规定的", "第X条第二款", "第X条、"), and when it continues an
   unfinished sentence its number must be the next one in sequence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from minyi.core.errors import InputError
from minyi.core import citations
from minyi.core.drafts import Article, Paragraph, ParsedDraft
from minyi.core.numerals import parse_number, to_chinese

# ------------------------------------------------------------------ patterns

_NUM_CHARS = citations.NUMERAL_CHARS
_SP = r"[ \t\u3000\u00a0]*"
_NUM = rf"[{_NUM_CHARS}](?:{_SP}[{_NUM_CHARS}])*"
_SUFFIX_NUM = citations.SUFFIX_DIGITS
_SEPARATORS = " \t\u3000\u00a0:：、.．"

_ARTICLE_RE = re.compile(
    rf"^[#*_ \t\u3000]*第{_SP}(?P<num>{_NUM}){_SP}[条條]"
    rf"(?:{_SP}之{_SP}(?P<suffix>[{_SUFFIX_NUM}]+))?"
    rf"[*_]*(?P<sep>[{_SEPARATORS}]*)(?P<rest>.*)$"
)
_HEADING_RE = re.compile(
    rf"^[#*_ \t\u3000]*第{_SP}(?P<num>{_NUM}){_SP}(?P<kind>分编|分編|编|編|篇|章|节|節)"
    rf"[*_]*(?P<sep>[ \t\u3000\u00a0:：、.．]*)(?P<name>.*?)[*_]*$"
)
_ITEM_RE = re.compile(
    rf"^(?:[（(]{_SP}(?P<cn>[{_SUFFIX_NUM}]+){_SP}[）)]"
    rf"|[（(]{_SP}(?P<ar>[0-9０-９]{{1,3}}){_SP}[）)]"
    r"|(?P<enc_cn>[\u3220-\u3229])|(?P<enc_ar>[\u2474-\u2487]))(?P<rest>.*)$"
)
# 目: "1." "1．" "1、" or a circled number; "1.5倍" is not one.
_SUBITEM_RE = re.compile(r"^(?:[0-9０-９]{1,2}(?:[.．、](?![0-9０-９])|[)）])|[\u2460-\u2473])(?P<rest>.*)$")
_TOC_RE = re.compile(r"^[#*\s]*目\s*录[*\s]*$")
_PAGE_RE = re.compile(
    r"^[\s\-—–－−─_·•]*"
    r"(?:第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|\d{1,4}(?:\s*/\s*\d{1,4})?|page\s*\d+(?:\s*of\s*\d+)?)"
    r"[\s\-—–－−─_·•]*$",
    re.IGNORECASE,
)
_TOC_LEADER_RE = re.compile(r"(?:\s*[.…·．・_-]{2,}\s*\d*|\s+\d{1,4})\s*$")
_HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# PDF text layers often carry Kangxi radicals or compatibility ideographs ("⼀" U+2F00)
# where the unified character ("一") is meant; NFKC maps exactly these back, without
# touching the Chinese punctuation the text keeps as written.
_IDEOGRAPH_VARIANTS = {
    code: unicodedata.normalize("NFKC", chr(code))
    for code in [*range(0x2E80, 0x2FE0), *range(0xF900, 0xFB00)]
    if unicodedata.normalize("NFKC", chr(code)) != chr(code)
}
_INFO_END = "<!-- INFO END -->"
_PAGE_BREAK = "\x0c"  # the reader separates PDF pages with a form feed

# Text right after "第X条" that makes it a citation, not an article label.
_CITE_ALWAYS_RE = re.compile(
    rf"^(?:的|之(?![{_SUFFIX_NUM}])|[、，,；;]|至第|到第|第{_SP}{_NUM}{_SP}[款项目]|项下|和第|与第|或者第|或第|及第|以及第|中的|中规定|中所)"
)
# Citation words that could also open an article's text; they count as a citation
# when nothing separates them from the label or the sentence is unfinished.
_CITE_LOOSE_RE = re.compile(r"^(?:规定|所列|列举|以外|以下|以上|所称|设定|确定的|所述|明确的)")
_ITEM_CITE_RE = re.compile(r"^(?:项|目|款|规定|的|、|，|至|和|或|及|中)")

_CLOSERS = "”’」』）)》〉】]\"'"
_TERMINALS = "。；;：:！!？?…"
_SENTENCE_ENDS = "。！!？?…"
_SIMPLIFIED_KIND = str.maketrans("編節", "编节")
_KIND_RANK = {"编": 0, "篇": 0, "分编": 1, "章": 2, "节": 3}
_NOTICE_RE = re.compile(r"^关于.*(?:通知|公告|说明|函)$")
_TITLE_WORDS = re.compile(r"法|条例|规定|办法|细则|规则|决定|草案|意见稿|章程|准则")


# ------------------------------------------------------------------ tokens


@dataclass
class _ArticleStart:
    number: int
    suffix: str | None
    separated: bool
    rest: str

    @property
    def label(self) -> str:
        return f"第{to_chinese(self.number)}条{self.suffix or ''}"


@dataclass
class _Heading:
    kind: str  # 编 篇 分编 章 节 (traditional forms mapped to simplified)
    number: int
    name: str
    separated: bool

    @property
    def title(self) -> str:
        head = f"第{to_chinese(self.number)}{self.kind}"
        return f"{head} {self.name}" if self.name else head


def _match_article(line: str) -> _ArticleStart | None:
    m = _ARTICLE_RE.match(line)
    if not m:
        return None
    try:
        number = parse_number(m["num"])
    except ValueError:
        return None
    suffix = f"之{m['suffix']}" if m["suffix"] else None
    rest = m["rest"].strip()
    # "第一条【立法目的】为了……": a bracketed article caption also sets the label off.
    separated = bool(m["sep"]) or rest.startswith(("【", "〔", "["))
    return _ArticleStart(number, suffix, separated, rest)


def _suffix_rank(suffix: str | None) -> int:
    """0 for no suffix, 1 for 之一, 2 for 之二 …"""
    return parse_number(suffix[1:]) if suffix else 0


def _match_heading(line: str) -> _Heading | None:
    m = _HEADING_RE.match(line)
    if not m:
        return None
    try:
        number = parse_number(m["num"])
    except ValueError:
        return None
    name = _squash_spaces(_TOC_LEADER_RE.sub("", m["name"]).strip())
    if len(name) > 40 or (name and name[-1] in "。；;，,：:") or _CITE_ALWAYS_RE.match(name):
        return None  # a sentence that merely starts with "第二章…"
    if not m["sep"] and name and _CITE_LOOSE_RE.match(name):
        return None
    kind = m["kind"].translate(_SIMPLIFIED_KIND)
    return _Heading(kind, number, name, separated=bool(m["sep"]) or not name)


def _item_kind(line: str) -> str | None:
    """'cn' for （一）, 'ar' for （1）, 'sub' for 1. / ①, else None."""
    m = _ITEM_RE.match(line)
    if m:
        return "cn" if (m["cn"] or m["enc_cn"]) else "ar"
    if _SUBITEM_RE.match(line):
        return "sub"
    return None


def _item_rest(line: str) -> str:
    m = _ITEM_RE.match(line) or _SUBITEM_RE.match(line)
    return m["rest"].strip() if m else line


# ------------------------------------------------------------------ line cleaning


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x3000 <= code <= 0x303F
        or code >= 0x20000
        or ch in "“”‘’…—·"
    )


def _squash_spaces(text: str) -> str:
    """Drop whitespace between Chinese characters (it only comes from typesetting or
    PDF extraction: "总　　则", "本条例 自"); elsewhere keep a single space."""
    parts = re.split(r"(\s+)", text.strip())
    out: list[str] = []
    for i, part in enumerate(parts):
        if part and part.isspace():
            before = parts[i - 1][-1:] if i > 0 else ""
            after = parts[i + 1][:1] if i + 1 < len(parts) else ""
            if before and after and not (_is_cjk(before) and _is_cjk(after)):
                out.append(" ")
        else:
            out.append(part)
    return "".join(out)


def _clean_lines(text: str) -> list[str]:
    """Stripped lines; a form feed (the reader's PDF page break) becomes a line of its own."""
    text = text.translate(_ZERO_WIDTH).translate(_IDEOGRAPH_VARIANTS)
    text = _HTML_COMMENT_RE.sub(lambda m: m.group(0) if m.group(0) == _INFO_END else "", text)
    lines: list[str] = []
    for number, page in enumerate(text.split(_PAGE_BREAK)):
        if number:
            lines.append(_PAGE_BREAK)
        lines += [line.strip() for line in re.split(r"\r\n?|[\n\u2028\u2029\x0b\x85]", page)]
    return _drop_front_matter(lines)


def _drop_front_matter(lines: list[str]) -> list[str]:
    """Markdown front matter (--- … ---) at the very top is metadata, not text."""
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None or lines[first] != "---":
        return lines
    for j in range(first + 1, min(len(lines), first + 40)):
        if lines[j] == "---":
            return lines[j + 1 :]
    return lines


def _is_page_furniture(line: str) -> bool:
    """Page breaks and page numbers such as "— 3 —", "- 3 -", "3", "第3页 共10页"."""
    return line == _PAGE_BREAK or bool(_PAGE_RE.match(unicodedata.normalize("NFKC", line)))


def _is_terminated(line: str, terminals: str = _TERMINALS) -> bool:
    """Does the line end a sentence (or a clause introducing a list)?"""
    stripped = line.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in terminals


def _strip_markdown(line: str) -> str:
    return re.sub(r"^#{1,6}\s+", "", line).strip().strip("*").strip()


# ------------------------------------------------------------------ header / body


def _split_header(lines: list[str]) -> tuple[list[str], list[str]]:
    """(header lines, body lines). The body starts at the first heading or article
    line that is not part of a 目录; a LawRefBook marker ends the header explicitly."""
    if _INFO_END in lines:
        cut = lines.index(_INFO_END)
        header, rest = lines[:cut], lines[cut + 1 :]
        start = _body_start(rest)
        return header + rest[:start], rest[start:]
    start = _body_start(lines)
    return lines[:start], lines[start:]


def _body_start(lines: list[str]) -> int:
    first_article = next(
        (i for i, line in enumerate(lines) if (a := _match_article(line)) and not _cites(a, terminated=True)),
        len(lines),
    )
    headings = [(i, h) for i, line in enumerate(lines[:first_article]) if (h := _match_heading(line))]
    if not headings:
        return first_article
    # A 目录 lists the headings once before the body repeats them: the body starts at
    # the last repetition of the first heading before the first article.
    first = headings[0][1]
    repeats = [i for i, h in headings if (h.kind, h.number) == (first.kind, first.number)]
    has_toc = any(_TOC_RE.match(line) for line in lines[: headings[0][0]])
    if len(repeats) == 1 and has_toc:
        return first_article  # a 目录 whose headings the body does not repeat
    return repeats[-1]


def _title_from_header(header: list[str]) -> str | None:
    lines = [line for line in header if line and line != _INFO_END]
    h1 = next((line for line in lines if re.match(r"^#\s+\S", line)), None)
    if h1:
        return _clean_title(h1)
    candidates = [
        line for line in lines
        if not _TOC_RE.match(line) and not re.match(r"^附件\s*[0-9一二三四五六七八九十]*\s*[:：]?$", line)
        and not _is_page_furniture(line) and not _match_heading(line)
    ]
    if not candidates:
        return None
    titled = next((i for i, line in enumerate(candidates[:6]) if _looks_like_title(line)), None)
    if titled is None:  # else the first line that is no sentence
        titled = next((i for i, line in enumerate(candidates) if len(line) <= 60 and not _is_terminated(line)), None)
    if titled is None:
        return None
    title = _clean_title(candidates[titled])
    # A title often wraps its "（征求意见稿）" or "（草案）" onto the next line.
    if titled + 1 < len(candidates) and re.match(r"^[（(][^）)]{1,15}[）)]$", candidates[titled + 1]):
        if re.search(r"草案|稿|修订|修正|试行|暂行", candidates[titled + 1]):
            title += candidates[titled + 1].strip()
    return title or None


def _looks_like_title(line: str) -> bool:
    """A law's name: has 法/条例/办法 …, is short, is no sentence and no cover notice."""
    return (
        bool(_TITLE_WORDS.search(line)) and len(line) <= 60 and not _is_terminated(line)
        and "，" not in line and not _NOTICE_RE.match(line)
    )


def _clean_title(line: str) -> str:
    title = _squash_spaces(_strip_markdown(line))
    if title.startswith("《") and title.endswith("》"):
        title = title[1:-1]
    return title


# ------------------------------------------------------------------ the body walk


def _cites(start: _ArticleStart, *, terminated: bool) -> bool:
    """Does a line-initial "第X条…" read like a citation of another article?"""
    if _CITE_ALWAYS_RE.match(start.rest):
        return True
    if _CITE_LOOSE_RE.match(start.rest) and (not start.separated or not terminated):
        return True
    return False


@dataclass
class _Builder:
    """State of the walk over the body."""

    hard_wrapped: bool  # lines break mid-sentence (PDF) rather than one paragraph per line
    title: str | None = None
    running: set[str] = field(default_factory=set)  # page headers repeated on every page
    articles: list[Article] = field(default_factory=list)
    part: str | None = None
    chapter: str | None = None
    section: str | None = None
    numbers: dict[str, int] = field(default_factory=dict)  # last number per heading kind
    prev_terminated: bool = True  # did the previous content line finish its sentence?
    prev_closed: bool = True  # did it end a paragraph-closing sentence (。！？)?
    item_kind: str | None = None  # kind of the current paragraph's items
    pending_heading: _Heading | None = None  # heading just opened, nothing under it yet

    # -- decisions ----------------------------------------------------------------

    def accepts_article(self, start: _ArticleStart) -> bool:
        if _cites(start, terminated=self.prev_terminated):
            return False
        if not self.articles or self.prev_terminated:
            return True
        if not start.separated:
            return False
        if self.hard_wrapped:
            # Inside an unfinished sentence only the next article in sequence starts an
            # article; anything else is a wrapped cross-reference.
            return self._is_next(start)
        # One paragraph per line: the paragraph before merely lacks its full stop (an
        # item without "；"); an excerpt may skip numbers, but never goes back.
        return self._is_later(start)

    def _is_next(self, start: _ArticleStart) -> bool:
        last = self.articles[-1]
        if start.number == last.number + 1 and start.suffix is None:
            return True
        return start.number == last.number and _suffix_rank(start.suffix) > _suffix_rank(last.suffix)

    def _is_later(self, start: _ArticleStart) -> bool:
        last = self.articles[-1]
        return (start.number, _suffix_rank(start.suffix)) > (last.number, _suffix_rank(last.suffix))

    def accepts_heading(self, heading: _Heading) -> bool:
        if self.prev_terminated or not self.articles:
            return True
        expected = self.numbers.get(heading.kind, 0) + 1
        if not heading.separated:
            return False
        return heading.number == expected if self.hard_wrapped else heading.number >= expected

    def accepts_item(self, line: str) -> bool:
        return self.prev_terminated or not _ITEM_CITE_RE.match(_item_rest(line))

    # -- actions ------------------------------------------------------------------

    def continues_heading(self, line: str) -> bool:
        """A short plain line right after a heading is its name ("第一章" / "总　则" on
        two lines) or, in wrapped text, the rest of a long name."""
        heading = self.pending_heading
        if heading is None or len(line) > 30 or re.search(r"[，,。；;：:！？]", line):
            return False
        if _HEADING_RE.match(line) or _ARTICLE_RE.match(line) or _item_kind(line):
            return False
        return not heading.name or self.hard_wrapped

    def open_heading(self, heading: _Heading) -> None:
        rank = _KIND_RANK[heading.kind]
        self.numbers[heading.kind] = heading.number
        if rank <= 1:  # a 编 or 分编 starts afresh below it
            self.chapter, self.section = None, None
            if rank == 0:  # chapters run on across 分编 but restart in a new 编
                self.numbers.pop("章", None)
                self.numbers.pop("分编", None)
        elif rank == 2:
            self.section = None
        if rank <= 2:
            self.numbers.pop("节", None)
        self._show_heading(heading)
        self.pending_heading = heading
        self.prev_terminated, self.prev_closed = True, True

    def extend_heading(self, line: str) -> None:
        heading = self.pending_heading
        assert heading is not None
        heading.name = _join(heading.name, _squash_spaces(line))
        self._show_heading(heading)

    def _show_heading(self, heading: _Heading) -> None:
        rank = _KIND_RANK[heading.kind]
        if rank == 0:
            self.part = heading.title
        elif rank == 2:
            self.chapter = heading.title
        elif rank == 3:
            self.section = heading.title

    def open_article(self, start: _ArticleStart) -> None:
        article = Article(
            number=start.number, suffix=start.suffix, label=start.label, text="",
            paragraphs=[Paragraph(_squash_spaces(start.rest))],
            chapter=self.chapter, section=self.section, part=self.part,
        )
        self.articles.append(article)
        self.item_kind = None
        self.pending_heading = None
        self._after(start.rest)

    def add_item(self, line: str, kind: str) -> None:
        paragraph = self.articles[-1].paragraphs[-1]
        text = _squash_spaces(line)
        item_level = self.item_kind is None or kind == self.item_kind or kind == "cn"
        if item_level or not paragraph.items:
            paragraph.items.append(text)
            self.item_kind = kind
        else:  # a 目 (or （1） under （一）) belongs to the item above it
            paragraph.items[-1] += "\n" + text
        self._after(line)

    def add_text(self, line: str, *, continuation: bool) -> None:
        article = self.articles[-1]
        paragraph = article.paragraphs[-1]
        text = _squash_spaces(line)
        if continuation or (not paragraph.text and not paragraph.items):
            if paragraph.items:
                paragraph.items[-1] = _join(paragraph.items[-1], text)
            else:
                paragraph.text = _join(paragraph.text, text)
        else:
            article.paragraphs.append(Paragraph(text))
            self.item_kind = None
        self._after(line)

    def _after(self, line: str) -> None:
        self.prev_terminated = _is_terminated(line)
        self.prev_closed = _is_terminated(line, _SENTENCE_ENDS)

    # -- the walk -----------------------------------------------------------------

    def feed(self, line: str) -> None:
        if not line or _is_page_furniture(line) or line in self.running:
            return
        if self.title and _squash_spaces(line) == self.title:
            return  # the title repeated as a page header
        heading = _match_heading(line)
        if heading and self.accepts_heading(heading):
            self.open_heading(heading)
            return
        start = _match_article(line)
        if start and self.accepts_article(start):
            self.open_article(start)
            return
        if self.continues_heading(line):
            self.extend_heading(line)
            return
        if not self.articles or self.pending_heading is not None:
            return  # text between a heading and its first article belongs to no article
        kind = _item_kind(line)
        if kind and self.accepts_item(line):
            self.add_item(line, kind)
            return
        if self.hard_wrapped:
            # A wrapped line continues the paragraph unless the line before it closed a
            # sentence; 款 end with 。, while ； and ： lines go on.
            continuation = not self.prev_closed
        else:
            # One paragraph per line; only a rejected 第X条/第X章 line continues an
            # unfinished sentence.
            rejected = bool(_HEADING_RE.match(line) or _ARTICLE_RE.match(line) or kind)
            continuation = not self.prev_terminated and rejected
        self.add_text(_strip_markdown(line) if line.startswith("#") else line, continuation=continuation)

    def result(self, source: str | None) -> ParsedDraft:
        for article in self.articles:
            article.text = "\n".join(
                part for p in article.paragraphs for part in [p.text, *p.items] if part
            )
        return ParsedDraft(title=self.title, articles=self.articles, source=source)


def _join(left: str, right: str) -> str:
    """Glue a wrapped line back on; only Latin words split at a line end need a space
    (digits of a number split across lines do not)."""
    if left and right and _is_latin_letter(left[-1]) and _is_latin_letter(right[0]):
        return f"{left} {right}"
    return left + right


def _is_latin_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _looks_hard_wrapped(lines: list[str]) -> bool:
    """PDF-extracted text breaks lines mid-sentence; Markdown and Word keep a paragraph
    per line. Count unfinished lines followed by a plain (non-structural) line."""
    content = [line for line in lines if line and not _is_page_furniture(line)]
    wrapped = 0
    for line, nxt in zip(content, content[1:]):
        structural_next = _match_article(nxt) or _match_heading(nxt) or _item_kind(nxt)
        if not _is_terminated(line) and not structural_next and not _match_heading(line):
            wrapped += 1
    return wrapped >= 2 and wrapped / max(1, len(content)) >= 0.1


def _running_headers(lines: list[str]) -> set[str]:
    """Lines a PDF repeats at the top or bottom of most pages (issuer, "征求意见稿").
    Pages end at form feeds or page numbers; a line counts when it sits within two lines
    of a page edge every time it occurs, on at least half of the pages."""
    pages: list[list[str]] = [[]]
    for line in lines:
        if _is_page_furniture(line):
            pages.append([])
        elif line:
            pages[-1].append(line)
    pages = [page for page in pages if page]
    at_edge: dict[str, int] = {}
    anywhere: dict[str, int] = {}
    for page in pages:
        edges = set(page[:2] + page[-2:])
        for line in page:
            anywhere[line] = anywhere.get(line, 0) + 1
            if line in edges:
                at_edge[line] = at_edge.get(line, 0) + 1
    return {
        line for line, n in at_edge.items()
        if n == anywhere[line] and n >= max(2, len(pages) / 2) and not _is_terminated(line)
        and not (_match_article(line) or _match_heading(line) or _item_kind(line))
    }


# ------------------------------------------------------------------ public API


def parse_text(text: str, source: str | None = None) -> ParsedDraft:
    """Parse draft text into title and articles (empty list when none are found)."""
    lines = _clean_lines(text)
    header, body = _split_header(lines)
    hard_wrapped = _looks_hard_wrapped(body)
    builder = _Builder(
        hard_wrapped=hard_wrapped,
        title=_title_from_header(header),
        running=_running_headers(body) if hard_wrapped else set(),
    )
    for line in body:
        builder.feed(line)
    return builder.result(source)


def parse_file(path: Path | str) -> ParsedDraft:
    """Read and parse a draft file; InputError when it holds no articles."""
    from pipeline.drafts.reader import read_document

    path = Path(path)
    parsed = parse_text(read_document(path), source=str(path))
    if not parsed.articles:
        raise InputError(f"{path}: no articles (第X条) found", message_zh="文件中没有找到条文（第X条）")
    return parsed


def format_outline(parsed: ParsedDraft, width: int = 30) -> str:
    """Title, then 编/章/节 with article ranges and counts, then each article's label
    and the start of its text."""
    lines = [parsed.title or "(untitled)", f"{len(parsed.articles)} articles"]
    previous: tuple[str | None, ...] = (None, None, None)
    for article in parsed.articles:
        path = _heading_path(article)
        depth = 0
        for level, heading in enumerate(path):
            if heading is None:
                continue
            if path[: level + 1] != previous[: level + 1]:
                members = [a for a in parsed.articles if _heading_path(a)[: level + 1] == path[: level + 1]]
                lines.append("  " * depth + f"{heading}  ({_range(members)})")
            depth += 1
        lines.append("  " * depth + f"{article.label}  {_preview(article.text, width)}")
        previous = path
    return "\n".join(lines)


def _heading_path(article: Article) -> tuple[str | None, str | None, str | None]:
    return (article.part, article.chapter, article.section)


def _range(articles: list[Article]) -> str:
    count = f"{len(articles)} article{'s' if len(articles) != 1 else ''}"
    if len(articles) == 1:
        return f"{articles[0].label}, {count}"
    return f"{articles[0].label}–{articles[-1].label}, {count}"


def _preview(text: str, width: int) -> str:
    flat = text.replace("\n", " ")
    return flat if len(flat) <= width else flat[:width] + "…"
