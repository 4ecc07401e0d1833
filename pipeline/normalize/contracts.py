"""Data contracts checked on every build; a violation stops the build and names the rows.

- primary keys unique in every table;
- seq runs 1..n without gaps per township and list;
- every bridge and step row's department exists in departments;
- no empty item names or township names.

Rows are checked file by file as they stream past. Across files only one entry per
township and list is kept (a list read from two files would repeat every key of it), so
memory does not grow with the number of items.
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.normalize.schema import spec

MAX_SHOWN = 10
ITEM_TABLES = ("basic_items", "coordination_items", "reclaimed_items")


class ContractViolation(Exception):
    """The build's output breaks a data contract; the message says which rows."""


class Contracts:
    def __init__(self) -> None:
        self._problems: list[str] = []
        self._lists: dict[tuple[str, str], str] = {}  # (township_id, table) → source file
        self._keys: dict[str, set[tuple]] = defaultdict(set)  # whole-build tables only
        self._referenced: dict[str, str] = {}  # department_id → a row that refers to it

    def add_file(self, source_file: str, tables: dict[str, list[dict]]) -> None:
        """Check the rows one source file contributes to the item, bridge and step tables."""
        for table, rows in tables.items():
            key_cols = spec()[table]["primary_key"]
            seen: set[tuple] = set()
            for row in rows:
                key = tuple(row[c] for c in key_cols)
                if key in seen:
                    self._problems.append(
                        f"{table}: key {_show(key_cols, key)} appears twice in {source_file}"
                    )
                seen.add(key)
                if row.get("department_id") is not None:
                    self._referenced.setdefault(row["department_id"], f"{table} row of {row['item_id']}")
            if table in ITEM_TABLES:
                self._check_items(source_file, table, rows)

    def _check_items(self, source_file: str, table: str, rows: list[dict]) -> None:
        by_list: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            by_list[row["township_id"]].append(row["seq"])
            for col in ("name", "township"):
                if not (row.get(col) or "").strip():
                    self._problems.append(
                        f"{table}: item {row['item_id']} ({source_file}) has an empty {col}"
                    )
        for township_id, seqs in by_list.items():
            earlier = self._lists.setdefault((township_id, table), source_file)
            if earlier != source_file:
                self._problems.append(
                    f"{table}: key {{'item_id': '{township_id}-…'}} appears twice ({earlier}; {source_file}): "
                    "the same township's list is in both files"
                )
            expected = list(range(1, len(seqs) + 1))
            if sorted(seqs) != expected:
                missing = sorted(set(expected) - set(seqs))[:MAX_SHOWN]
                extra = sorted(set(seqs) - set(expected))[:MAX_SHOWN]
                self._problems.append(
                    f"{table}: township {township_id} ({source_file}) numbers its items "
                    f"{min(seqs)}..{max(seqs)} with gaps or repeats (missing {missing}, unexpected {extra})"
                )

    def add_table(self, table: str, rows: list[dict]) -> None:
        """Check a table built once for the whole build (departments, townships, source_files)."""
        key_cols = spec()[table]["primary_key"]
        seen = self._keys[table]
        for row in rows:
            key = tuple(row[c] for c in key_cols)
            if key in seen:
                self._problems.append(f"{table}: key {_show(key_cols, key)} appears twice")
            seen.add(key)

    def check(self) -> None:
        """Raise ContractViolation listing every broken rule (at most MAX_SHOWN lines)."""
        problems = list(self._problems)
        known = {k[0] for k in self._keys.get("departments", ())}
        for dept, where in sorted(self._referenced.items()):
            if dept not in known:
                problems.append(f"{where} refers to department {dept}, which departments lacks")
        if problems:
            shown = problems[:MAX_SHOWN]
            if len(problems) > MAX_SHOWN:
                shown.append(f"... and {len(problems) - MAX_SHOWN} more")
            raise ContractViolation("data contract broken:\n  " + "\n  ".join(shown))


def _show(cols: list[str], key: tuple) -> str:
    return str(dict(zip(cols, key, strict=True)))
