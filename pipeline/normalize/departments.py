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
    return "其他"


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


def resolve(printed: str, county: str | None, city: str | None) -> Department | None:
    """The department a printed name stands for, read in a list of `county`, `city`; None when
    the name is not a department (a sub-heading like 职级等级晋升)."""
    name = re.sub(r"\s+", "", printed).strip("：:，,。；;")
    if not name:
        return None
    vertical_prefix = next((p for p in _rules()["vertical"]["prefixes"] if name.startswith(p)), "")
    rest = name[len(vertical_prefix) :]
    level, belongs_to, place = None, county or city or "", ""
    for variant in place_variants(county):
        if rest.startswith(variant):
            place, rest, level = county, rest[len(variant) :], "县(区)"
            break
    else:
        for variant in place_variants(city):
            if rest.startswith(variant):
                place, rest, level, belongs_to = city, rest[len(variant) :], "市", city
                break
        else:
            other = re.match(r"^(.{2,12}?(?:自治县|县|区|旗))(.{2,})$", rest)
            if other and _is_department_body(other.group(2)):
                place, rest, level, belongs_to = other.group(1), other.group(2), "县(区)", other.group(1)
            elif county:
                place, level = county, "县(区)"
                if rest.startswith(county[-1] + "委"):  # 县委组织部 printed without the county
                    rest = rest[1:]
            else:
                level = "县(区)"
    body = _alias(rest)
    for variant in place_variants(county):
        body = body.replace(variant, county) if variant != county else body
    if not _is_department_body(body):
        return None
    kind = _kind(body)
    if vertical_prefix or kind == "垂直管理":
        level = "中央垂直"
    canonical = vertical_prefix + place + body
    return Department(department_id(canonical), canonical, level, kind, belongs_to)


def disposition(handling: list[str], receiving: list[Department]) -> str:
    """cancelled when the handling abolishes the duty and hands it to no department."""
    cancelled = any(re.search(p, para) for para in handling for p in _rules()["disposition"]["cancelled"])
    return "cancelled" if cancelled and not receiving else "transferred"
