"""Compare the pipeline's Parquet output with expected results (the corpus JSON format).

Exact, character for character, paragraphs included: a duty cell's paragraphs are the
output string split on newlines. An item printed as two parts reads as part 1 followed by
part 2, a cell printed identically in both counting once (corpus README).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def _merged(parts: list[dict], key: str) -> list[str]:
    out = list(parts[0][key])
    for part in parts[1:]:
        if part[key] != parts[0][key]:
            out += part[key]
    return out


def expected_items(path: Path) -> dict[tuple[str, str, int], dict]:
    """(township, list, seq) → expected fields, from one expected JSON file."""
    gold = json.loads(Path(path).read_text(encoding="utf-8"))
    t = gold["township"]
    out = {}
    for kind, items in gold["lists"].items():
        for it in items:
            fields = {
                "city": gold["city"],
                "county": gold["county"],
                "category": it["category"],
                "name": it["name"],
            }
            if kind == "coordination":
                fields["departments"] = list(it["departments"])
                fields["upper_duties"] = _merged(it["parts"], "upper_duties")
                fields["township_duties"] = _merged(it["parts"], "township_duties")
            if kind == "reclaimed":
                fields["handling"] = list(it["handling"])
            out[(t, kind, it["no"])] = fields
    return out


def output_items(processed: Path) -> dict[tuple[str, str, int], dict]:
    """The same shape, read from a processed folder."""
    out = {}
    for kind in ("basic", "coordination", "reclaimed"):
        df = pd.read_parquet(Path(processed) / f"{kind}_items.parquet")
        for r in df.to_dict("records"):
            fields = {"city": r["city"], "county": r["county"], "category": r["category"], "name": r["name"]}
            if kind == "coordination":
                fields["departments"] = list(r["departments"])
                fields["upper_duties"] = r["upper_duties"].split("\n") if r["upper_duties"] else []
                fields["township_duties"] = r["township_duties"].split("\n") if r["township_duties"] else []
            if kind == "reclaimed":
                fields["handling"] = r["handling"].split("\n") if r["handling"] else []
            out[(r["township"], kind, int(r["seq"]))] = fields
    return out


def mismatches(processed: Path, expected_files: list[Path]) -> tuple[int, list[str]]:
    """Number of expected items, and a description of every item not exact."""
    want: dict = {}
    for path in expected_files:
        want.update(expected_items(path))
    got = output_items(processed)
    problems = []
    for key, fields in sorted(want.items()):
        if key not in got:
            problems.append(f"{key}: missing")
            continue
        for name, value in fields.items():
            if got[key][name] != value:
                problems.append(f"{key} {name}: expected {value!r}, got {got[key][name]!r}")
    for key in sorted(set(got) - set(want)):
        problems.append(f"{key}: not expected")
    return len(want), problems
