"""One fuzz batch: the real stages on a raw folder, then the end-of-build report (its exit status).

Run by pipeline.fuzz.run in a fresh process per batch, so a traceback or a crash anywhere shows
in that process's output and exit status, and costs one batch, not the run.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys

from pipeline import clean, extract, normalize
from pipeline.common import report
from pipeline.common.publication import staged
from pipeline.common.settings import ENGINES, ExtractSettings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, required=True)
    ap.add_argument("--processed", type=Path, required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--engine", choices=ENGINES, default=ExtractSettings.engine)
    ap.add_argument("--budget-seconds", type=float, default=ExtractSettings.budget_seconds)
    ap.add_argument("--budget-memory-mb", type=int, default=ExtractSettings.budget_memory_mb)
    args = ap.parse_args(argv)
    settings = ExtractSettings(
        engine=args.engine, budget_seconds=args.budget_seconds, budget_memory_mb=args.budget_memory_mb
    )
    extract.run(args.raw, args.processed, settings, jobs=args.jobs)
    clean.run(args.processed)
    with staged(args.processed) as out:
        normalize.run(args.processed, raw=args.raw, out=out)
    return report.main(["--processed", str(args.processed)])


if __name__ == "__main__":
    sys.exit(main())
