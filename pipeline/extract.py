"""Stage 1, extract: every PDF in the raw folder → table cells and free text lines per page.

For each page: the ruled tables pdfplumber finds, as a grid (a vertically merged cell spans
several grid rows), every cell with its text lines and where each line starts and ends, and
the text lines outside tables (titles, footers, cover pages). Nothing is interpreted here.

Results are cached per source file under the processed folder, keyed by the file's content
hash and this stage's version, so unchanged files are never read again. Files and pages are
extracted in parallel; results are assembled in page order, so output equals a serial run.

Run alone: python -m pipeline.extract --raw data/raw --processed data/processed
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import logging
import os
from pathlib import Path
import sys
import threading

from pipeline.geometry import chars_to_lines, grid_from_rulings, slot_index
from pipeline.parallel import default_jobs, map_ordered
from pipeline.progress import progress
from pipeline.settings import ExtractSettings, settings_bytes
from pipeline.sources import RejectedFile, check_pdf_bytes, file_sha256, list_sources, source_name
from pipeline.storage import (
    EXTRACT_MANIFEST,
    build_dir,
    jsonl_to_arrow,
    prune_cache,
    read_manifest,
    read_parquet,
    remove_stale_temp_files,
    rows_to_jsonl,
    stage_version,
    write_json,
    write_parquet,
)

MANIFEST = EXTRACT_MANIFEST


def version(settings: ExtractSettings) -> str:
    """Changes whenever this stage's code, its helpers or its settings change."""
    return stage_version(("extract.py", "geometry.py"), settings_bytes(settings))


# --- one page -------------------------------------------------------------------------------


def unique_chars(chars: list[dict]) -> list[dict]:
    """Upright characters with text, without the duplicates some producers print for bold."""
    seen: set[tuple] = set()
    out = []
    for c in chars:
        if not c["text"] or not c.get("upright", True):
            continue
        key = (c["text"], round(c["x0"]), round(c["top"]))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def lean_objects(page) -> dict[str, list[dict]]:
    """The page's characters and graphics as plain dicts with only the keys used downstream.

    Same coordinates as pdfplumber's own `page.objects` (top-left origin, MediaBox offset
    applied), built straight from pdfminer's layout: pdfplumber's generic attribute copying
    costs a fifth of the extraction time and none of its extra keys are needed here.
    """
    from pdfminer.layout import LTChar, LTContainer, LTCurve, LTLine, LTRect

    height = page.height
    mb_x0, mb_top = page.mediabox[0], page.mediabox[1]
    doctop0 = page.initial_doctop
    out: dict[str, list[dict]] = {"char": [], "line": [], "rect": [], "curve": []}

    def box(obj) -> dict:
        top = height - obj.y1 + mb_top
        return {
            "x0": obj.x0 + mb_x0,
            "x1": obj.x1 + mb_x0,
            "y0": obj.y0,
            "y1": obj.y1,
            "top": top,
            "bottom": height - obj.y0 + mb_top,
            "doctop": doctop0 + top,
            "width": obj.width,
            "height": obj.height,
            "page_number": page.page_number,
        }

    def walk(objs) -> None:
        for obj in objs:
            if isinstance(obj, LTChar):
                d = box(obj)
                d.update(object_type="char", text=obj.get_text(), size=obj.size, upright=obj.upright)
                out["char"].append(d)
            elif isinstance(obj, (LTLine, LTRect, LTCurve)):
                kind = "line" if isinstance(obj, LTLine) else "rect" if isinstance(obj, LTRect) else "curve"
                d = box(obj)
                d["object_type"] = kind
                if kind == "curve":
                    d["pts"] = [(x + mb_x0, mb_top + height - y) for x, y in obj.pts]
                out[kind].append(d)
            elif isinstance(obj, LTContainer):
                walk(obj._objs)

    walk(_layout(page)._objs)
    return out


def _layout(page):
    """pdfminer's layout of a pdfplumber page, without marked-content tags (not used here;
    pdfplumber's tagging aggregator costs a tenth of the parse)."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdfinterp import PDFPageInterpreter

    device = PDFPageAggregator(page.pdf.rsrcmgr, pageno=page.page_number, laparams=None)
    PDFPageInterpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    return device.get_result()


def page_record(page, settings: ExtractSettings) -> dict:
    """Tables (as grids of cells with text lines) and free text lines of one pdfplumber page."""
    from pdfplumber.table import TableFinder

    page._objects = lean_objects(page)
    chars = unique_chars(page.chars)
    finder = TableFinder(page, settings.table_settings)
    h_edges = [(e["top"], e["x0"], e["x1"]) for e in finder.edges if e["orientation"] == "h"]
    v_edges = [(e["x0"], e["top"], e["bottom"]) for e in finder.edges if e["orientation"] == "v"]
    tables = []
    for t in finder.tables:
        if len(t.cells) < settings.min_table_cells:
            continue
        xs, ys, cells = grid_from_rulings(h_edges, v_edges, t.bbox, settings.grid_tolerance)
        if cells:
            tables.append({"bbox": (xs[0], ys[0], xs[-1], ys[-1]), "xs": xs, "ys": ys, "cells": cells})
    tables.sort(key=lambda t: (t["bbox"][1], t["bbox"][0]))
    members: dict[tuple[int, int], list[dict]] = {}
    free = []
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        for ti, t in enumerate(tables):
            slot = slot_index(t["xs"], t["ys"], cx, cy)
            if slot is not None:
                members.setdefault((ti, *slot), []).append(ch)
                break
        else:
            free.append(ch)
    for ti, t in enumerate(tables):
        for cell in t["cells"]:
            inside = [
                ch
                for r in range(cell["r0"], cell["r1"])
                for c in range(cell["c0"], cell["c1"])
                for ch in members.get((ti, r, c), ())
            ]
            cell["lines"] = chars_to_lines(inside, settings.line_tolerance, settings.space_gap)
        del t["xs"], t["ys"]
    return {
        "page": page.page_number,
        "width": float(page.width),
        "height": float(page.height),
        "n_chars": len(chars),
        "tables": tables,
        "text": chars_to_lines(free, settings.line_tolerance, settings.space_gap),
    }


# --- one task: a run of pages of one file -----------------------------------------------------


@dataclass(frozen=True)
class PageTask:
    path: str
    first: int  # 0-based, inclusive
    last: int  # exclusive
    settings: ExtractSettings


def _no_debug(*args, **kwargs) -> None:
    pass


def quiet_pdfminer() -> None:
    """Silence pdfminer's warnings and skip its per-token debug calls (a tenth of parse time)."""
    import pdfminer

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith("pdfminer") and isinstance(logger, logging.Logger):
            logger.debug = _no_debug
    del pdfminer


def run_page_task(task: PageTask) -> dict:
    """Extract pages [first, last) of one PDF; errors come back as a reason, not an exception."""
    import pdfplumber

    quiet_pdfminer()
    try:
        records = []
        with pdfplumber.open(task.path) as pdf:
            for i in range(task.first, task.last):
                page = pdf.pages[i]
                records.append(page_record(page, task.settings))
                page.close()
        # Encoded here, in parallel, rather than in the process that gathers the results.
        return {
            "rows": rows_to_jsonl(records_to_rows(records)),
            "n_chars": sum(r["n_chars"] for r in records),
        }
    except Exception as exc:  # any parser failure rejects the file with its reason
        return {"error": describe_pdf_error(exc)}


def describe_pdf_error(exc: Exception) -> str:
    """One line saying why pdfminer/pdfplumber could not read a file."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    name = type(inner).__name__
    if "Password" in name or "Encryption" in name:
        return "encrypted PDF (a password is needed to open it)"
    detail = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    return f"unreadable PDF ({name}{': ' + detail[:120] if detail else ''})"


def open_for_tasks(path: Path, settings: ExtractSettings, jobs: int) -> list[PageTask]:
    """Check a file and split it into page tasks; raises RejectedFile with the reason."""
    import pdfplumber

    check_pdf_bytes(path)
    try:
        with pdfplumber.open(path) as pdf:
            n = len(pdf.pages)
    except Exception as exc:
        raise RejectedFile(describe_pdf_error(exc)) from None
    if n == 0:
        raise RejectedFile("PDF has no pages")
    # Few large tasks: each task re-opens the file and reloads its fonts. Two tasks per worker
    # keeps both cores busy on a single long file.
    step = max(settings.pages_per_task, -(-n // max(1, jobs)))
    return [PageTask(str(path), a, min(a + step, n), settings) for a in range(0, n, step)]


# --- persistence of page records ----------------------------------------------------------------

_LINE_FIELDS = ("text", "x0", "x1", "top", "bottom", "size")


EXTRACT_SCHEMA_FIELDS = (
    ("page", "int32"),
    ("kind", "string"),  # page | cell | text
    ("table", "int32"),  # index of the table on its page (cells only)
    ("r0", "int32"),  # first grid row of a cell
    ("r1", "int32"),  # grid row boundary where the cell ends (r1 - r0 rows spanned)
    ("c0", "int32"),
    ("c1", "int32"),
    ("x0", "float64"),
    ("top", "float64"),
    ("x1", "float64"),
    ("bottom", "float64"),
    ("n_chars", "int32"),  # characters on the page (page rows only)
)


def extract_schema():
    import pyarrow as pa

    line = pa.struct([("text", pa.string())] + [(k, pa.float64()) for k in _LINE_FIELDS[1:]])
    fields = [(name, getattr(pa, kind)()) for name, kind in EXTRACT_SCHEMA_FIELDS]
    return pa.schema(fields + [("lines", pa.list_(line))])


def records_to_rows(records: list[dict]) -> list[dict]:
    """Page records → table rows: a 'page' row per page, a 'cell' row per table cell, a 'text'
    row per free text line."""
    rows = []
    for rec in records:
        rows.append(
            {"page": rec["page"], "kind": "page", "x0": 0.0, "top": 0.0, "x1": rec["width"],
             "bottom": rec["height"], "n_chars": rec["n_chars"], "lines": []}
        )  # fmt: skip
        for ti, t in enumerate(rec["tables"]):
            for c in t["cells"]:
                row = {"page": rec["page"], "kind": "cell", "table": ti}
                row.update({k: c[k] for k in ("r0", "r1", "c0", "c1", "x0", "top", "x1", "bottom", "lines")})
                rows.append(row)
        for line in rec["text"]:
            row = {"page": rec["page"], "kind": "text", "lines": [line]}
            row.update({k: line[k] for k in ("x0", "top", "x1", "bottom")})
            rows.append(row)
    return rows


def arrow_to_records(table) -> list[dict]:
    """Inverse of records_to_rows: page records in page order."""
    pages: dict[int, dict] = {}
    for row in table.to_pylist():
        p = row["page"]
        if row["kind"] == "page":
            pages[p] = {
                "page": p,
                "width": row["x1"],
                "height": row["bottom"],
                "n_chars": row["n_chars"],
                "tables": [],
                "text": [],
            }
        elif row["kind"] == "cell":
            tables = pages[p]["tables"]
            while len(tables) <= row["table"]:
                tables.append({"cells": []})
            cell = {k: row[k] for k in ("r0", "r1", "c0", "c1", "x0", "top", "x1", "bottom")}
            cell["lines"] = row["lines"]
            tables[row["table"]]["cells"].append(cell)
        else:
            pages[p]["text"].extend(row["lines"])
    for rec in pages.values():
        for t in rec["tables"]:
            cells = t["cells"]
            t["bbox"] = (
                min(c["x0"] for c in cells),
                min(c["top"] for c in cells),
                max(c["x1"] for c in cells),
                max(c["bottom"] for c in cells),
            )
    return [pages[p] for p in sorted(pages)]


# --- the stage ----------------------------------------------------------------------------------


def load_extracted(processed: Path, entry: dict) -> list[dict]:
    """Page records of one extracted source file (an entry of the extract manifest)."""
    return arrow_to_records(read_parquet(build_dir(processed) / entry["cache"]))


def run(
    raw: Path,
    processed: Path,
    settings: ExtractSettings | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    log=print,
) -> dict:
    """Extract every raw file not yet in the cache; write the stage manifest; return it."""
    settings = settings or ExtractSettings()
    remove_stale_temp_files(processed)
    stage = version(settings)
    cache = build_dir(processed) / "extract" / stage
    cache.mkdir(parents=True, exist_ok=True)
    jobs = jobs or default_jobs()
    previous = _previous_pages(processed)
    entries: list[dict] = []
    pending: list[tuple[dict, list[PageTask]]] = []
    for path in list_sources(raw):
        entry = {"source_file": source_name(path, raw), "sha256": file_sha256(path)}
        entries.append(entry)
        target = cache / f"{entry['sha256']}.parquet"
        entry["cache"] = target.relative_to(build_dir(processed)).as_posix()
        if target.exists() and entry["sha256"] in previous:
            entry.update(status="ok", pages=previous[entry["sha256"]])
            continue
        try:
            page_tasks = open_for_tasks(path, settings, jobs)
            entry["_pages"] = page_tasks[-1].last
            pending.append((entry, page_tasks))
        except RejectedFile as exc:
            entry.update(status="rejected", reason=str(exc))
    tasks = [t for _, ts in pending for t in ts]
    owners = [entry for entry, ts in pending for _ in ts]
    last_page = {id(entry): ts[-1].last for entry, ts in pending}
    results = map_ordered(run_page_task, tasks, jobs, scheduler)
    if tasks:  # load the Parquet writer while the workers parse (they are already started)
        threading.Thread(target=_import_arrow, daemon=True).start()
    current: dict | None = None
    parts: list[dict] = []
    bar = progress(total=sum(t.last - t.first for t in tasks), desc="extract", unit="page")
    for owner, task, result in zip(owners, tasks, results, strict=True):
        if owner is not current:
            current, parts = owner, []
        bar.update(task.last - task.first)
        parts.append(result)
        if task.last == last_page[id(owner)]:
            _finish(owner, parts, cache)
    bar.close()
    prune_cache(cache, {Path(e["cache"]).name for e in entries})
    for e in entries:
        if e["status"] != "ok":
            e.pop("cache", None)
    manifest = {"stage": "extract", "version": stage, "files": entries}
    write_json(build_dir(processed) / MANIFEST, manifest)
    read = sum(1 for e, _ in pending if e["status"] == "ok")
    cached = sum(1 for e in entries if e["status"] == "ok") - read
    rejected = sum(1 for e in entries if e["status"] != "ok")
    log(f"extract: {len(entries)} raw files: {read} read, {cached} unchanged (cached), {rejected} rejected")
    return manifest


def _import_arrow() -> None:
    import pyarrow.json  # noqa: F401
    import pyarrow.parquet  # noqa: F401


def _previous_pages(processed: Path) -> dict[str, int]:
    """Page counts of files the last run extracted, by content hash."""
    old = read_manifest(build_dir(processed) / MANIFEST)
    return {e["sha256"]: e["pages"] for e in old.get("files", []) if e.get("status") == "ok"}


def _finish(entry: dict, parts: list[dict], cache: Path) -> None:
    """Write one file's extracted pages (the results of its page tasks, in order), or reject it."""
    pages = entry.pop("_pages")
    error = next((p["error"] for p in parts if "error" in p), None)
    if error is None and sum(p["n_chars"] for p in parts) == 0:
        error = "no text layer (the pages are images, e.g. a scan; run OCR first)"
    if error is not None:
        entry.update(status="rejected", reason=error)
        return
    entry["status"] = "ok"
    entry["pages"] = pages
    table = jsonl_to_arrow(b"".join(p["rows"] for p in parts), extract_schema())
    write_parquet(cache / f"{entry['sha256']}.parquet", table)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=Path("data/raw"))
    ap.add_argument("--processed", type=Path, default=Path("data/processed"))
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS") or 0) or None)
    ap.add_argument("--scheduler", default=os.environ.get("DASK_SCHEDULER") or None)
    args = ap.parse_args(argv)
    if not args.raw.is_dir():
        print(f"extract: raw folder {args.raw} does not exist", file=sys.stderr)
        return 2
    run(args.raw, args.processed, jobs=args.jobs, scheduler=args.scheduler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
