"""The sample consultation (samples/ebike) as the vector stages see it: its draft's articles
and its gold-labelled points. Used by the calibration, the generator and the tests.

The draft comes from ``samples/ebike/draft.md`` through the draft parser when both exist;
otherwise it is rendered from ``samples/ebike/src/regulation.py`` (the source the sample is
built from, numbering the 征求意见稿's articles in order, exactly as build_sample does).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

from pipeline.semantic import ArticleDoc

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "samples" / "ebike"
SRC = SAMPLE / "src"


def _load_src(name: str):  # type: ignore[no-untyped-def]
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))  # the src modules import each other by bare name
    spec = importlib.util.spec_from_file_location(f"ebike_{name}", SRC / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _articles_from_source() -> list[ArticleDoc]:
    from minyi.core.numerals import to_chinese

    reg = _load_src("regulation")
    numbers: dict[str, int] = {}
    for entry in reg.REG:
        if isinstance(entry, reg.A) and entry.draft is not None:
            numbers[entry.key] = len(numbers) + 1
    fmt = {k: to_chinese(n) for k, n in numbers.items()}
    chapter = section = None
    docs = []
    for entry in reg.REG:
        if isinstance(entry, tuple):
            if entry[0] == "chapter":
                chapter, section = entry[1], None
            else:
                section = entry[1]
            continue
        if entry.draft is None:
            continue
        text = entry.draft.format(**{k: fmt.get(k, "") for k in _keys(reg)})
        label, _, rest = text.partition("　")
        docs.append(
            ArticleDoc(
                key=str(numbers[entry.key]),
                label=label,
                text=rest.strip(),
                chapter=" ".join(x for x in (chapter, section) if x),
            )
        )
    return docs


def _keys(reg) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.key for e in reg.REG if isinstance(e, reg.A)]


def sample_articles() -> list[ArticleDoc]:
    """The 征求意见稿's articles (parsed draft.md if possible, else rendered from source)."""
    draft_md = SAMPLE / "draft.md"
    if draft_md.is_file():
        try:
            from pipeline.drafts.parser import parse_file
            from pipeline.semantic import articles_from_draft

            docs = articles_from_draft(parse_file(draft_md))
            if docs:
                return docs
        except Exception:  # the parser is still being written: fall back to the source
            pass
    return _articles_from_source()


def sample_points() -> list[dict]:
    """Gold points: {"text", "articles", "explicit", "type", "campaign", "duplicate_of",
    "file", "key", "declared", "quoted"} from labels.jsonl (or the source rows before it
    exists). ``declared`` is True when the record itself names an article outside the text
    (a form's 涉及条款/原文 column, a forum post's picked article): those points are mapped
    from the declaration, not semantically. ``quoted`` is the form's 原文 cell, if any."""
    labels = SAMPLE / "labels.jsonl"
    if labels.is_file():
        declared = _declarations()
        points = []
        for line in labels.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                decl = declared.get((record["file"], str(record["key"])), (False, None))
                for p in _points_of(record):
                    points.append({**p, "declared": decl[0], "quoted": decl[1]})
        if points:
            return points
    points = []
    for module, text_field in (("form_rows", "修改意见"), ("forum_posts", "text")):
        try:
            mod = _load_src(module)
        except Exception:
            continue
        rows = getattr(mod, "ROWS", None) or getattr(mod, "POSTS", None) or []
        for row in rows:
            whole = row.get(text_field) or ""
            for p in row.get("points", []):
                declared = bool(row.get("涉及条款") or row.get("原文") or row.get("articles"))
                points.append({**p, "text": whole if p["text"] == "*" else p["text"],
                               "campaign": row.get("campaign"), "declared": declared,
                               "quoted": row.get("原文") or None})
    return points


def _declarations() -> dict[tuple[str, str], tuple[bool, str | None]]:
    """(file, key) → (declares an article?, quoted draft text) for the sample's records."""
    out: dict[tuple[str, str], tuple[bool, str | None]] = {}
    comments = SAMPLE / "comments"
    for xlsx in sorted(comments.glob("*.xlsx")):
        for row_no, decl in _form_declarations(xlsx.read_bytes()).items():
            out[(f"comments/{xlsx.name}", row_no)] = decl
    for eml in sorted(comments.glob("*.eml")):
        import email
        from email import policy

        message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        for n, part in enumerate(message.iter_attachments(), 1):
            if (part.get_filename() or "").endswith(".xlsx"):
                for row_no, decl in _form_declarations(part.get_payload(decode=True)).items():
                    out[(f"comments/{eml.name}", f"message-1/attachment-{n}/row-{row_no}")] = decl
    for doc in sorted(comments.glob("*.docx")):
        import docx

        for t, table in enumerate(docx.Document(str(doc)).tables, 1):
            header = [c.text.strip() for c in table.rows[0].cells]
            for r, row in enumerate(table.rows[1:], 1):
                cells = dict(zip(header, (c.text.strip() for c in row.cells)))
                declared = bool(cells.get("条款") or cells.get("涉及条款"))
                out[(f"comments/{doc.name}", f"table-{t}-row-{r}")] = (declared, None)
    forum = SAMPLE / "comments" / "论坛导出.jsonl"
    if forum.is_file():
        for line in forum.read_text(encoding="utf-8").splitlines():
            if line.strip():
                post = json.loads(line)
                out[(f"comments/{forum.name}", str(post["id"]))] = (bool(post.get("articles")), None)
    return out


def _form_declarations(data: bytes) -> dict[str, tuple[bool, str | None]]:
    """序号 → (declares an article?, quoted 原文) for an 意见征集表 workbook."""
    import io

    import openpyxl

    rows = list(openpyxl.load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and "序号" in r)
    header = list(rows[header_at])
    out = {}
    for r in rows[header_at + 1 :]:
        if not r or r[0] is None:
            continue
        cell = dict(zip(header, r))
        quoted = str(cell.get("原文") or "").strip() or None
        out[str(cell["序号"])] = (bool(str(cell.get("涉及条款") or "").strip() or quoted), quoted)
    return out


def _points_of(record: dict) -> list[dict]:
    if "points" in record:
        return [
            {**p, "text": p["text"], "campaign": record.get("campaign"),
             "duplicate_of": record.get("duplicate_of"), "file": record.get("file"),
             "key": str(record.get("key"))}
            for p in record["points"]
        ]
    return [record]


def reference_free_points() -> list[dict]:
    """Points with gold articles that cite none explicitly (the semantic mapper's job)."""
    return [p for p in sample_points() if not p.get("explicit") and p.get("articles")]
