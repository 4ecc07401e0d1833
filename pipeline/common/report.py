"""End of a build: one line per rejected or skipped raw file and per list problem, a summary, and
the exit status.

Exit status 1 when any raw file was rejected or any list has a problem (the problems table lists
them); the good files' and lists' tables are still written. A skipped file (no duty-list format: a
README, an image) does not fail the build.

Run alone: python -m pipeline.common.report --processed data/processed
"""

from __future__ import annotations

import json
from pathlib import Path
import sys

from pipeline.common import cli
from pipeline.common.controls import printable
from pipeline.common.entries import SourceEntry
from pipeline.common.messages import reason_zh, terminal_language
from pipeline.common.storage import CLEAN_MANIFEST, PROBLEMS_SUMMARY, build_dir, read_manifest

MAX_SHOWN = 20  # problem lines printed; the problems table has them all


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.common.report", __doc__)
    ap.add_argument("--processed", type=Path, default=Path("data/processed"), help=cli.PROCESSED_HELP)
    args = ap.parse_args(argv)
    return summarize(args.processed)


def summarize(processed: Path) -> int:
    """Print the end-of-build lines for PROCESSED; return the exit status (see the module doc)."""
    try:
        with (build_dir(processed) / CLEAN_MANIFEST).open(encoding="utf-8") as manifest:
            files: list[SourceEntry] = json.load(manifest)["files"]
    except FileNotFoundError:
        print(f"report: no build found in {processed}", file=sys.stderr)
        return 2
    zh = terminal_language() == "zh"
    rejected = [f for f in files if f["status"] == "rejected"]
    for f in rejected:
        reason = reason_zh(f["reason"]) if zh else f["reason"]
        print(printable(f"rejected {f['source_file']}: {reason}"), file=sys.stderr)
    for f in files:
        if f["status"] == "skipped":
            reason = reason_zh(f["reason"]) if zh else f["reason"]
            print(printable(f"skipped {f['source_file']}: {reason}"))
    problems = read_manifest(build_dir(processed) / PROBLEMS_SUMMARY).get("problems", [])
    for p in problems[:MAX_SHOWN]:
        print(f"problem {printable(problem_line(p, 'zh' if zh else 'en'))}", file=sys.stderr)
    if len(problems) > MAX_SHOWN:
        print(f"... and {len(problems) - MAX_SHOWN} more problems", file=sys.stderr)
    ok = sum(1 for f in files if f["status"] == "ok")
    # Items as written (a list given by several files, or printed twice in one, counts once).
    items = read_manifest(build_dir(processed) / PROBLEMS_SUMMARY).get("items")
    if items is None:
        items = sum(f.get("items", 0) for f in files)
    print(f"{ok} of {len(files)} raw files read, {items} items; tables in {processed}")
    if rejected:
        print(
            f"{len(rejected)} file(s) rejected (listed above); the other files' tables were written",
            file=sys.stderr,
        )
    if problems:
        print(
            f"{len(problems)} problem(s) in lists (listed above and in the problems table); "
            "everything else was written (STRICT=1 stops instead)",
            file=sys.stderr,
        )
    return 1 if rejected or problems else 0


def problem_line(p: dict, language: str = "en") -> str:
    """A problems-table row as one line: file, page, list, 序号, message and kind; LANGUAGE "zh"
    gives it in Chinese (the message from the catalogue, pipeline/rules/messages.toml). Callers
    print it through controls.printable, so no control character in a message reaches the
    terminal."""
    if language == "zh":
        from pipeline.common.messages import problem_zh
        from pipeline.common.rules import load

        lists = load("lists")["lists"]
        where = [p["source_file"] or "整个构建"]
        where += [f"第 {p['page']} 页"] if p.get("page") is not None else []
        where += [lists[p["list"]]["label"]] if p.get("list") in lists else []
        where += [f"序号 {p['seq']}"] if p.get("seq") is not None else []
        return f"{'，'.join(where)}：{problem_zh(p['kind'], p['message'])} [{p['kind']}]"
    where = [p["source_file"] or "the build"]
    where += [f"page {p['page']}"] if p.get("page") is not None else []
    where += [f"{p['list']} list"] if p.get("list") else []
    where += [f"序号 {p['seq']}"] if p.get("seq") is not None else []
    return f"{', '.join(where)}: {p['message']} [{p['kind']}]"


if __name__ == "__main__":
    sys.exit(main())
