"""Stage 3, normalize: cleaned items → the typed, keyed output tables (see CODEBOOK.md).

Per source file, in order, items become rows of basic_items, coordination_items and
reclaimed_items (township identity, power type, disposition), their departments resolve to
departments with the bridges coordination_departments and reclaimed_departments, and their
duty paragraphs become duty_steps. Rows stream to Parquet row group by row group, so memory
stays flat however many files there are. Data contracts are checked before anything is
published; all tables are then moved into place together.

Run alone: python -m pipeline.normalize --processed data/processed
"""

from __future__ import annotations

import argparse
from functools import cache
import hashlib
import os
from pathlib import Path
import sys

from pipeline.common.rules import load
from pipeline.common.storage import CLEAN_MANIFEST, build_dir, read_json, read_parquet, rows_to_arrow
from pipeline.normalize.contracts import Contracts, ContractViolation
from pipeline.normalize.departments import Department, disposition, resolve, split_printed
from pipeline.normalize.schema import arrow_schema, spec, write_docs
from pipeline.normalize.steps import parse_steps

ITEM_TABLES = {"basic": "basic_items", "coordination": "coordination_items", "reclaimed": "reclaimed_items"}
LIST_CODES = {"basic": "B", "coordination": "C", "reclaimed": "R"}
ROW_GROUP = 20_000


def township_id(city: str | None, county: str | None, township: str) -> str:
    key = f"{city or ''}|{county or ''}|{township}"
    return "T" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


@cache
def _power_rules() -> dict:
    return load("power_types")


def power_type(name: str) -> str:
    """行政处罚, 行政许可/审批, … from keywords in the item name (first matching rule)."""
    for rule in _power_rules()["rules"]:
        if any(k in name for k in rule["keywords"]):
            return rule["power_type"]
    return _power_rules()["fallback"]


class TableWriter:
    """Rows of one output table → a temporary Parquet file, published by `publish`."""

    def __init__(self, processed: Path, table: str):
        self.table = table
        self.schema = arrow_schema(table)
        self.final = processed / f"{table}.parquet"
        self.tmp = processed / f".{table}.parquet.{os.getpid()}.tmp"
        self._rows: list[dict] = []
        self._writer = None
        self.count = 0

    def add(self, rows: list[dict]) -> None:
        self.count += len(rows)
        self._rows.extend(rows)
        if len(self._rows) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:
            self._writer = pq.ParquetWriter(self.tmp, self.schema, compression="zstd", store_schema=True)
        if self._rows and self._writer is not None:
            self._writer.write_table(rows_to_arrow(self._rows, self.schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        if self._writer is not None:
            self._writer.close()

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self.tmp.unlink(missing_ok=True)

    def publish(self) -> None:
        os.replace(self.tmp, self.final)


class DepartmentRegistry:
    """Every department seen, with its spellings and how many items name it (counts, not ids,
    so memory grows with departments, not with items)."""

    def __init__(self) -> None:
        self.known: dict[str, Department] = {}
        self.spellings: dict[str, set[str]] = {}
        self.counts: dict[tuple[str, str], int] = {}

    def see(self, dept: Department, printed: str) -> None:
        self.known.setdefault(dept.department_id, dept)
        self.spellings.setdefault(dept.department_id, set()).add(printed)

    def count_item(self, departments: list[Department], table: str) -> None:
        """One item names these departments (each counted once per item)."""
        for dept_id in {d.department_id for d in departments}:
            self.counts[(dept_id, table)] = self.counts.get((dept_id, table), 0) + 1

    def rows(self) -> list[dict]:
        out = []
        for d in sorted(self.known.values(), key=lambda d: (d.belongs_to, d.level, d.name)):
            out.append(
                {
                    "department_id": d.department_id,
                    "name": d.name,
                    "level": d.level,
                    "kind": d.kind,
                    "belongs_to": d.belongs_to,
                    "spellings": sorted(self.spellings[d.department_id]),
                    "n_coordination_items": self.counts.get((d.department_id, "coordination"), 0),
                    "n_reclaimed_items": self.counts.get((d.department_id, "reclaimed"), 0),
                }
            )
        return out


def normalize_file(rows: list[dict], registry: DepartmentRegistry) -> dict[str, list[dict]]:
    """Output rows, by table, for the cleaned items of one source file."""
    out: dict[str, list[dict]] = {t: [] for t in FILE_TABLES}
    order = sorted(
        rows, key=lambda r: (r["city"] or "", r["county"] or "", r["township"], r["list"], r["seq"])
    )
    for r in order:
        kind = r["list"]
        tid = township_id(r["city"], r["county"], r["township"])
        item = {
            "item_id": f"{tid}-{LIST_CODES[kind]}{r['seq']:03d}",
            "township_id": tid,
            "city": r["city"],
            "county": r["county"],
            "township": r["township"],
            "seq": r["seq"],
            "category": r["category"],
            "name": r["name"],
            "power_type": power_type(r["name"]),
            "source_file": r["source_file"],
            "pages": r["pages"],
            "ocr_confidence": r.get("ocr_confidence"),
        }
        if kind == "coordination":
            _coordination(item, r, registry, out)
        elif kind == "reclaimed":
            _reclaimed(item, r, registry, out)
        out[ITEM_TABLES[kind]].append(item)
    return out


FILE_TABLES = (
    "basic_items",
    "coordination_items",
    "reclaimed_items",
    "coordination_departments",
    "reclaimed_departments",
    "duty_steps",
)


def _coordination(item: dict, r: dict, registry: DepartmentRegistry, out: dict) -> None:
    item["departments"] = list(r["departments"])
    item["upper_duties"] = "\n".join(r["upper_duties"])
    item["township_duties"] = "\n".join(r["township_duties"])
    named: list[Department] = []
    for printed in r["departments"]:
        for name in split_printed(printed):
            dept = resolve(name, r["county"], r["city"])
            if dept is None:
                continue
            registry.see(dept, name)
            named.append(dept)
            out["coordination_departments"].append(_bridge_row(item["item_id"], len(named), dept, name))
    registry.count_item(named, "coordination")
    only = named[0] if len({d.department_id for d in named}) == 1 else None
    for side, paras in (("upper", r["upper_duties"]), ("township", r["township_duties"])):
        out["duty_steps"] += _step_rows(
            item, "coordination", side, paras, registry, only if side == "upper" else None
        )


def _reclaimed(item: dict, r: dict, registry: DepartmentRegistry, out: dict) -> None:
    item["handling"] = "\n".join(r["handling"])
    steps = parse_steps(list(r["handling"]), r["county"], r["city"])
    receiving: list[tuple[str, Department]] = []
    for step in steps:
        for printed, dept in step.departments:
            if all(d != dept for _, d in receiving):
                receiving.append((printed, dept))
    registry.count_item([d for _, d in receiving], "reclaimed")
    for pos, (printed, dept) in enumerate(receiving, start=1):
        registry.see(dept, printed)
        out["reclaimed_departments"].append(_bridge_row(item["item_id"], pos, dept, printed))
    item["disposition"] = disposition(list(r["handling"]), [d for _, d in receiving])
    item["receiving_departments"] = [d.name for _, d in receiving]
    out["duty_steps"] += _step_rows(item, "reclaimed", "handling", r["handling"], registry, None, steps)


def _bridge_row(item_id: str, position: int, dept: Department, printed: str) -> dict:
    return {
        "item_id": item_id,
        "position": position,
        "department_id": dept.department_id,
        "department": dept.name,
        "printed": printed,
    }


def _step_rows(item, kind, side, paras, registry, item_dept, steps=None) -> list[dict]:
    """duty_steps rows of one cell; an upper-side step naming no department is the item's
    only department's (item_dept), when it has one."""
    rows = []
    for step in steps if steps is not None else parse_steps(list(paras), item["county"], item["city"]):
        for printed, dept in step.departments:
            registry.see(dept, printed)
        one = step.departments[0][1] if len(step.departments) == 1 else None
        source = step.source if one else None
        if not step.departments and not step.is_heading and item_dept is not None:
            one, source = item_dept, "item"
        rows.append(
            {
                "item_id": item["item_id"],
                "township_id": item["township_id"],
                "list": kind,
                "seq": item["seq"],
                "side": side,
                "paragraph": step.paragraph,
                "is_heading": step.is_heading,
                "heading": step.heading,
                "step_no": step.step_no,
                "named_departments": [d.name for _, d in step.departments],
                "department_id": one.department_id if one else None,
                "department": one.name if one else None,
                "department_source": source,
                "text": step.text,
            }
        )
    return rows


# --- the stage ----------------------------------------------------------------------------------


def _township_rows(seen: dict[str, dict]) -> list[dict]:
    return [
        seen[k] | {"source_files": sorted(seen[k]["source_files"])}
        for k in sorted(
            seen, key=lambda k: (seen[k]["city"] or "", seen[k]["county"] or "", seen[k]["township"])
        )
    ]


def run(processed: Path, log=print) -> None:
    """Build every output table from the clean stage's results; publish all or none."""
    cleaned = read_json(build_dir(processed) / CLEAN_MANIFEST)
    registry = DepartmentRegistry()
    contracts = Contracts()
    writers = {t: TableWriter(processed, t) for t in spec()}
    townships: dict[str, dict] = {}
    sources = []
    try:
        for entry in cleaned["files"]:
            n_items = 0
            if entry["status"] == "ok":
                rows = read_parquet(build_dir(processed) / entry["cache"]).to_pylist()
                n_items = len(rows)
                tables = normalize_file(rows, registry)
                contracts.add_file(entry["source_file"], tables)
                for table, table_rows in tables.items():
                    writers[table].add(table_rows)
                for kind, table in ITEM_TABLES.items():
                    for item in tables[table]:
                        t = townships.setdefault(item["township_id"], _new_township(item, rows))
                        t[f"n_{kind}"] += 1
                        t["source_files"].add(item["source_file"])
            sources.append(
                {
                    "source_file": entry["source_file"],
                    "sha256": entry.get("sha256", ""),
                    "status": entry["status"],
                    "reason": entry.get("reason"),
                    "pages": entry.get("pages"),
                    "ocr_pages": entry.get("ocr_pages", []),
                    "n_items": n_items,
                    "notes": entry.get("notes", []),
                }
            )
        finals = {
            "departments": registry.rows(),
            "townships": _township_rows(townships),
            "source_files": sources,
        }
        for table, table_rows in finals.items():
            contracts.add_table(table, table_rows)
            writers[table].add(table_rows)
        contracts.check()
        for w in writers.values():
            w.close()
    except BaseException:
        for w in writers.values():
            w.discard()
        raise
    for w in writers.values():
        w.publish()
    write_docs(processed)
    counts = {t: n for t, n in ((t, w.count) for t, w in writers.items())}
    log("normalize: " + ", ".join(f"{t} {n}" for t, n in counts.items()))


def _new_township(item: dict, rows: list[dict]) -> dict:
    first = next(r for r in rows if r["township"] == item["township"] and r["county"] == item["county"])
    return {
        "township_id": item["township_id"],
        "province": first.get("province"),
        "city": item["city"],
        "county": item["county"],
        "township": item["township"],
        "township_kind": first.get("township_kind"),
        "n_basic": 0,
        "n_coordination": 0,
        "n_reclaimed": 0,
        "source_files": set(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--processed", type=Path, default=Path("data/processed"))
    args = ap.parse_args(argv)
    try:
        run(args.processed)
    except ContractViolation as exc:
        print(f"normalize: {exc}", file=sys.stderr)
        print("normalize: nothing was written; the previous tables are unchanged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
