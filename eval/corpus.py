"""A labelled development corpus: eval/corpus/<slug>/ (comments.jsonl, adoption.jsonl, README.md).

The README names the draft and, when there is one, the final text as
``shared/data/laws/<name>.md``; they are looked up under the shared data directory
(``../shared/data`` beside the checkout, or ``/work/shared/data``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EVAL_DIR = Path(__file__).resolve().parent
CORPUS_DIR = EVAL_DIR / "corpus"
REPO = EVAL_DIR.parent
SHARED_CANDIDATES = (REPO.parent / "shared" / "data", Path("/work/shared/data"))

_LAW = re.compile(r"`(?:[^`]*/)?([^`/]+\(\d{4}-\d{2}-\d{2}\)\.md)`")


@dataclass
class Corpus:
    slug: str
    draft: Path
    final: Path | None
    comments: list[dict[str, Any]]
    adoption: list[dict[str, Any]] = field(default_factory=list)


def shared_data_dir() -> Path | None:
    return next((p for p in SHARED_CANDIDATES if (p / "laws").is_dir()), None)


def available() -> list[str]:
    """Slugs with a README naming the draft and a non-empty comments or adoption file (an
    adoption set may stand alone)."""
    out = []
    for d in sorted(CORPUS_DIR.iterdir()):
        readme = d / "README.md"
        labels = [d / "comments.jsonl", d / "adoption.jsonl"]
        if readme.is_file() and any(f.is_file() and f.stat().st_size for f in labels) and _LAW.search(readme.read_text("utf-8")):
            out.append(d.name)
    return out


def _jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def law_files(slug: str) -> tuple[str, str | None]:
    """(draft file name, final file name or None) as the README names them: the first law
    file named is the draft, a second one the final text."""
    names = list(dict.fromkeys(_LAW.findall((CORPUS_DIR / slug / "README.md").read_text("utf-8"))))
    if not names:
        raise ValueError(f"eval/corpus/{slug}/README.md names no shared/data/laws file")
    return names[0], (names[1] if len(names) > 1 else None)


def load(slug: str, shared: Path | None = None) -> Corpus:
    shared = shared or shared_data_dir()
    if shared is None:
        raise FileNotFoundError("shared data (laws/) not found beside the checkout nor in /work/shared/data")
    draft, final = law_files(slug)
    folder = CORPUS_DIR / slug
    return Corpus(
        slug=slug,
        draft=shared / "laws" / draft,
        final=(shared / "laws" / final) if final else None,
        comments=_jsonl(folder / "comments.jsonl"),
        adoption=_jsonl(folder / "adoption.jsonl"),
    )
