"""Extraction on a real dask.distributed cluster: 1, 2 and 4 worker processes, against a local build.

    .venv/bin/python benchmarks/dask_scaling.py [--workers 1 2 4] [--townships 6] [--repeat 1]

Starts `dask scheduler` on the loopback address (a free port, no dashboard) and, for each worker
count N, `dask worker --nworkers N --nthreads 1` processes from this checkout's .venv, the way the
README describes a cluster past one machine. Each run is a cold `python -m pipeline.orchestrate
--scheduler tcp://127.0.0.1:PORT` of the first --townships PDFs of the scale corpus into an empty
processed folder; the local reference is the same build without a scheduler (JOBS = cores).

Prints, per N: wall seconds, pages per second, pages per second per worker, and whether every
Parquet table equals the local build's (the build id aside, which is the same anyway: it is a
digest of the code and the inputs). Workers beyond the machine's cores only queue for them: on a
2-core machine the 4-worker row shows the cost of oversubscription, not a speed-up; on several
machines each worker brings its own cores.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SCALE = ROOT / "tests" / "fixtures" / "corpus" / "scale"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pages(pdfs: list[Path]) -> int:
    import pypdfium2 as pdfium

    total = 0
    for p in pdfs:
        doc = pdfium.PdfDocument(p)
        total += len(doc)
        doc.close()
    return total


def _build(raw: Path, processed: Path, scheduler: str | None) -> float:
    shutil.rmtree(processed, ignore_errors=True)
    cmd = [
        str(BIN / "python"),
        "-m",
        "pipeline.orchestrate",
        "--raw",
        str(raw),
        "--processed",
        str(processed),
    ]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"build failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return wall


def _tables(processed: Path) -> dict:
    import pyarrow.parquet as pq

    out = {}
    for p in sorted(processed.glob("*.parquet")):
        table = pq.read_table(p)
        out[p.name] = table.replace_schema_metadata(None).drop_columns(
            [c for c in table.column_names if c == "build_id"]
        )
    return out


class Cluster:
    """A scheduler and N worker processes on the loopback address, stopped on exit."""

    def __init__(self, workers: int, scratch: Path):
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.workers, self.scratch = workers, scratch
        self.procs: list[subprocess.Popen] = []

    def __enter__(self) -> Cluster:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        log = (self.scratch / f"dask-{self.workers}.log").open("w")
        self.procs.append(
            subprocess.Popen(
                [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(self.port),
                 "--dashboard-address", ":0", "--no-show"],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        self.procs.append(
            subprocess.Popen(
                [str(BIN / "dask"), "worker", self.address, "--nworkers", str(self.workers),
                 "--nthreads", "1", "--no-dashboard", "--local-directory", str(self.scratch / "workers")],
                env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(self.workers, timeout=120)
        return self

    def __exit__(self, *exc) -> None:
        for p in reversed(self.procs):
            p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks/dask_scaling.py", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts (default: 1 2 4)"
    )
    ap.add_argument("--townships", type=int, default=6, help="scale PDFs to build (default: 6 of 24)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per row, the median is kept (default: 1)")
    args = ap.parse_args(argv)
    pdfs = sorted(SCALE.glob("*.pdf"))[: args.townships]
    pages = _pages(pdfs)
    with tempfile.TemporaryDirectory(prefix="dask-scaling-") as tmp:
        scratch = Path(tmp)
        raw = scratch / "raw"
        raw.mkdir()
        for p in pdfs:
            shutil.copy(p, raw / p.name)
        local = scratch / "local"
        local_wall = statistics.median(_build(raw, local, None) for _ in range(args.repeat))
        reference = _tables(local)
        rows = [{"mode": f"local ({os.cpu_count()} processes)", "workers": 0, "wall_s": round(local_wall, 2),
                 "pages_per_s": round(pages / local_wall, 1), "identical": True}]  # fmt: skip
        for n in args.workers:
            with Cluster(n, scratch) as cluster:
                out = scratch / f"dask{n}"
                wall = statistics.median(_build(raw, out, cluster.address) for _ in range(args.repeat))
                same = _tables(out)
                identical = same.keys() == reference.keys() and all(
                    same[k].equals(reference[k]) for k in same
                )
            rows.append({"mode": "dask", "workers": n, "wall_s": round(wall, 2), "pages_per_s": round(pages / wall, 1),
                         "pages_per_s_per_worker": round(pages / wall / n, 1), "identical": identical})  # fmt: skip
    print(f"{len(pdfs)} townships, {pages} pages, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'mode':<24}{'workers':>8}{'wall s':>9}{'pages/s':>9}{'p/s/worker':>12}  identical to local")
    for r in rows:
        per = r.get("pages_per_s_per_worker", "")
        print(
            f"{r['mode']:<24}{r['workers']:>8}{r['wall_s']:>9}{r['pages_per_s']:>9}{per!s:>12}  {r['identical']}"
        )
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "dask_scaling.json").write_text(json.dumps(rows, indent=1) + "\n")
    return 0 if all(r["identical"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
