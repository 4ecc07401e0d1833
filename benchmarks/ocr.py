"""Benchmark OCR of scanned pages: pages per minute and peak memory of the extract stage.

    .venv/bin/python benchmarks/ocr.py [SCAN.pdf ...] [--jobs 2]     (or: make benchmark-ocr)

Runs `python -m pipeline.extract` (a cold cache each time) on scanned PDFs, by default the
shared corpus sample producers/scanned_ocr (found beside this checkout as ../shared or in the
tests' corpus copy), timed as a whole command with its whole process tree's peak memory. The
machine may be shared: the load average before and after is reported with the figures. Writes
benchmarks/results/ocr_latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
import shutil
import sys
import tempfile

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import PY, ROOT, machine, timed  # noqa: E402

TARGET_PAGES_PER_MINUTE = 6.0
CANDIDATES = [
    ROOT.parent / "shared" / "corpus" / "producers" / "scanned_ocr",
    ROOT / "tests" / "fixtures" / "corpus" / "producers" / "scanned_ocr",
]


def default_scans() -> list[Path]:
    for folder in CANDIDATES:
        found = sorted(folder.glob("*.pdf"))
        if found:
            return found
    raise SystemExit("benchmark-ocr: no scanned sample found; pass scanned PDFs as arguments")


def pages_of(path: Path) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(path)
    try:
        return len(pdf)
    finally:
        pdf.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scans", nargs="*", type=Path)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    scans = args.scans or default_scans()
    pages = sum(pages_of(p) for p in scans)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        for p in scans:
            shutil.copy2(p, raw / p.name)
        cmd = [str(PY), "-m", "pipeline.extract", "--raw", str(raw), "--processed", str(Path(tmp) / "out")]
        os.environ["JOBS"] = str(args.jobs)
        seconds, _, peak_mb = timed(cmd, memory=True)
    load_after = os.getloadavg()
    result = {
        "machine": machine(),
        "jobs": args.jobs,
        "files": [p.name for p in scans],
        "pages": pages,
        "seconds": round(seconds, 1),
        "pages_per_minute": round(pages / seconds * 60, 2),
        "peak_mb": round(peak_mb),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ocr_latest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        f"OCR: {pages} pages in {seconds:.1f} s with JOBS={args.jobs} = {result['pages_per_minute']} pages/min "
        f"(target ≥ {TARGET_PAGES_PER_MINUTE}), peak memory {result['peak_mb']} MB; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after on {result['machine']['cores']} cores"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
