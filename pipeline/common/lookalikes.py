"""Look-alike folding: radicals and compatibility ideographs → the standard characters.

Some producers write a text layer whose code points are look-alikes of the characters printed
(Kangxi Radicals ⼯ ⾏, CJK Radicals Supplement ⻔ ⻚, CJK Compatibility Ideographs). Every text a
PDF yields is folded with the table in pipeline/rules/lookalikes.toml before anything reads it,
so titles, header words, continuation markers and values all read as printed.
"""

from __future__ import annotations

from functools import cache
import re

from pipeline.common.records import PageRecord, rewrite_text
from pipeline.common.rules import derived, load

# Where look-alikes live; a table entry outside these ranges is a mistake in the rules file.
SOURCE_RANGES = ((0x2E80, 0x2EF3), (0x2F00, 0x2FD5), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))
# Where the standard characters live: CJK Unified Ideographs and their extensions.
TARGET_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0x20000, 0x3134F))


class LookalikeTableError(ValueError):
    """The look-alike rules file is malformed."""


def _in(ranges: tuple[tuple[int, int], ...], ch: str) -> bool:
    return len(ch) == 1 and any(lo <= ord(ch) <= hi for lo, hi in ranges)


def validate(table: dict[str, str]) -> dict[int, str]:
    """The table as a str.translate map; raises LookalikeTableError naming the first bad entry."""
    out: dict[int, str] = {}
    for src, dst in table.items():
        if not _in(SOURCE_RANGES, src):
            raise LookalikeTableError(f"lookalikes.toml: {src!r} is not a radical or compatibility ideograph")
        if not _in(TARGET_RANGES, dst):
            raise LookalikeTableError(f"lookalikes.toml: {src!r} folds to {dst!r}, not one CJK ideograph")
        out[ord(src)] = dst
    return out


@cache
def fold_map() -> dict[int, str]:
    table = load("lookalikes")["fold"]
    return derived("lookalike_map", repr(sorted(table.items())).encode(), lambda: validate(table))


# Any character of SOURCE_RANGES, where every entry of the table lies (validate): a text without
# one (nearly every text) is returned as it is, without a dictionary look-up per character.
_CANDIDATE = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in SOURCE_RANGES) + "]")


def fold(text: str) -> tuple[str, int]:
    """The text with look-alikes replaced by the standard characters, and how many were replaced."""
    if _CANDIDATE.search(text) is None:
        return text, 0
    folded = text.translate(fold_map())
    if folded == text:
        return text, 0
    # Each entry maps one character to another single one (validate), so the texts align.
    return folded, sum(1 for a, b in zip(text, folded, strict=True) if a != b)


def fold_records(records: list[PageRecord]) -> int:
    """Fold every text line of page records in place (cells and free text); the number folded."""
    return rewrite_text(records, fold)
