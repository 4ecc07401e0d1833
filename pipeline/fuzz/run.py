"""Run the fuzzer: mutants in batches beside one good file, through the real stages; a summary table.

Each batch is a raw folder holding the good file (a generated list, tests/fixtures/layouts/
rect_borders) and up to `--batch` mutants of the other fixture lists (other townships, so no
mutant is a version of the good file's lists); it is built by pipeline.fuzz.batch in its own
process. Per batch the checks are: the good file's item tables equal its reference build, no
traceback, exit status 0 or 1. Per mutant: its outcome (read, rejected or skipped, with the
reason), exactly one `rejected NAME:`/`skipped NAME:` line when not read, and its read's CPU
seconds, wall seconds and memory within the budgets (figures from the extract manifest).

    python -m pipeline.fuzz --n 1000 --seed 13 --out reports/fuzz     (make fuzz N=1000 SEED=13)
    python -m pipeline.fuzz --family word --n 200 --out reports/fuzz/word   (make fuzz FAMILY=word)

Families (--family): pdf (pipeline/fuzz/mutate.py, the default), and word, excel, image, web
(.html/.htm in UTF-8 and GBK, .mht) and archive (.zip of attachments, .7z/.rar stubs)
(pipeline/fuzz/families.py, where a new family is one entry of FAMILIES).

writes OUT/summary.md and OUT/summary.json, and copies every mutant that broke a check to
OUT/failures/ (remake one alone with --only INDEX).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import time

from pipeline.common import cli
from pipeline.common.settings import ENGINES, ExtractSettings
from pipeline.common.sources import display_name
from pipeline.fuzz.families import FAMILIES, family_mutant
from pipeline.fuzz.mutate import VALID, Mutant, mutant

ROOT = Path(__file__).resolve().parent.parent.parent
LAYOUTS = ROOT / "tests" / "fixtures" / "layouts"
GOOD = LAYOUTS / "rect_borders" / "tianshui_zhangjiachuan_malu.pdf"
ITEM_TABLES = ("basic_items", "coordination_items", "reclaimed_items")
GOOD_NAME = "0_good.pdf"
BATCH_TIMEOUT = 3600  # seconds: a batch still running then counts as a hang


def bases() -> list[Path]:
    """The lists mutants are made from: every generated layout fixture but the good file's."""
    return sorted(p for p in LAYOUTS.glob("*/*.pdf") if p.parent != GOOD.parent)


@dataclass
class Config:
    seed: int
    n: int
    batch: int
    jobs: int
    engine: str
    budget_seconds: float
    budget_memory_mb: int
    start: int = 0
    family: str = "pdf"  # pdf, or a key of pipeline.fuzz.families.FAMILIES

    def valid(self) -> tuple[str, ...]:
        return VALID if self.family == "pdf" else FAMILIES[self.family].valid


@dataclass
class Result:
    index: int
    op: str
    base: str
    name: str  # as recorded (escaped)
    outcome: str  # ok | rejected | skipped | missing
    reason: str
    cpu_s: float
    wall_s: float
    added_mb: float
    peak_mb: float
    lines: int  # report lines naming it
    failures: list[str] = field(default_factory=list)


def run(config: Config, out: Path, work: Path | None = None, log=print) -> dict:
    """Fuzz; write the summary (markdown and JSON) into `out`; return the summary."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fuzz-", dir=work) as tmp:
        base = Path(tmp)
        reference = _build(base / "reference", [], config)
        if reference["failures"]:
            raise SystemExit(f"fuzz: the good file alone does not build cleanly: {reference['failures']}")
        expected = reference["good"]
        if config.family == "pdf":
            files = bases()

            def make(i: int) -> Mutant:
                return mutant(config.seed, i, files)
        else:
            family = FAMILIES[config.family]
            files = family.bases(base / "bases")

            def make(i: int) -> Mutant:
                return family_mutant(family, config.seed, i, files)

        results: list[Result] = []
        batches: list[dict] = []
        for first in range(config.start, config.start + config.n, config.batch):
            count = min(config.batch, config.start + config.n - first)
            made = [make(i) for i in range(first, first + count)]
            b = _build(base / f"batch_{first:05d}", made, config)
            if b["good"] != expected:
                b["failures"].append("the good file's item tables differ from its reference build")
            batches.append(
                {"first": first, "count": count, "seconds": b["seconds"], "failures": b["failures"]}
            )
            results.extend(b["results"])
            for r, m in zip(b["results"], made, strict=True):
                if r.failures or b["failures"]:
                    (out / "failures").mkdir(exist_ok=True)
                    (out / "failures" / os.fsdecode(m.name).replace("/", "_")).write_bytes(m.data)
            bad = sum(1 for r in b["results"] if r.failures)
            log(f"fuzz: mutants {first}-{first + count - 1}: {b['seconds']:.0f} s, "
                f"{len(b['failures'])} batch failure(s), {bad} mutant failure(s)")  # fmt: skip
            shutil.rmtree(base / f"batch_{first:05d}", ignore_errors=True)
    summary = _summary(config, results, batches, time.monotonic() - started)
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    (out / "summary.md").write_text(markdown(summary), encoding="utf-8")
    return summary


def _build(folder: Path, made: list[Mutant], config: Config) -> dict:
    raw, processed = folder / "raw", folder / "processed"
    raw.mkdir(parents=True)
    shutil.copyfile(GOOD, raw / GOOD_NAME)
    for m in made:
        (raw / os.fsdecode(m.name)).write_bytes(m.data)
    cmd = [sys.executable, "-m", "pipeline.fuzz.batch", "--raw", str(raw), "--processed", str(processed),
           "--jobs", str(config.jobs), "--engine", config.engine, "--budget-seconds", str(config.budget_seconds),
           "--budget-memory-mb", str(config.budget_memory_mb)]  # fmt: skip
    t0 = time.monotonic()
    failures: list[str] = []
    try:
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=BATCH_TIMEOUT)
        output = (proc.stdout + proc.stderr).decode("utf-8", "backslashreplace")
        code = proc.returncode
    except subprocess.TimeoutExpired:
        output, code = "", -1
        failures.append(f"the batch did not finish within {BATCH_TIMEOUT} s")
    seconds = time.monotonic() - t0
    if "Traceback" in output:
        failures.append("traceback: " + output[output.index("Traceback") :][-600:])
    if code not in (0, 1) and code != -1:
        failures.append(f"exit status {code}: {output[-300:]}")
    good, sources, stats = _read_outputs(processed)
    said = [ln for ln in output.splitlines() if ln.startswith(("rejected ", "skipped "))]
    results = [_result(m, sources, stats, said, config) for m in made]
    if _lines(said, GOOD_NAME):
        failures.append(f"the good file got a line: {_lines(said, GOOD_NAME)}")
    return {"good": good, "results": results, "failures": failures, "seconds": seconds}


def _read_outputs(processed: Path) -> tuple[dict, dict, dict]:
    import pyarrow.parquet as pq

    good: dict[str, list] = {}
    sources: dict[str, dict] = {}
    stats: dict[str, dict] = {}
    try:
        for table in ITEM_TABLES:
            rows = pq.read_table(processed / f"{table}.parquet").to_pylist()
            mine = [
                {k: v for k, v in r.items() if k != "duty_id"} for r in rows if r["source_file"] == GOOD_NAME
            ]
            good[table] = sorted(mine, key=lambda r: str(r["item_id"]))
        sources = {r["source_file"]: r for r in pq.read_table(processed / "source_files.parquet").to_pylist()}
        manifest = json.loads((processed / ".build" / "extract.json").read_text(encoding="utf-8"))
        stats = {e["source_file"]: e.get("budget", {}) for e in manifest["files"]}
    except (OSError, KeyError, ValueError) as exc:
        good = {"unreadable": [str(exc)]}
    return good, sources, stats


def _lines(said: list[str], name: str) -> list[str]:
    return [ln for ln in said if ln.startswith((f"rejected {name}: ", f"skipped {name}: "))]


def _result(m: Mutant, sources: dict, stats: dict, said: list[str], config: Config) -> Result:
    """A mutant's outcome. An archive that is unpacked has no row of its own: its members (rows
    named `NAME/…`) take its place; it counts as rejected when a member was, else as read when a
    member was, else as skipped; each member not read must have its one line, and a valid archive
    must have every member read."""
    name = display_name(os.fsdecode(m.name))
    rows = (
        {name: sources[name]}
        if name in sources
        else {k: v for k, v in sources.items() if k.startswith(f"{name}/")}
    )
    costs = [stats.get(k, {}) for k in rows] or [{}]
    statuses = {v.get("status") for v in rows.values()}
    outcome = _outcome(rows, statuses)
    reason = next((v.get("reason") or "" for v in rows.values() if v.get("status") == outcome), "")
    lines = sum(len(_lines(said, k)) for k in rows)
    r = Result(m.index, m.op, m.base, name, outcome, reason, max(c.get("cpu_s", 0.0) for c in costs),
               max(c.get("wall_s", 0.0) for c in costs), max(c.get("added_mb", 0.0) for c in costs),
               max(c.get("peak_mb", 0.0) for c in costs), lines)  # fmt: skip
    r.failures.extend(_failures(r, rows, statuses, config))
    return r


def _outcome(rows: dict, statuses: set) -> str:
    """missing (no row), rejected (a row was), ok (a row was read) or skipped."""
    return (
        "missing" if not rows
        else "rejected" if "rejected" in statuses
        else "ok" if "ok" in statuses
        else "skipped"
    )  # fmt: skip


def _failures(r: Result, rows: dict, statuses: set, config: Config) -> list[str]:
    """The checks a mutant's result breaks: no row, a valid file not read, its report lines not
    one per row not read, over the CPU or memory budget."""
    failures = []
    if r.outcome == "missing":
        failures.append("not in source_files")
    if r.op in config.valid() and (r.outcome != "ok" or statuses != {"ok"}):
        failures.append("a valid file (rotated pages, an odd name, hostile text) was not read")
    expected_lines = sum(v.get("status") != "ok" for v in rows.values()) if rows else 1
    if r.lines != expected_lines:
        failures.append(f"{r.lines} report line(s), expected {expected_lines}")
    if r.cpu_s > config.budget_seconds * 1.1 + 2:
        failures.append(f"read took {r.cpu_s} s of CPU, over the {config.budget_seconds} s budget")
    if r.peak_mb > config.budget_memory_mb * 1.05 and r.added_mb > config.budget_memory_mb / 4:
        failures.append(f"read held {r.peak_mb} MB, over the {config.budget_memory_mb} MB budget")
    return failures


def _summary(config: Config, results: list[Result], batches: list[dict], seconds: float) -> dict:
    """The run's summary: its configuration, the checks (`_checks`), each operation's outcomes
    (`_by_operation`), the reasons given, the failures and every mutant."""
    ops = _by_operation(results)
    reasons = Counter(r.reason for r in results if r.outcome != "ok")
    return {
        "seed": config.seed,
        "config": asdict(config),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "seconds": round(seconds),
        "mutants": len(results),
        "checks": _checks(results, batches),
        "operations": ops,
        "reasons": [{"reason": k, "mutants": v} for k, v in reasons.most_common()],
        "failures": [asdict(r) for r in results if r.failures] + [b for b in batches if b["failures"]],
        "mutants_detail": [asdict(r) for r in results],
    }


def _by_operation(results: list[Result]) -> list[dict]:
    """Per operation: its mutants' outcomes and their largest costs."""
    by_op: dict[str, list[Result]] = defaultdict(list)
    for r in results:
        by_op[r.op.split(":")[0]].append(r)
    ops = []
    for op, rs in sorted(by_op.items()):
        ops.append({
            "operation": op, "mutants": len(rs),
            "read": sum(r.outcome == "ok" for r in rs), "rejected": sum(r.outcome == "rejected" for r in rs),
            "skipped": sum(r.outcome == "skipped" for r in rs),
            "max_cpu_s": max(r.cpu_s for r in rs), "max_wall_s": max(r.wall_s for r in rs),
            "max_added_mb": max(r.added_mb for r in rs), "max_peak_mb": max(r.peak_mb for r in rs),
            "failures": sum(bool(r.failures) for r in rs),
        })  # fmt: skip
    return ops


def _checks(results: list[Result], batches: list[dict]) -> dict:
    """The run's checks: batches whose good file stayed intact, tracebacks, failures, largest costs."""
    return {
        "batches": len(batches),
        "batches_good_file_intact": sum(not any("good file" in f for f in b["failures"]) for b in batches),
        "tracebacks": sum(any(f.startswith("traceback") for f in b["failures"]) for b in batches),
        "batch_failures": sum(bool(b["failures"]) for b in batches),
        "mutant_failures": sum(bool(r.failures) for r in results),
        "max_cpu_s": max((r.cpu_s for r in results), default=0.0),
        "max_wall_s": max((r.wall_s for r in results), default=0.0),
        "max_added_mb": max((r.added_mb for r in results), default=0.0),
        "max_peak_mb": max((r.peak_mb for r in results), default=0.0),
    }


def markdown(s: dict) -> str:
    c, cfg = s["checks"], s["config"]
    out = [
        f"# Fuzz run: seed {s['seed']}, {s['mutants']} mutants"
        + (f" ({cfg['family']} files)" if cfg.get("family", "pdf") != "pdf" else ""),
        "",
        f"{s['date']}; engine {cfg['engine']}, budgets {cfg['budget_seconds']:g} s CPU and "
        f"{cfg['budget_memory_mb']} MB per read, batches of {cfg['batch']} mutants beside one good file, "
        f"jobs={cfg['jobs']}; {s['seconds']} s in all at a load average of {s['load_average']}. "
        f"Remake: `python -m pipeline.fuzz --family {cfg.get('family', 'pdf')} --n {cfg['n']} --seed {s['seed']} "
        f"--start {cfg['start']} "
        f"--batch {cfg['batch']} --engine {cfg['engine']} --budget-seconds {cfg['budget_seconds']:g} "
        f"--budget-memory-mb {cfg['budget_memory_mb']}`.",
        "",
        "| check | result |",
        "|---|---|",
        f"| good file's tables intact | {c['batches_good_file_intact']} of {c['batches']} batches |",
        f"| tracebacks | {c['tracebacks']} |",
        f"| batches with a failure | {c['batch_failures']} |",
        f"| mutants with a failure (line missing or doubled, over budget) | {c['mutant_failures']} |",
        f"| longest read | {c['max_cpu_s']:.1f} s CPU, {c['max_wall_s']:.1f} s wall |",
        f"| most memory a read held (peak resident; added to its worker's) | {c['max_peak_mb']:.0f} MB "
        f"({c['max_added_mb']:.0f} MB) |",
        "",
        "| operation | mutants | read | rejected | skipped | max CPU s | max wall s | max peak MB (added) | failures |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in s["operations"]:
        out.append(
            f"| {o['operation']} | {o['mutants']} | {o['read']} | {o['rejected']} | {o['skipped']} | "
            f"{o['max_cpu_s']:.1f} | {o['max_wall_s']:.1f} | {o['max_peak_mb']:.0f} ({o['max_added_mb']:.0f}) | "
            f"{o['failures']} |"
        )
    out += ["", "| reason given | mutants |", "|---|---|"]
    out += [f"| {r['reason']} | {r['mutants']} |" for r in s["reasons"]]
    if s["failures"]:
        out += ["", "## Failures", ""]
        out += [f"- `{json.dumps(f, ensure_ascii=False)[:600]}`" for f in s["failures"]]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.fuzz", __doc__)
    ap.add_argument("--n", type=int, default=1000, help="number of mutants")
    ap.add_argument("--seed", type=int, default=13, help="mutant i of seed s depends only on s and i")
    ap.add_argument("--start", type=int, default=0, help="first mutant index")
    ap.add_argument("--only", type=int, help="make and build this one mutant")
    ap.add_argument(
        "--out",
        type=Path,
        default=Path("reports/fuzz"),
        help="summary.md, summary.json and failures/ go here",
    )
    ap.add_argument("--batch", type=int, default=40, help="mutants per build")
    ap.add_argument("--jobs", type=int, default=2, help="processes per batch build")
    ap.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get("ENGINE") or ExtractSettings.engine,
        help=cli.ENGINE_HELP,
    )
    ap.add_argument(
        "--budget-seconds",
        type=float,
        default=ExtractSettings.budget_seconds,
        help="time budget of a read task",
    )
    ap.add_argument(
        "--budget-memory-mb",
        type=int,
        default=ExtractSettings.budget_memory_mb,
        help="memory budget of a read task",
    )
    ap.add_argument("--work", type=Path, help="folder for the batches' raw and processed folders")
    ap.add_argument("--family", choices=["pdf", *FAMILIES], default="pdf", help="which files to mutate")
    args = ap.parse_args(argv)
    start, n = (args.only, 1) if args.only is not None else (args.start, args.n)
    config = Config(
        args.seed,
        n,
        args.batch,
        args.jobs,
        args.engine,
        args.budget_seconds,
        args.budget_memory_mb,
        start,
        args.family,
    )
    s = run(config, args.out, args.work, log=lambda line: print(line, flush=True))
    print(markdown(s))
    print(f"fuzz: summary in {args.out / 'summary.md'} and {args.out / 'summary.json'}")
    c = s["checks"]
    return 0 if not (c["batch_failures"] or c["mutant_failures"]) else 1
