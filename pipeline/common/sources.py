"""The raw folder: which files are inputs, their content hashes, and byte-level sanity checks.

Every regular, non-hidden file in the raw folder is an input; one that is not a readable
PDF is rejected with a reason, never silently skipped.
"""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path


class RejectedFile(Exception):
    """A raw file that cannot be used; the message is the reason shown to the user."""


def list_sources(raw: Path, exclude: Path | None = None) -> list[Path]:
    """Input files of the raw folder (recursively), in a stable order. EXCLUDE (the processed folder,
    when it lies inside the raw folder) is left out, so the build's own outputs are never inputs."""
    skip = exclude.resolve() if exclude is not None else None
    files = [
        p
        for p in raw.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(raw).parts)
        and not (skip is not None and p.resolve().is_relative_to(skip))
    ]
    return sorted(files, key=lambda p: p.relative_to(raw).as_posix())


def source_name(path: Path, raw: Path) -> str:
    """The file's name as recorded in the tables: its path relative to the raw folder."""
    return path.relative_to(raw).as_posix()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_pdf_bytes(path: Path) -> None:
    """Reject files that cannot be a complete PDF before any parser sees them."""
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile("empty file (0 bytes)")
    with path.open("rb") as f:
        head = f.read(1024)
        f.seek(max(0, size - 2048))
        tail = f.read()
    if b"%PDF-" not in head:
        kind = "text" if _looks_like_text(head) else "binary data"
        raise RejectedFile(f"not a PDF (the file starts with {kind}, not %PDF-)")
    if b"%%EOF" not in tail:
        raise RejectedFile("truncated PDF (no %%EOF end-of-file marker; the file was cut short)")


def _looks_like_text(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True
