"""Office files (Word, Excel, and legacy formats through LibreOffice) → page records.

One task reads one whole file; the readers give the same page records as the PDF reader
(see office_layout), so the later stages do not care where a list came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import tempfile

from pipeline.common.records import PageRecord, records_to_rows
from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile
from pipeline.extract.formats import open_zip
from pipeline.extract.readers import READERS


@dataclass(frozen=True)
class OfficeTask:
    """Read one office file (all of it: `first`/`last` count it as one unit of work)."""

    path: str
    fmt: str  # docx | xlsx | xls | doc | wps | et | ofd
    settings: ExtractSettings
    first: int = 0
    last: int = 1


def read_office(path: Path, fmt: str, settings: ExtractSettings) -> list[PageRecord]:
    """Page records of a file read whole, by its format's reader in the registry (readers.py);
    raises RejectedFile with the reason."""
    return READERS[fmt].read(path, settings)


# The registry's read functions of office formats, imported only when such a file is read (XML
# parsing, zip and subprocess handling: 0.03 s a build of PDFs alone need not wait for).


def read_docx_file(path: Path, fmt: str, settings: ExtractSettings) -> list[PageRecord]:
    from pipeline.extract.word import read_docx

    with open_zip(path, settings.max_unzipped_bytes, settings.max_zip_ratio) as z:
        return read_docx(path, z)


def read_xlsx_file(path: Path, fmt: str, settings: ExtractSettings) -> list[PageRecord]:
    from pipeline.extract.sheets import read_xlsx

    with open_zip(path, settings.max_unzipped_bytes, settings.max_zip_ratio) as z:
        return read_xlsx(path, z)


def read_ofd_file(path: Path, fmt: str, settings: ExtractSettings) -> list[PageRecord]:
    from pipeline.extract.ofd import read_ofd

    with open_zip(path, settings.max_unzipped_bytes, settings.max_zip_ratio) as z:
        return read_ofd(z, settings)


def read_xls_file(path: Path, fmt: str, settings: ExtractSettings) -> list[PageRecord]:
    from pipeline.extract.sheets import read_xls

    return read_xls(path)


def read_web_page(path: Path, fmt: str, settings: ExtractSettings) -> list[PageRecord]:
    from pipeline.extract.web import read_web_file

    return read_web_file(path)


def read_converted(path: Path, fmt: str, settings: ExtractSettings) -> list[PageRecord]:
    """A legacy file (.doc, .wps, .et) converted by LibreOffice, then read as what it became."""
    from pipeline.extract.legacy import TARGET, conversion_timeout, convert

    # A LibreOffice stopped at its time limit can leave its soffice.bin writing its profile for a
    # moment: removing the folder then fails ("Directory not empty"), which must not replace the
    # rejection's words. What is left is removed with the read's scratch folder, after the budget
    # has killed the read's process group (pipeline.extract.budget).
    with tempfile.TemporaryDirectory(prefix="duty-convert-", ignore_cleanup_errors=True) as tmp:
        timeout = conversion_timeout(settings.convert_timeout, settings.budget_seconds)
        converted = convert(path, fmt, Path(tmp), timeout)
        return read_office(converted, TARGET[fmt], settings)


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
        return (
            [],
            f"unreadable {READERS[task.fmt].noun} ({type(exc).__name__}{': ' + detail if detail else ''})",
        )
    if sum(r["n_chars"] for r in records) == 0:
        return [], f"empty {READERS[task.fmt].noun} (no text in it)"
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
