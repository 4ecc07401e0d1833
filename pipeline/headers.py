"""Header rows and list titles: what each column means and which duty list a table holds.

All wording comes from pipeline/rules/lists.toml.
"""

from __future__ import annotations

from functools import cache
import re

from pipeline.rules import load

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

    A header row names at least the required columns (序号 and the item name), each role
    once. Columns it does not know (备注, …) are kept out of the roles and ignored.
    """
    roles: dict[int, str] = {}
    for col, text in cell_texts:
        role = column_role(text)
        if role is None:
            continue
        if role in roles.values():
            return None
        roles[col] = role
    required = load("lists")["detection"]["required_columns"]
    if not all(r in roles.values() for r in required):
        return None
    return roles


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
