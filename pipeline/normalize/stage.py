"""Stage 3, normalize: cleaned items → the typed, keyed output tables (see CODEBOOK.md).

Per source file, in order, items become rows of basic_items, coordination_items and
reclaimed_items (township identity, power type, disposition), their departments resolve to
departments with the bridges coordination_departments and reclaimed_departments, and their
duty paragraphs become duty_steps. Rows stream to Parquet row group by row group, so memory
stays flat however many files there are. Two light passes come first: one finds revisions (two
files with the same township's list: the newer is current, `changes` says what changed), one
gathers every item's wording so that each item gets its duty_id (the `duties` table); both keep
distinct wordings and identities in memory, not items (the matcher a township number, 4 bytes, per
item until it matches). Memory thus grows with townships, departments and distinct wordings (a few
kB per township, see README, Speed and scale), never with item rows or duty steps; above
PARTITION_ROWS item rows the item tables, bridges and duty_steps are written by province
(TableWriter). Data contracts (pipeline.normalize.contracts)
screen each file's lists: a broken one is written as read or left out, never costing another list,
and every problem goes into the problems table. All tables are written into a staging folder and published
together (pipeline.common.publication); with --strict (or STRICT=1) any problem stops the build
before anything is published.

Run alone: python -m pipeline.normalize --processed data/processed [--strict]
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from functools import cache
import hashlib
from pathlib import Path
import sys
from typing import Any, cast

from pipeline.common import cli
from pipeline.common.columns import fields
from pipeline.common.entries import SourceEntry, source_row
from pipeline.common.failures import content_failure, technical
from pipeline.common.parallel import default_jobs, map_window
from pipeline.common.publication import commit, discard, new_staging
from pipeline.common.rules import load
from pipeline.common.settings import PARTITION_ROWS, add_partition_option, add_strict_option
from pipeline.common.storage import (
    CLEAN_MANIFEST,
    PART_FILE,
    PROBLEMS_SUMMARY,
    build_dir,
    import_arrow,
    package_digest,
    partition_folder,
    read_json,
    read_parquet,
    reader_versions,
    rows_to_arrow,
    stage_version,
    write_json,
)
from pipeline.normalize.contracts import (
    LIST_NAMES,
    Contracts,
    ContractViolation,
    Findings,
    Problem,
    violation,
)
from pipeline.normalize.departments import Department, disposition, resolve, split_printed
from pipeline.normalize.divisions import lookup as lookup_division
from pipeline.normalize.duties import (
    DecisionsError,
    DutyMatcher,
    decisions_digest,
    decisions_note,
    decisions_path,
    read_decisions,
)
from pipeline.normalize.revisions import (
    Version,
    are_versions,
    by_evidence,
    changes,
    defects,
    difference,
    most_faithful,
    printings,
    signature,
    without_repeats,
)
from pipeline.normalize.schema import arrow_schema, spec, write_docs
from pipeline.normalize.steps import parse_steps

ITEM_TABLES = {"basic": "basic_items", "coordination": "coordination_items", "reclaimed": "reclaimed_items"}
LIST_CODES = {"basic": "B", "coordination": "C", "reclaimed": "R"}
ROW_GROUP = 20_000
RULES: tuple[str, ...] = (
    "admin_units",
    "departments",
    "duties",
    "duty_vocabulary",
    "lists",
    "power_types",
)  # rules files this stage reads


def township_id(city: str | None, county: str | None, township: str) -> str:
    key = f"{city or ''}|{county or ''}|{township}"
    return "T" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]


def item_id(tid: str, kind: str, seq: int, section: int | None = None) -> str:
    """Stable key of an item: its township, list and 序号 (T0123456789-B007); where the list numbers
    its items again in every section, the section's ordinal too (T0123456789-B03-007)."""
    if section:
        return f"{tid}-{LIST_CODES[kind]}{section:02d}-{seq:03d}"
    return f"{tid}-{LIST_CODES[kind]}{seq:03d}"


def row_township_id(row: dict) -> str:
    """township_id of a cleaned row."""
    return township_id(row["city"], row["county"], row["township"])


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
    """Rows of one output table → its Parquet file in a staging folder (see pipeline.common.publication),
    stamped with the build id. Each batch of rows becomes an Arrow table at once (a tenth of the
    memory of the row dicts); ROW_GROUP buffered rows are written as one row group.

    PARTITION (a row → the province of its township, or None): the table is written as a
    dataset instead, TABLE.parquet/province=…/part-0.parquet (hive style, see
    pipeline.common.storage.partition_folder), one file per province; whenever ROW_GROUP rows are
    buffered, the province holding the most is written, so the buffers stay at ROW_GROUP rows
    however many provinces there are."""

    def __init__(
        self, folder: Path, table: str, build: str, partition: Callable[[dict], str | None] | None = None
    ):
        self.table = table
        schema = arrow_schema(table)
        self.schema = schema.with_metadata({**schema.metadata, b"build_id": build.encode()})
        self.path = folder / f"{table}.parquet"
        self.partition = partition
        self._buffers: dict[str, list] = {}  # part ("" for the single file) → Arrow tables
        self._buffered: dict[str, int] = {}
        self._writers: dict = {}
        self.count = 0

    def add(self, rows: list[dict]) -> None:
        self.count += len(rows)
        if not rows:
            return
        groups: dict[str, list[dict]] = {}
        if self.partition is None:
            groups[""] = rows
        else:
            for row in rows:
                groups.setdefault(partition_folder(self.partition(row)), []).append(row)
        for part, members in groups.items():
            self._buffers.setdefault(part, []).append(rows_to_arrow(members, self.schema))
            self._buffered[part] = self._buffered.get(part, 0) + len(members)
        while self._buffered and sum(self._buffered.values()) >= ROW_GROUP:
            self._flush(max(self._buffered, key=lambda k: (self._buffered[k], k)))

    def _flush(self, part: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if part not in self._writers:
            path = self.path / part / PART_FILE if part else self.path
            path.parent.mkdir(parents=True, exist_ok=True)
            self._writers[part] = pq.ParquetWriter(path, self.schema, compression="zstd", store_schema=True)
        batches = self._buffers.pop(part, [])
        self._buffered.pop(part, None)
        if batches:
            self._writers[part].write_table(pa.concat_tables(batches).combine_chunks())

    def close(self) -> None:
        if not self._writers and not self._buffers:  # no rows: an empty file still holds the schema
            self._buffers[partition_folder(None) if self.partition else ""] = []
        for part in sorted(self._buffers):
            self._flush(part)
        for writer in self._writers.values():
            writer.close()


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

    def merge(self, other: DepartmentRegistry) -> None:
        """Add what another registry saw (one file's, read on another process)."""
        for dept_id, dept in other.known.items():
            self.known.setdefault(dept_id, dept)
            self.spellings.setdefault(dept_id, set()).update(other.spellings[dept_id])
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n

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
                    "department_type": d.type,
                    "belongs_to": d.belongs_to,
                    "spellings": sorted(self.spellings[d.department_id]),
                    "n_coordination_items": self.counts.get((d.department_id, "coordination"), 0),
                    "n_reclaimed_items": self.counts.get((d.department_id, "reclaimed"), 0),
                }
            )
        return out


def normalize_file(
    rows: list[dict], registry: DepartmentRegistry, duties: DutyMatcher | None = None
) -> dict[str, list[dict]]:
    """Output rows, by table, for the cleaned items of one source file (with duty ids when a
    matcher that has seen every item is given)."""
    out: dict[str, list[dict]] = {t: [] for t in FILE_TABLES}
    order = sorted(
        rows,
        key=lambda r: (
            r["city"] or "",
            r["county"] or "",
            r["township"],
            r["list"],
            r.get("section") or 0,
            r["seq"],
        ),
    )
    for r in order:
        kind = r["list"]
        tid = row_township_id(r)
        item = {
            "item_id": item_id(tid, kind, r["seq"], r.get("section")),
            "township_id": tid,
            "city": r["city"],
            "county": r["county"],
            "township": r["township"],
            "seq": r["seq"],
            "section": r.get("section"),
            "position": r.get("position"),
            **printed_fields(kind, r),
            "power_type": power_type(r["name"] or ""),
            "source_file": r["source_file"],
            "pages": r["pages"],
            "first_page": min(r["pages"]) if r["pages"] else None,
            "last_page": max(r["pages"]) if r["pages"] else None,
            "duty_id": duties.duty_of(kind, r | {"township_id": tid}) if duties else None,
            "ocr_confidence": r.get("ocr_confidence"),
            "extra_columns": list(r.get("extra_columns") or []),
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


def printed_fields(kind: str, r: dict) -> dict:
    """The item's printed columns with a field in KIND's items (the column registry, lists.toml
    [columns.*]; the item number aside), as the item tables hold them: text (an empty cell
    empty), paragraphs joined by a newline, names as a list."""
    out: dict = {}
    for c in fields(kind):
        v = r.get(c.field)
        if c.value == "text":
            out[c.field] = v or None  # an empty name cell: a problem row says so
        elif c.value == "paragraphs":
            out[c.field] = "\n".join(v or [])
        elif c.value == "names":
            out[c.field] = list(v or [])
    return out


def _coordination(item: dict, r: dict, registry: DepartmentRegistry, out: dict) -> None:
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


LIGHT = ["city", "county", "township", "list", "seq", "name", "category"]


def _read(processed: Path, entry: Mapping[str, Any], columns: list[str] | None = None) -> list[dict]:
    return read_parquet(build_dir(processed) / entry["cache"], columns).to_pylist()


def _place(row: dict) -> str:
    """A township as people name it: county and township (city first where there is one)."""
    return "".join(p for p in (row.get("city"), row.get("county"), row.get("township")) if p)


@dataclass
class Revisions:
    """What comparing the files that give one township's list decided (see revisions.py)."""

    superseded: dict[tuple[str, str, str], str] = field(default_factory=dict)  # key → note for its file
    changes: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # (place, file read, its copies) → the lists they share ("基本 107")
    copies: dict[tuple[str, str, tuple[str, ...]], list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line per set of files giving the same lists of a township."""
        return [
            f"copies: {', '.join(others)} give the same lists of {place} as {kept} ({', '.join(lists)} items); "
            f"read once, from {kept}"
            for (place, kept, others), lists in sorted(self.copies.items())
        ]

    repeats: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (file, tid, list) → printings


def _list_rows(rows: list[dict], revisions: Revisions | None, source_file: str) -> list[dict]:
    """ROWS of one file without the lists it supersedes and without repeated printings."""
    if revisions is None:
        return rows
    out = [
        r
        for r in rows
        if (source_file, township_id(r["city"], r["county"], r["township"]), r["list"])
        not in revisions.superseded
    ]
    if not revisions.repeats:
        return out
    lists: dict[tuple[str, str], list[dict]] = {}
    for r in out:
        lists.setdefault((township_id(r["city"], r["county"], r["township"]), r["list"]), []).append(r)
    keep: set[int] = set()
    for (tid, kind), members in lists.items():
        if (source_file, tid, kind) in revisions.repeats:  # decided on whole rows: the first printing
            members = printings(members)[0]
        keep |= {id(r) for r in members}
    return [r for r in out if id(r) in keep]


def find_revisions(processed: Path, entries: list[dict]) -> Revisions:
    """Copies, revisions and conflicting versions among the files, and lists printed several
    times in one file (see revisions.py). Only the township identity columns are read for every
    file; whole rows only for files that share a township's list with another file or repeat one."""
    found = Revisions()
    holders: dict[tuple[str, str], list[dict]] = {}
    full: dict[str, list[dict]] = {}
    places: dict[str, str] = {}

    def rows_of(entry: dict) -> list[dict]:
        if entry["source_file"] not in full:
            full[entry["source_file"]] = _read(processed, entry)
        return full[entry["source_file"]]

    def members_of(entry: dict, tid: str, kind: str) -> list[dict]:
        return [
            r
            for r in rows_of(entry)
            if r["list"] == kind and township_id(r["city"], r["county"], r["township"]) == tid
        ]

    for e in sorted(entries, key=lambda e: e["source_file"]):
        counts: dict[tuple[str, str], list[int]] = {}
        repeated: dict[str, list[str]] = {}
        for r in _read(processed, e, ["city", "county", "township", "list", "seq"]):
            tid = township_id(r["city"], r["county"], r["township"])
            places.setdefault(tid, _place(r))
            counts.setdefault((tid, r["list"]), []).append(r["seq"])
        for (tid, kind), seqs in counts.items():
            holders.setdefault((tid, kind), []).append(e)
            if len(seqs) == len(set(seqs)):
                continue
            kept, printings = without_repeats(kind, members_of(e, tid, kind))  # the whole list again?
            if printings > 1:
                found.repeats[(e["source_file"], tid, kind)] = printings
                repeated.setdefault(tid, []).append(
                    f"{LIST_NAMES[kind]} {len(kept)} items, {printings} times"
                )
        for tid, what in sorted(repeated.items()):  # one problem per township and file
            found.problems.append(
                Problem(
                    e["source_file"],
                    "repeated_list",
                    f"the lists of {places[tid]} are printed several times in this file with the same items "
                    f"({'; '.join(what)}); each read once",
                    tid,
                )
            )
    for (tid, kind), files in sorted(holders.items()):
        if len(files) >= 2:
            _compare(found, tid, kind, {e["source_file"]: e for e in files}, places[tid], members_of)
    return found


def _compare(found: Revisions, tid: str, kind: str, by_name: dict[str, dict], place: str, members_of) -> None:
    """Copies, revisions or conflicts among the files BY_NAME that give one township's list."""
    label = LIST_NAMES[kind]

    def items(source: str) -> list[dict]:
        return without_repeats(kind, members_of(by_name[source], tid, kind))[0]

    versions: dict[str, Version] = {}
    groups: dict[tuple, list[str]] = {}
    for source in sorted(by_name):
        its = items(source)
        ocr = set(by_name[source].get("ocr_pages") or [])
        versions[source] = Version(
            source,
            by_name[source].get("document_date"),
            any(set(r.get("pages") or []) & ocr for r in its),
            defects(its),
            len(its),
        )
        groups.setdefault(signature(kind, its), []).append(source)
    readings = []
    for sources in groups.values():
        kept = most_faithful([versions[s] for s in sources])
        readings.append(kept)
        copies = [s for s in sources if s != kept.source_file]
        for s in copies:
            found.superseded[(s, tid, kind)] = (
                f"the {label} list of {place}: the same {kept.n_items} items as {kept.source_file}; read once"
            )
        if copies:
            found.copies.setdefault((place, kept.source_file, tuple(copies)), []).append(
                f"{label} {kept.n_items}"
            )
    if len(readings) < 2:
        return
    decided = by_evidence(readings)
    current = decided[0] if decided else most_faithful(readings)
    new = items(current.source_file)
    for older in sorted(readings, key=lambda v: v.source_file):
        source = older.source_file
        if source == current.source_file:
            continue
        old = items(source)
        if not are_versions(old, new):
            continue  # not versions of one list: left to the duplicate-township check
        if decided is None:
            found.superseded[(source, tid, kind)] = (
                f"the {label} list of {place} differs from {current.source_file}, and neither says which is "
                f"current; {current.source_file} was kept (see problems)"
            )
            found.problems.append(
                Problem(
                    source,
                    "conflicting_versions",
                    f"the {label} list of {place} is given differently by {current.source_file} and {source} "
                    f"({difference(kind, new, old, current.source_file, source)}), and neither prints a date "
                    f"or has one in its name to tell which is current; kept {current.describe()} over "
                    f"{older.describe()}",
                    tid,
                    kind,
                )
            )
            continue
        evidence = decided[1]
        found.superseded[(source, tid, kind)] = (
            f"the {label} list of {place} superseded by {current.source_file} ({evidence}: "
            f"{_date_of(current, evidence)} after {_date_of(older, evidence)}; see changes)"
        )
        for n, change in enumerate(changes(kind, old, new), start=1):
            section = change.pop("new_section")
            found.changes.append(
                {
                    "township_id": tid,
                    "list": kind,
                    "old_file": source,
                    "change_no": n,
                    "new_file": current.source_file,
                    "old_date": _date_of(older, evidence),
                    "new_date": _date_of(current, evidence),
                    "item_id": item_id(tid, kind, change["new_seq"], section)
                    if change["new_seq"] is not None
                    else None,
                }
                | change
            )


def _date_of(v: Version, evidence: str) -> str | None:
    return v.document_date if evidence == "printed date" else v.name_date


def partitioned(cleaned: dict, partition: str) -> bool:
    """Are the large tables (FILE_TABLES) written by province? province: yes; none: no; auto: when
    the clean stage read more than PARTITION_ROWS items (a table past what a worksheet holds
    stays readable in parts; a small build keeps its single files)."""
    if partition == "auto":
        return sum(e.get("items") or 0 for e in cleaned["files"] if e["status"] == "ok") > PARTITION_ROWS
    return partition == "province"


def build_id(cleaned: dict, decisions: bytes = b"") -> str:
    """Id of a build: a digest of the whole package (code, rules, templates), the versions of the
    reading libraries, the analyst's duty decisions and what the clean stage made of each raw
    file (not of the PDF reader chosen: both give the same tables, tests/test_engines.py), so the
    same inputs give the same id (reruns stay byte-identical) and tables of two different builds
    never share one. Modification times and the order files are listed in play no part."""
    h = hashlib.sha256(stage_version("normalize", RULES).encode() + decisions)
    h.update(package_digest().encode())
    h.update(reader_versions())
    for e in sorted(cleaned["files"], key=lambda e: e["source_file"]):
        h.update(f"{e['source_file']}\0{e.get('sha256', '')}\0{e['status']}\0{e.get('cache', '')}\n".encode())
    return h.hexdigest()[:16]


def run(
    processed: Path,
    out: Path,
    strict: bool = False,
    log=print,
    raw: Path | None = None,
    partition: str = "auto",
    jobs: int | None = None,
) -> list[dict]:
    """Build every output table from the clean stage's results; return the problems found (rows of
    the problems table). Strict: raise ContractViolation on any problem and write nothing.
    RAW, the raw folder, locates the analyst's duty decisions (duty_decisions.csv beside it);
    versions are decided by the documents, never by the files' times. OUT: the staging folder to write into,
    which the caller publishes (pipeline.orchestrate with the exports; the command alone, `main`).
    PARTITION: auto, province or none (pipeline.common.settings.add_partition_option). JOBS:
    processes that turn files into rows (default: every core); the tables do not depend on it."""
    cleaned = read_json(build_dir(processed) / CLEAN_MANIFEST)
    decisions_file = decisions_path(raw)
    work = _Run(processed, cleaned, decisions_file, out, partitioned(cleaned, partition))
    try:
        with closing(work.file_results(cleaned["files"], jobs or default_jobs())) as results:
            for entry, result in results:
                work.add_file(entry, result)
        problems = work.finish(strict)
    finally:
        for w in work.writers.values():
            w.close()
    write_docs(out, decisions_note(decisions_file, work.duties.review_rows()))
    counts = {t: w.count for t, w in work.writers.items()}
    items = sum(counts[t] for t in ITEM_TABLES.values())
    write_json(build_dir(out) / PROBLEMS_SUMMARY, {"problems": problems, "items": items})
    log("normalize: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    for line in work.revisions.lines():
        log(line)
    if work.revisions.changes:
        log(revision_line(work.revisions.changes))
    return problems


@dataclass
class _FileResult:
    """What one file read became (`_Run.file_result`): its rows by table, its townships (id →
    a townships row with counts still to add), the contracts and department registry of its own
    screening (merged into the run's in file order), and why it was rejected, if it was."""

    tables: dict[str, list[dict]]
    townships: dict[str, dict]
    found: Findings  # not the file's Contracts: those share every file's claimed lists
    registry: DepartmentRegistry
    failure: tuple[str, str] | None = None


_CURRENT: _Run | None = None  # the run whose files the workers turn into rows (inherited by fork)


def _file_result(entry: SourceEntry) -> _FileResult:
    """`_Run.file_result` of the current run (module level: a worker process runs it)."""
    assert _CURRENT is not None
    return _CURRENT.file_result(entry)


class _Run:
    """One normalize run, in phases: the versions and the duties across all files (`__init__`),
    each file's tables (`add_file`), then the tables over all files and the problems (`finish`).
    Holds the writers of the output tables and what is gathered across files."""

    def __init__(
        self,
        processed: Path,
        cleaned: dict,
        decisions_file: Path | None,
        out: Path,
        by_province: bool = False,
    ) -> None:
        """Phase 1: the build id, which file's list is current (copies, revisions, conflicts),
        and the duties matched across every current item."""
        self.processed = processed
        self.build = build_id(cleaned, decisions_digest(decisions_file))
        ok = [e for e in cleaned["files"] if e["status"] == "ok"]
        self.revisions = find_revisions(processed, ok)
        # file → its notes (looked up per file, not searched)
        self.superseded_notes: dict[str, list[str]] = {}
        for (source, _, _), note in sorted(self.revisions.superseded.items()):
            self.superseded_notes.setdefault(source, []).append(note)
        self.duties = DutyMatcher(decisions=read_decisions(decisions_file))
        self.contracts = Contracts()
        for e in ok:
            rows = _list_rows(_read(processed, e, LIGHT + ["source_file"]), self.revisions, e["source_file"])
            self.contracts.claim_lists(e["source_file"], rows, row_township_id)
            for r in rows:
                self.duties.add(r["list"], r | {"township_id": row_township_id(r)})
        self.duties.match()
        self.registry = DepartmentRegistry()
        self.townships: dict[str, dict] = {}
        split = self._province if by_province else None
        self.writers = {
            t: TableWriter(out, t, self.build, split if t in FILE_TABLES else None) for t in spec()
        }
        self.sources: list[dict] = []

    def file_results(
        self, files: list[SourceEntry], jobs: int
    ) -> Generator[tuple[SourceEntry, _FileResult | None], None, None]:
        """Each file with what `file_result` made of it (None: a file not read), in file order;
        the files read are turned into rows on JOBS processes, forked once this run's light
        passes are done (they inherit the matched duties and the revisions), a window of files
        at a time (memory does not grow with the number of files)."""
        global _CURRENT
        ok = [e for e in files if e["status"] == "ok"]
        _CURRENT = self
        made = map_window(_file_result, ok, min(jobs, len(ok)), window=4 * jobs)
        try:
            for entry in files:
                yield entry, next(made) if entry["status"] == "ok" else None
        finally:
            made.close()  # stopped early: the workers are stopped now, not when collected
            _CURRENT = None

    def file_result(self, entry: SourceEntry) -> _FileResult:
        """Phase 2 for one file read, apart from the rest of the run (so that it can run on another
        process): its rows screened, normalized and checked, the townships of its items, and the
        departments and problems it found; a file whose content reveals a bug is rejected alone."""
        contracts = self.contracts.for_file()
        registry = DepartmentRegistry()
        try:
            tables, rows = self._tables_of(entry, contracts, registry)
        except (OSError, MemoryError):
            raise
        except Exception as exc:  # this file's content revealed a bug: it alone is rejected
            return _FileResult(
                {}, {}, contracts.findings(), registry, (content_failure("normalize", exc), technical(exc))
            )
        townships: dict[str, dict] = {}
        for table in ITEM_TABLES.values():
            for item in tables[table]:
                if item["township_id"] not in townships:
                    townships[item["township_id"]] = _new_township(item, rows)
        return _FileResult(tables, townships, contracts.findings(), registry)

    def add_file(self, entry: SourceEntry, result: _FileResult | None = None) -> None:
        """Phase 2, per raw file, in file order: a file read (RESULT: its `file_result`) written to
        the item tables; its row of source_files."""
        n_items = 0
        if result is not None:
            self.contracts.merge(result.found)
            self.registry.merge(result.registry)
            if result.failure is not None:
                reason, detail = result.failure
                entry = cast(
                    SourceEntry, {**entry, "status": "rejected", "reason": reason, "reason_detail": detail}
                )
        if result is not None and result.failure is None:
            for kind, table in ITEM_TABLES.items():
                n_items += len(result.tables[table])
                for item in result.tables[table]:
                    t = self.townships.setdefault(item["township_id"], result.townships[item["township_id"]])
                    t[f"n_{kind}"] += 1
                    t["source_files"].add(item["source_file"])
            for table, table_rows in result.tables.items():  # after the townships: a row's province is theirs
                self.writers[table].add(table_rows)
        self.contracts.problems += lost_text_problems(entry)
        unread = [
            f"page {n} could not be read (damaged beyond what either PDF reader repairs); its items are missing"
            for n in entry.get("unread_pages", [])
        ]
        superseded = self.superseded_notes.get(entry["source_file"], [])
        self.sources.append(source_row(entry, n_items, unread + superseded, self.build))

    def _province(self, row: dict) -> str | None:
        """The province of a row's township (a bridge row's from its item_id, T…-C001)."""
        tid = row.get("township_id") or row["item_id"].split("-")[0]
        return self.townships.get(tid, {}).get("province")

    def _tables_of(
        self, entry: SourceEntry, contracts: Contracts, registry: DepartmentRegistry
    ) -> tuple[dict[str, list[dict]], list[dict]]:
        """The checked tables of one file's current lists, and its screened rows."""
        read = _list_rows(_read(self.processed, entry), self.revisions, entry["source_file"])
        contracts.add_clean_problems(entry["source_file"], entry.get("problems", []))
        rows = contracts.screen_file(entry["source_file"], read, row_township_id)
        normalized = normalize_file(rows, registry, self.duties) if rows else {t: [] for t in FILE_TABLES}
        return contracts.check_file(entry["source_file"], normalized), rows

    def finish(self, strict: bool) -> list[dict]:
        """Phase 3: the tables over all files (duties, review, changes, departments, townships,
        source_files), then the problems; strict: a ContractViolation on any problem."""
        finals = {
            "duties": self.duties.rows(),
            "duty_review": self.duties.review_rows(),
            "changes": self.revisions.changes,
            "departments": self.registry.rows(),
            "townships": _township_rows(self.townships),
            "source_files": self.sources,
        }
        for table, table_rows in finals.items():
            self.writers[table].add(self.contracts.check_table(table, table_rows))
        self.contracts.problems.extend(self.revisions.problems)
        found = self.contracts.finish()
        if strict and found:
            raise violation(found)
        problems = [p.row() for p in found]
        self.writers["problems"].add(problems)
        return problems


def lost_text_problems(entry: SourceEntry) -> list[Problem]:
    """A lost_text problem per page where characters printed in a list table were placed nowhere."""
    return [
        Problem(
            entry["source_file"],
            "lost_text",
            f"{lost['n_chars']} character(s) printed in a list table on page {lost['page']} ended up in no "
            f"field and are no furniture (a layout read wrongly?): {lost['sample']}",
            page=lost["page"],
        )
        for lost in entry.get("lost_text", [])
    ]


def revision_line(rows: list[dict]) -> str:
    """One line saying what the revisions found in the raw folder changed."""
    lists = {(r["township_id"], r["list"]) for r in rows}
    n = {c: sum(1 for r in rows if r["change"] == c) for c in ("added", "removed")}
    changed = len({(r["township_id"], r["list"], r["new_seq"]) for r in rows if r["change"] == "changed"})
    return (
        f"revisions: {len(lists)} township list(s) given in several versions, the one dated latest kept; "
        f"{n['added']} items added, {n['removed']} removed, {changed} changed (changes.parquet)"
    )


def _new_township(item: dict, rows: list[dict]) -> dict:
    first = next(r for r in rows if r["township"] == item["township"] and r["county"] == item["county"])
    division = lookup_division(item["county"], item["city"], first.get("province"))
    return {
        "township_id": item["township_id"],
        "province": first.get("province") or (division.province if division else None),
        "city": item["city"],
        "county": item["county"],
        "province_code": division.province_code if division else None,
        "city_code": division.city_code if division else None,
        "county_code": division.county_code if division else None,
        "township": item["township"],
        "township_kind": first.get("township_kind"),
        "n_basic": 0,
        "n_coordination": 0,
        "n_reclaimed": 0,
        "source_files": set(),
    }


def run_command(
    processed: Path,
    strict: bool,
    raw: Path | None,
    out: Path,
    partition: str = "auto",
    jobs: int | None = None,
) -> int:
    """Run the stage as a command does: one line on a strict stop or on problems; the exit status
    (1: a strict stop, nothing written). OUT, PARTITION, JOBS: as for `run`."""
    try:
        problems = run(processed, out, strict=strict, raw=raw, partition=partition, jobs=jobs)
    except ContractViolation as exc:
        print(f"normalize: {exc}", file=sys.stderr)
        print("normalize: nothing was written; the previous tables are unchanged (strict)", file=sys.stderr)
        return 1
    except DecisionsError as exc:
        print(f"normalize: {exc}; nothing was written, the previous tables are unchanged", file=sys.stderr)
        return 1
    if problems:
        print(f"normalize: {len(problems)} problem(s), listed in the problems table", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.normalize", __doc__)
    ap.add_argument("--processed", type=Path, default=Path("data/processed"), help=cli.PROCESSED_HELP)
    add_strict_option(ap)
    add_partition_option(ap)
    ap.add_argument(
        "--raw",
        type=Path,
        default=None,
        help="accepted for compatibility and ignored: versions are told apart by what the documents say, "
        "never by the raw files' modification times",
    )
    args = ap.parse_args(argv)
    # As in a build: pyarrow without numpy, so rows become Arrow columns directly (`rows_to_arrow`;
    # through JSON otherwise, which took most of the stage's time over 10,000 townships).
    import_arrow()
    # Alone, the stage publishes its own tables as one set (in a build, the orchestrator does).
    out = new_staging(args.processed)
    try:
        code = run_command(args.processed, args.strict, args.raw, out, partition=args.partition)
    except BaseException:
        discard(args.processed)
        raise
    if code:
        discard(args.processed)
    else:
        commit(args.processed, out)
    return code


if __name__ == "__main__":
    sys.exit(main())
