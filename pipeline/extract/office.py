"""Office files (Word, Excel, and legacy formats through LibreOffice) → page records.

One task reads one whole file; the readers give the same page records as the PDF reader
(see office_layout), so the later stages do not care where a list came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import importlib
from pathlib import Path
import tempfile

from pipeline.common.records import PageRecord, records_to_rows
from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile
from pipeline.extract.formats import open_zip

LABELS = {"docx": "Word document", "xlsx": "Excel workbook", "xls": "Excel workbook",
          "doc": "Word document", "wps": "WPS document", "et": "WPS spreadsheet", "ofd": "OFD document",
          "html": "web page", "mht": "saved web page (MHTML)"}  # fmt: skip
# Formats read straight from their file by one function (module, function), imported when used.
DIRECT = {
    "xls": ("pipeline.extract.sheets", "read_xls"),
    "html": ("pipeline.extract.web", "read_web_file"),
    "mht": ("pipeline.extract.web", "read_web_file"),
}


def _direct(fmt: str) -> Callable[[Path], list[PageRecord]] | None:
    where = DIRECT.get(fmt)
    return getattr(importlib.import_module(where[0]), where[1]) if where else None


@dataclass(frozen=True)
class OfficeTask:
    """Read one office file (all of it: `first`/`last` count it as one unit of work)."""

    path: str
    fmt: str  # docx | xlsx | xls | doc | wps | et | ofd
    settings: ExtractSettings
    first: int = 0
    last: int = 1


def read_office(path: Path, fmt: str, settings: ExtractSettings) -> list[PageRecord]:
    """Page records of an office file; raises RejectedFile with the reason."""
    # The readers are imported here, not with this module: a build of PDFs alone (the usual
    # case) need not load them (XML parsing, zip and subprocess handling: 0.03 s) before it starts.
    from pipeline.extract.legacy import TARGET, conversion_timeout, convert
    from pipeline.extract.sheets import read_xlsx
    from pipeline.extract.word import read_docx

    direct = _direct(fmt)
    if direct is not None:
        return direct(path)
    if fmt in TARGET:
        with tempfile.TemporaryDirectory(prefix="duty-convert-") as tmp:
            timeout = conversion_timeout(settings.convert_timeout, settings.budget_seconds)
            converted = convert(path, fmt, Path(tmp), timeout)
            return read_office(converted, TARGET[fmt], settings)
    with open_zip(path, settings.max_unzipped_bytes, settings.max_zip_ratio) as z:
        if fmt == "ofd":
            from pipeline.extract.ofd import read_ofd

            return read_ofd(z, settings)
        return read_docx(path, z) if fmt == "docx" else read_xlsx(path, z)


def office_records(task: OfficeTask) -> tuple[list[PageRecord], str | None]:
    """(page records, None) or ([], the reason the file is rejected): never raises."""
    try:
        records = read_office(Path(task.path), task.fmt, task.settings)
    except RejectedFile as exc:
        return [], str(exc)
    except MemoryError:  # over the memory budget, said so by the budget (not "unreadable … (MemoryError)")
        raise
    except Exception as exc:  # any parser failure rejects the file with its reason
        detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
        return [], f"unreadable {LABELS[task.fmt]} ({type(exc).__name__}{': ' + detail if detail else ''})"
    if sum(r["n_chars"] for r in records) == 0:
        return [], f"empty {LABELS[task.fmt]} (no text in it)"
    return records, None


def run_office_task(task: OfficeTask) -> dict:
    """The result of one office file in the form of a PDF page task's, with its page count."""
    records, error = office_records(task)
    if error is not None:
        return {"error": error}
    return {
        "rows": records_to_rows(records),
        "n_chars": sum(r["n_chars"] for r in records),
        "pages": len(records),
    }
