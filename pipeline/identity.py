"""The township a list belongs to, read from its title (哈密市伊吾县吐葫芦乡基本履职事项清单).

Suffixes of each administrative level live in pipeline/rules/admin_units.toml.
"""

from __future__ import annotations

from functools import cache
import re

from pipeline.headers import normalize_label
from pipeline.rules import load


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@cache
def _title_pattern() -> re.Pattern:
    s = load("admin_units")["suffixes"]
    return re.compile(
        rf"^(?P<province>.+?(?:{_alternation(s['province'])}))?"
        rf"(?P<city>.+?(?:{_alternation(s['city'])}))?"
        rf"(?P<county>.+?(?:{_alternation(s['county'])}))"
        rf"(?P<township>.+?(?P<suffix>{_alternation(s['township'])}))$"
    )


@cache
def _prefixes() -> list[re.Pattern]:
    return [re.compile(p) for p in load("text")["furniture"]["title_prefix"]]


def place_part(title: str) -> str:
    """The part of a title before the list's name, without labels like 附件1 or brackets."""
    text = normalize_label(title)
    for p in _prefixes():
        text = p.sub("", text)
    cut = len(text)
    for word in load("admin_units")["title"]["list_words"]:
        i = text.find(word)
        if 0 <= i < cut:
            cut = i
    return re.sub(r"[《》“”\"]", "", text[:cut])


def parse_place(text: str) -> dict | None:
    """city, county, township and township_kind of a place name, or None if it isn't one."""
    m = _title_pattern().match(text)
    if not m:
        return None
    kinds = load("admin_units")["township_kind"]
    return {
        "province": m["province"],
        "city": m["city"],
        "county": m["county"],
        "township": m["township"],
        "township_kind": kinds.get(m["suffix"], m["suffix"]),
    }


def identity_from_title(title: str) -> dict | None:
    """The township a list title names, or None when the title names no township."""
    return parse_place(place_part(title))
