"""Versions: several readings of one township's list, and which one is current.

Lists are revised (动态调整), copied, re-saved, scanned in part. When several raw files hold the
same township's list (same township identity, same list kind), they are compared item by item
(sequence number and every field), never byte by byte, and never by modification time or the
order the files are listed in:

1. Copies: files whose items are identical give one list. It is read once (from the most
   faithful of them, see 3), the others are named in a note; nothing is counted twice.
2. Revisions: of differing versions, the current one is the one the documents date latest: the
   date each prints (an 印发/发布/公布 date, a 修订/调整 note, a year in the title; see
   pipeline/clean/dates.py), when every version prints one and no two agree; else a date in the
   file names (…_2024-03.pdf, …20240315…), on the same terms. The older versions go into the
   `changes` table, item by item and field by field, compared with the current one.
3. Conflicts: differing versions without such evidence. The most complete and most faithful
   reading is kept: a text layer or an Office file over OCR, then a list that reads cleanly
   (no 序号 missing or printed twice, no empty name) over one that does not, then more items
   over fewer, then the first file name. One `conflicting_versions` problem names both files and
   what differs ("12 items only in X"); no `changes` rows (no version is known to be newer).

Versions share at least MIN_SHARED of the shorter one's items (a partial copy or a scan of the first
pages shares all of its items, however few); lists sharing fewer are left to the
duplicate-township check (duplicate_list).
"""

from __future__ import annotations

from dataclasses import dataclass
import re

from pipeline.common.columns import EXTRA_FIELD, column, compared
from pipeline.normalize.duties import MatchSettings, decide, normalise

MIN_SHARED = 0.5  # share of the shorter version's items that must be found in the other
# The fields compared: `compared(kind)`, the printed columns lists.toml declares with a field (and
# `compare` not false), then extra_columns (pipeline.common.columns).


@dataclass(frozen=True)
class Version:
    """One file's reading of one township's list."""

    source_file: str
    document_date: str | None  # the latest date the document prints outside its tables
    ocr: bool  # some of the list's items were read by OCR
    defects: int  # broken 序号 numbering and empty names (`defects`)
    n_items: int

    @property
    def name_date(self) -> str | None:
        return date_in_name(self.source_file)

    def faithful(self) -> tuple:
        """Sort key, larger is better: text over OCR, clean over broken, more items over fewer,
        then the first file name."""
        return (not self.ocr, -self.defects, self.n_items, _reverse(self.source_file))

    def describe(self) -> str:
        how = "OCR" if self.ocr else "text layer"
        broken = f", {self.defects} numbering or name defect(s)" if self.defects else ""
        return f"{self.source_file} ({how}, {self.n_items} items{broken})"


def _reverse(name: str) -> tuple:
    return tuple(-ord(c) for c in name) + (1,)  # the first name in order sorts largest


_YEAR = r"(?<!\d)(?P<year>19[5-9]\d|20\d\d)"
_NAME_DATES = (  # 2024-03-01, 2024.3, 2024年3月1日, 2024_03 …; 20240301, 202403; a year alone
    re.compile(_YEAR + r"[-._年](?P<month>1[0-2]|0?[1-9])(?:[-._月](?P<day>3[01]|[12]\d|0?[1-9]))?(?!\d)"),
    re.compile(_YEAR + r"(?P<month>1[0-2]|0[1-9])(?P<day>3[01]|[12]\d|0[1-9])?(?!\d)"),
    re.compile(_YEAR + r"(?P<month>)(?P<day>)(?!\d)"),
)


def date_in_name(source_file: str) -> str | None:
    """The latest date written in a file's name (2024, 2024-03, 20240315, 2024年3月…) as
    YYYY-MM-DD (a missing month or day is 01), or None."""
    stem = source_file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    found = [
        f"{m['year']}-{int(m['month'] or 1):02d}-{int(m['day'] or 1):02d}"
        for pattern in _NAME_DATES
        for m in pattern.finditer(stem)
    ]
    return max(found) if found else None


def by_evidence(versions: list[Version]) -> tuple[Version, str] | None:
    """The current version and the evidence that makes it so ("printed date", "date in the file
    name"), or None when the documents do not tell (see the module doc)."""
    for what, date in (
        ("printed date", lambda v: v.document_date),
        ("date in the file name", lambda v: v.name_date),
    ):
        dates = [date(v) for v in versions]
        if None not in dates and len(set(dates)) == len(dates):
            return max(versions, key=lambda v: date(v) or ""), what
    return None


def most_faithful(versions: list[Version]) -> Version:
    return max(versions, key=Version.faithful)


def signature(kind: str, items: list[dict]) -> tuple:
    """What a reading of a list says, item by item: copies have equal signatures."""
    return tuple(sorted((r["seq"] or 0, *(value(r, f) or "" for f in compared(kind))) for r in items))


def printings(items: list[dict]) -> list[list[dict]]:
    """ITEMS (in reading order) cut where 序号 starts again at the first item's number."""
    blocks: list[list[dict]] = []
    first = items[0]["seq"] if items else None
    for r in items:
        if not blocks or r["seq"] == first:
            blocks.append([])
        blocks[-1].append(r)
    return blocks


def without_repeats(kind: str, items: list[dict]) -> tuple[list[dict], int]:
    """A list printed several times in one file (copies joined into one PDF): the items of its
    first printing and how many times it is printed. Printings are told apart by 序号 starting
    again at the first number; only identical printings count as repeats."""
    blocks = printings(items)
    if len(blocks) < 2:
        return items, 1
    head = signature(kind, blocks[0])
    if all(signature(kind, b) == head for b in blocks[1:]):
        return blocks[0], len(blocks)
    return items, 1


def difference(kind: str, kept: list[dict], other: list[dict], kept_name: str, other_name: str) -> str:
    """What two versions disagree on, in a few words ("12 items only in A, 3 items differ")."""
    pairs = pair_items(other, kept)
    only_kept = sum(1 for a, b in pairs if a is None)
    only_other = sum(1 for a, b in pairs if b is None)
    differ = sum(
        1
        for a, b in pairs
        if a is not None and b is not None and any(value(a, f) != value(b, f) for f in compared(kind))
    )
    parts = [f"{only_kept} item(s) only in {kept_name}"] if only_kept else []
    parts += [f"{only_other} item(s) only in {other_name}"] if only_other else []
    parts += [f"{differ} item(s) worded differently"] if differ else []
    return ", ".join(parts) or "the same items in another order"


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
    declared = column(field)
    if declared is not None and declared.value == "names":
        return "、".join(v)
    if field == EXTRA_FIELD:  # [{column, text}]: one line per printed column
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
    """The most alike pairs stating the same duty (the matcher's decision: fixed weights and the
    guard), each item in one pair at most; the rest paired with None. EVERY: both versions' items."""
    normal = {id(r): _norm(r) for r in unmatched_old + unmatched_new}
    candidates = []
    for a in unmatched_old:
        for b in unmatched_new:
            d = decide(normal[id(a)], normal[id(b)], settings)  # fixed weights and the guard
            if d.same:
                candidates.append((-d.scores.cosine, _order(a), _order(b), a, b))
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
    return both >= MIN_SHARED * min(len(old), len(new))


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
            for field in compared(kind):
                va, vb = value(a, field), value(b, field)
                if va != vb:
                    out.append(base | {"change": "changed", "field": field, "old_value": va, "new_value": vb})
    return out
