"""Benchmark the build, side by side with bare pdfplumber, in one run.

    .venv/bin/python benchmarks/run.py            (or: make benchmark)

Measures, each as whole commands (interpreter start-up included on both sides):
- bare: single-process pdfplumber `extract_tables()` over every page of the embedded default PDF;
- cold: `make all` on that PDF into an empty processed folder (no cache);
- no-op: `make all` again with nothing changed;
- scale: cold `make all` on the 24-township corpus, against linear scaling: the sum of each file's
  own cold single-process build time divided by the number of cores;
- peak memory: the largest total resident memory of the whole process tree during any build.
Prints the figures and their ratios against the targets, and writes benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = Path(__file__).resolve().parent.parent
PY = ROOT / ".venv" / "bin" / "python"
DEFAULT_PDF = ROOT / "data" / "raw" / "hami_yiwu_tuhulu.pdf"
SCALE = ROOT / "tests" / "fixtures" / "corpus" / "scale"
TARGETS = {"cold_ratio": 0.70, "noop_seconds": 0.5, "scale_ratio": 1.10, "peak_mb": 600}
BARE = (
    "import sys, pdfplumber\n"
    "with pdfplumber.open(sys.argv[1]) as pdf:\n"
    "    tables = [t for page in pdf.pages for t in page.extract_tables()]\n"
)


def _tree_rss_kb(root_pid: int) -> int:
    """Resident memory (kB) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/status") as f:
                kb = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = kb
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def timed(cmd: list[str], cwd: Path = ROOT, memory: bool = False) -> tuple[float, float]:
    """Wall seconds and, with memory=True, peak tree memory (MB) of one command.

    Memory is sampled from /proc every 20 ms, which costs CPU, so timing runs don't sample.
    """
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    if memory:
        sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark: {' '.join(cmd)} failed:\n{err.decode(errors='replace')}")
    return seconds, peak / 1024


def make_all(raw: Path, processed: Path, jobs: int | None = None) -> list[str]:
    cmd = ["make", "--no-print-directory", "-s", "all", f"RAW={raw}", f"PROCESSED={processed}"]
    return cmd + ([f"JOBS={jobs}"] if jobs else [])


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each small measurement (median kept)")
    ap.add_argument("--scale-dir", type=Path, default=SCALE, help="folder of the scale corpus PDFs")
    ap.add_argument("--skip-scale", action="store_true")
    args = ap.parse_args(argv)
    if not PY.exists():
        print("benchmark: run `make all` once first to create .venv", file=sys.stderr)
        return 2
    cores = len(os.sched_getaffinity(0))
    results: dict = {"machine": machine()}
    peaks = []
    with tempfile.TemporaryDirectory(prefix="duty-bench-") as tmp:
        tmp = Path(tmp)
        raw = tmp / "raw"
        raw.mkdir()
        shutil.copy2(DEFAULT_PDF, raw / DEFAULT_PDF.name)
        script = tmp / "bare.py"
        script.write_text(BARE)

        # Alternate the two so that load on the machine hits both alike.
        bare, cold = [], []
        for i in range(args.repeat):
            bare.append(timed([str(PY), str(script), str(DEFAULT_PDF)])[0])
            cold.append(timed(make_all(raw, tmp / f"cold{i}"))[0])
        noop = [timed(make_all(raw, tmp / "cold0"))[0] for _ in range(max(5, args.repeat))]
        results["bare_seconds"] = statistics.median(bare)
        results["cold_seconds"] = statistics.median(cold)
        results["cold_ratio"] = results["cold_seconds"] / results["bare_seconds"]
        results["noop_seconds"] = statistics.median(noop)
        results["peak_mb_one_file"] = timed(make_all(raw, tmp / "cold-memory"), memory=True)[1]
        peaks.append(results["peak_mb_one_file"])

        if not args.skip_scale:
            pdfs = sorted(args.scale_dir.glob("*.pdf"))
            per_file = []
            for pdf in pdfs:
                one = tmp / f"one-{pdf.stem}"
                one.mkdir()
                shutil.copy2(pdf, one / pdf.name)
                per_file.append(timed(make_all(one, tmp / f"one-out-{pdf.stem}", jobs=1))[0])
            scale_raw = tmp / "scale"
            scale_raw.mkdir()
            for pdf in pdfs:
                shutil.copy2(pdf, scale_raw / pdf.name)
            seconds = timed(make_all(scale_raw, tmp / "scale-out"))[0]
            mb = timed(make_all(scale_raw, tmp / "scale-memory"), memory=True)[1]
            peaks.append(mb)
            results["peak_mb_scale"] = mb
            results["scale_files"] = len(pdfs)
            results["scale_seconds"] = seconds
            results["scale_linear_seconds"] = sum(per_file) / cores
            results["scale_ratio"] = seconds / results["scale_linear_seconds"]
        results["peak_mb"] = max(peaks)

    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    m = results["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}")
    rows = [
        ("bare pdfplumber extract_tables (s)", results["bare_seconds"], ""),
        ("cold make all (s)", results["cold_seconds"], ""),
        ("cold / bare", results["cold_ratio"], f"≤ {TARGETS['cold_ratio']}"),
        ("no-op make all (s)", results["noop_seconds"], f"≤ {TARGETS['noop_seconds']}"),
    ]
    if "scale_seconds" in results:
        rows += [
            (f"scale corpus, {results['scale_files']} files (s)", results["scale_seconds"], ""),
            ("linear: Σ per-file / cores (s)", results["scale_linear_seconds"], ""),
            ("scale / linear", results["scale_ratio"], f"≤ {TARGETS['scale_ratio']}"),
        ]
    rows.append(("peak memory, Tuhulu build (MB)", results["peak_mb_one_file"], ""))
    if "peak_mb_scale" in results:
        rows.append((f"peak memory, {results['scale_files']}-file build (MB)", results["peak_mb_scale"], ""))
    rows.append(("peak memory, any build (MB)", results["peak_mb"], f"≤ {TARGETS['peak_mb']}"))
    for label, value, target in rows:
        print(f"{label:40s} {value:8.2f}  {target}")
    met = (
        results["cold_ratio"] <= TARGETS["cold_ratio"]
        and results["noop_seconds"] <= TARGETS["noop_seconds"]
        and results["peak_mb"] <= TARGETS["peak_mb"]
        and results.get("scale_ratio", 0) <= TARGETS["scale_ratio"]
    )
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
