"""End of a build: one line per rejected or skipped raw file, a summary, and the exit status.

Exit status 1 when any raw file was rejected (the good files' tables are still written); a skipped
file (no duty-list format: a README, an image) does not fail the build.

Run alone: python -m pipeline.common.report --processed data/processed
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

from pipeline.common.storage import CLEAN_MANIFEST, build_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processed", type=Path, default=Path("data/processed"))
    args = ap.parse_args(argv)
    try:
        with (build_dir(args.processed) / CLEAN_MANIFEST).open(encoding="utf-8") as f:
            files = json.load(f)["files"]
    except FileNotFoundError:
        print(f"report: no build found in {args.processed}", file=sys.stderr)
        return 2
    rejected = [f for f in files if f["status"] == "rejected"]
    for f in rejected:
        print(f"rejected {f['source_file']}: {f['reason']}", file=sys.stderr)
    for f in files:
        if f["status"] == "skipped":
            print(f"skipped {f['source_file']}: {f['reason']}")
    ok = sum(1 for f in files if f["status"] == "ok")
    items = sum(f.get("items", 0) for f in files)
    print(f"{ok} of {len(files)} raw files read, {items} items; tables in {args.processed}")
    if rejected:
        print(
            f"{len(rejected)} file(s) rejected (listed above); the other files' tables were written",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
