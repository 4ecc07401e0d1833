"""Stage 1, extract: every file in the raw folder → table cells and free text lines per page.

The readers (pipeline.extract.pdf; office.py for Word and Excel files, told apart by content in
formats.py) turn each page into a page record (pipeline.common.records): tables as grids of
cells with their text lines, and the text outside tables. Nothing is interpreted here; a file
that is no duty list in any supported format (a README, an image) is skipped with the reason.

Results are cached per source file under the processed folder, keyed by the file's content
hash and this stage's version, so unchanged files are never read again. Files and pages are
extracted in parallel; results are assembled in page order, so output equals a serial run.

Run alone: python -m pipeline.extract --raw data/raw --processed data/processed
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import sys
import threading
from typing import Any

from pipeline.common.parallel import default_jobs, map_ordered
from pipeline.common.progress import progress
from pipeline.common.records import extract_schema
from pipeline.common.settings import ENGINES, ExtractSettings, settings_bytes
from pipeline.common.sources import RejectedFile, file_sha256, list_sources, source_name
from pipeline.common.storage import (
    EXTRACT_MANIFEST,
    build_dir,
    jsonl_to_arrow,
    prune_cache,
    read_manifest,
    remove_stale_temp_files,
    stage_version,
    write_json,
    write_parquet,
)
from pipeline.extract.formats import sniff
from pipeline.extract.office import OfficeTask, run_office_task
from pipeline.extract.pdf import PageTask, open_for_tasks, run_page_task

MANIFEST = EXTRACT_MANIFEST


RULES: tuple[str, ...] = ("lists",)  # rules files this stage reads (header wording, for sheets)


def version(settings: ExtractSettings) -> str:
    """Changes whenever this stage's code (its folder and pipeline/common), rules or settings change."""
    return stage_version("extract", RULES, settings_bytes(settings))


# --- the stage ----------------------------------------------------------------------------------


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
    pending: list[tuple[dict, list[PageTask | OfficeTask]]] = []
    inputs = list_sources(raw, exclude=processed)
    if not inputs:
        log(f"warning: the raw folder {raw} holds no files; the tables will have no rows")
    for path in inputs:
        entry: dict[str, Any] = {"source_file": source_name(path, raw), "sha256": file_sha256(path)}
        entries.append(entry)
        target = cache / f"{entry['sha256']}.parquet"
        entry["cache"] = target.relative_to(build_dir(processed)).as_posix()
        if target.exists() and entry["sha256"] in previous:
            entry.update(status="ok", **previous[entry["sha256"]])
            continue
        try:
            fmt = sniff(path)
            entry.update(format=fmt.name, reader=fmt.reader)
            if fmt.skip is not None:
                entry.update(status="skipped", reason=fmt.skip)
                continue
            if fmt.name == "pdf":
                page_tasks: list = open_for_tasks(path, settings, jobs)
            else:
                page_tasks = [OfficeTask(str(path), fmt.name, settings)]
            entry["_pages"] = page_tasks[-1].last
            pending.append((entry, page_tasks))
        except RejectedFile as exc:
            entry.update(status="rejected", reason=str(exc))
    tasks = [t for _, ts in pending for t in ts]
    owners = [entry for entry, ts in pending for _ in ts]
    last_page = {id(entry): ts[-1].last for entry, ts in pending}
    results = map_ordered(run_task, tasks, jobs, scheduler)
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
    manifest = {"stage": "extract", "version": stage, "engine": settings.engine, "files": entries}
    write_json(build_dir(processed) / MANIFEST, manifest)
    read = sum(1 for e, _ in pending if e["status"] == "ok")
    cached = sum(1 for e in entries if e["status"] == "ok") - read
    rejected = sum(1 for e in entries if e["status"] == "rejected")
    skipped = sum(1 for e in entries if e["status"] == "skipped")
    log(
        f"extract: {len(entries)} raw files: {read} read, {cached} unchanged (cached), {rejected} rejected"
        + (f", {skipped} skipped (no duty-list format)" if skipped else "")
    )
    return manifest


def run_task(task: PageTask | OfficeTask) -> dict:
    """Run a task of either reader (module level, so worker processes can run it)."""
    return run_page_task(task) if isinstance(task, PageTask) else run_office_task(task)


def _import_arrow() -> None:
    import pyarrow.json  # noqa: F401
    import pyarrow.parquet  # noqa: F401


def _previous_pages(processed: Path) -> dict[str, dict]:
    """Page counts, formats and readers of files the last run extracted, by content hash."""
    old = read_manifest(build_dir(processed) / MANIFEST)
    keep = ("pages", "format", "reader")
    return {
        e["sha256"]: {k: e[k] for k in keep if k in e}
        for e in old.get("files", [])
        if e.get("status") == "ok"
    }


def _finish(entry: dict, parts: list[dict], cache: Path) -> None:
    """Write one file's extracted pages (the results of its page tasks, in order), or reject it."""
    pages = entry.pop("_pages")
    pages = parts[0].get("pages", pages)  # an office file counts its pages once read
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
    ap.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get("ENGINE") or ExtractSettings.engine,
        help="PDF reader: pdfium (fast, the default) or pdfplumber (the reference)",
    )
    args = ap.parse_args(argv)
    if not args.raw.is_dir():
        print(f"extract: raw folder {args.raw} does not exist", file=sys.stderr)
        return 2
    run(
        args.raw,
        args.processed,
        ExtractSettings(engine=args.engine),
        jobs=args.jobs,
        scheduler=args.scheduler,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
