"""Run the analysis notebooks headless against a processed folder; write HTML, figures and summaries.

Each notebook in notebooks/ (NN_name.py, jupytext percent format, the .ipynb twin holds the same
cells without outputs) is executed in a fresh kernel with DUTY_PROCESSED set to the processed
folder and DUTY_FIGURES to OUT/figures. The notebook saves its figures there (NN_*.png and
NN_*.svg, replacing those of an earlier run) and a summary_NN.json of the headline numbers it
shows; this module writes the executed notebook next to them as OUT/figures/NN_name.html.
One line per notebook; exit status 1 when any notebook failed (an error in a cell, or a
"Glyph ... missing from font" warning in its output), 2 when the processed folder has no tables.

Run:   python -m pipeline.analysis.notebooks --processed data/processed --out reports [NN ...]
Sync:  python -m pipeline.analysis.notebooks --sync   (rewrite the .ipynb twins from the .py files, no outputs)
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import os
from pathlib import Path
import re
import sys
import tempfile
import time

from pipeline.common import cli

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = Path(__file__).resolve().parent / "templates"
KERNEL = "python3"  # jupyter_client runs it with this interpreter (sys.executable)
CELL_TIMEOUT = 600  # seconds
GLYPH = re.compile(r"Glyph .* missing from")
REQUIRED_TABLES = ("townships", "basic_items", "coordination_items", "reclaimed_items")


@dataclass
class Result:
    name: str
    ok: bool
    seconds: float
    html: Path
    error: str = ""
    note: str = ""


def sources(folder: Path = NOTEBOOKS, only: list[str] | None = None) -> list[Path]:
    """The notebooks in reading order (NN_name.py); ONLY keeps those whose name starts with one of
    the given prefixes (01, 02_department, ...)."""
    found = sorted(folder.glob("[0-9][0-9]_*.py"))
    if only:
        found = [p for p in found if any(p.stem.startswith(o) for o in only)]
    return found


def glyph_problems(nb) -> list[str]:
    """Lines of the notebook's outputs that report a glyph missing from the font."""
    lines = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            texts = [out.get("text", ""), out.get("evalue", ""), *out.get("traceback", [])]
            texts += [str(v) for k, v in out.get("data", {}).items() if k.startswith("text/")]
            lines += [ln for t in texts for ln in str(t).splitlines() if GLYPH.search(ln)]
    return lines


def _describe(exc: BaseException) -> str:
    """One line for a failure: the error raised in the cell (CellExecutionError carries it), else the
    runner's own exception (dead kernel, timeout)."""
    in_cell = getattr(exc, "ename", None)
    name = in_cell or type(exc).__name__
    value = getattr(exc, "evalue", "") if in_cell else str(exc)
    first = (str(value).strip().splitlines() or [""])[0]
    return f"{name}: {first}" if first else name


def run_notebook(source: Path, processed: Path, out: Path, kernel: str = KERNEL):
    """Execute one notebook; write OUT/figures/NAME.html. Returns (Result, executed notebook)."""
    import jupytext
    from nbclient import NotebookClient

    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    html = figures / f"{source.stem}.html"
    number = source.stem[:2]
    # What an earlier run of this notebook left (a heatmap drawn for several townships, say) goes
    # first, so the folder shows only what this run drew.
    for old in [
        *figures.glob(f"{number}_*.png"),
        *figures.glob(f"{number}_*.svg"),
        figures / f"summary_{number}.json",
    ]:
        old.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DUTY_PROCESSED": str(processed.resolve()),
        "DUTY_FIGURES": str(figures.resolve()),
        # The kernel imports this checkout's pipeline package, whatever the venv's .pth names.
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    nb = jupytext.read(source)
    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(source.parent)}},
    )
    start = time.perf_counter()
    error = note = ""
    # The kernel process's own stderr (start-up notices) goes to a scratch file, shown only when
    # the kernel itself failed; what cells print is in the notebook's outputs.
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        try:
            client.execute(env=env, stderr=log)
        except Exception as exc:  # a failing cell, a dead kernel, a timeout: report and go on
            if getattr(exc, "ename", None) == "NothingToAnalyse":  # viz.stop_if_empty: no township
                note = "nothing to analyse (no township in the processed folder)"
            else:
                error = _describe(exc)
            if not getattr(exc, "ename", None):
                log.seek(0)
                last = [ln for ln in log.read().splitlines() if ln.strip()][-1:]
                error += f" (kernel: {last[0].strip()})" if last else ""
    seconds = time.perf_counter() - start
    glyphs = glyph_problems(nb)
    if glyphs and not error:
        error = f"missing glyph: {glyphs[0].strip()}"
    body, _ = html_exporter().from_notebook_node(nb)
    html.write_text(body, encoding="utf-8")
    return Result(source.stem, not error, seconds, html, error, note), nb


def html_exporter():
    """nbconvert's lab look without code cells and without anything loaded from the network
    (templates/offline): the HTML opens the same offline, behind a firewall, anywhere."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="offline",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def stable_ids(nb) -> None:
    """Give every cell an id made from its type and text (the same cell keeps its id on every sync,
    so the .ipynb diff shows only the cells that changed)."""
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell["id"] = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def twin(source: Path):
    """The .ipynb twin of a .py notebook as it should be committed: same cells, no outputs."""
    import jupytext

    nb = jupytext.read(source)
    stable_ids(nb)
    return nb


def sync(folder: Path = NOTEBOOKS) -> list[Path]:
    """Rewrite each NN_name.ipynb from its NN_name.py twin: same cells, no outputs."""
    import jupytext

    written = []
    for source in sources(folder):
        target = source.with_suffix(".ipynb")
        jupytext.write(twin(source), target, fmt="ipynb")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.analysis.notebooks", __doc__)
    ap.add_argument("--processed", type=Path, default=Path("data/processed"), help=cli.PROCESSED_HELP)
    ap.add_argument("--out", type=Path, default=Path("reports"), help="HTML and figures go to OUT/figures")
    ap.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="folder of the notebooks (NN_name.py)")
    ap.add_argument("--sync", action="store_true", help="rewrite the .ipynb twins from the .py files")
    ap.add_argument("only", nargs="*", help="run only the notebooks whose name starts with these")
    args = ap.parse_args(argv)

    if args.sync:
        for path in sync(args.notebooks):
            print(f"wrote {path}")
        return 0
    missing = [
        t for t in REQUIRED_TABLES if not (args.processed / f"{t}.parquet").exists()
    ]  # file or dataset
    if missing:
        print(
            f"notebooks: {args.processed} has no {missing[0]}.parquet (run make all first)", file=sys.stderr
        )
        return 2
    todo = sources(args.notebooks, args.only)
    if not todo:
        print("notebooks: no notebook to run", file=sys.stderr)
        return 2
    failed = 0
    for source in todo:
        result, _ = run_notebook(source, args.processed, args.out)
        line = f"{result.name:<28} {result.seconds:6.1f} s  {result.html}"
        if result.ok:
            print(f"ok      {line}" + (f"  {result.note}" if result.note else ""), flush=True)
        else:
            failed += 1
            print(f"FAILED  {line}  {result.error}", file=sys.stderr, flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
