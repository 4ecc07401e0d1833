"""The documents' wording: header rows, list titles, page furniture and the township a title names.

- Header rows and titles: what each column means and which duty list a table holds
  (pipeline/rules/lists.toml).
- Page furniture: page footers and list titles among the text printed outside tables
  (pipeline/rules/text.toml).
- Identity: the township a list title names (哈密市伊吾县吐葫芦乡基本履职事项清单); suffixes of each
  administrative level live in pipeline/rules/admin_units.toml.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
import re

from pipeline.common.records import PageRecord, TextLine
from pipeline.common.rules import load
from pipeline.common.text import column_role, header_roles, normalize_label

__all__ = ["column_role", "header_roles", "normalize_label"]  # also used by extract (sheet tables)


def list_for_roles(roles: dict[int, str]) -> str:
    """Which list a header's columns describe (coordination, reclaimed or basic)."""
    rules = load("lists")
    present = set(roles.values())
    for kind in rules["detection"]["order"]:
        wanted = rules["lists"][kind]["columns_any"]
        if not wanted or present & set(wanted):
            return kind
    return "basic"


def default_roles(kind: str, n_columns: int) -> dict[int, str] | None:
    """The usual column order of a list, if the table has that many columns."""
    cols = load("lists")["lists"][kind]["default_columns"]
    return dict(enumerate(cols)) if len(cols) == n_columns else None


def list_for_title(title: str) -> str | None:
    """Which list a title names (…基本履职事项清单 → basic), or None."""
    label = normalize_label(title)
    for kind, spec in load("lists")["lists"].items():
        if any(k in label for k in spec["title_keywords"]):
            return kind
    return None


def looks_like_title(text: str) -> bool:
    """A list title: names a list, or at least says 清单 / 履职事项."""
    label = normalize_label(text)
    return list_for_title(label) is not None or any(
        m in label for m in load("lists")["detection"]["title_markers"]
    )


# --- page furniture ---------------------------------------------------------------------------


@cache
def _footer_patterns() -> list[re.Pattern]:
    return [re.compile(p, re.IGNORECASE) for p in load("text")["furniture"]["page_footer"]]


def is_footer(text: str) -> bool:
    """A page number line such as 第 3 页，共 83 页 or - 3 -."""
    squashed = re.sub(r"\s+", "", text)
    return any(p.match(squashed) for p in _footer_patterns())


def page_of(text: str) -> tuple[int, int] | None:
    """(page number, page count) of a footer such as 第 3 页，共 83 页, else None."""
    squashed = re.sub(r"\s+", "", text)
    for i, pattern in enumerate(load("text")["furniture"]["page_of"]):
        m = re.match(pattern, squashed)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            return (a, b) if i == 0 else (b, a)
    return None


def cut_off_pages(records: Sequence[PageRecord]) -> set[int]:
    """Pages whose next document page is missing from the file (by their 第N页，共M页 footers):
    whatever runs to their foot continues where this file cannot show it."""
    numbers: dict[int, tuple[int, int]] = {}
    for rec in records:
        found = [n for n in (page_of(ln["text"]) for ln in rec["text"]) if n is not None]
        if found:
            numbers[rec["page"]] = found[-1]
    pages = [rec["page"] for rec in records]
    cut: set[int] = set()
    for i, page in enumerate(pages):
        if page not in numbers or numbers[page][0] >= numbers[page][1]:
            continue
        n, m = numbers[page]
        if i + 1 == len(pages):
            cut.add(page)
        elif pages[i + 1] in numbers and numbers[pages[i + 1]] != (n + 1, m):
            cut.add(page)
    return cut


def title_of_block(lines: Sequence[TextLine], size_ratio: float) -> str | None:
    """The list title among free text lines printed above a table, or None.

    The title is the largest print of the block (lines at least `size_ratio` × its biggest
    size); a title wrapped over lines is joined.
    """
    lines = [ln for ln in lines if not is_footer(ln["text"])]
    if not lines:
        return None
    biggest = max(ln["size"] for ln in lines)
    text = "".join(ln["text"].strip() for ln in lines if ln["size"] >= size_ratio * biggest)
    return text if looks_like_title(text) else None


# --- identity ---------------------------------------------------------------------------------


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _area_groups() -> str:
    """Optional province and city, then the county, each ending in its level's suffix."""
    s = load("admin_units")["suffixes"]
    return (
        rf"(?P<province>.+?(?:{_alternation(s['province'])}))?"
        rf"(?P<city>.+?(?:{_alternation(s['city'])}))?"
        rf"(?P<county>.+?(?:{_alternation(s['county'])}))"
    )


@cache
def _title_pattern() -> re.Pattern:
    township = _alternation(load("admin_units")["suffixes"]["township"])
    return re.compile(rf"^{_area_groups()}(?P<township>.+?(?P<suffix>{township}))$")


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
    return re.sub(r"[《》“”\"【】〔〕]", "", text[:cut])


@cache
def _area_pattern() -> re.Pattern:
    return re.compile(rf"^{_area_groups()}$")


@cache
def _township_pattern() -> re.Pattern:
    s = load("admin_units")["suffixes"]
    return re.compile(rf"^(?P<township>.+?(?P<suffix>{_alternation(s['township'])}))$")


def _generic(township: str) -> bool:
    """A word for townships in general (乡镇, 镇（街道）), not a township's name."""
    return township in load("admin_units")["title"]["not_townships"]


def parse_place(text: str) -> dict | None:
    """city, county, township and township_kind of a place name, or None if it isn't one."""
    m = _title_pattern().match(text)
    if not m or _generic(m["township"]):
        return None
    kinds = load("admin_units")["township_kind"]
    return {
        "province": m["province"],
        "city": m["city"],
        "county": m["county"],
        "township": m["township"],
        "township_kind": kinds.get(m["suffix"], m["suffix"]),
    }


def area_from_title(title: str) -> dict | None:
    """province, city and county a title names without a township (the cover of a county's
    compilation: 伊吾县乡镇履职事项清单汇编), or those of the township it names; else None."""
    text = place_part(title)
    place = parse_place(text)
    if place is not None:
        return {k: place[k] for k in ("province", "city", "county")}
    for word in ("", *load("admin_units")["title"]["not_townships"]):
        if not text.endswith(word):
            continue
        m = _area_pattern().match(text[: len(text) - len(word)])
        if m:
            return {"province": m["province"], "city": m["city"], "county": m["county"]}
    return None


def identity_from_title(title: str, area: dict | None = None) -> dict | None:
    """The township a list title names, or None when the title names no township. A heading that
    names only a township (一、吐葫芦乡 in a county's compilation) is placed in AREA, the
    province, city and county named before it (area_from_title)."""
    text = place_part(title)
    place = parse_place(text)
    if place is not None or area is None or not area.get("county"):
        return place
    m = _township_pattern().match(text)
    if m is None or _generic(m["township"]):
        return None
    kinds = load("admin_units")["township_kind"]
    return {**area, "township": m["township"], "township_kind": kinds.get(m["suffix"], m["suffix"])}


# --- section rows -----------------------------------------------------------------------------


@cache
def _section_rules() -> tuple[list[tuple[str, re.Pattern]], list[re.Pattern]]:
    rules = load("lists")["sections"]
    enumerators = [(e["style"], re.compile(e["pattern"])) for e in rules["enumerators"]]
    return enumerators, [re.compile(p) for p in rules["counts"]]


def section_enumerator(text: str) -> tuple[str, int] | None:
    """(style, length) of the enumerator a section title starts with (一、 （一） 1. 第一部分 …)."""
    for style, pattern in _section_rules()[0]:
        m = pattern.match(text)
        if m:
            return style, m.end()
    return None


def section_count(text: str) -> int:
    """Where a section title's item count (（15项）, 共15项) starts; len(text) without one."""
    for pattern in _section_rules()[1]:
        m = pattern.search(text)
        if m and m.start() > 0:
            return m.start()
    return len(text)
