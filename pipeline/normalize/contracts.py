"""Data contracts, checked on every build: a broken one costs only the list it is found in.

Per township list (one township, one of the three lists, one file), or per section of it where
the list numbers its items again in every section (the clean stage sets `section`):
- 序号 runs 1..n: a gap is written as read and reported (numbering_gap); a number printed twice
  keeps its first item and leaves the later ones out (numbering_repeat), so item keys stay unique;
- every item has a name and a township: an empty one is written (null) and reported (empty_name);
- a township's list is read from one file: the same list in a second file (in path order) is left
  out and reported, both files named (duplicate_list).
Over the output rows: primary keys unique (a repeat is left out, duplicate_key) and every bridge
and step row's department in departments (unknown_department).

Every problem becomes a row of the `problems` table and a line of the run summary, and the build
exits non-zero; the other lists and files are written as if nothing happened. With strict=True
(STRICT=1) any problem stops the build before anything is published, as before.
Rows are screened file by file as they stream past; across files only one entry per township and
list is kept, so memory does not grow with the number of items.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
import hashlib

from pipeline.common.report import problem_line
from pipeline.normalize.schema import spec

MAX_SHOWN = 10
LIST_NAMES = {"basic": "基本", "coordination": "配合", "reclaimed": "上级部门收回"}


class ContractViolation(Exception):
    """A strict build found problems; the message lists them. Nothing was published."""


@dataclass(frozen=True)
class Problem:
    """One broken contract: where (file, township, list, 序号, page), what kind, and why."""

    source_file: str | None  # None: a problem of the whole build
    kind: str
    message: str
    township_id: str | None = None
    list: str | None = None
    seq: int | None = None
    page: int | None = None

    def row(self) -> dict:
        """The problems-table row; problem_id hashes every field, so it is stable across runs."""
        fields = (self.kind, self.source_file, self.township_id, self.list, self.seq, self.page, self.message)
        digest = hashlib.sha1("|".join("" if f is None else str(f) for f in fields).encode()).hexdigest()
        return {
            "problem_id": "P" + digest[:10],
            "source_file": self.source_file,
            "township_id": self.township_id,
            "list": self.list,
            "seq": self.seq,
            "page": self.page,
            "kind": self.kind,
            "message": self.message,
        }

    def line(self) -> str:
        """One line for a person: file, page, list and 序号, then the message."""
        return problem_line(self.row())


def _first_page(row: dict) -> int | None:
    return min(row["pages"]) if row.get("pages") else None


def _label(row: dict) -> str:
    section = f", section {row['category'] or row['section']}," if row.get("section") else ""
    return f"the {LIST_NAMES[row['list']]} list of {row['township']}{section}"


@dataclass
class Findings:
    """What one file's contracts found: its problems, and the departments its rows refer to
    (department_id → the file and row first naming it), checked against departments at the end."""

    problems: list[Problem]
    referenced: dict[str, tuple[str, str]]


class Contracts:
    """Screens each file's cleaned rows before they become output rows, and the output rows after."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._lists: dict[tuple[str, str], str] = {}  # (township_id, list) → the file it was read from
        self._keys: dict[str, set[tuple]] = defaultdict(set)  # whole-build tables only
        self._referenced: dict[str, tuple[str, str]] = {}  # department_id → (source file, a row using it)

    def claim_lists(self, source_file: str, rows: list[dict], township_id) -> None:
        """Note which file each township list is read from (the first file giving it, in file
        order), ahead of the files' screening: files may then be screened in any order, or on
        several processes, and decide alike which copy of a list is the duplicate."""
        for row in rows:
            self._lists.setdefault((township_id(row), row["list"]), source_file)

    def for_file(self) -> Contracts:
        """Contracts for one file's screening and checks, sharing the lists claimed so far, with
        problems and references of its own (`findings`, which `merge` adds to these)."""
        one = Contracts()
        one._lists = self._lists
        return one

    def findings(self) -> Findings:
        """What these contracts found (not the lists claimed: those every file shares)."""
        return Findings(self.problems, self._referenced)

    def merge(self, found: Findings) -> None:
        """Add what a file's contracts (`for_file`) found, as if it had been found here."""
        self.problems += found.problems
        for dept, where in found.referenced.items():
            self._referenced.setdefault(dept, where)

    def add_clean_problems(self, source_file: str, found: list[dict]) -> None:
        """Problems the clean stage found in a file (a table whose header fits no list)."""
        for p in found:
            self.problems.append(
                Problem(source_file, p["kind"], p["message"], None, p.get("list"), None, p.get("page"))
            )

    def screen_file(self, source_file: str, rows: list[dict], township_id) -> list[dict]:
        """The cleaned rows of one file that are written; problems found are recorded.

        `township_id(row)` gives a row's township key. Rows keep their order."""
        lists: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for row in rows:
            lists[(township_id(row), row["list"])].append(row)
        kept_ids: set[int] = set()
        for (tid, kind), members in lists.items():
            earlier = self._lists.setdefault((tid, kind), source_file)
            if earlier != source_file:
                self.problems.append(
                    Problem(
                        source_file,
                        "duplicate_list",
                        f"{_label(members[0])} was already read from {earlier}; this file's copy "
                        f"({len(members)} items) is left out",
                        tid,
                        kind,
                        None,
                        _first_page(members[0]),
                    )
                )
                continue
            kept_ids |= {id(r) for r in self._screen_list(source_file, tid, kind, members)}
        return [r for r in rows if id(r) in kept_ids]

    def _screen_list(self, source_file: str, tid: str, kind: str, rows: list[dict]) -> list[dict]:
        """One township list: repeats left out, gaps and empty names reported (per section where
        the numbering starts again in every section)."""
        sections: dict[int, list[dict]] = defaultdict(list)
        for row in rows:
            sections[row.get("section") or 0].append(row)
        kept: list[dict] = []
        for members in sections.values():
            kept += self._screen_numbering(source_file, tid, kind, members)
        return kept

    def _screen_numbering(self, source_file: str, tid: str, kind: str, rows: list[dict]) -> list[dict]:
        """One run of 序号 (a list, or a section of it): repeats left out, gaps and empty names reported."""
        by_seq: dict[int, dict] = {}
        for row in rows:
            first = by_seq.setdefault(row["seq"], row)
            if first is not row:
                self.problems.append(
                    Problem(
                        source_file,
                        "numbering_repeat",
                        f"序号 {row['seq']} is printed twice in {_label(row)} (pages {first['pages']} and "
                        f"{row['pages']}); the second item ({(row.get('name') or '')[:30]}) is left out",
                        tid,
                        kind,
                        row["seq"],
                        _first_page(row),
                    )
                )
        previous = 0
        for seq in sorted(by_seq):
            if seq != previous + 1:
                missing = f"{previous + 1}" if seq == previous + 2 else f"{previous + 1}..{seq - 1}"
                start = "starts at" if previous == 0 else f"jumps from {previous} to"
                self.problems.append(
                    Problem(
                        source_file,
                        "numbering_gap",
                        f"序号 in {_label(by_seq[seq])} {start} {seq}: {missing} missing (written as read)",
                        tid,
                        kind,
                        seq,
                        _first_page(by_seq[seq]),
                    )
                )
            previous = seq
        for row in by_seq.values():
            for col in ("name", "township"):
                if not (row.get(col) or "").strip():
                    self.problems.append(
                        Problem(
                            source_file,
                            f"empty_{col}",
                            f"item {row['seq']} of {_label(row)} has an empty {col} (written empty)",
                            tid,
                            kind,
                            row["seq"],
                            _first_page(row),
                        )
                    )
        return list(by_seq.values())

    def check_file(self, source_file: str, tables: dict[str, list[dict]]) -> dict[str, list[dict]]:
        """The output rows of one file with any repeated primary key left out (and reported)."""
        out = {}
        for table, rows in tables.items():
            key_cols = spec()[table]["primary_key"]
            seen: set[tuple] = set()
            kept = []
            for row in rows:
                key = tuple(row[c] for c in key_cols)
                if key in seen:
                    self.problems.append(
                        Problem(
                            source_file,
                            "duplicate_key",
                            f"{table}: key {_show(key_cols, key)} appears twice; the repeat is left out",
                            row.get("township_id"),
                            None,
                            row.get("seq"),
                        )
                    )
                    continue
                seen.add(key)
                kept.append(row)
                if row.get("department_id") is not None:
                    where = f"{table} row of {row['item_id']}"
                    self._referenced.setdefault(row["department_id"], (source_file, where))
            out[table] = kept
        return out

    def check_table(self, table: str, rows: list[dict]) -> list[dict]:
        """A table built once for the whole build (departments, townships, source_files), repeats left out."""
        key_cols = spec()[table]["primary_key"]
        seen = self._keys[table]
        kept = []
        for row in rows:
            key = tuple(row[c] for c in key_cols)
            if key in seen:
                self.problems.append(
                    Problem(None, "duplicate_key", f"{table}: key {_show(key_cols, key)} appears twice")
                )
                continue
            seen.add(key)
            kept.append(row)
        return kept

    def finish(self) -> list[Problem]:
        """Every problem of the build, in a stable order (after the cross-table checks)."""
        known = {k[0] for k in self._keys.get("departments", ())}
        for dept, (source_file, where) in sorted(self._referenced.items()):
            if dept not in known:
                self.problems.append(
                    Problem(
                        source_file,
                        "unknown_department",
                        f"{where} refers to department {dept}, which departments lacks",
                    )
                )
        unique = {p.row()["problem_id"]: p for p in self.problems}
        return sorted(
            unique.values(),
            key=lambda p: (
                p.source_file or "",
                p.township_id or "",
                p.list or "",
                p.seq or 0,
                p.kind,
                p.message,
            ),
        )


def violation(problems: list[Problem]) -> ContractViolation:
    """The strict build's error: every problem, at most MAX_SHOWN lines."""
    shown = [p.line() for p in problems[:MAX_SHOWN]]
    if len(problems) > MAX_SHOWN:
        shown.append(f"... and {len(problems) - MAX_SHOWN} more")
    return ContractViolation("data contract broken:\n  " + "\n  ".join(shown))


def _show(cols: list[str], key: tuple) -> str:
    return str(dict(zip(cols, key, strict=True)))
