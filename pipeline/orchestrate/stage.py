"""The build, as `make all` runs it: one process, holding the processed folder's lock.

1. Finish a publication an earlier crash interrupted (pipeline.common.publication).
2. Decide from content whether anything changed (pipeline.common.freshness): if not, say so
   and stop (the no-op build reads no PDF and imports no stage).
3. extract → clean → normalize, each skipping what its own cache already holds; normalize and
   publish write into a staging folder, which is then published as one set.
4. Record the state, print one line per rejected file and per problem, and the summary.

Any failure of the environment (a full disk, a read-only or missing folder, no permission) ends
the build with one line naming the folder and the cause; the published set is the previous one,
whole, and no temporary file is left.

Run: python -m pipeline.orchestrate --raw data/raw --processed data/processed
"""

from __future__ import annotations

import argparse
import errno
from pathlib import Path
import sys

from pipeline.common import cli, faults, freshness, publication
from pipeline.common.columns import registry
from pipeline.common.lock import hold
from pipeline.common.report import MAX_SHOWN, problem_line, summarize
from pipeline.common.rules import RulesError
from pipeline.common.settings import (
    ExtractSettings,
    add_partition_option,
    add_run_options,
    add_strict_option,
    finish_run_options,
)
from pipeline.common.sources import scan_sources
from pipeline.common.storage import CLEAN_MANIFEST, PROBLEMS_SUMMARY, build_dir, import_arrow, read_manifest


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.orchestrate", __doc__)
    add_run_options(ap)
    add_strict_option(ap)
    add_partition_option(ap)
    args = ap.parse_args(argv)
    finish_run_options(ap, args)
    try:
        faults.check()
    except ValueError as exc:
        print(f"build: {exc}", file=sys.stderr)
        return 2
    problem = folder_problem(args.raw, args.processed)
    if problem:
        print(f"build: {problem}", file=sys.stderr)
        return 2
    try:
        registry()  # the column registry (pipeline/rules/lists.toml), checked before anything is read
    except RulesError as exc:
        print(f"build: {exc}", file=sys.stderr)
        return 2
    try:
        with hold(args.processed):
            return build(args)
    except OSError as exc:
        partly = publication.discard(args.processed)
        print(f"build: {describe_os_error(exc, args.processed, partly)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        partly = publication.discard(args.processed)
        print(f"build: interrupted; {aftermath(partly)}", file=sys.stderr)
        return 130
    except RulesError as exc:  # a rules file that does not fit the rest (e.g. a column's `after`)
        partly = publication.discard(args.processed)
        print(f"build: {exc}; {aftermath(partly)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line for the user, the traceback kept for a report
        partly = publication.discard(args.processed)
        saved = save_traceback(args.processed)
        print(
            f"build: internal error ({type(exc).__name__}: {exc}); {aftermath(partly)}; "
            f"please report it with {saved}",
            file=sys.stderr,
        )
        return 3


def build(args: argparse.Namespace) -> int:
    """The build under the lock; returns the exit status."""
    raw, processed = args.raw, args.processed
    if publication.recover(processed):
        print("build: finished publishing the tables of a build that was interrupted")
    inputs = scan_sources(raw, exclude=processed)
    # An explicit layout (PARTITION=province or none) is part of what the outputs depend on.
    layout = args.engine + ("" if args.partition == "auto" else f"|partition={args.partition}")
    fresh = freshness.check(processed, inputs, raw, layout, args.strict)
    if fresh.up_to_date:
        fresh.refresh()
        return up_to_date(processed, fresh.previous.get("build"), fresh.previous.get("summary"))
    faults.point("hashed")
    from pipeline import extract

    settings = ExtractSettings(engine=args.engine)
    extracted = extract.run(
        raw,
        processed,
        settings,
        jobs=args.jobs,
        scheduler=args.scheduler,
        files=fresh.files,
        preload=_import_later_stages,  # while the readers work: 0.05 s off a cold build
    )
    from pipeline import clean, normalize, publish
    from pipeline.common.parallel import default_jobs

    faults.point("extracted")
    import_arrow()  # pyarrow without numpy, where extraction had nothing to read
    cleaned = clean.run(processed, jobs=args.jobs or default_jobs())
    faults.point("cleaned")
    rejected = [e for e in cleaned["files"] if e["status"] == "rejected"]
    if args.strict and rejected:  # strict: a rejected file stops the build like a list problem
        for e in rejected:
            print(f"rejected {e['source_file']}: {e['reason']}", file=sys.stderr)
        print(
            f"build: {len(rejected)} file(s) rejected; nothing was published, the previous tables are "
            "unchanged (strict)",
            file=sys.stderr,
        )
        return 1
    staging = publication.new_staging(processed)
    try:
        # a strict stop:
        if normalize.run_command(
            processed, args.strict, raw, out=staging, partition=args.partition, jobs=args.jobs
        ):
            publication.discard(processed)
            return 1
        faults.point("staged")
        publish.run(staging)
        faults.point("exported")
    except BaseException:
        publication.discard(processed)
        raise
    retry = {e["source_file"] for e in extracted["files"] if e.get("retry")}
    names = publication.commit(processed, staging)
    problems = read_manifest(build_dir(processed) / PROBLEMS_SUMMARY)
    said = freshness.summary(cleaned, problems.get("items", sum(f.get("items", 0) for f in cleaned["files"])))
    fresh.save(names, retry, build=publication.build_id_of(processed / "source_files.parquet"), summary=said)
    return summarize(processed)


def up_to_date(processed: Path, build: str | None, said: dict | None = None) -> int:
    """A no-op build: one line saying which build stands, with its counts, instead of the
    summary; the files it rejected and the problems it found are still named (one line each),
    and the exit status is the one that build had (1 when it rejected files or found problems).
    SAID: what the build's state recorded of it (freshness.summary); without it (a state saved
    before it was recorded) it is read from the clean stage's manifest."""
    problems_summary = read_manifest(build_dir(processed) / PROBLEMS_SUMMARY)
    problems = problems_summary.get("problems", [])
    if said is None:
        cleaned = read_manifest(build_dir(processed) / CLEAN_MANIFEST)
        items = problems_summary.get("items", sum(f.get("items", 0) for f in cleaned.get("files", [])))
        said = freshness.summary(cleaned, items)
    for name, reason in said["rejected"]:
        print(f"rejected {name}: {reason}", file=sys.stderr)
    for p in problems[:MAX_SHOWN]:
        print(f"problem {problem_line(p)}", file=sys.stderr)
    if len(problems) > MAX_SHOWN:
        print(f"... and {len(problems) - MAX_SHOWN} more problems", file=sys.stderr)
    rejected = len(said["rejected"])
    print(
        f"up to date (build {build or 'unknown'}): nothing changed since; {said['ok']} of {said['files']} raw "
        f"files read, {said['items']} items, {rejected} rejected, {len(problems)} problem(s); tables in {processed}"
    )
    return 1 if rejected or problems else 0


def _import_later_stages() -> None:
    import pipeline.clean
    import pipeline.normalize
    import pipeline.publish  # noqa: F401


def save_traceback(processed: Path) -> str:
    """Write the current exception's traceback to .build/last-error.txt (or say where it is)."""
    import traceback

    target = build_dir(processed) / "last-error.txt"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(traceback.format_exc(), encoding="utf-8")
        return str(target)
    except OSError:
        return "the traceback (it could not be saved)"


def folder_problem(raw: Path, processed: Path) -> str | None:
    """What makes the two folders unusable before anything starts, as one sentence (or None)."""
    if not raw.exists():
        return f"raw folder {raw} does not exist"
    if not raw.is_dir():
        return f"raw folder {raw} is a file, not a folder"
    for folder in [processed, *processed.parents]:
        if folder.exists():
            if not folder.is_dir():
                return f"processed folder {processed}: {folder} is a file, not a folder"
            break
    return None


WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the folder is on a read-only file system",
    errno.EACCES: "no permission to write there",
    errno.EPERM: "no permission to write there",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a part of the path is a file, not a folder",
}


def describe_os_error(exc: OSError, processed: Path, partly: bool = False) -> str:
    """One line for a failure of the disk or the file system during a build; PARTLY: it struck
    while the new set was being moved into place (the next build finishes that)."""
    why = WHY.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()
    where = f" ({exc.filename})" if exc.filename else ""
    return f"cannot write the tables to {processed}: {why}{where}; {aftermath(partly)}"


def aftermath(partly: bool) -> str:
    """What a failed build left published."""
    if partly:
        return "the new tables are in place in part; the next make all finishes publishing them"
    return "the previous tables are unchanged and nothing half-written was left"
