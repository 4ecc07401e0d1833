"""Tunable settings of each stage, passed explicitly (no module-level state is read by stages).

Geometry values are in PDF points or in multiples of the text's font size.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field
import json
import os
from pathlib import Path

from pipeline.common import cli

ENGINES = ("pdfium", "pdfplumber")


@dataclass(frozen=True)
class OcrSettings:
    """How scans are read. Lengths in points are converted with the page's resolution."""

    dpi: int = 200  # rendering resolution of a scanned PDF page when its image's own is unknown
    min_dpi: int = 150  # a page image's own resolution is used, within these bounds
    max_dpi: int = 300
    red_margin: int = 60  # red exceeds green and blue by this much: seal ink, removed
    max_skew: float = 3.0  # degrees searched for deskewing
    skew_step: float = 0.05
    line_lift: int = 20  # rulings are found with a threshold this much lighter than the text's
    min_ruling: float = 20.0  # pt: shorter straight ink is a character stroke, not a ruling
    min_table: float = 60.0  # pt: a ruling structure narrower or lower than this is no table
    grid_tolerance: float = 3.0  # pt: rulings closer than this are one grid line
    cell_inset: float = 1.5  # pt kept clear inside a cell's rulings
    min_line: float = 4.0  # pt: ink rows lower than this are noise, not text
    word_gap: float = 24.0  # pt: a wider blank splits free text into separate lines
    line_pad: float = 2.0  # pt of paper around a text line handed to the recogniser
    rec_height: int = 48  # the recognition model's input height (px)
    batch: int = 8  # lines recognised per model call
    threads: int = 1  # onnxruntime threads per process (processes run in parallel)
    glyph_ratio: float = 0.92  # ink height of a CJK line ÷ its font size
    min_image_cover: float = 0.5  # a page without text whose images cover this share is a scan
    # Photographs (ocr.straighten): a sheet on a darker ground covering this share of the frame,
    # its paper this many times as bright as the ground, is warped straight; a sheet whose sides'
    # proportion is within paper_snap of paper_ratio (ISO A: √2) takes it exactly, and is taken
    # to be paper_long_mm long (A4). Light is flattened by a background estimated with a
    # light_kernel (pt) closing, on photos always, elsewhere when it varies by more than
    # max_uneven gray levels; sheet_margin (pt) along the warped sheet's edge is painted white.
    photo_min_area: float = 0.2
    photo_max_area: float = 0.98
    photo_contrast: float = 1.25
    paper_ratio: float = 1.4142
    paper_snap: float = 0.1
    paper_long_mm: float = 297.0
    light_kernel: float = 30.0
    max_uneven: float = 30.0
    sheet_margin: float = 4.0
    # Without a sheet outline, a ruled table whose opposite sides differ by more than this share
    # (keystone: a scan's table differs by a fraction of a percent) is made a rectangle.
    max_keystone: float = 0.012

    def __post_init__(self) -> None:
        if not 72 <= self.min_dpi <= self.dpi <= self.max_dpi <= 600:
            raise ValueError("OcrSettings: need 72 <= min_dpi <= dpi <= max_dpi <= 600")
        if not 0 <= self.red_margin <= 255:
            raise ValueError("OcrSettings: red_margin must be within 0..255")
        if not (0 < self.skew_step <= self.max_skew <= 10):
            raise ValueError("OcrSettings: need 0 < skew_step <= max_skew <= 10")
        if not 0 < self.min_image_cover <= 1:
            raise ValueError("OcrSettings: min_image_cover must be within (0, 1]")
        if not 0 < self.photo_min_area <= self.photo_max_area <= 1:
            raise ValueError("OcrSettings: need 0 < photo_min_area <= photo_max_area <= 1")
        if self.photo_contrast < 1 or self.paper_ratio < 1 or not 0 <= self.paper_snap < 1:
            raise ValueError("OcrSettings: need photo_contrast >= 1, paper_ratio >= 1, 0 <= paper_snap < 1")
        if not 0 < self.max_keystone < 1:
            raise ValueError("OcrSettings: max_keystone must be within (0, 1)")
        if not 0 <= self.max_uneven <= 255:
            raise ValueError("OcrSettings: max_uneven must be within 0..255")
        for name in ("min_ruling", "min_table", "grid_tolerance", "min_line", "word_gap", "glyph_ratio",
                     "paper_long_mm", "light_kernel", "sheet_margin"):  # fmt: skip
            if getattr(self, name) <= 0:
                raise ValueError(f"OcrSettings: {name} must be positive")
        if self.batch < 1 or self.threads < 1 or self.rec_height < 16:
            raise ValueError("OcrSettings: batch and threads must be >= 1, rec_height >= 16")


@dataclass(frozen=True)
class ExtractSettings:
    # PDF reader: "pdfium" (pypdfium2, the default, several times faster) or "pdfplumber"
    # (pdfminer, the reference). Both give the same tables on every PDF in the tests
    # (tests/test_engines.py); a page holding text PDFium cannot decode is read by pdfminer.
    # The reader is part of the cache key.
    engine: str = "pdfium"
    # pdfplumber table finder: Word tables are ruled, so cells come from lines and rectangles.
    table_settings: dict = field(
        default_factory=lambda: {
            "vertical_strategy": "lines",
            "horizontal_strategy": "lines",
            "snap_tolerance": 3,
            "join_tolerance": 3,
            "intersection_tolerance": 3,
            "edge_min_length": 3,
        }
    )
    grid_tolerance: float = 2.0  # cell edges closer than this (pt) are one grid line
    line_tolerance: float = 0.5  # chars whose tops differ by less than this × size share a line
    space_gap: float = 0.3  # gap (× size) between ASCII word chars read as a space
    min_table_cells: int = 2  # fewer cells than this is a box, not a table
    pages_per_task: int = 16  # fewest pages one worker extracts per task
    # Word/Excel files are ZIP archives: refuse one whose XML parts unpack to more than this (a
    # duty list's are well under 1 MiB; parsed, XML takes many times its size), or with a member
    # over 1 MiB that unpacks to more than max_zip_ratio times its packed size (a zip bomb).
    max_unzipped_bytes: int = 64 << 20
    max_zip_ratio: float = 200.0
    # Archives of attachments (.zip, pipeline/extract/archives.py): at most this many members,
    # unpacking to at most this many bytes in all (nested archives included), nested at most
    # this deep (1: no archive inside an archive is opened).
    max_archive_members: int = 1000
    max_archive_bytes: int = 512 << 20
    max_archive_depth: int = 3
    # Seconds LibreOffice may take to convert one .doc/.wps/.et; never more than 3/4 of budget_seconds
    # (pipeline/extract/legacy.py), so the conversion stops before the read's budget does.
    convert_timeout: float = 45.0
    # Budgets (pipeline/extract/budget.py): every read task (a PDF's pages in at most `jobs`
    # parts, an office file, one OCR page, a PDF's first look) runs in a child process that may
    # use this many CPU seconds and hold this much memory (at least a quarter of it for the read
    # itself, however large the forking process); over it, the file is rejected with a
    # line naming the budget. A compressed PDF stream may inflate to at most max_stream_mb (a
    # duty list's largest, a font, is a few MB; a decompression bomb is rejected before reading).
    budget_seconds: float = 60.0
    budget_memory_mb: int = 1024
    max_stream_mb: int = 256
    # OCR per file (a scan or a photograph; the budget above holds for each page): a file with
    # more scanned pages or image frames than max_ocr_pages is rejected before any is read, and
    # one whose pages together take more than ocr_file_seconds of CPU with pages left to read is
    # rejected then, its other pages not read (a duty list has tens of pages, an OCR page takes
    # seconds).
    max_ocr_pages: int = 200
    ocr_file_seconds: float = 1800.0
    ocr: OcrSettings = field(default_factory=OcrSettings)  # pages without a text layer

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(
                f"ExtractSettings.engine must be one of {', '.join(ENGINES)}, not {self.engine!r}"
            )
        _check_positive(
            self, ("grid_tolerance", "line_tolerance", "space_gap", "max_zip_ratio", "convert_timeout")
        )
        _check_count(
            self,
            ("min_table_cells", "pages_per_task", "max_unzipped_bytes", "budget_memory_mb", "max_stream_mb",
             "max_archive_members", "max_archive_bytes", "max_archive_depth", "max_ocr_pages"),
        )  # fmt: skip
        if not isinstance(self.ocr_file_seconds, (int, float)) or not 1 <= self.ocr_file_seconds <= 864000:
            raise ValueError(
                f"ExtractSettings.ocr_file_seconds must be within 1..864000, not {self.ocr_file_seconds!r}"
            )
        if not isinstance(self.budget_seconds, (int, float)) or not 1 <= self.budget_seconds <= 86400:
            raise ValueError(
                f"ExtractSettings.budget_seconds must be within 1..86400, not {self.budget_seconds!r}"
            )
        if self.budget_memory_mb < 64:
            raise ValueError(
                f"ExtractSettings.budget_memory_mb must be at least 64, not {self.budget_memory_mb!r}"
            )


@dataclass(frozen=True)
class CleanSettings:
    # A line ending closer than this (× font size) to the column's right text edge filled the
    # cell, so the paragraph wraps on.
    full_line: float = 1.0
    # A line that stops short ends its paragraph when the next line's leading unit would have
    # fit in the space left, with this much (× font size) to spare for measuring error.
    fit_margin: float = 1.5
    # After a finished sentence, a short line without closing punctuation (a department name)
    # stands alone as a sub-heading when it has at most this many characters.
    max_bare_heading: int = 20
    # Width of a narrow (ASCII) character as a share of a CJK character's, for measuring the
    # unit that starts the next line (digits and Latin letters are a little over half as wide).
    narrow_width: float = 0.55
    # An unbreakable unit (“3·15”“6·14”) may run on over at most this many following lines.
    lead_unit_lines: int = 3
    # A merged cell's text was cut by the page break when its last line ends within this many
    # font sizes of the cell's bottom border.
    foot_gap: float = 1.5
    # Cell padding: the right text edge of a column is known from its multi-line cells when it
    # has at least `edge_min_cells` of them; otherwise it is the border minus the document's
    # usual padding, the `pad_quantile` of all multi-line cells' gaps (`default_pad` points when
    # the document has none).
    edge_min_cells: int = 3
    pad_quantile: float = 0.1
    default_pad: float = 5.0
    # A title's lines are the block's largest print: at least this share of its biggest size.
    title_size_ratio: float = 0.9
    # Text below a page's last table is a title carried to the next page's table when it is
    # at most this many lines (a title printed at the foot of the page before its table).
    max_foot_title_lines: int = 3
    # An item read by OCR whose least certain character has a lower probability than this is
    # listed for proof-reading (a low_confidence note on its source file).
    ocr_review_below: float = 0.9

    def __post_init__(self) -> None:
        _check_positive(self, ("full_line", "fit_margin", "foot_gap", "default_pad"))
        _check_fraction(self, ("narrow_width", "pad_quantile", "title_size_ratio", "ocr_review_below"))
        _check_count(self, ("max_bare_heading", "lead_unit_lines", "edge_min_cells", "max_foot_title_lines"))


def _check_positive(s, names: tuple[str, ...]) -> None:
    for n in names:
        v = getattr(s, n)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            raise ValueError(f"{type(s).__name__}.{n} must be a number ≥ 0, not {v!r}")


def _check_fraction(s, names: tuple[str, ...]) -> None:
    for n in names:
        v = getattr(s, n)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 < v <= 1:
            raise ValueError(f"{type(s).__name__}.{n} must be a number in (0, 1], not {v!r}")


def _check_count(s, names: tuple[str, ...]) -> None:
    for n in names:
        v = getattr(s, n)
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{type(s).__name__}.{n} must be a whole number ≥ 1, not {v!r}")


def settings_bytes(settings) -> bytes:
    """A stage's settings as stable bytes, for its cache key."""
    return json.dumps(asdict(settings), sort_keys=True).encode()


def add_strict_option(ap: argparse.ArgumentParser) -> None:
    """The --strict option, shared by the normalize command and the build."""
    ap.add_argument(
        "--strict",
        action="store_true",
        default=os.environ.get("STRICT", "") not in ("", "0"),
        help="stop on any problem and publish nothing (default: write what was read, list the "
        "problems; also set by the environment variable STRICT=1)",
    )


PARTITIONS = ("auto", "province", "none")
PARTITION_ROWS = 1_000_000  # auto: a build with more item rows writes its large tables by province


def partition_value(text: str) -> str:
    """PARTITION / --partition: auto, province or none (argparse turns the error into one line)."""
    value = text.strip().lower() or "auto"
    if value not in PARTITIONS:
        raise argparse.ArgumentTypeError(f"PARTITION must be one of {', '.join(PARTITIONS)}, not {text!r}")
    return value


def add_partition_option(ap: argparse.ArgumentParser) -> None:
    """The --partition option, shared by the normalize command and the build."""
    ap.add_argument(
        "--partition",
        type=partition_value,
        default=os.environ.get("PARTITION", "auto"),
        help="province: write the item tables, their bridges and duty_steps as datasets, one file per "
        f"province (TABLE.parquet/province=…/part-0.parquet); none: one file each; auto (default): "
        f"province above {PARTITION_ROWS:,} item rows, else none (also the environment variable PARTITION)",
    )


def jobs_value(text: str) -> int:
    """JOBS / --jobs: a whole number of processes, at least 1 (argparse turns the ValueError into
    one line naming the option)."""
    try:
        n = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"JOBS must be a whole number of processes, e.g. 2, not {text!r}"
        ) from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"JOBS must be at least 1, not {text!r}")
    return n


def add_run_options(ap: argparse.ArgumentParser) -> None:
    """The options of a command that reads the raw folder: --raw, --processed, --jobs, --engine
    and --scheduler. --jobs and --engine default to the environment's JOBS and ENGINE, checked
    like the options by `finish_run_options` (a bad value in the environment gives the same one
    line, not a traceback)."""
    ap.add_argument("--raw", type=Path, default=Path("data/raw"), help=cli.RAW_HELP)
    ap.add_argument("--processed", type=Path, default=Path("data/processed"), help=cli.PROCESSED_HELP)
    ap.add_argument("--jobs", type=jobs_value, default=None, help=cli.JOBS_HELP)
    ap.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help=f"{cli.ENGINE_HELP} (default: {ExtractSettings.engine})",
    )
    ap.add_argument("--scheduler", default=os.environ.get("DASK_SCHEDULER") or None, help=cli.SCHEDULER_HELP)


def finish_run_options(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Fill --jobs and --engine from the environment where not given, checking those values."""
    if args.jobs is None and os.environ.get("JOBS", "").strip():
        try:
            args.jobs = jobs_value(os.environ["JOBS"])
        except argparse.ArgumentTypeError as exc:
            ap.error(str(exc))
    if args.engine is None:
        engine = os.environ.get("ENGINE", "").strip() or ExtractSettings.engine
        if engine not in ENGINES:
            ap.error(f"ENGINE must be one of {', '.join(ENGINES)}, not {engine!r}")
        args.engine = engine
