"""What a raw file is, judged from its bytes rather than its name, and which reader reads it.

A PDF starts with %PDF-; a Word or Excel file (.docx, .xlsx) is a ZIP holding word/ or xl/;
legacy Office files (.doc, .xls, .wps, .et) are OLE2 compound files, told apart by the streams
they hold; a JPEG, PNG or TIFF image is a scan or photo, read by OCR (the magic bytes, ZIP
member names and OLE2 streams of each format are declared in the reader registry, readers.py); a web page is HTML (or an
MHTML message) in any encoding; any other ZIP is an archive whose members are read one by one
(archives.py); a 7z or RAR archive is rejected saying how to unpack it. A file of none of these
kinds is no duty list the pipeline can read: it is skipped with the reason (a README, a GIF
image), unless its name claims a supported format, in which case it is rejected as damaged or
mislabelled.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
import re
import zipfile
import zlib

from pipeline.common.sources import RejectedFile
from pipeline.extract.readers import READERS as REGISTRY
from pipeline.extract.readers import by_magic, by_ole2_streams, by_zip_names

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")

# Extensions that name a format this project reads; a file so named must be one.
SUPPORTED_EXTENSIONS = {
    ".pdf": "a PDF",
    ".docx": "a Word document (.docx)",
    ".docm": "a Word document (.docm)",
    ".xlsx": "an Excel workbook (.xlsx)",
    ".xlsm": "an Excel workbook (.xlsm)",
    ".xls": "an Excel workbook (.xls)",
    ".doc": "a Word document (.doc)",
    ".wps": "a WPS document (.wps)",
    ".et": "a WPS spreadsheet (.et)",
    ".ofd": "an OFD document (.ofd)",
    ".zip": "a ZIP archive",
    ".mht": "a saved web page (.mht)",
    ".mhtml": "a saved web page (.mhtml)",
}

# Names under which Word, Excel and WPS (and systems exporting "Excel" files) save web pages.
HTML_UNDER_OFFICE_NAMES = (".xls", ".doc", ".et", ".wps")
WEB_EXTENSIONS = (".htm", ".html", ".shtml", ".xhtml", ".mht", ".mhtml")
_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<table[\s>]", re.I)
_TABLE = re.compile(rb"<table[\s>/]", re.I)
MAX_WEB_SCAN = 64 << 20  # a web page larger than this is read without first looking for a <table>


@dataclass(frozen=True)
class Format:
    """A raw file's format ("pdf", "docx", "xlsx", "xls", "doc", "wps", "et", or what it is
    when unsupported), its reader, and why it is skipped (None when it is read)."""

    name: str
    reader: str | None = None
    skip: str | None = None


def sniff(path: Path) -> Format:
    """The format of a raw file from its first bytes; raises RejectedFile for an empty file or
    one whose name promises a format its content does not have."""
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile("empty file (0 bytes)")
    with path.open("rb") as f:
        head = f.read(4096)
    ext = path.suffix.lower()
    if path.name.startswith("~$"):  # Office's owner file beside a document that was open
        return Format(
            "lock", None, "not a duty list file: an Office lock file (~$…) left while a document was open"
        )
    if head.startswith(ZIP_MAGIC):  # before the PDF check: a stored zip may hold a PDF's first bytes
        return _zip_format(path, ext)
    if b"%PDF-" in head[:1024]:
        return Format("pdf", REGISTRY["pdf"].label)
    if head.startswith(OLE2_MAGIC):
        return _ole2_format(path, ext)
    known = by_magic(head)  # images read by OCR (other images, e.g. GIF or BMP, are skipped), …
    if known is not None:
        return Format(known.format, known.label)
    from pipeline.extract.archives import unsupported_archive

    archive = unsupported_archive(head)
    if archive is not None:
        raise RejectedFile(archive)
    web = _web_format(path, head, ext)
    if web is not None:
        return web
    kind = _unsupported_kind(head, ext)
    if ext in SUPPORTED_EXTENSIONS:
        if ext == ".pdf":  # the wording the PDF checks have always used
            what = "text" if _looks_like_text(head) else "binary data"
            raise RejectedFile(f"not a PDF (the file starts with {what}, not %PDF-)")
        hint = " (a web page saved under this name; open it and save it as .docx or .xlsx)"
        raise RejectedFile(
            f"not {SUPPORTED_EXTENSIONS[ext]}: the file holds {kind}" + (hint if "HTML" in kind else "")
        )
    return Format(ext.lstrip(".") or "unknown", None, f"not a duty list file: {kind} (nothing to read)")


def _zip_format(path: Path, ext: str) -> Format:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        label = SUPPORTED_EXTENSIONS.get(ext, "a Word or Excel file").split(" ", 1)[1]
        raise RejectedFile(
            f"damaged {label}: its ZIP container is incomplete (the file was cut short or corrupted)"
        ) from None
    known = by_zip_names(names)  # word/, xl/, OFD.xml (GB/T 33190's entry file), …
    if known is not None:
        return Format(known.format, known.label)
    if ext == ".ofd":
        raise RejectedFile("not an OFD document (.ofd): a ZIP archive without OFD.xml")
    if ext in SUPPORTED_EXTENSIONS and ext != ".zip":
        raise RejectedFile(
            f"not {SUPPORTED_EXTENSIONS[ext]}: a ZIP archive without word/document.xml or xl/workbook.xml"
        )
    return Format("zip", REGISTRY["zip"].label)


def _web_format(path: Path, head: bytes, ext: str) -> Format | None:
    """A web page (HTML in any encoding, or an MHTML message); one without any <table> clearly
    holds no list and is skipped. Under a legacy Office name (Word's and Excel's "save as web
    page", a system's export as .xls) a page with a table is read as the page it is; otherwise
    None, and sniff rejects the file as not being what its name says."""
    from pipeline.extract.web import is_mhtml

    claimed = ext in SUPPORTED_EXTENSIONS and ext not in (".mht", ".mhtml")
    if claimed and ext not in HTML_UNDER_OFFICE_NAMES:
        return None
    if is_mhtml(head):
        return Format("mht", REGISTRY["mht"].label)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: look at its ASCII
        head = (
            head[2:]
            .decode("utf-16-le" if head[1] == 0xFE else "utf-16-be", "ignore")
            .encode("ascii", "ignore")
        )
    starts_with_markup = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")  # not a note quoting HTML
    looks_html = starts_with_markup and _HTML_START.search(head) is not None
    if not looks_html and not (ext in WEB_EXTENSIONS and b"<" in head and not claimed):
        return None
    size = path.stat().st_size
    if size <= MAX_WEB_SCAN:
        data = path.read_bytes()
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
            data = data.decode("utf-16", "ignore").encode("utf-8", "ignore")
        if _TABLE.search(data) is None:
            if claimed:  # a download's error page under a document's name: rejected, not skipped
                return None
            return Format("html", None, "not a duty list file: a web page without a table (nothing to read)")
    return Format("html", REGISTRY["html"].label)


def ole2_streams(path: Path) -> set[str]:
    """Names of the streams and storages in an OLE2 compound file."""
    from xlrd.compdoc import CompDoc

    try:
        doc = CompDoc(path.read_bytes(), logfile=_NullLog())
    except MemoryError:  # over the memory budget: the budget says so, in words
        raise
    except Exception as exc:
        raise RejectedFile(f"damaged Office file (its OLE2 container is unreadable: {exc})") from None
    return {d.name for d in doc.dirlist}


class _NullLog:
    def write(self, *args) -> None:
        pass


def _ole2_format(path: Path, ext: str) -> Format:
    streams = ole2_streams(path)
    if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
        raise RejectedFile("password-protected Office file (remove the password, save it again and rerun)")
    known = by_ole2_streams(streams)  # .xls (and .et saved in the Excel format: xlrd reads both), .doc
    if known is not None:
        name = "wps" if known.format == "doc" and ext == ".wps" else known.format
        return Format(name, REGISTRY[name].label)
    if ext in (".wps", ".et", ".doc"):  # other WPS/Works layouts: LibreOffice decides
        name = ext.lstrip(".")
        return Format(name, REGISTRY[name].label)
    if ext in SUPPORTED_EXTENSIONS:
        raise RejectedFile(f"not {SUPPORTED_EXTENSIONS[ext]}: an OLE2 file without a document or workbook")
    return Format(
        "ole2", None, "not a duty list file: an Office file that is neither a document nor a workbook"
    )


_IMAGES = {
    b"\xff\xd8\xff": "a JPEG image",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"II*\x00": "a TIFF image",
    b"MM\x00*": "a TIFF image",
    b"BM": "a BMP image",
}


def _unsupported_kind(head: bytes, ext: str) -> str:
    """A few words saying what a file of no supported format holds."""
    for magic, kind in _IMAGES.items():
        if head.startswith(magic):
            return kind + " (only JPEG, PNG and TIFF images are read, by OCR)"
    if not _looks_like_text(head):
        return "binary data of an unknown format"
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("{", "[")):
        return "JSON data"
    if text.startswith(("<!doctype html", "<html")) or ext in (".htm", ".html"):
        return "HTML text"
    return "text"


def _looks_like_text(head: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def open_zip(path: Path, max_unzipped: int, max_ratio: float) -> zipfile.ZipFile:
    """The ZIP container of a .docx/.xlsx, after checking it cannot blow up in memory.

    The XML parts (what the readers parse, at many times their size in memory) may not unpack to
    more than `max_unzipped` bytes, nor any member over 1 MiB to more than `max_ratio` times its
    packed size (a decompression bomb); pictures count only through the ratio. The sizes the
    container declares are checked first (cheap), then every member is inflated once and its bytes
    counted, stopping as soon as a limit is passed: a declared size may lie (zipfile then stops at
    it and finds the checksum wrong: a damaged file), and the readers open the file themselves.
    """
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RejectedFile("damaged Office file: its ZIP container is incomplete or corrupted") from None
    infos = z.infolist()
    xml = sum(i.file_size for i in infos if _is_xml(i))
    bomb = next(
        (i for i in infos if i.file_size > 1 << 20 and i.file_size > max_ratio * max(i.compress_size, 1)),
        None,
    )
    unpacked = max(xml, bomb.file_size if bomb is not None else 0)
    if xml <= max_unzipped and bomb is None:
        try:
            unpacked = _inflated_over(z, infos, max_unzipped, max_ratio)
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            NotImplementedError,
            RuntimeError,
            ValueError,
        ):
            z.close()
            raise RejectedFile("damaged Office file: its ZIP container is incomplete or corrupted") from None
    if unpacked:
        z.close()
        packed = path.stat().st_size
        raise RejectedFile(
            f"suspicious ZIP container: {packed / 1e6:.1f} MB unpacks to {unpacked / 1e6:.0f} MB "
            "(a decompression bomb?); not read"
        )
    return z


def _is_xml(info: zipfile.ZipInfo) -> bool:
    return info.filename.lower().endswith((".xml", ".rels", ".vml"))


def _inflated_over(
    z: zipfile.ZipFile, infos: list[zipfile.ZipInfo], max_unzipped: int, max_ratio: float
) -> int:
    """Inflate every member, counting bytes: 0 when all is within the limits, else the bytes
    counted when a limit was passed."""
    xml = 0
    for info in infos:
        if info.is_dir():
            continue
        size = 0
        allowed = max(1 << 20, max_ratio * max(info.compress_size, 1))
        with z.open(info) as member:
            while block := member.read(1 << 20):
                size += len(block)
                if _is_xml(info) and xml + size > max_unzipped:
                    return xml + size
                if size > allowed:
                    return size
        if _is_xml(info):
            xml += size
    return 0
