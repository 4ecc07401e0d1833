"""Why an item of the published tables is what it is: the decisions after reading, in words.

    make explain ITEM=<item_id>        (python -m pipeline.clean --item ITEM_ID)

For one item (an item_id of basic_items, coordination_items or reclaimed_items): where it was
read (file, pages), then each later decision with the rule that made it: its power type (the rule
of pipeline/rules/power_types.toml whose keyword is in the name, or the fallback), the department
each printed name links to (the alias of pipeline/rules/departments.toml used, if any), its
disposition (the pattern of [disposition] that fired), and its duty (the duty's wording and the
other items, of any township, that share it). The file's row-by-row reading of those pages
follows (pipeline.clean.explain).
"""

from __future__ import annotations

from pathlib import Path
import re

import pandas as pd

from pipeline.common.rules import load

LISTS = ("basic", "coordination", "reclaimed")


class NoSuchItem(LookupError):
    """The item id is in none of the item tables."""


def find_item(processed: Path, item_id: str) -> tuple[str, dict]:
    """(list, the item's row) of ITEM_ID; raises NoSuchItem naming the tables looked in."""
    for key in LISTS:
        table = pd.read_parquet(processed / f"{key}_items.parquet")
        rows = table[table["item_id"] == item_id]
        if len(rows):
            return key, rows.iloc[0].to_dict()
    raise NoSuchItem(
        f"no item {item_id} in {processed} (basic_items, coordination_items, reclaimed_items); "
        "item ids look like T0123456789-B001"
    )


def power_type_reason(name: str) -> str:
    """Which rule of power_types.toml gives NAME its power type, in words."""
    rules = load("power_types")
    for i, rule in enumerate(rules["rules"], start=1):
        hits = [k for k in rule["keywords"] if k in (name or "")]
        if hits:
            return (
                f"{rule['power_type']}: rule {i} of pipeline/rules/power_types.toml, its keyword "
                f"“{hits[0]}” is in the name (the first rule with a keyword in the name wins)"
            )
    return (
        f"{rules['fallback']}: no rule of pipeline/rules/power_types.toml has a keyword in the name "
        "(the fallback)"
    )


def department_reason(printed: str, county: str | None, city: str | None) -> str:
    """How a printed department name links to a department, and the alias used, in words."""
    from pipeline.normalize.departments import _split_place, resolve

    dept = resolve(printed, county, city)
    if dept is None:
        return f"“{printed}” → no department (not a department name: pipeline/rules/departments.toml [names])"
    name = re.sub(r"\s+", "", printed).strip("：:，,。；;")
    prefix = next((p for p in load("departments")["vertical"]["prefixes"] if name.startswith(p)), "")
    _, rest, _, _ = _split_place(name[len(prefix) :], county, city)
    alias = load("departments")["aliases"].get(rest)
    how = f"alias “{rest}” = “{alias}” ([aliases])" if alias else "no alias needed"
    return f"“{printed}” → {dept.name} ({dept.department_id}; {dept.level}, {dept.kind}); {how}"


def disposition_reason(handling: str | None, receiving: list[str]) -> str:
    """Why a reclaimed item is cancelled or transferred, in words."""
    patterns = load("departments")["disposition"]["cancelled"]
    paragraphs = (handling or "").split("\n")
    fired = next(((p, para) for para in paragraphs for p in patterns if re.search(p, para)), None)
    if fired and not receiving:
        return (
            f"cancelled: the pattern “{fired[0]}” of [disposition] (pipeline/rules/departments.toml) "
            f"matches “{fired[1][:40]}”, and no department takes the item over"
        )
    if fired:
        return (
            f"transferred: the pattern “{fired[0]}” matches, but {len(receiving)} department(s) take the "
            "item over, so it is not cancelled"
        )
    return "transferred: no pattern of [disposition] cancelled (pipeline/rules/departments.toml) matches the handling"


def duty_reason(processed: Path, item: dict) -> list[str]:
    """The item's duty: its wording and the other items that share it (the candidates it matched)."""
    if not item.get("duty_id"):
        return ["duty: none (no duty matched)"]
    duties = pd.read_parquet(processed / "duties.parquet")
    duty = duties[duties["duty_id"] == item["duty_id"]]
    lines = []
    if len(duty):
        d = duty.iloc[0]
        lines.append(
            f"duty: {item['duty_id']} “{d['wording']}” ({d['n_items']} items of {d['n_townships']} "
            f"township(s) in {d['n_counties']} county(ies), {d['n_wordings']} wording(s); matched by "
            "wording once place names and 本乡/本镇 are unified: pipeline/normalize/duties.py)"
        )
    others = []
    for key in LISTS:
        table = pd.read_parquet(
            processed / f"{key}_items.parquet", columns=["item_id", "township", "name", "duty_id"]
        )
        same = table[(table["duty_id"] == item["duty_id"]) & (table["item_id"] != item["item_id"])]
        others += [f"  same duty: {r.item_id} {r.township}: {str(r.name)[:40]}" for r in same.itertuples()]
    return lines + others[:10] + ([f"  … and {len(others) - 10} more"] if len(others) > 10 else [])


CANDIDATES = 5  # duties shown with their scores


def duty_candidates(processed: Path, key: str, item: dict, top: int = CANDIDATES) -> list[str]:
    """The duties of the item's list closest to its wording, with the scores the matching uses
    (cosine and containment of weighted character n-grams, pipeline/rules/duties.toml
    [matching]): which would count as the same duty and which one the item has. The weights are
    taken over the published items' wordings, as the build took them over the items it read."""
    from pipeline.normalize.duties import MatchSettings, normalise
    from pipeline.normalize.similarity import Scores, idf_weights, ngrams, scores

    table = pd.read_parquet(
        processed / f"{key}_items.parquet", columns=["name", "city", "county", "township", "duty_id"]
    )
    settings = MatchSettings.from_rules()
    normals = [normalise(r.name, r.city, r.county, r.township) for r in table.itertuples()]
    grams = {n: ngrams(n, settings.ngram) for n in set(normals)}
    idf = idf_weights([grams[n] for n in sorted(grams)])
    mine = grams.get(
        normalise(item["name"], item.get("city"), item.get("county"), item.get("township")), set()
    )
    best: dict[str, tuple[float, float, str]] = {}
    for normal, duty, name in zip(normals, table["duty_id"], table["name"], strict=True):
        s = scores(mine, grams[normal], idf)
        if duty not in best or (s.cosine, s.containment) > best[duty][:2]:
            best[duty] = (s.cosine, s.containment, name)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:top]
    out = [
        f"duty candidates (closest of the {len(best)} duties of this list; same duty: cosine ≥ "
        f"{settings.cosine_threshold:g}, or containment ≥ {settings.containment_threshold:g} with cosine ≥ "
        f"{settings.containment_floor:g}):"
    ]
    for duty, (cosine, containment, name) in ranked:
        same = settings.same(Scores(cosine, containment))
        mark = (
            "← its duty"
            if duty == item.get("duty_id")
            else (
                "(scores match too: not taken, it already held this township or a closer match came first)"
                if same
                else ""
            )
        )
        out.append(
            f"  {duty} cosine {cosine:.2f} containment {containment:.2f} {'same' if same else 'other'} "
            f"“{str(name)[:30]}” {mark}".rstrip()
        )
    return out


def explain_item(processed: Path, item_id: str) -> tuple[str, dict]:
    """The later decisions about one item, as text, and its row (for the file's explanation)."""
    key, item = find_item(processed, item_id)
    label = load("lists")["lists"][key]["label"]
    pages = _as_list(item.get("pages"))
    out = [
        f"{item_id}: {label}, {item.get('city') or ''}{item.get('county') or ''}{item.get('township') or ''}, "
        f"序号 {item.get('seq')}: {item.get('name')}",
        f"read from {item.get('source_file')}, page(s) {', '.join(map(str, pages))}",
        "power type: " + power_type_reason(item.get("name") or ""),
    ]
    if key in ("coordination", "reclaimed"):
        bridge = "coordination_departments" if key == "coordination" else "reclaimed_departments"
        links = pd.read_parquet(processed / f"{bridge}.parquet")
        links = links[links["item_id"] == item_id].sort_values("position")
        out.append(f"departments ({len(links)}):")
        for link in links.itertuples():
            out.append("  " + department_reason(link.printed, item.get("county"), item.get("city")))
    if key == "reclaimed":
        receiving = _as_list(item.get("receiving_departments"))
        out.append("disposition: " + disposition_reason(item.get("handling"), receiving))
    out += duty_reason(processed, item)
    out += duty_candidates(processed, key, item)
    return "\n".join(out), item


def _as_list(value) -> list:
    """A list cell of a table row (an array, or None) as a list."""
    return [] if value is None else list(value)
