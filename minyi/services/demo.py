"""The main job on the shipped sample consultation, as one workflow.

`minyi demo` (and `make demo`) call :func:`run_demo`: create the database, create the
consultation from ``samples/ebike/consultation.toml``, load its draft, import every comment
file, analyse, detect adoption against the enacted text and write the feedback document.
Each step is idempotent, so running the demo twice gives the same result.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minyi.core.errors import InputError
from minyi.core.progress import Progress, no_progress
from minyi.services.context import SYSTEM, unit_of_work

Log = Callable[[str], None]
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "samples" / "ebike"


@dataclass
class DemoResult:
    database_url: str
    consultation_id: int
    steps: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    web: dict[str, str] = field(default_factory=dict)  # how to open the review application

    def to_dict(self) -> dict[str, Any]:
        return {
            "database_url": self.database_url,
            "consultation_id": self.consultation_id,
            "steps": self.steps,
            "outputs": self.outputs,
            "web": self.web,
        }


def read_manifest(sample_dir: Path) -> dict[str, Any]:
    path = sample_dir / "consultation.toml"
    if not path.is_file():
        raise InputError(f"{path}: sample manifest not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: {exc}") from exc


def ensure_sample_consultation(session, manifest: dict[str, Any], sample_dir: Path) -> tuple[int, bool]:  # type: ignore[no-untyped-def]
    """Find or create the sample consultation and load its draft; returns (id, created)."""
    from minyi.services.consultations import create_consultation, find_by_external_id
    from minyi.services.drafts import parse_draft

    info = manifest["consultation"]
    external_id = info.get("external_id", "sample:ebike")
    existing = find_by_external_id(session, SYSTEM, external_id)
    if existing is not None:
        return existing, False
    point = manifest.get("contact_point", {})
    draft = manifest["draft"]
    draft_path = sample_dir / draft["file"]
    parsed = parse_draft(draft_path)
    # Documents name the draft by its place in the sample, never by an absolute path.
    parsed.source = str(draft_path.relative_to(sample_dir.parent.parent))
    created = create_consultation(
        session,
        SYSTEM,
        title=info["title"],
        issuing_body=info.get("issuing_body"),
        level=info.get("level"),
        opened_on=info.get("opened"),
        deadline=info.get("deadline"),
        contact_point=point.get("name"),
        contact_point_level=point.get("level"),
        source_url=info.get("source_url"),
        external_id=external_id,
        addressee=info.get("addressee"),
        signer=info.get("signer"),
        signed_on=info.get("signed_on"),
        draft=parsed,
        label=draft.get("label", "征求意见稿"),
    )
    return created.id, True


def run_demo(
    workdir: Path,
    *,
    database_url: str | None = None,
    backend: str | None = None,
    sample_dir: Path = SAMPLE_DIR,
    progress: Progress = no_progress,
    log: Log = lambda _msg: None,
    rollup: bool = True,
) -> DemoResult:
    from minyi.services.database import upgrade_database

    workdir.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{(workdir / 'minyi.db').resolve()}"
    manifest = read_manifest(sample_dir)

    log(f"Creating the database at {url}")
    state = upgrade_database(url)
    with unit_of_work(url) as session:
        consultation_id, created = ensure_sample_consultation(session, manifest, sample_dir)
    result = DemoResult(database_url=state.database_url, consultation_id=consultation_id)
    result.steps["consultation"] = {"id": consultation_id, "created": created}
    point = manifest.get("contact_point", {}).get("name")
    result.steps["import"] = _import_comments(url, consultation_id, manifest, sample_dir, point, log)
    result.steps["analyze"] = _analyze(url, consultation_id, backend, progress, log)
    if manifest.get("final"):
        result.steps["adoption"] = _detect_adoption(url, consultation_id, manifest["final"], sample_dir, log)
    # The demo ends by writing the feedback document.
    result.steps["feedback"] = _write_feedback(url, consultation_id, workdir, result.outputs, log)
    if rollup:
        result.steps["rollup"] = _roll_up(url, consultation_id, sample_dir, workdir, backend, log)
    result.web = _web_login(url, workdir)
    return result


def _web_login(url: str, workdir: Path) -> dict[str, str]:
    """A demo administrator and a minyi.toml (this database, a random secret key) in the
    demo folder, so that `minyi serve` started there opens the review application."""
    from minyi.services.accounts import ensure_demo_login

    with unit_of_work(url) as session:
        user, password = ensure_demo_login(session, workdir)
    return {"folder": str(workdir), "command": "minyi serve", "address": "http://127.0.0.1:8000/",
            "user": user, "password": password}


def _roll_up(url: str, consultation_id: int, sample_dir: Path, workdir: Path, backend: str | None,
             log: Log) -> dict[str, Any]:
    """A second, smaller contact point sends its feedback too; the district rolls both up,
    decides adoption and sends the decisions back down."""
    from minyi.services.rollup import demo_rollup

    log("Rolling the feedback up to the district, and the decisions back down")
    with unit_of_work(url) as session:
        return demo_rollup(
            session, sample_dir, workdir, main_consultation_id=consultation_id, backend=backend
        ).to_dict()


def _import_comments(
    url: str, consultation_id: int, manifest: dict[str, Any], sample_dir: Path, point: str | None, log: Log
) -> dict[str, int]:
    """Import every comment file listed in the manifest, each with its channel."""
    from minyi.services.intake import import_files

    totals = {"files": 0, "imported": 0, "skipped": 0, "quarantined": 0}
    for entry in manifest.get("files", []):
        path = sample_dir / entry["path"]
        log(f"Importing {entry['path']}")
        with unit_of_work(url) as session:
            summary = import_files(
                session, SYSTEM, consultation_id, [path], channel=entry.get("channel"), contact_point=point
            ).to_dict()
        totals["files"] += 1
        for key in ("imported", "skipped", "quarantined"):
            totals[key] += int(summary.get(key, 0))
    return totals


def _analyze(url: str, consultation_id: int, backend: str | None, progress: Progress, log: Log) -> dict[str, Any]:
    """Split, map, deduplicate and cluster what was imported."""
    from minyi.services.analysis import analyze

    log("Analysing the comments")
    with unit_of_work(url) as session:
        summary = analyze(session, SYSTEM, consultation_id, backend=backend, progress=progress)
    return summary.to_dict()


def _detect_adoption(url: str, consultation_id: int, final: dict[str, Any], sample_dir: Path, log: Log) -> dict[str, Any]:
    """Align the draft with the enacted text and propose what was adopted."""
    from minyi.services.adoption import detect_adoption

    log("Detecting adoption against the enacted text")
    with unit_of_work(url) as session:
        summary = detect_adoption(
            session, SYSTEM, consultation_id, sample_dir / final["file"], label=final.get("label", "公布稿")
        )
    return summary.to_dict()


def _write_feedback(url: str, consultation_id: int, workdir: Path, outputs: dict[str, str], log: Log) -> dict[str, int]:
    """The document the contact point sends upward: .docx (GB/T 9704), .xlsx, .md, and
    .pdf converted from that .docx when LibreOffice is installed."""
    from minyi.services.documents import feedback_set

    log("Writing the feedback document")
    with unit_of_work(url) as session:
        written, doc = feedback_set(session, SYSTEM, consultation_id, workdir / "意见建议")
    outputs.update({f"feedback_{fmt}": path for fmt, path in written.items()})
    if "pdf" not in written:
        log("PDF skipped: LibreOffice is not installed")
    return {"general": len(doc.general), "articles": len(doc.articles), "others": len(doc.others)}
