"""The readers, by format: the one table that both detection (formats.sniff) and dispatch (the
stage, office.read_office) use.

Every reader answers three questions (the `Reader` protocol):
- detect: does a file's content show this format? By its first bytes (`magic`), the names inside
  its ZIP container (`zip_names`) or the streams of its OLE2 compound file (`ole2_streams`).
  Web pages (formats._web_format) and the checks on names that lie stay in formats.py: they
  weigh the file's name against its content, for every format at once.
- read: the file → page records (pipeline.common.records), by a function named "module:function"
  and imported only when a file of the format is read (a build of PDFs need not load them).
- budget: how the file's reading is split into budgeted tasks:
    "pages"   a PDF: page tasks, each in a budgeted child (pipeline.extract.pdf);
    "file"    one task reads the whole file (office documents, web pages, OFD);
    "frames"  an image: one OCR task per frame (pipeline.extract.ocr);
    "members" an archive: its members take its place among the raw files (archives.py).

A new format is one module with a `read(path, fmt, settings) -> list[PageRecord]` function and
one line in READERS (or a `register` call): detection, the reader recorded in source_files and
the dispatch of its tasks all follow from it.
"""

from __future__ import annotations

from dataclasses import dataclass
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from pipeline.common.records import PageRecord
    from pipeline.common.settings import ExtractSettings

Budget = Literal["pages", "file", "frames", "members"]


class Reader(Protocol):
    """What the extract stage asks of a reader."""

    @property
    def format(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def budget(self) -> Budget: ...

    def detect(self, head: bytes) -> bool:
        """True when a file's first bytes show this format (by magic only)."""
        ...

    def read(self, path: Path, settings: ExtractSettings) -> list[PageRecord]:
        """The file's page records; raises RejectedFile with the reason."""
        ...


@dataclass(frozen=True)
class FormatReader:
    """One registry line: a format, the reader recorded in source_files, how it is budgeted,
    how its content is recognized, and the function that reads it."""

    format: str
    label: str
    budget: Budget
    noun: str = ""  # what a file of it is, in messages ("unreadable Word document (…)")
    reads: str | None = None  # "module:function(path, fmt, settings)"; None: read by the stage itself
    magic: tuple[bytes, ...] = ()  # the file starts with one of these
    # A ZIP holding a member under one of these folders ("word/"), or one of these files at its
    # root (matched case-blind: "OFD.xml").
    zip_names: tuple[str, ...] = ()
    ole2_streams: tuple[str, ...] = ()  # an OLE2 file holding one of these streams

    def detect(self, head: bytes) -> bool:
        return bool(self.magic) and head.startswith(self.magic)

    def read(self, path: Path, settings: ExtractSettings) -> list[PageRecord]:
        if self.reads is None:
            raise ValueError(f"{self.format} files are not read by one function (budget {self.budget})")
        module, function = self.reads.split(":")
        return getattr(importlib.import_module(module), function)(path, self.format, settings)


_OFFICE = "pipeline.extract.office"
READERS: dict[str, FormatReader] = {
    r.format: r
    for r in (
        FormatReader("pdf", "pdfplumber", "pages"),  # %PDF- in the first 1 KiB: formats.sniff
        FormatReader(
            "docx", "docx-xml", "file", "Word document", f"{_OFFICE}:read_docx_file", zip_names=("word/",)
        ),
        FormatReader(
            "xlsx", "openpyxl", "file", "Excel workbook", f"{_OFFICE}:read_xlsx_file", zip_names=("xl/",)
        ),
        FormatReader(
            "ofd", "ofd-xml", "file", "OFD document", f"{_OFFICE}:read_ofd_file", zip_names=("OFD.xml",)
        ),
        FormatReader(
            "xls",
            "xlrd",
            "file",
            "Excel workbook",
            f"{_OFFICE}:read_xls_file",
            ole2_streams=("Workbook", "Book"),
        ),
        FormatReader(
            "doc",
            "libreoffice+docx-xml",
            "file",
            "Word document",
            f"{_OFFICE}:read_converted",
            ole2_streams=("WordDocument",),
        ),
        FormatReader("wps", "libreoffice+docx-xml", "file", "WPS document", f"{_OFFICE}:read_converted"),
        FormatReader("et", "libreoffice+openpyxl", "file", "WPS spreadsheet", f"{_OFFICE}:read_converted"),
        FormatReader("jpeg", "rapidocr", "frames", magic=(b"\xff\xd8\xff",)),
        FormatReader("png", "rapidocr", "frames", magic=(b"\x89PNG",)),
        FormatReader("tiff", "rapidocr", "frames", magic=(b"II*\x00", b"MM\x00*")),
        FormatReader("html", "html.parser", "file", "web page", f"{_OFFICE}:read_web_page"),
        FormatReader(
            "mht", "email+html.parser", "file", "saved web page (MHTML)", f"{_OFFICE}:read_web_page"
        ),
        FormatReader("zip", "zipfile", "members"),  # any other ZIP: formats._zip_format
    )
}


def register(reader: FormatReader) -> None:
    """Add (or replace) a reader: its magic is then recognized and its files read by it."""
    READERS[reader.format] = reader


def by_magic(head: bytes) -> FormatReader | None:
    """The reader whose magic the file starts with, if any."""
    return next((r for r in READERS.values() if r.detect(head)), None)


def by_zip_names(names: set[str]) -> FormatReader | None:
    """The reader of a ZIP container holding these member names (the first in READERS' order)."""
    bare = {n.lstrip("/").lower() for n in names}
    for r in READERS.values():
        for p in r.zip_names:
            if any(n.startswith(p) for n in names) if p.endswith("/") else p.lower() in bare:
                return r
    return None


def by_ole2_streams(streams: set[str]) -> FormatReader | None:
    """The reader of an OLE2 compound file holding these streams."""
    return next((r for r in READERS.values() if streams & set(r.ole2_streams)), None)
