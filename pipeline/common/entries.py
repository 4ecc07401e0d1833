"""The typed records that cross stage boundaries (checked by mypy).

- `TaskResult`: what one extract task (a PDF's pages, a whole office file, one OCR page) gives
  back to the gathering process.
- `SourceEntry`: one raw file in the stages' manifests (.build/extract.json, .build/clean.json):
  extract fills what it read, clean adds what it found, normalize turns it into a row of the
  source_files table (`source_row`).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Status = Literal["ok", "rejected", "skipped"]


class TaskResult(TypedDict, total=False):
    """One extract task's result: page rows, or an error (with its technical detail)."""

    rows: list[dict]  # page rows (pipeline.common.records.records_to_rows)
    n_chars: int
    scanned: list[int]  # 0-based pages without a text layer, to OCR
    unread: list[int]  # 1-based pages no reader could load
    ocr: list[int]  # 1-based pages read by OCR
    pages: int  # a file read whole: its page count
    error: str
    error_detail: str
    stopped: bool  # an OCR page not read: its file's OCR time was spent
    budget: dict[str, float]  # CPU, wall time and memory of the task's budgeted child


class SourceEntry(TypedDict):
    """One raw file through the stages. Extract: source_file … budget; clean: folded … items."""

    source_file: str
    sha256: str
    status: Status
    reason: NotRequired[str]
    reason_detail: NotRequired[str | None]
    retry: NotRequired[bool]  # rejected because it changed while read: read again next build
    format: NotRequired[str]
    reader: NotRequired[str]
    pages: NotRequired[int]
    ocr_pages: NotRequired[list[int]]
    unread_pages: NotRequired[list[int]]
    budget: NotRequired[dict[str, float]]
    cache: NotRequired[str]  # the stage's cached rows, relative to .build/
    folded: NotRequired[int]  # look-alike characters folded (clean)
    notes: NotRequired[list[str]]
    problems: NotRequired[list[dict]]
    document_date: NotRequired[str | None]
    items: NotRequired[int]
    n_table_chars: NotRequired[int]  # text conservation (clean): characters printed in list tables
    n_placed_chars: NotRequired[int]  # … of them in a field, an extra column or furniture
    lost_text: NotRequired[list[dict]]  # per page: count and sample of the characters placed nowhere


# What the clean stage carries on from an extract entry (the rest is extract's own bookkeeping).
EXTRACTED: tuple[str, ...] = (
    "source_file",
    "sha256",
    "status",
    "format",
    "reader",
    "pages",
    "ocr_pages",
    "unread_pages",
)


def carried(entry: SourceEntry) -> SourceEntry:
    """The part of an extract entry the clean stage's entry starts from; a failure's reason
    (and its technical detail, when there is one) with it."""
    out: dict[str, Any] = {k: entry[k] for k in EXTRACTED if k in entry}  # type: ignore[literal-required]
    if entry["status"] != "ok":
        out["reason"] = entry.get("reason")
        if entry.get("reason_detail"):  # the technical detail of a reader's failure
            out["reason_detail"] = entry["reason_detail"]
    return out  # type: ignore[return-value]


def source_row(entry: SourceEntry, n_items: int, notes: list[str], build: str) -> dict[str, Any]:
    """The source_files table's row of an entry (schema.toml [source_files])."""
    return {
        "source_file": entry["source_file"],
        "sha256": entry.get("sha256", ""),
        "status": entry["status"],
        "reason": entry.get("reason"),
        "reason_detail": entry.get("reason_detail"),
        "format": entry.get("format"),
        "reader": entry.get("reader"),
        "pages": entry.get("pages"),
        "ocr_pages": entry.get("ocr_pages", []),
        "n_items": n_items,
        "n_folded_chars": entry.get("folded", 0),
        "n_table_chars": entry.get("n_table_chars", 0),
        "n_placed_chars": entry.get("n_placed_chars", 0),
        "notes": entry.get("notes", []) + notes,
        "document_date": entry.get("document_date"),
        "build_id": build,
    }
