"""Page furniture: page footers and list titles among the text printed outside tables.

Footer patterns and title wording come from pipeline/rules/text.toml and lists.toml.
"""

from __future__ import annotations

from functools import cache
import re

from pipeline.headers import looks_like_title
from pipeline.rules import load


@cache
def _footer_patterns() -> list[re.Pattern]:
    return [re.compile(p, re.IGNORECASE) for p in load("text")["furniture"]["page_footer"]]


def is_footer(text: str) -> bool:
    """A page number line such as 第 3 页，共 83 页 or - 3 -."""
    squashed = re.sub(r"\s+", "", text)
    return any(p.match(squashed) for p in _footer_patterns())


def title_of_block(lines: list[dict]) -> str | None:
    """The list title among free text lines printed above a table, or None.

    The title is the largest print of the block; a title wrapped over lines is joined.
    """
    lines = [ln for ln in lines if not is_footer(ln["text"])]
    if not lines:
        return None
    biggest = max(ln["size"] for ln in lines)
    text = "".join(ln["text"].strip() for ln in lines if ln["size"] >= 0.9 * biggest)
    return text if looks_like_title(text) else None
