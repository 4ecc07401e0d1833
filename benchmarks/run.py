"""Benchmark the build, side by side with bare pdfplumber, in one run.

    .venv/bin/python benchmarks/run.py            (or: make benchmark)
    .venv/bin/python benchmarks/run.py --repeat 3 --skip-scale     (quicker)

Measures, each as whole commands (interpreter start-up included on both sides), on the embedded
default PDF (Tuhulu, 83 pages) and on the 24-township scale corpus (1,318 pages):
- bare: single-process pdfplumber `extract_tables()` over every page (a loop over the files);
- cold: `make all` into an empty processed folder, with each reader (ENGINE=pdfium, the default,
  and ENGINE=pdfplumber); bare and cold runs alternate so that load on the machine hits both
  alike, and the median of --repeat runs is kept;
- no-op: `make all` again with nothing changed (median of 5);
- pages per second per core: pages ÷ (cold seconds × cores);
- peak memory: the largest total resident memory of the whole process tree during a cold build;
- CPU seconds (user + system, the command and every process it started) beside each wall time:
  on a machine others share, the CPU ratio is the steadier comparison (the targets are wall time
  on an idle machine).
Prints the figures and their ratios against the targets (issue 28: ≤ 0.20 × bare on Tuhulu, ≤ 0.12 ×
on the scale corpus), each pair's own ratio (a cold build against the bare run just before it, under
the same load), the load average during each corpus's runs, the two ratios side by side on the last
lines, and writes benchmarks/results/latest.json. `benchmarks/phases.py` splits a build's CPU by
stage; `benchmarks/noop.py` (make benchmark-noop) times the no-op build over 10,000 raw files.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import platform
import resource
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
# As a user runs them: Python keeps its compiled modules (some shells, CI among them, set
# PYTHONDONTWRITEBYTECODE, which makes every run compile the pipeline's modules again, ~0.06 s).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TARGETS = {"cold_ratio": {"tuhulu": 0.20, "scale": 0.12}, "noop_seconds": 0.2, "peak_mb": 600}  # issue 28
ENGINES = ("pdfium", "pdfplumber")
BARE = (
    "import sys, pdfplumber\n"
    "for path in sys.argv[1:]:\n"
    "    with pdfplumber.open(path) as pdf:\n"
    "        tables = [t for page in pdf.pages for t in page.extract_tables()]\n"
)


def _tree_pids(root_pid: int) -> list[int]:
    """A process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, []))
    return out


def _tree_memory_kb(root_pid: int) -> tuple[int, int]:
    """Resident and proportional memory (kB) of a process and all its descendants, from /proc
    (proportional: each page shared by forked processes counted once in all, where the resident
    sizes count it in every process that maps it; Linux)."""
    pids = _tree_pids(root_pid)
    return sum(_field_kb(p, "status", "VmRSS:") for p in pids), sum(
        _field_kb(p, "smaps_rollup", "Pss:") for p in pids
    )


def _field_kb(pid: int, name: str, field: str) -> int:
    """The kB figure of FIELD in /proc/PID/NAME (0 for a process gone meanwhile)."""
    try:
        with open(f"/proc/{pid}/{name}") as f:
            return next((int(line.split()[1]) for line in f if line.startswith(field)), 0)
    except (OSError, ValueError, IndexError):
        return 0


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


PEAK_PSS_MB: list[float] = [0.0]  # the peak proportional memory of the last timed(memory=True) run


def timed(cmd: list[str], cwd: Path = ROOT, memory: bool = False) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (the command's whole process tree, as it is waited for) and,
    with memory=True, peak tree memory (MB, resident sizes summed) of one command; its peak
    proportional memory (shared pages once) is left in PEAK_PSS_MB[0].

    Memory is sampled from /proc every 20 ms, which costs CPU, so timing runs don't sample.
    """
    peak = pss = 0
    cpu0 = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, pss
        while not done.is_set():
            rss_now, pss_now = _tree_memory_kb(proc.pid)
            peak, pss = max(peak, rss_now), max(pss, pss_now)
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    cpu = _children_cpu() - cpu0
    done.set()
    if memory:
        sampler.join()
        PEAK_PSS_MB[0] = pss / 1024
    if proc.returncode != 0:
        raise SystemExit(f"benchmark: {' '.join(cmd)} failed:\n{err.decode(errors='replace')}")
    return seconds, cpu, peak / 1024


def make_all(raw: Path, processed: Path, engine: str = "pdfium", jobs: int | None = None) -> list[str]:
    cmd = [
        "make",
        "--no-print-directory",
        "-s",
        "all",
        f"RAW={raw}",
        f"PROCESSED={processed}",
        f"ENGINE={engine}",
    ]
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


def page_count(pdfs: list[Path]) -> int:
    import pypdfium2

    return sum(len(pypdfium2.PdfDocument(str(p))) for p in pdfs)


def compare(name: str, pdfs: list[Path], tmp: Path, repeat: int, engines: tuple[str, ...]) -> dict:
    """Bare pdfplumber and cold builds with each reader, alternated; medians, ratios, memory."""
    raw = tmp / f"{name}-raw"
    raw.mkdir()
    for pdf in pdfs:
        shutil.copy2(pdf, raw / pdf.name)
    script = tmp / "bare.py"
    script.write_text(BARE)
    bare: list[tuple[float, float, float]] = []
    cold: dict[str, list[tuple[float, float, float]]] = {e: [] for e in engines}
    loads: list[float] = []  # the 1-minute load average as each pair (bare, cold) starts
    for e in engines:  # a first, untimed build writes the compiled modules, as a user's first build does
        timed(make_all(raw, tmp / f"{name}-{e}-warm-up", e))
    for i in range(repeat):
        loads.append(os.getloadavg()[0])
        bare.append(timed([str(PY), str(script), *map(str, sorted(raw.glob("*.pdf")))]))
        for e in engines:
            cold[e].append(timed(make_all(raw, tmp / f"{name}-{e}-{i}", e)))
    loads.append(os.getloadavg()[0])
    cores = len(os.sched_getaffinity(0))
    pages = page_count(pdfs)
    out: dict = {
        "files": len(pdfs),
        "pages": pages,
        "bare_seconds": statistics.median(r[0] for r in bare),
        "bare_cpu_seconds": statistics.median(r[1] for r in bare),
        "runs": repeat,
        "load": [min(loads), max(loads)],
    }
    for e in engines:
        seconds = statistics.median(r[0] for r in cold[e])
        cpu = statistics.median(r[1] for r in cold[e])
        out[e] = {
            "cold_seconds": seconds,
            "cold_ratio": seconds / out["bare_seconds"],
            # each cold build against the bare run just before it (the same load on both)
            "pair_ratios": [round(c[0] / b[0], 4) for b, c in zip(bare, cold[e], strict=True)],
            "cold_cpu_seconds": cpu,
            "cold_cpu_ratio": cpu / out["bare_cpu_seconds"],
            "pages_per_second_per_core": pages / seconds / cores,
            "pages_per_cpu_second": pages / cpu,
            "peak_mb": timed(make_all(raw, tmp / f"{name}-{e}-memory", e), memory=True)[2],
        }
    noop = [timed(make_all(raw, tmp / f"{name}-{engines[0]}-0", engines[0])) for _ in range(5)]
    out["noop_seconds"] = statistics.median(r[0] for r in noop)
    out["noop_cpu_seconds"] = statistics.median(r[1] for r in noop)
    out["bare_pages_per_second"] = pages / out["bare_seconds"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="alternated runs of each cold build (median kept)")
    ap.add_argument("--scale-dir", type=Path, default=SCALE, help="folder of the scale corpus PDFs")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--engines", default=",".join(ENGINES), help="readers to time (comma-separated)")
    args = ap.parse_args(argv)
    if not PY.exists():
        print("benchmark: run `make all` once first to create .venv", file=sys.stderr)
        return 2
    engines = tuple(e for e in args.engines.split(",") if e)
    results: dict = {"machine": machine(), "load_before": os.getloadavg()}
    corpora = {"tuhulu": [DEFAULT_PDF]}
    if not args.skip_scale:
        corpora["scale"] = sorted(args.scale_dir.glob("*.pdf"))
    with tempfile.TemporaryDirectory(prefix="duty-bench-") as tmp:
        for name, pdfs in corpora.items():
            results[name] = compare(name, pdfs, Path(tmp), args.repeat, engines)
    results["load_after"] = os.getloadavg()

    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    m = results["machine"]
    print(f"machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}")
    print(f"load average before {results['load_before'][0]:.1f}, after {results['load_after'][0]:.1f}")
    met = True
    for name in corpora:
        r = results[name]
        print(
            f"{name}: {r['files']} file(s), {r['pages']} pages, medians of {r['runs']} alternated runs, "
            f"load average {r['load'][0]:.1f}–{r['load'][1]:.1f}"
        )
        print(
            f"  {'bare pdfplumber extract_tables (s)':44s} {r['bare_seconds']:8.2f}  cpu {r['bare_cpu_seconds']:7.2f}"
        )
        for e in engines:
            x = r[e]
            print(
                f"  {'cold make all, ENGINE=' + e + ' (s)':44s} {x['cold_seconds']:8.2f}  cpu {x['cold_cpu_seconds']:7.2f}"
            )
            target = f"≤ {TARGETS['cold_ratio'].get(name, 0.20)}" if e == engines[0] else ""
            print(f"  {'  cold / bare':44s} {x['cold_ratio']:8.3f}  cpu {x['cold_cpu_ratio']:7.3f}  {target}")
            pairs = ", ".join(f"{v:.3f}" for v in x["pair_ratios"])
            print(f"  {'  each pair, cold / bare':44s} {pairs}")
            print(f"  {'  pages per second per core':44s} {x['pages_per_second_per_core']:8.1f}")
            print(f"  {'  pages per CPU second':44s} {x['pages_per_cpu_second']:8.1f}")
            print(f"  {'  peak memory, process tree (MB)':44s} {x['peak_mb']:8.0f}  ≤ {TARGETS['peak_mb']}")
        print(
            f"  {'no-op make all (s)':44s} {r['noop_seconds']:8.2f}  cpu {r['noop_cpu_seconds']:7.2f}"
            f"  ≤ {TARGETS['noop_seconds']}"
        )
        main_engine = r[engines[0]]
        met &= (
            main_engine["cold_ratio"] <= TARGETS["cold_ratio"].get(name, 0.20)
            and r["noop_seconds"] <= TARGETS["noop_seconds"]
        )
        met &= all(r[e]["peak_mb"] <= TARGETS["peak_mb"] for e in engines)
    side = "; ".join(
        f"{name} {results[name][engines[0]]['cold_ratio']:.3f} × bare (target ≤ {TARGETS['cold_ratio'].get(name, 0.20)}, "
        f"load {results[name]['load'][0]:.1f}–{results[name]['load'][1]:.1f})"
        for name in corpora
    )
    print(f"cold build, ENGINE={engines[0]}: {side}")
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
