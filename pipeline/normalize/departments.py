"""Department names as printed → one real department each (pipeline/rules/departments.toml).

A printed name is [place] + body. The place is the item's county (official or short form),
its city, a vertical-management prefix, or absent (then the county of the list it is printed
in). Bodies resolve through the alias table (林草局 → 林业和草原局). The canonical name is the
official place name + the full body, and the department's key is a hash of it, so every
spelling of one department gets one key on every run and machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
import hashlib
import re

from pipeline.common.rules import load


@dataclass(frozen=True)
class Department:
    department_id: str
    name: str  # canonical
    level: str
    kind: str
    belongs_to: str
    type: str = ""  # the body without its place: 民政局, 委组织部 (same type across counties)


@cache
def _rules() -> dict:
    return load("departments")


def department_id(canonical: str) -> str:
    return "D" + hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:10]


def place_variants(official: str | None) -> list[str]:
    """Ways a county or city name is printed: 巴里坤哈萨克自治县 → 巴里坤哈萨克自治县, 巴里坤县."""
    if not official:
        return []
    rules = load("admin_units")["autonomous"]
    variants = [official]
    for suffix in rules["suffixes"]:
        if official.endswith(suffix) and len(official) > len(suffix):
            base = official[: -len(suffix)]
            stripped = True
            while stripped:
                stripped = False
                for group in sorted(rules["ethnic_groups"], key=len, reverse=True):
                    for tail in (group + "族", group):
                        if base.endswith(tail) and len(base) > len(tail) + 1:
                            base = base[: -len(tail)]
                            stripped = True
                            break
                    if stripped:
                        break
            variants.append(base + suffix[-1])  # 巴里坤县, 某某旗
    return sorted(set(variants), key=len, reverse=True)


def _is_department_body(body: str) -> bool:
    return len(body) >= 2 and any(body.endswith(e) for e in _rules()["names"]["endings"])


def _kind(body: str) -> str:
    for rule in _rules()["kinds"]:
        if any(k in body for k in rule["keywords"]) or any(
            body.startswith(p) for p in rule.get("starts_with", [])
        ):
            return rule["kind"]
    return _rules()["fallback_kind"]


def _alias(body: str) -> str:
    return _rules()["aliases"].get(body, body)


def is_generic(name: str) -> bool:
    """A phrase such as 其他负有安全监管职责的部门 that is not one real department."""
    return any(re.search(p, name) for p in _rules()["generic"]["patterns"])


def split_printed(entry: str) -> list[str]:
    """A printed entry → the names in it (X局以及其他…部门 → X局), generic phrases dropped."""
    parts = [entry]
    for word in _rules()["generic"]["splitters"]:
        parts = [piece for part in parts for piece in part.split(word)]
    cleaned = [p.strip(" ：:，,。；;") for p in parts]
    return [p for p in cleaned if p and not is_generic(p)]


@cache
def _place_pattern(level: str) -> re.Pattern:
    """A name starting with a place of `level` (province, city, county): group 1 the place,
    group 2 the body. Suffixes come from admin_units.toml; a suffix that is also a city's (市)
    reads as a city, not as a county-level city."""
    suffixes = load("admin_units")["suffixes"]
    own = [x for x in suffixes[level] if level != "county" or x not in suffixes["city"]]
    alternation = "|".join(re.escape(x) for x in sorted(own, key=len, reverse=True))
    return re.compile(rf"^(.{{2,12}}?(?:{alternation}))(.{{2,}})$")


def _named_place(rest: str) -> tuple[str, str, str] | None:
    """(place, body, level key) when the name starts with a place other than the list's own."""
    for level in ("province", "city", "county"):
        m = _place_pattern(level).match(rest)
        if m and m.group(1) not in _rules()["levels"]["bare_place"] and _is_department_body(m.group(2)):
            return m.group(1), m.group(2), level
    return None


def _bare_place(rest: str) -> tuple[str, str] | None:
    """(level key, body) when the name starts with a bare level word (市民政局, 县委组织部)."""
    levels = _rules()["levels"]
    if any(rest.startswith(w) for w in levels["not_a_place"]):
        return None
    for word, level in sorted(levels["bare_place"].items(), key=lambda kv: -len(kv[0])):
        body = rest[len(word) :]
        if rest.startswith(word) and (_is_department_body(body) or body.startswith("委")):
            return level, body
    return None


def _split_place(rest: str, county: str | None, city: str | None) -> tuple[str, str, str, str]:
    """(place, body, level key, belongs_to) of a name without its vertical prefix.

    The place is the list's county or city as printed (official or short form), another place
    the name itself names, a bare level word for the list's own area, or else the list's county.
    """
    for variant in place_variants(county):
        if rest.startswith(variant):
            return county or "", rest[len(variant) :], "county", county or ""
    for variant in place_variants(city):
        if rest.startswith(variant):
            return city or "", rest[len(variant) :], "city", city or ""
    named = _named_place(rest)
    if named is not None:
        place, body, key = named
        return place, body, key, place
    bare = _bare_place(rest)
    if bare is not None:
        key, body = bare
        own = {"county": county, "city": city}.get(key)
        if own:
            return own, body, key, own
        # The list does not name that place: keep the level word as printed.
        return "", rest, key, "" if key == "province" else county or city or ""
    return county or "", rest, "county", county or city or ""


def resolve(printed: str, county: str | None, city: str | None) -> Department | None:
    """The department a printed name stands for, read in a list of `county`, `city`; None when
    the name is not a department (a sub-heading like 职级等级晋升).

    The level comes from the place the name starts with (pipeline/rules/departments.toml
    [levels]); no county is glued onto a name that already names a place."""
    name = re.sub(r"\s+", "", printed).strip("：:，,。；;")
    if not name:
        return None
    vertical_prefix = next((p for p in _rules()["vertical"]["prefixes"] if name.startswith(p)), "")
    place, rest, key, belongs_to = _split_place(name[len(vertical_prefix) :], county, city)
    body = _alias(rest)
    for variant in place_variants(county):
        body = body.replace(variant, county) if county and variant != county else body
    if not _is_department_body(body):
        return None
    kind = _kind(body)
    vertical = vertical_prefix or kind == "垂直管理"
    level = _rules()["levels"]["vertical" if vertical else key]
    canonical = vertical_prefix + place + body
    placeless = body.replace(county, "") if county else body  # 生态环境局伊吾县分局 → 生态环境局分局
    return Department(
        department_id(canonical), canonical, level, kind, belongs_to, department_type(placeless)
    )


def department_type(body: str) -> str:
    """The place-free type of a department body: the body itself (after aliases), or the type
    [types] in departments.toml gives it (生态环境局分局 → 生态环境局)."""
    return _rules()["types"].get(body, body)


def disposition(handling: list[str], receiving: list[Department]) -> str:
    """cancelled when the handling abolishes the duty and hands it to no department."""
    cancelled = any(re.search(p, para) for para in handling for p in _rules()["disposition"]["cancelled"])
    return "cancelled" if cancelled and not receiving else "transferred"
