"""The main job on the shipped sample consultation, as a library function.

`minyi demo` (and `make demo`) call :func:`run_demo`: create the database, create the
consultation from ``samples/ebike/consultation.toml``, load its draft, import every comment
file, analyse, detect adoption against the enacted text and write the feedback document.
Each step is idempotent, so running the demo twice gives the same result.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from minyi.errors import InputError

Log = Callable[[str], None]
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "samples" / "ebike"


@dataclass
class DemoResult:
    database_url: str
    consultation_id: int
    steps: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "database_url": self.database_url,
            "consultation_id": self.consultation_id,
            "steps": self.steps,
            "outputs": self.outputs,
        }


def read_manifest(sample_dir: Path) -> dict[str, Any]:
    path = sample_dir / "consultation.toml"
    if not path.is_file():
        raise InputError(f"{path}: sample manifest not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: {exc}") from exc


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def ensure_sample_consultation(session, manifest: dict[str, Any], sample_dir: Path) -> tuple[int, bool]:  # type: ignore[no-untyped-def]
    """Find or create the sample consultation and load its draft; returns (id, created)."""
    from models.entities import Consultation
    from models.store import create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file

    info = manifest["consultation"]
    external_id = info.get("external_id", "sample:ebike")
    existing = session.scalar(select(Consultation).where(Consultation.external_id == external_id))
    if existing is not None:
        return existing.id, False
    point = manifest.get("contact_point", {})
    consultation = create_consultation(
        session,
        title=info["title"],
        issuing_body=info.get("issuing_body"),
        level=info.get("level"),
        opened_on=_as_date(info.get("opened")),
        deadline=_as_date(info.get("deadline")),
        contact_point=point.get("name"),
        contact_point_level=point.get("level"),
        source_url=info.get("source_url"),
        external_id=external_id,
    )
    draft = manifest["draft"]
    draft_path = sample_dir / draft["file"]
    load_draft_version(
        session,
        consultation.id,
        parse_file(draft_path),
        label=draft.get("label", "征求意见稿"),
        source_file=str(draft_path.relative_to(sample_dir.parent.parent)),
        comment_base=True,
    )
    return consultation.id, True


def run_demo(
    workdir: Path,
    *,
    database_url: str | None = None,
    backend: str | None = None,
    sample_dir: Path = SAMPLE_DIR,
    quiet: bool = True,
    log: Log = lambda _msg: None,
) -> DemoResult:
    from models.db import get_engine, session_scope, upgrade

    workdir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{(workdir / 'minyi.db').resolve()}"
    manifest = read_manifest(sample_dir)

    log(f"Creating the database at {url}")
    upgrade(url)
    with session_scope(url) as session:
        consultation_id, created = ensure_sample_consultation(session, manifest, sample_dir)
    result = DemoResult(
        database_url=get_engine(url).url.render_as_string(hide_password=True),
        consultation_id=consultation_id,
    )
    result.steps["consultation"] = {"id": consultation_id, "created": created}
    point = manifest.get("contact_point", {}).get("name")
    result.steps["import"] = _import_comments(url, consultation_id, manifest, sample_dir, point, log)
    result.steps["analyze"] = _analyze(url, consultation_id, backend, quiet, log)
    if manifest.get("final"):
        result.steps["adoption"] = _detect_adoption(url, consultation_id, manifest["final"], sample_dir, log)
    # The demo ends by writing the feedback document.
    result.steps["feedback"] = _write_feedback(url, consultation_id, workdir, result.outputs, log)
    return result


def _import_comments(
    url: str, consultation_id: int, manifest: dict[str, Any], sample_dir: Path, point: str | None, log: Log
) -> dict[str, int]:
    """Import every comment file listed in the manifest, each with its channel."""
    from collectors.importers import import_files
    from models.db import session_scope

    totals = {"files": 0, "imported": 0, "skipped": 0, "quarantined": 0}
    for entry in manifest.get("files", []):
        path = sample_dir / entry["path"]
        log(f"Importing {entry['path']}")
        with session_scope(url) as session:
            summary = import_files(
                session, consultation_id, [path], channel=entry.get("channel"), contact_point=point
            ).to_dict()
        totals["files"] += 1
        for key in ("imported", "skipped", "quarantined"):
            totals[key] += int(summary.get(key, 0))
    return totals


def _analyze(url: str, consultation_id: int, backend: str | None, quiet: bool, log: Log) -> dict[str, Any]:
    """Split, map, deduplicate and cluster what was imported."""
    from minyi.cli.analyze import stage_progress
    from minyi.cli.output import progress
    from models.db import session_scope
    from pipeline.run import analyze

    log("Analysing the comments")
    with session_scope(url) as session, progress(quiet) as bar:
        summary = analyze(session, consultation_id, backend=backend, progress=stage_progress(bar))
    return summary.to_dict()


def _detect_adoption(url: str, consultation_id: int, final: dict[str, Any], sample_dir: Path, log: Log) -> dict[str, Any]:
    """Align the draft with the enacted text and propose what was adopted."""
    from models.adoption_store import detect_adoption
    from models.db import session_scope

    log("Detecting adoption against the enacted text")
    with session_scope(url) as session:
        summary = detect_adoption(
            session, consultation_id, sample_dir / final["file"], label=final.get("label", "公布稿")
        )
    return summary.to_dict()


def _write_feedback(url: str, consultation_id: int, workdir: Path, outputs: dict[str, str], log: Log) -> dict[str, int]:
    """The document the contact point sends upward: .docx (GB/T 9704), .xlsx, .md, and
    .pdf converted from that .docx when LibreOffice is installed."""
    from minyi.errors import DependencyMissing
    from models.db import session_scope
    from reports.feedback import build_feedback, save_feedback, write_feedback
    from reports.pdf import convert_to_pdf

    log("Writing the feedback document")
    stem = workdir / "意见建议"
    with session_scope(url) as session:
        doc = build_feedback(session, consultation_id)
        docx = write_feedback(doc, "docx", str(stem.with_suffix(".docx")))
        save_feedback(session, doc, docx)
    outputs["feedback_docx"] = docx
    outputs["feedback_xlsx"] = write_feedback(doc, "xlsx", str(stem.with_suffix(".xlsx")))
    outputs["feedback_md"] = write_feedback(doc, "md", str(stem.with_suffix(".md")))
    try:
        outputs["feedback_pdf"] = convert_to_pdf(docx, stem.with_suffix(".pdf"))
    except DependencyMissing as exc:
        log(f"PDF skipped: {exc}")
    return {"general": len(doc.general), "articles": len(doc.articles), "others": len(doc.others)}
