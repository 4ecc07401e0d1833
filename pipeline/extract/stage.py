"""Stage 1, extract: every file in the raw folder → table cells and free text lines per page.

Each file's format is told from its content (formats.py) and read by the reader the registry
(readers.py) names for it: PDFs page by page (pdf.py, with PDFium or pdfplumber), Word, Excel,
WPS, OFD files and web pages whole (office.py), JPEG/PNG/TIFF scans and photos by OCR, frame by
frame (ocr.py), as are the scanned pages of a PDF. Every page becomes a page record
(pipeline.common.records): tables as grids of cells with their text lines, and the text outside
tables. A zip's members take its place among the raw files (archives.py), each read by its own
format and named `archive.zip/member`. No list is interpreted here (which column is which, which
row an item, is the clean stage's work), though readers rebuild what a format leaves implicit:
table grids from rulings, Word's automatic numbering, EXIF-turned photos. A file that is no duty
list in any supported format (a README, a GIF image) is skipped with the reason.

Results are cached per source file under the processed folder, keyed by the file's content
hash and this stage's version, so unchanged files are never read again. Files and pages are
extracted in parallel; results are assembled in page order, so output equals a serial run.

Run alone: python -m pipeline.extract --raw data/raw --processed data/processed
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import sys
import tempfile
import threading
from typing import TYPE_CHECKING, Any, cast

from pipeline.common import cli
from pipeline.common.entries import TaskResult
from pipeline.common.freshness import RawFile, changed_while_read, moved, raw_files, stat_key
from pipeline.common.parallel import default_jobs, map_ordered
from pipeline.common.progress import progress
from pipeline.common.records import extract_schema
from pipeline.common.settings import (
    ExtractSettings,
    add_run_options,
    finish_run_options,
    settings_bytes,
)
from pipeline.common.sources import RejectedFile, scan_sources
from pipeline.common.storage import (
    ARROW_IMPORT,
    EXTRACT_MANIFEST,
    build_dir,
    import_arrow,
    prune_cache,
    read_json,
    read_manifest,
    reader_versions,
    remove_stale_temp_files,
    rows_to_arrow,
    rows_to_jsonl,
    stage_version,
    sync_folder,
    write_json,
    write_parquet,
)
from pipeline.common.unicode import has_surrogates, whole
from pipeline.extract import archives
from pipeline.extract import budget as budgets
from pipeline.extract.failures import content_failure, describe, technical
from pipeline.extract.formats import sniff
from pipeline.extract.office import OfficeTask, run_office_task
from pipeline.extract.pdf import PageTask, import_engine, run_page_task
from pipeline.extract.preflight import open_pdf
from pipeline.extract.readers import READERS

if TYPE_CHECKING:
    from pipeline.extract.ocr import OcrTask


def _ocr():
    """The OCR reader, imported only when a scan is read (it imports numpy and OpenCV: 0.06 s
    that a build of text PDFs need not wait for before its workers start). Not while the loader
    thread imports pyarrow without numpy (`import_arrow` hides numpy meanwhile): a scan met then
    used to end the whole build with "import of numpy halted"."""
    with ARROW_IMPORT:
        from pipeline.extract import ocr

    return ocr


MANIFEST = EXTRACT_MANIFEST


RULES: tuple[str, ...] = (
    "lists",
    "ocr",
    "text",
)  # rules this stage reads (header wording; OCR; page numbers)


def version(settings: ExtractSettings) -> str:
    """Changes whenever this stage's code (its folder and pipeline/common), rules, settings or
    the versions of the reading libraries change."""
    return stage_version("extract", RULES, settings_bytes(settings), reader_versions())


# --- the stage ----------------------------------------------------------------------------------


def run(
    raw: Path,
    processed: Path,
    settings: ExtractSettings | None = None,
    jobs: int | None = None,
    scheduler: str | None = None,
    log=print,
    files: list[RawFile] | None = None,
    preload: Callable[[], None] | None = None,
) -> dict:
    """Extract every raw file not yet in the cache; write the stage manifest; return it.

    The members of archives are unpacked to a scratch folder that lives as long as this run."""
    with tempfile.TemporaryDirectory(prefix="duty-archive-") as scratch:
        return _run(raw, processed, settings, jobs, scheduler, log, files, preload, Path(scratch))


def _run(
    raw: Path,
    processed: Path,
    settings: ExtractSettings | None,
    jobs: int | None,
    scheduler: str | None,
    log,
    files: list[RawFile] | None,
    preload: Callable[[], None] | None,
    scratch: Path,
) -> dict:
    """run(), with SCRATCH the folder for archive members, in four phases: look at every file
    (`_Plan.look_at`), read the text pages and whole files (`_read_pages`), OCR the scans
    (`_read_scans`), then check, prune and write the manifest (`_conclude`).

    FILES: the raw files as the build's freshness check saw them (content hash and stat key);
    without it they are listed and hashed here. A file read now that changed while it was read
    is rejected, so its stale content never reaches the tables.

    PRELOAD: work for this process while the workers read (the build imports its later stages),
    done on the loader thread with pyarrow's import, or at the end where there is no such thread."""
    settings = settings or ExtractSettings()
    remove_stale_temp_files(processed)
    stage = version(settings)
    cache = build_dir(processed) / "extract" / stage
    cache.mkdir(parents=True, exist_ok=True)
    if files is None:
        files = raw_files(scan_sources(raw, exclude=processed), raw)
    if not files:
        log(f"warning: the raw folder {raw} holds no files; the tables will have no rows")
    plan = _Plan(processed, settings, cache, jobs or default_jobs(), scratch, _previous_pages(processed))
    plan.look_at(files)
    preload = _read_pages(plan, scheduler, preload)
    if preload is not None:
        preload()
    _read_scans(plan.scans, cache, plan.jobs, scheduler, settings)
    return _conclude(plan, stage, log)


def _reject(entry: dict, exc: Exception) -> None:
    """ENTRY rejected for EXC in one line: a RejectedFile's own words, any other failure described
    (pipeline.extract.failures)."""
    if isinstance(exc, RejectedFile):
        entry.update(status="rejected", reason=str(exc), reason_detail=exc.detail)
    else:
        failure = describe(exc)
        entry.update(status="rejected", reason=failure.reason, reason_detail=failure.detail)


@dataclass(frozen=True)
class _Scan:
    """A file with pages to OCR: its entry, the results of its text-layer tasks (none for an
    image file), its OCR tasks, and its number of pages."""

    entry: dict
    parts: list[dict]
    tasks: list[OcrTask]
    pages: int


@dataclass
class _Plan:
    """Phase 1 of a run: every raw file looked at once, in order. Each becomes an entry of the
    manifest (cached, skipped, rejected, or to read), an archive is replaced by its members, and
    the files to read get their tasks: page tasks or a whole-file task (`pending`), OCR tasks
    (`scans`)."""

    processed: Path
    settings: ExtractSettings
    cache: Path
    jobs: int
    scratch: Path
    previous: dict[str, dict]
    entries: list[dict] = field(default_factory=list)
    read_now: list[tuple[RawFile, dict]] = field(default_factory=list)  # read in this run, checked after
    pending: list[tuple[dict, list[PageTask | OfficeTask]]] = field(default_factory=list)
    scans: list[_Scan] = field(default_factory=list)
    looks: list[tuple[dict, str, int]] = field(
        default_factory=list
    )  # PDFs to look at: (entry, path, pending index)

    def look_at(self, files: list[RawFile]) -> None:
        """Look at the raw files and, in their place, at the members of the archives among them."""
        budget = _budget(self.settings)
        # (file, the raw file it was unpacked from or None, its archive depth, that archive's budget)
        queue: list[tuple[RawFile, RawFile | None, int, archives.Budget | None]] = [
            (f, None, 0, None) for f in files
        ]
        names = {f.name for f in files}
        position = 0
        while position < len(queue):
            f, origin, depth, allowance = queue[position]
            position += 1
            members = self._look(f, origin, depth, allowance, names, budget)
            names.update(m[0].name for m in members)
            queue[position:position] = [(m, origin or f, depth + 1, shared) for m, shared in members]
        self._look_at_pdfs(budget)

    def _look_at_pdfs(self, budget: budgets.Budget) -> None:
        """The PDFs' first looks (their streams measured, their pages counted, each in its
        budgeted child), on all workers at once: one after another they took 20-30 ms each
        before any page was read (0.7 s on 24 files, minutes on thousands). Each PDF's page
        tasks take the place it was given in `pending`, so tasks keep the files' order."""
        if not self.looks:
            return
        import_engine(self.settings.engine)  # the children forked for the looks inherit it
        calls = [(path, self.settings, self.jobs, budget) for _, path, _ in self.looks]
        dropped = set()
        for (entry, _, index), outcome in zip(
            self.looks, map_ordered(_look_at_pdf, calls, self.jobs), strict=True
        ):
            try:
                tasks = _looked(open_pdf, outcome, entry)
                entry["reader"] = tasks[0].settings.engine  # pdfplumber where PDFium failed
                self.pending[index] = (entry, tasks)
            except Exception as exc:  # as in _look: one line
                _reject(entry, exc)
                dropped.add(index)
        self.pending = [p for i, p in enumerate(self.pending) if i not in dropped]
        self.looks = []

    def _look(
        self,
        f: RawFile,
        origin: RawFile | None,
        depth: int,
        allowance: archives.Budget | None,
        names: set[str],
        budget: budgets.Budget,
    ) -> list[tuple[RawFile, archives.Budget]]:
        """One file's entry: a note, cached, or planned (`_plan_file`); an archive's members."""
        page = archives.is_inside_saved_page(f.name.split("/"), names)
        if page is not None and f.status is None:
            f = RawFile(f.path, f.name, [], "", "skipped", f"part of the saved web page {page} (its pictures, "
                        "styles and scripts): not read on its own")  # fmt: skip
        if f.status is not None:  # no file to read (a FIFO, a dangling link, …): a note
            self.entries.append({"source_file": f.name, "sha256": "", "status": f.status, "reason": f.reason})
            return []
        entry: dict[str, Any] = {"source_file": f.name, "sha256": f.sha256}
        self.entries.append(entry)
        target = self.cache / f"{entry['sha256']}.parquet"
        entry["cache"] = target.relative_to(build_dir(self.processed)).as_posix()
        if target.exists() and entry["sha256"] in self.previous:
            entry.update(status="ok", **self.previous[entry["sha256"]])
            return []
        self.read_now.append((origin or f, entry))
        try:
            return self._plan_file(f, entry, depth, allowance, budget)
        except Exception as exc:  # a rejection, or a reader's failure outside its budgeted child
            _reject(entry, exc)
        return []

    def _plan_file(
        self,
        f: RawFile,
        entry: dict,
        depth: int,
        allowance: archives.Budget | None,
        budget: budgets.Budget,
    ) -> list[tuple[RawFile, archives.Budget]]:
        """Sniff a file and plan its reading by its reader's budget kind (readers.py): an
        archive's members (returned, to take its place), an image's OCR frames, a PDF's page
        tasks, or one task for a file read whole. Raises RejectedFile."""
        fmt = sniff(f.path)
        entry.update(format=fmt.name, reader=self.settings.engine if fmt.name == "pdf" else fmt.reader)
        if fmt.skip is not None:
            entry.update(status="skipped", reason=fmt.skip)
            return []
        kind = READERS[fmt.name].budget
        if kind == "members":  # an archive: its members take its place in the queue
            members = _unpack(f, depth, allowance, self.settings, self.scratch)
            if not members:
                entry.update(status="skipped", reason="not a duty list file: an empty ZIP archive")
                return []
            self.entries.pop()
            self.read_now.pop()
            return members
        if kind == "frames":  # a scan or photo: every frame read by OCR
            frames = _first_look(_ocr().image_frames, f.path, budget, entry)
            _check_ocr_pages(frames, frames, self.settings, "frames")
            ocr = self.settings.ocr
            self.scans.append(
                _Scan(entry, [], [_ocr().OcrTask(str(f.path), i, True, ocr) for i in range(frames)], frames)
            )
            return []
        if kind == "pages":  # its first look is taken with the other PDFs' (`_look_at_pdfs`)
            self.looks.append((entry, str(f.path), len(self.pending)))
            self.pending.append((entry, []))
            return []
        self.pending.append((entry, [OfficeTask(str(f.path), fmt.name, self.settings)]))
        return []

    def file_read(self, entry: dict, parts: list[dict], path: str, pages: int) -> None:
        """A file's tasks are done: write it, or plan the OCR of its scanned pages."""
        scanned = [i for p in parts for i in p.get("scanned", ())]
        if not scanned or any("error" in p for p in parts):
            _finish(entry, parts, self.cache, pages)
            return
        try:
            _check_ocr_pages(len(scanned), pages, self.settings, "scanned pages")
        except RejectedFile as exc:
            parts.append({"error": str(exc)})
            _finish(entry, parts, self.cache, pages)
            return
        ocr = self.settings.ocr
        self.scans.append(_Scan(entry, parts, [_ocr().OcrTask(path, i, False, ocr) for i in scanned], pages))


def _read_pages(
    plan: _Plan, scheduler: str | None, preload: Callable[[], None] | None
) -> Callable[[], None] | None:
    """Phase 2: run the planned page and whole-file tasks, in parallel, each in its budget, and
    gather each file's results in order (`_Plan.file_read`). Returns PRELOAD when it is still to
    be done (no loader thread ran it)."""
    tasks = [t for _, ts in plan.pending for t in ts]
    owners = [entry for entry, ts in plan.pending for _ in ts]
    last_page = {id(entry): ts[-1].last for entry, ts in plan.pending}
    budget = _budget(plan.settings)
    results = map_ordered(budgets.Budgeted(run_task, budget, sealed=True), tasks, plan.jobs, scheduler)
    # Load the Parquet writer while the workers parse (they are already started). Not when a task
    # is forked from this process (jobs=1, a single task): a fork must not race a running import.
    loader = threading.Thread(target=_load, args=(scheduler, preload), daemon=True)
    if tasks and (scheduler or (plan.jobs > 1 and len(tasks) > 1)):
        loader.start()
        preload = None
    current: dict | None = None
    parts: list[dict] = []
    bar = progress(total=sum(t.last - t.first for t in tasks), desc="extract", unit="page")
    for owner, task, result in zip(owners, tasks, results, strict=True):
        if owner is not current:
            current, parts = owner, []
        bar.update(task.last - task.first)
        parts.append(budgets.opened(result, budget))
        if task.last == last_page[id(owner)]:
            plan.file_read(owner, parts, task.path, last_page[id(owner)])
    bar.close()
    if loader.is_alive():
        loader.join()  # before OCR tasks may be forked from this process
    return preload


def _conclude(plan: _Plan, stage: str, log) -> dict:
    """Phase 4: reject the files that changed while read, prune the caches, write the manifest
    and say what was read."""
    entries, processed, cache = plan.entries, plan.processed, plan.cache
    _reject_changed(plan.read_now, cache)
    if plan.scans or any(e.get("ocr_pages") for e in entries):
        _prune_ocr_cache(processed, plan.settings, {e["sha256"] for e in entries})
    prune_cache(cache, {Path(e["cache"]).name for e in entries if "cache" in e})
    for e in entries:
        if e["status"] != "ok":
            e.pop("cache", None)
    if plan.read_now:  # the files written now are on disk before the manifest names them
        sync_folder(cache)
    manifest = {"stage": "extract", "version": stage, "engine": plan.settings.engine, "files": entries}
    write_json(build_dir(processed) / MANIFEST, manifest)
    log(_summary(plan))
    return manifest


def _summary(plan: _Plan) -> str:
    """The stage's line: files read, cached, rejected, skipped."""
    entries = plan.entries
    images = [s.entry for s in plan.scans if not s.parts]  # image files (PDFs with scans are in pending)
    read = sum(1 for e in [e for e, _ in plan.pending] + images if e["status"] == "ok")
    cached = sum(1 for e in entries if e["status"] == "ok") - read
    rejected = sum(1 for e in entries if e["status"] == "rejected")
    skipped = sum(1 for e in entries if e["status"] == "skipped")
    return (
        f"extract: {len(entries)} raw files: {read} read, {cached} unchanged (cached), {rejected} rejected"
        + (f", {skipped} skipped (not duty-list files)" if skipped else "")
    )


def _reject_changed(files: list[tuple[RawFile, dict]], cache: Path) -> None:
    """Reject each file read in this run whose content changed since it was hashed; and say so
    for a file whose reading failed while it was being written (its stat key moved), even when
    it ended with the content hashed before (a torn read). Both are marked `retry`: the build's
    state forgets their hash, so the next build reads them again."""
    changed = (
        "the file changed while it was being read (still being copied or saved?); "
        "run make all again when it is complete"
    )
    for f, entry in files:
        if entry["status"] == "ok" and changed_while_read(f):
            (cache / f"{entry['sha256']}.parquet").unlink(missing_ok=True)
            entry.update(status="rejected", reason=changed, retry=True)
        elif entry["status"] == "rejected" and moved(f):
            entry.update(reason=changed, retry=True)


def _unpack(
    f: RawFile, depth: int, allowance: archives.Budget | None, settings: ExtractSettings, scratch: Path
) -> list[tuple[RawFile, archives.Budget]]:
    """The members of archive F as raw files, each with the allowance they share; raises
    RejectedFile for an archive nested too deep, damaged, encrypted or over its budget."""
    if depth >= settings.max_archive_depth:
        raise RejectedFile(
            f"an archive nested {depth} levels deep, over the limit of {settings.max_archive_depth} "
            f"(ExtractSettings.max_archive_depth); {archives.UNPACK}"
        )
    budget = allowance or archives.budget_for(settings)
    out = []
    for m in archives.unpack_zip(f.path, f.name, scratch, settings, budget):
        if m.path is None:
            out.append((RawFile(Path(), m.name, [], "", m.status, m.reason), budget))
        else:
            out.append((RawFile(m.path, m.name, stat_key(os.stat(m.path)), m.sha256), budget))
    return out


def run_task(task: PageTask | OfficeTask) -> dict:
    """Run a task of either reader (module level, so worker processes can run it)."""
    return run_page_task(task) if isinstance(task, PageTask) else run_office_task(task)


def _budget(settings: ExtractSettings) -> budgets.Budget:
    return budgets.Budget(settings.budget_seconds, settings.budget_memory_mb)


def _first_look(func, args, budget: budgets.Budget, entry: dict):
    """func(*args) (a file's first look: its page tasks or frames) in a budgeted child; raises
    RejectedFile with the reason (its own, or the budget it exceeded)."""
    outcome = budgets.call(_star, (func, args if isinstance(args, tuple) else (args,)), budget)
    return _looked(func, outcome, entry)


def _look_at_pdf(call: tuple) -> budgets.Outcome:
    """A PDF's first look (`open_pdf`) in a budgeted child, on a worker: (path, settings, jobs,
    budget) → its outcome, for `_looked`."""
    path, settings, jobs, budget = call
    return budgets.call(_star, (open_pdf, (path, settings, jobs)), budget)


def _looked(func, outcome: budgets.Outcome, entry: dict):
    """The value of a first look's OUTCOME, its figures added to ENTRY; raises RejectedFile."""
    _add_stats(entry, outcome.stats)
    if outcome.ok:
        return outcome.value
    exc = outcome.value
    if isinstance(exc, RejectedFile):
        raise exc
    if isinstance(exc, ValueError) and func.__name__ == "image_frames":  # image_frames' own reason
        raise RejectedFile(str(exc)) from None
    if isinstance(exc, BaseException):
        failure = describe(exc)
        raise RejectedFile(failure.reason, detail=failure.detail)
    raise RejectedFile(outcome.reason, detail=outcome.detail)


def _star(call: tuple):
    func, args = call
    return func(*args)


def _add_stats(entry: dict, stats: dict | None) -> None:
    """Sum a file's read figures over its tasks (CPU), keep the largest (wall, memory)."""
    if not stats:
        return
    acc = entry.setdefault(
        "budget", {"tasks": 0, "cpu_s": 0.0, "wall_s": 0.0, "peak_mb": 0.0, "added_mb": 0.0}
    )
    acc["tasks"] += 1
    acc["cpu_s"] = round(acc["cpu_s"] + stats["cpu_s"], 3)
    for k in ("wall_s", "peak_mb", "added_mb"):
        acc[k] = max(acc[k], stats[k])


def _check_ocr_pages(n: int, total: int, settings: ExtractSettings, what: str) -> None:
    """Reject a file with more pages to OCR than `max_ocr_pages`, before any is read."""
    if n > settings.max_ocr_pages:
        of = f" of its {total} pages" if what == "scanned pages" else ""
        raise RejectedFile(
            f"too many {what} to OCR: {n}{of}, more than {settings.max_ocr_pages} "
            "(ExtractSettings.max_ocr_pages; a duty list has tens of pages): not read"
        )


@dataclass(frozen=True)
class _OcrPage:
    """One OCR page in its budgeted child, unless its file's OCR time is spent already (a stop
    mark in `stop`, made by the gathering process): then nothing is read."""

    read: budgets.Budgeted
    stop: str

    def __call__(self, task: OcrTask) -> dict:
        if os.path.exists(os.path.join(self.stop, _file_key(task.path))):
            return {"error": "stopped", "stopped": True}
        return self.read(task)


def _file_key(path: str) -> str:
    import hashlib

    return hashlib.sha256(os.fsencode(path)).hexdigest()[:24]


def _read_scans(
    scans: list[_Scan], cache: Path, jobs: int, scheduler: str | None, settings: ExtractSettings
) -> None:
    """Second round: OCR every scanned page (one task each, so one file's pages spread over
    all workers), then write those files.

    Each page's result is also kept in a page-level cache keyed by the file's content hash, the
    page and the OCR code's own version (.build/ocr/VERSION/), so a change elsewhere in the
    extract stage (the PDF reader) re-reads text pages but does not OCR the scans again.
    """
    if not scans:  # ocr_version imports onnxruntime and the OCR model's package: 0.15 s
        return
    ocr_dir = cache.parent.parent / "ocr" / _ocr().ocr_version(settings.ocr)
    ocr_dir.mkdir(parents=True, exist_ok=True)
    keyed = [(s.entry, t, ocr_dir / f"{s.entry['sha256']}-{t.index}.json") for s in scans for t in s.tasks]
    # A page is read once however many files hold it (copies have one content hash): results come
    # back in the order of `todo`, taken at each page's first place in `keyed`.
    todo_paths: dict[Path, OcrTask] = {}
    for _, t, path in keyed:
        if path not in todo_paths and not path.exists():
            todo_paths[path] = t
    todo = list(todo_paths.values())
    read = budgets.Budgeted(_ocr().run_ocr_task, _budget(settings), prepare=_load_recognizer)
    stop = tempfile.TemporaryDirectory(prefix="duty-ocr-stop-")
    results = iter(map_ordered(_OcrPage(read, stop.name), todo, jobs, scheduler))
    bar = progress(total=len(todo), desc="ocr", unit="page")
    done: dict[Path, dict] = {}
    spent = _OcrTime(scans, settings)
    with stop:
        for entry, task, path in keyed:
            if path in done:  # a copy's page, read for the file before it
                result, cpu = done[path], spent.cpu_of[path]
            else:
                result, cpu = _page_result(path, path in todo_paths, results, bar)
            done[path] = result
            spent.cpu_of[path] = cpu
            if spent.add(entry, cpu):
                Path(stop.name, _file_key(task.path)).touch()
    # Run the results to their end, so the pool sees every task done and closes its workers
    # instead of stopping them (pipeline.common.parallel).
    for _ in results:
        pass
    bar.close()
    for s in scans:
        if id(s.entry) in spent.over:
            s.entry.update(status="rejected", reason=spent.over[id(s.entry)])
            continue
        ocr_parts = [done[ocr_dir / f"{s.entry['sha256']}-{t.index}.json"] for t in s.tasks]
        _finish(s.entry, s.parts + ocr_parts, cache, s.pages)


def _page_result(path: Path, fresh: bool, results: Iterator, bar) -> tuple[dict, float]:
    """One scanned page's OCR result and its CPU seconds: the next result of the workers (FRESH:
    written to the page cache at PATH unless it failed), or what an earlier build cached there."""
    if not fresh:
        saved = read_json(path)
        result = {
            "rows": [json.loads(line) for line in saved["rows"].splitlines()],
            "n_chars": saved["n_chars"],
            "ocr": saved["ocr"],
        }
        return result, float(saved.get("cpu_s", 0.0))
    result = next(results)
    bar.update(1)
    cpu = float((result.get("budget") or {}).get("cpu_s", 0.0))
    if "error" not in result:
        write_json(
            path,
            {
                "rows": rows_to_jsonl(result["rows"]).decode("utf-8"),
                "n_chars": result["n_chars"],
                "ocr": result["ocr"],
                "cpu_s": cpu,
            },
        )
    return result, cpu


class _OcrTime:
    """The CPU seconds of OCR each scanned file has taken (pages read by earlier builds included),
    and the files whose OCR budget ran out with pages still to read (why, by id of the entry)."""

    def __init__(self, scans: list[_Scan], settings: ExtractSettings) -> None:
        self.limit = settings.ocr_file_seconds
        self.pages_of = {id(s.entry): len(s.tasks) for s in scans}
        self.cpu_of: dict[Path, float] = {}  # per page result
        self.spent: dict[int, float] = {}
        self.read: dict[int, int] = {}
        self.over: dict[int, str] = {}

    def add(self, entry: dict, cpu: float) -> bool:
        """Count one page of ENTRY; True when this page took the file over its budget with pages
        still to read (the rest is not read; a file whose last page took it over is kept)."""
        key = id(entry)
        self.spent[key] = self.spent.get(key, 0.0) + cpu
        self.read[key] = n_read = self.read.get(key, 0) + 1
        if key in self.over or self.spent[key] <= self.limit or n_read >= self.pages_of[key]:
            return False
        self.over[key] = (
            f"OCR time budget for one file reached: {self.spent[key]:.0f} s of CPU after {n_read} of "
            f"{self.pages_of[key]} pages (ExtractSettings.ocr_file_seconds = {self.limit:g} s): not read"
        )
        return True


def _load_recognizer(task: OcrTask) -> None:
    """Load the OCR model once per worker, before the budgeted child is forked (it inherits it)."""
    _ocr().recognizer(task.settings.threads)


def _prune_ocr_cache(processed: Path, settings: ExtractSettings, live: set[str]) -> None:
    """Drop OCR results of files no longer in the raw folder and of other OCR code versions."""
    root = build_dir(processed) / "ocr"
    keep = root / _ocr().ocr_version(settings.ocr)
    for folder in root.iterdir() if root.is_dir() else ():
        for path in folder.glob("*.json"):
            if folder != keep or path.name.rsplit("-", 1)[0] not in live:
                path.unlink()
        if folder != keep:
            folder.rmdir()


def _load(scheduler: str | None, preload: Callable[[], None] | None) -> None:
    _import_arrow(scheduler)
    if preload is not None:
        try:
            preload()
        except Exception:  # noqa: S110  # the caller's own import fails again and reports it
            pass


def _import_arrow(scheduler: str | None) -> None:
    if scheduler:  # dask's client may import numpy meanwhile: pyarrow as usual
        import pyarrow.json  # noqa: F401
        import pyarrow.parquet  # noqa: F401
    else:
        import_arrow()


def _previous_pages(processed: Path) -> dict[str, dict]:
    """Page counts, formats, readers (and OCRed pages) of files the last run extracted, by content hash."""
    old = read_manifest(build_dir(processed) / MANIFEST)
    keep = ("pages", "format", "reader", "ocr_pages")
    return {
        e["sha256"]: {k: e[k] for k in keep if k in e}
        for e in old.get("files", [])
        if e.get("status") == "ok"
    }


def _finish(entry: dict, parts: list[dict], cache: Path, pages: int) -> None:
    """Write one file's extracted pages (the results of its page tasks, in order), or reject it.
    A failure caused by the file's content costs only this file (rejected with a line); a
    failure of the disk ends the build as usual."""
    try:
        _finish_file(entry, cast(list[TaskResult], parts), cache, pages)
    except (OSError, MemoryError):
        raise
    except Exception as exc:
        (cache / f"{entry['sha256']}.parquet").unlink(missing_ok=True)
        entry.update(status="rejected", reason=content_failure("extract", exc), reason_detail=technical(exc))


def _finish_file(entry: dict, parts: list[TaskResult], cache: Path, pages: int) -> None:
    """A file's outcome from its task results (`_outcome`), then its pages written (`_write_pages`)."""
    error, ocr_pages = _outcome(entry, parts)
    if error is not None:
        entry.update(status="rejected", reason=error)
        return
    entry["status"] = "ok"
    entry["pages"] = parts[0].get("pages", pages)  # an office file counts its pages once read
    unread = sorted(n for p in parts for n in p.get("unread", ()))
    if unread:
        entry["unread_pages"] = unread
    if ocr_pages:
        entry["ocr_pages"] = ocr_pages
    _write_pages(entry, parts, cache, bool(ocr_pages))


def _outcome(entry: dict, parts: list[TaskResult]) -> tuple[str | None, list[int]]:
    """(why the file is rejected or None, its OCRed pages); its read figures summed into ENTRY."""
    for p in parts:
        _add_stats(entry, p.pop("budget", None))
    failed = next((p for p in parts if "error" in p), None)
    error = failed["error"] if failed else None
    if failed and failed.get("error_detail"):
        entry["reason_detail"] = failed["error_detail"]
    ocr_pages = sorted(n for p in parts for n in p.get("ocr", ()))
    if error is None and sum(p["n_chars"] for p in parts) == 0:
        error = (
            "no text found (OCR read nothing on the scanned pages)"
            if ocr_pages
            else "no text layer and no scanned page images (nothing to read)"
        )
    return error, ocr_pages


def _write_pages(entry: dict, parts: list[TaskResult], cache: Path, ocred: bool) -> None:
    """The file's page rows as one Parquet file of the cache, in page order."""
    import_arrow()  # no-op where the loader thread (or the caller) already imported pyarrow
    rows = [row for p in parts for row in p["rows"]]
    for row in rows:  # no lone UTF-16 surrogate reaches a table (common/unicode.py)
        for line in row["lines"]:
            if has_surrogates(line["text"]):
                line["text"] = whole(line["text"])
    table = rows_to_arrow(rows, extract_schema())
    if ocred:  # OCRed pages were appended after the text-layer pages: page order again
        import pyarrow.compute as pc

        table = table.take(pc.sort_indices(table, sort_keys=[("page", "ascending")]))
    # On disk with the other files of this run at once, before the manifest names them (_conclude).
    write_parquet(cache / f"{entry['sha256']}.parquet", table, sync=False)


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.extract", __doc__)
    add_run_options(ap)
    args = ap.parse_args(argv)
    finish_run_options(ap, args)
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
