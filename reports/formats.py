"""The one format dispatcher: a format name → the writer that renders a report model in it.

A model names the formats it can be written in (``formats``, a class attribute) and offers
what those formats need:

- docx, pdf, md: ``to_doc(assets_dir) -> Doc`` (figures are drawn into ``assets_dir``: a
  temporary directory for .docx/.pdf, which embed them, ``NAME-charts/`` beside a .md file);
- xlsx: ``to_sheets() -> list[Sheet]``;
- csv: ``to_table() -> (columns, rows)``; jsonl: ``to_records() -> list[dict]``;
- json: ``to_dict()``; table: ``to_text()`` (for the terminal).

File formats (docx, pdf, md, xlsx) need a path and return it; text formats return the text
and also write it to the path when one is given (a CSV file starts with a BOM, so that
Excel reads it as UTF-8).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from minyi.core.errors import InputError
from minyi.core.safety import neutralise_cell


@dataclass(frozen=True)
class Format:
    name: str
    to_file: bool  # True: written to a file only; False: text, printed or saved
    write: Callable[[Any, Path | None], str]


def _with_assets(write_doc: Callable[[Any, Path], str]) -> Callable[[Any, Path | None], str]:
    """A writer whose figures live in a temporary directory until the file embeds them."""

    def write(model: Any, path: Path | None) -> str:
        with tempfile.TemporaryDirectory(prefix="minyi-charts-") as tmp:
            return write_doc(model.to_doc(Path(tmp)), path)  # type: ignore[arg-type]

    return write


def _docx(doc: Any, path: Path) -> str:
    from reports.docx_writer import write_docx

    return write_docx(doc, path)


def _pdf(model: Any, path: Path | None) -> str:
    from reports.pdf import libreoffice_binary, write_pdf

    libreoffice_binary()  # fail before drawing anything
    return _with_assets(write_pdf)(model, path)


def _md(model: Any, path: Path | None) -> str:
    from reports.markdown import write_markdown

    assert path is not None
    return write_markdown(model.to_doc(path.parent / f"{path.stem}-charts"), path)


def _xlsx(model: Any, path: Path | None) -> str:
    from reports.xlsx_writer import write_sheets

    assert path is not None
    return write_sheets(model.to_sheets(), path)


def json_default(obj: Any) -> Any:
    """Dates as ISO text, models by their ``to_dict``, anything else as text."""
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return str(obj)


def csv_text(columns: list[str], rows: list[list[Any]]) -> str:
    """CSV with every cell a spreadsheet could run as a formula neutralised (OWASP)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutralise_cell(c) for c in columns])
    writer.writerows([neutralise_cell(v) for v in row] for row in rows)
    return buf.getvalue()


def _text(render: Callable[[Any], str], *, bom: bool = False) -> Callable[[Any, Path | None], str]:
    def write(model: Any, path: Path | None) -> str:
        text = render(model)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8-sig" if bom else "utf-8")
        return text

    return write


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("docx", True, _with_assets(_docx)),
        Format("pdf", True, _pdf),
        Format("md", True, _md),
        Format("xlsx", True, _xlsx),
        Format("csv", False, _text(lambda m: csv_text(*m.to_table()), bom=True)),
        Format("jsonl", False, _text(
            lambda m: "".join(json.dumps(r, ensure_ascii=False, default=json_default) + "\n" for r in m.to_records())
        )),
        Format("json", False, _text(
            lambda m: json.dumps(m.to_dict(), ensure_ascii=False, indent=2, default=json_default) + "\n"
        )),
        Format("table", False, _text(lambda m: m.to_text())),
    )
}


def check_format(model_type: type, fmt: str | None, path: str | Path | None = None) -> str:
    """The format to write ``model_type`` in: ``fmt``, else the suffix of ``path``. An
    unknown format, or a file format without a path, is an InputError (before any work)."""
    chosen = (fmt or (Path(path).suffix if path is not None else "")).lower().strip().lstrip(".")
    allowed: tuple[str, ...] = model_type.formats  # type: ignore[attr-defined]
    if chosen not in allowed:
        raise InputError(
            f"--format: {chosen or '(none)'!r} is not one of {', '.join(allowed)}",
            message_zh=f"不支持的文件格式：{chosen or '（未指定）'}",
        )
    if FORMATS[chosen].to_file and path is None:
        raise InputError(f"--format {chosen} needs an output file (-o FILE.{chosen})",
                         message_zh="该格式需要指定输出文件")
    return chosen


def write(model: Any, fmt: str | None, path: str | Path | None = None) -> str:
    """Write ``model`` in ``fmt`` (else the format ``path`` ends in). Returns the path of a
    file format, the text of a text format."""
    chosen = check_format(type(model), fmt, path)
    return FORMATS[chosen].write(model, Path(path) if path is not None else None)
