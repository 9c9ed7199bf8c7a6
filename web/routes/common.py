"""Small helpers the page modules share."""

from __future__ import annotations


def local_path(value: str | None, default: str = "/") -> str:
    """A redirect target from a form: only a path on this site (no //host, no scheme)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import UploadFile

from minyi.core.errors import InputError

MAX_UPLOAD = 50 * 1024 * 1024  # bytes per file
UPLOAD_SUFFIXES = (".xlsx", ".xls", ".csv", ".docx", ".eml", ".jsonl", ".txt", ".md")


def safe_name(name: str | None, index: int) -> str:
    """The upload's own file name (importers use it as the source name), without any path."""
    base = Path((name or "").replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f/:*?\"<>|]", "_", base).strip(". ") or f"upload-{index}"
    return base[:150]


@contextmanager
def saved_uploads(files: list[UploadFile], suffixes: tuple[str, ...] = UPLOAD_SUFFIXES) -> Iterator[list[Path]]:
    """The uploaded files written to a temporary folder (removed afterwards)."""
    chosen = [f for f in files if f is not None and f.filename]
    if not chosen:
        raise InputError("no file uploaded", message_zh="请选择要上传的文件")
    folder = Path(tempfile.mkdtemp(prefix="minyi-upload-"))
    try:
        paths = []
        for i, upload in enumerate(chosen):
            name = safe_name(upload.filename, i)
            if not name.lower().endswith(suffixes):
                raise InputError(f"{name}: unsupported file type",
                                 message_zh=f"“{name}”的文件类型不受支持（可上传 {'、'.join(suffixes)}）")
            path = folder / name
            with path.open("wb") as out:
                size = 0
                while chunk := upload.file.read(1024 * 1024):
                    size += len(chunk)
                    if size > MAX_UPLOAD:
                        raise InputError(f"{name}: larger than {MAX_UPLOAD} bytes", message_zh=f"“{name}”超过50MB")
                    out.write(chunk)
            paths.append(path)
        yield paths
    finally:
        shutil.rmtree(folder, ignore_errors=True)
