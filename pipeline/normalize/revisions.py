"""Revisions: two source files giving the same township's list are two versions of it.

Lists are revised (动态调整). When two raw files hold the same township's list (same township
identity, same list kind, different content) and at least half of the longer version's items are
in the other (same duty, pipeline/normalize/duties.py), they are versions of one list: the newer is
current (its items go into the item tables) and the older is only compared with it, item by item
and field by field, into the `changes` table. Newer means: the later date the documents give
themselves (pipeline/clean/dates.py), when both give one and they differ; else, among the versions
with the fewest defects (broken 序号 numbering, empty names: a damaged copy of a file never
replaces the sound one it was copied from), the later modification time of the raw files; else
the later file name (…_v2 after …_v1).

This rule runs before any check for duplicate townships: files that are not versions of one list
(identical files, or lists sharing too few items) are left as they are for that check.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.normalize.duties import MatchSettings, normalise
from pipeline.normalize.similarity import idf_weights, ngrams, scores

MIN_SHARED = 0.5  # share of the longer version's items that must be found in the other

FIELDS = {
    "basic": ("category", "subcategory", "name", "extra_columns"),
    "coordination": (
        "category",
        "subcategory",
        "name",
        "departments",
        "upper_duties",
        "township_duties",
        "extra_columns",
    ),
    "reclaimed": ("category", "subcategory", "name", "handling", "extra_columns"),
}


@dataclass(frozen=True)
class Version:
    source_file: str
    sha256: str
    document_date: str | None
    modified: float | None  # raw file's modification time (seconds), when the raw folder is known

    def key(self) -> tuple:
        return (self.modified or 0.0, self.source_file)


def newest(versions: list[Version], defects: dict[str, int] | None = None) -> Version:
    """The current version (see module doc). DEFECTS: each version's count of broken numbering
    and empty names (`defects`), by source file; without it every version counts as sound."""
    dated = {v.document_date for v in versions}
    if None not in dated and len(dated) == len(versions):
        return max(versions, key=lambda v: (v.document_date, v.source_file))
    found = defects or {}
    fewest = min(found.get(v.source_file, 0) for v in versions)
    return max((v for v in versions if found.get(v.source_file, 0) == fewest), key=Version.key)


def defects(items: list[dict]) -> int:
    """What is broken in one version of a list: 序号 missing from 1..n or printed twice, and
    items without a name. A damaged copy of a file (a page that no longer reads) has some; a list
    revised on purpose is numbered again."""
    seqs = [r["seq"] for r in items if r.get("seq") is not None]
    missing = len(set(range(1, max(seqs, default=0) + 1)) - set(seqs))
    return missing + len(seqs) - len(set(seqs)) + sum(1 for r in items if not r.get("name"))


def value(row: dict, field: str) -> str | None:
    """A cleaned row's field as the item tables print it (paragraphs joined by a newline,
    departments by 、)."""
    v = row.get(field)
    if v is None:
        return None
    if field == "departments":
        return "、".join(v)
    if field == "extra_columns":  # [{column, text}]: one line per printed column
        return "\n".join(f"{c['column']}：{c['text']}" for c in v) or None
    if isinstance(v, (list, tuple)):
        return "\n".join(v)
    return str(v)


def pair_items(old: list[dict], new: list[dict], settings: MatchSettings | None = None) -> list[tuple]:
    """(old row or None, new row or None) for every item of two versions of one list: the same
    normalised wording first (`_same_wording`), then the most alike pairs that state the same
    duty (`_most_alike`), in order."""
    settings = settings or MatchSettings.from_rules()
    left = sorted(old, key=_order)
    right = sorted(new, key=_order)
    pairs, unmatched_old, unmatched_new = _same_wording(left, right)
    pairs += _most_alike(unmatched_old, unmatched_new, left + right, settings)
    return sorted(pairs, key=lambda p: (_order(p[1] or p[0]), p[0] is not None and p[1] is None))


def _norm(r: dict) -> str:
    return normalise(r["name"], r.get("city"), r.get("county"), r.get("township"))


def _same_wording(left: list[dict], right: list[dict]) -> tuple[list[tuple], list[dict], list[dict]]:
    """Pairs of items with the same normalised wording, in order; the items of each side left over."""
    pairs: list[tuple] = []
    by_norm: dict[str, list[dict]] = {}
    for r in right:
        by_norm.setdefault(_norm(r), []).append(r)
    unmatched_old = []
    for r in left:
        same = by_norm.get(_norm(r))
        if same:
            pairs.append((r, same.pop(0)))
        else:
            unmatched_old.append(r)
    taken = {id(b) for _, b in pairs}
    return pairs, unmatched_old, [r for r in right if id(r) not in taken]


def _most_alike(
    unmatched_old: list[dict], unmatched_new: list[dict], every: list[dict], settings: MatchSettings
) -> list[tuple]:
    """The most alike pairs stating the same duty (n-grams weighted over EVERY item of both
    versions), each item in one pair at most; the rest paired with None."""
    grams = {id(r): ngrams(_norm(r), settings.ngram) for r in unmatched_old + unmatched_new}
    idf = idf_weights([ngrams(_norm(r), settings.ngram) for r in every])
    candidates = []
    for a in unmatched_old:
        for b in unmatched_new:
            s = scores(grams[id(a)], grams[id(b)], idf)
            if settings.same(s):
                candidates.append((-s.cosine, _order(a), _order(b), a, b))
    candidates.sort(key=lambda c: c[:3])
    pairs: list[tuple] = []
    used_a, used_b = set(), set()
    for _, _, _, a, b in candidates:
        if id(a) not in used_a and id(b) not in used_b:
            pairs.append((a, b))
            used_a.add(id(a))
            used_b.add(id(b))
    pairs += [(a, None) for a in unmatched_old if id(a) not in used_a]
    pairs += [(None, b) for b in unmatched_new if id(b) not in used_b]
    return pairs


def _order(row: dict) -> tuple[int, int]:
    """Print order of an item: its section (when 序号 start again in every section) and 序号."""
    return (row.get("section") or 0, row["seq"])


def are_versions(old: list[dict], new: list[dict]) -> bool:
    """Do two lists of one township share enough items to be versions of one list?"""
    if not old or not new:
        return False
    both = sum(1 for a, b in pair_items(old, new) if a is not None and b is not None)
    return both >= MIN_SHARED * max(len(old), len(new))


def changes(kind: str, old: list[dict], new: list[dict]) -> list[dict]:
    """What the newer version added, removed and changed, one row per item (added, removed) or
    per changed field. Item numbers (序号) are not compared: they shift with every insertion;
    both are given on every row."""
    out = []
    for a, b in pair_items(old, new):
        base = {
            "old_seq": a["seq"] if a else None,
            "new_seq": b["seq"] if b else None,
            "new_section": b.get("section") if b else None,  # for the item's key; not a column
        }
        if a is None:
            out.append(base | {"change": "added", "field": None, "old_value": None, "new_value": b["name"]})
        elif b is None:
            out.append(base | {"change": "removed", "field": None, "old_value": a["name"], "new_value": None})
        else:
            for field in FIELDS[kind]:
                va, vb = value(a, field), value(b, field)
                if va != vb:
                    out.append(base | {"change": "changed", "field": field, "old_value": va, "new_value": vb})
    return out
