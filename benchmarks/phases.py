"""CPU seconds of each stage of a cold build, in one process (where the time goes).

    .venv/bin/python benchmarks/phases.py [RAW] [--engine pdfium|pdfplumber] [--jobs N]

Runs extract → clean → normalize → publish into a temporary folder as the one-process build does
and prints, per stage, CPU seconds (user + system, worker processes included) and wall seconds;
"imports" is loading the stages. CPU time is the figure to compare on a shared machine.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import resource
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw", type=Path, nargs="?", default=ROOT / "data" / "raw")
    ap.add_argument("--engine", default="pdfium")
    ap.add_argument("--jobs", type=int, default=1, help="extraction processes (1: all in this one)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    rows: list[tuple[str, float, float]] = []
    cpu, wall = _cpu(), time.perf_counter()

    def lap(name: str) -> None:
        nonlocal cpu, wall
        now_cpu, now_wall = _cpu(), time.perf_counter()
        rows.append((name, now_cpu - cpu, now_wall - wall))
        cpu, wall = now_cpu, now_wall

    from pipeline import clean, extract, normalize, publish
    from pipeline.common.publication import staged
    from pipeline.common.settings import ExtractSettings

    lap("imports")

    def quiet(*_args, **_kwargs) -> None:
        pass

    with tempfile.TemporaryDirectory(prefix="duty-phases-") as tmp:
        processed = Path(tmp)
        extract.run(args.raw, processed, ExtractSettings(engine=args.engine), jobs=args.jobs, log=quiet)
        lap("extract")
        clean.run(processed, log=quiet)
        lap("clean")
        with staged(processed) as out:
            normalize.run(processed, log=quiet, out=out)
        lap("normalize")
        publish.run(processed, log=quiet)
        lap("publish")
    total_cpu, total_wall = sum(r[1] for r in rows), sum(r[2] for r in rows)
    for name, c, w in rows + [("total", total_cpu, total_wall)]:
        print(f"{name:10s} cpu {c:7.3f} s   wall {w:7.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
