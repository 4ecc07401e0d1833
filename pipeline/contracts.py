"""Data contracts checked on every build; a violation stops the build and names the rows.

Checked while rows stream past (only keys are kept), so memory does not grow with the texts:
- primary keys unique in every table;
- seq runs 1..n without gaps per township and list;
- every bridge and step row's department exists in departments;
- no empty item names, categories or township names.
"""

from __future__ import annotations

from collections import defaultdict

from pipeline.schema import spec

MAX_SHOWN = 10


class ContractViolation(Exception):
    """The build's output breaks a data contract; the message says which rows."""


class Contracts:
    def __init__(self) -> None:
        self._keys: dict[str, dict[tuple, str]] = defaultdict(dict)
        self._problems: list[str] = []
        self._seqs: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._dept_refs: list[tuple[str, str, str]] = []

    def _problem(self, text: str) -> None:
        self._problems.append(text)

    def add(self, table: str, rows: list[dict]) -> None:
        """Check and remember the keys of rows about to be written to `table`."""
        key_cols = spec()[table]["primary_key"]
        seen = self._keys[table]
        for row in rows:
            key = tuple(row[c] for c in key_cols)
            where = row.get("source_file") or row.get("item_id") or ""
            if key in seen:
                self._problem(
                    f"{table}: key {dict(zip(key_cols, key, strict=True))} appears twice ({seen[key]}; {where})"
                )
            else:
                seen[key] = where
            if table.endswith("_items"):
                self._seqs[(row["township_id"], table)].append(row["seq"])
                for col in ("name", "category", "township"):
                    if not (row.get(col) or "").strip():
                        self._problem(f"{table}: item {row['item_id']} ({where}) has an empty {col}")
            if "department_id" in row and row["department_id"] is not None:
                self._dept_refs.append((table, row["department_id"], row.get("item_id", "")))

    def check(self) -> None:
        """Raise ContractViolation listing every broken rule (at most MAX_SHOWN rows each)."""
        problems = list(self._problems)
        for (township_id, table), seqs in sorted(self._seqs.items()):
            expected = list(range(1, len(seqs) + 1))
            if sorted(seqs) != expected:
                missing = sorted(set(expected) - set(seqs))
                extra = sorted(set(seqs) - set(expected))
                problems.append(
                    f"{table}: township {township_id} numbers its items {min(seqs)}..{max(seqs)} "
                    f"with gaps or extras (missing {missing[:MAX_SHOWN]}, unexpected {extra[:MAX_SHOWN]})"
                )
        known = self._keys.get("departments", {})
        for table, dept, item in self._dept_refs:
            if (dept,) not in known:
                problems.append(
                    f"{table}: row of {item} refers to department {dept}, which departments lacks"
                )
        if problems:
            shown = problems[:MAX_SHOWN] + (
                [f"... and {len(problems) - MAX_SHOWN} more"] if len(problems) > MAX_SHOWN else []
            )
            raise ContractViolation("data contract broken:\n  " + "\n  ".join(shown))
