"""Correct what OCR confuses, from what the domain and the document itself know.

Rules (pipeline/rules/ocr.toml): half-width punctuation read next to CJK text takes the
full-width shape; a 序号-like cell reads look-alike letters as digits; a short cell one edit away
from header wording, or from a value the same document prints more often (a category, a
department), is read as that value. Nothing is invented: a correction only changes the shape of
characters the recogniser saw, or picks between two readings of the same printed word. Only
lines that carry an OCR confidence (`conf`) are touched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import cache
import re

from pipeline.common.records import PageRecord
from pipeline.common.rules import load


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef"


@cache
def _rules() -> dict:
    return load("ocr")


@cache
def _header_words() -> frozenset[str]:
    lists = load("lists")
    words = {w for col in lists["columns"].values() for w in col.get("names", [])}
    return frozenset(w for w in words if len(w) >= _rules()["vocabulary"]["min_length"])


def fix_punctuation(text: str) -> str:
    """Half-width marks next to a CJK character → their full-width shape."""
    table = _rules()["punctuation"]["cjk_context"]
    chars = list(text)
    for i, ch in enumerate(chars):
        full = table.get(ch)
        if full is None:
            continue
        before = chars[i - 1] if i > 0 else ""
        after = chars[i + 1] if i + 1 < len(chars) else ""
        if (before and _is_cjk(before)) or (after and _is_cjk(after)):
            chars[i] = full
    return "".join(chars)


def fix_number(text: str) -> str:
    """A 序号-like cell (short, with a digit): look-alike letters → digits."""
    rules = _rules()["digits"]
    core = re.sub(r"\s+", "", text)
    if not core or len(core.rstrip(".．、")) > rules["max_length"] or not any(c.isdigit() for c in core):
        return text
    return "".join(rules["lookalikes"].get(c, c) for c in text)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or limit + 1 when it exceeds `limit` (cheap early exit)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def snap(text: str, known: list[str], max_edits: int | None = None) -> str:
    """The known value `text` is at most `max_edits` (default: the rules') edits away from (the
    first of the closest), or `text`."""
    rules = _rules()["vocabulary"]
    if len(text) < rules["min_length"] or text in known:
        return text
    limit = rules["max_edits"] if max_edits is None else max_edits
    best, best_d = text, limit + 1
    for word in known:
        d = edit_distance(text, word, limit)
        if d < best_d:
            best, best_d = word, d
    return best


def fix_line(text: str) -> str:
    """Corrections that need only the line itself."""
    return fix_punctuation(text)


def _fix_free_lines(records: Sequence[PageRecord]) -> None:
    """Unsure OCR lines outside tables (titles) take the wording the document prints elsewhere
    with more certainty."""
    rules = _rules()["vocabulary"]
    lines = [ln for rec in records for ln in rec["text"]]
    for line in lines:
        conf = line.get("conf")
        if conf is None or conf >= rules["below_confidence"]:
            continue
        surer = sorted(
            {
                o["text"]
                for o in lines
                if o["text"] != line["text"] and ((other := o.get("conf")) is None or other > conf)
            }
        )
        limit = max(rules["max_edits"], int(rules["free_line_edits"] * len(line["text"])))
        line["text"] = snap(line["text"], surer, limit)


def fix_document(records: Sequence[PageRecord]) -> None:
    """Corrections that need the whole document, in place on its OCRed page records.

    A one-line cell read with low confidence whose text differs by one edit from header wording,
    or from a one-line cell text printed at least twice as often elsewhere in the document, takes
    that text.
    """
    _fix_free_lines(records)
    cells = [
        c
        for rec in records
        for t in rec["tables"]
        for c in t["cells"]
        if len(c["lines"]) == 1 and c["lines"][0].get("conf") is not None
    ]
    for c in cells:
        c["lines"][0]["text"] = fix_number(c["lines"][0]["text"])
    counts = Counter(c["lines"][0]["text"] for c in cells)
    for c in cells:
        line = c["lines"][0]
        text = line["text"]
        if line["conf"] >= _rules()["vocabulary"]["below_confidence"]:
            continue  # the recogniser was sure: a different word, not a misreading
        frequent = [w for w, n in counts.items() if n >= max(2, 2 * counts[text]) and w != text]
        fixed = snap(text, sorted(_header_words()))
        if fixed == text:
            fixed = snap(text, sorted(frequent, key=lambda w: (-counts[w], w)))
        line["text"] = fixed
