"""The date a document gives itself (a revision date in its title, a signing date at its end),
so that of two versions of a township's lists the newer one can be told (normalize).

Only text outside the tables is read: item cells quote the dates of laws and plans, which say
nothing about when the list was issued. The latest date found wins (a list "2023年制定，
2024年3月修订" is the 2024 version). Patterns: pipeline/rules/text.toml [document_date].
"""

from __future__ import annotations

from functools import cache
import re

from pipeline.common.records import PageRecord
from pipeline.common.rules import load


@cache
def _patterns() -> list[re.Pattern]:
    return [re.compile(p) for p in load("text")["document_date"]["patterns"]]


def dates_in(text: str) -> list[str]:
    """ISO dates (YYYY-MM-DD; a missing day or month is 01) written in the text."""
    out = []
    for pattern in _patterns():
        for m in pattern.finditer(text):
            year, month, day = int(m["year"]), int(m["month"] or 1), int(m.groupdict().get("day") or 1)
            if 1949 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31:
                out.append(f"{year:04d}-{month:02d}-{day:02d}")
    return out


def document_date(records: list[PageRecord]) -> str | None:
    """The latest date written outside the tables of the document, or None."""
    found = [d for page in records for line in page["text"] for d in dates_in(line["text"])]
    return max(found) if found else None
