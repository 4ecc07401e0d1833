"""Text patterns that more than one stage reads: numbered steps, sub-headings, header rows.

clean uses steps and headings to find where paragraphs start; normalize uses them to number
duty steps and find the headings steps fall under (pipeline/rules/text.toml [paragraph]).
Header-row wording (pipeline/rules/lists.toml) tells clean what each column means, and tells
the spreadsheet reader in extract where one list's table starts on a sheet holding several.
"""

from __future__ import annotations

from functools import cache
import re

from pipeline.common.rules import load


@cache
def step_patterns() -> list[re.Pattern]:
    """Numbered-step patterns (1. 1、 （1） （一） 一、 ①); group 1, where present, is the number."""
    return [re.compile(p) for p in load("text")["paragraph"]["numbered_step"]]


@cache
def heading_patterns() -> list[re.Pattern]:
    return [re.compile(p) for p in load("text")["paragraph"]["heading_end"]]


def starts_step(text: str) -> bool:
    """A numbered step: 1. 1、 （1） （一） 一、 ①."""
    return any(p.match(text) for p in step_patterns())


def is_heading(text: str) -> bool:
    """A sub-heading line, ending in a colon."""
    return any(p.search(text) for p in heading_patterns())


@cache
def _list_separator() -> re.Pattern:
    return re.compile("|".join(re.escape(s) for s in load("text")["department_list"]["separators"]))


def split_department_list(text: str) -> list[str]:
    """The names in a cell or heading that lists departments (县民政局、县财政局), as printed
    between the separators of pipeline/rules/text.toml [department_list], blanks dropped."""
    return [part.strip() for part in _list_separator().split(text) if part.strip()]


_WS = re.compile(r"\s+")
_BRACKETS = str.maketrans({"(": "（", ")": "）", ":": "："})


def normalize_label(text: str) -> str:
    """Header text as compared: no whitespace, full-width brackets."""
    return _WS.sub("", text).translate(_BRACKETS)


@cache
def _column_rules() -> tuple[dict[str, str], list[tuple[str, str]]]:
    rules = load("lists")
    exact: dict[str, str] = {}
    for role, spec in rules["columns"].items():
        for name in spec.get("names", []):
            exact[normalize_label(name)] = role
    contains = [
        (normalize_label(fragment), role)
        for role in rules["columns_order"]["contains_order"]
        for fragment in rules["columns"][role].get("contains", [])
    ]
    return exact, contains


def column_role(text: str) -> str | None:
    """The role (seq, category, name, departments, upper_duties, township_duties, handling) a
    header cell names, or None."""
    label = normalize_label(text)
    if not label:
        return None
    exact, contains = _column_rules()
    if label in exact:
        return exact[label]
    for fragment, role in contains:
        if fragment in label:
            return role
    return None


def header_roles(cell_texts: list[tuple[int, str]]) -> dict[int, str] | None:
    """Column index → role, if these (column, text) cells form a header row; else None.

    A header row names at least the required columns (序号 and the item name). Columns it does
    not know (备注, …), and a second column naming a role already taken, are kept out of the
    roles (the clean stage keeps their cells as extra columns: `columns.extra_role`).
    """
    roles: dict[int, str] = {}
    for col, text in cell_texts:
        role = column_role(text)
        if role is None or role in roles.values():
            continue
        roles[col] = role
    required = load("lists")["detection"]["required_columns"]
    if not all(r in roles.values() for r in required):
        return None
    return roles
