"""The same duty across townships: every item gets a duty_id shared with the items of other
townships that state the same duty (rules: pipeline/rules/duties.toml).

Method. Counties issue a template and townships adapt it, so most items are worded alike and
the rest differ by a place name, 本乡/本镇, a department's short name, a clause added or dropped.
1. Normalise each wording: remove the item's own township, county and city names (every printed
   form), make 本乡/本镇/… one word, expand department short forms (林草局 → 林业和草原局).
2. Identical normalised wordings are one entry (24 townships from one template give one entry
   per template item, not 24): the work grows with distinct wordings, not with townships.
3. Entries are compared within their list (basic, coordination and reclaimed items never share
   a duty) by character-bigram TF-IDF cosine and containment (pipeline/normalize/similarity.py).
4. Leader clustering: entries in order of how many townships print them (ties by text), each
   joins the duty whose leading wording it matches best, or leads a new duty. Comparing with
   leaders only (not with every member) keeps a chain of small changes from joining two
   different duties. A duty never takes two different entries from the same township's list:
   one list does not state one duty twice, so two near wordings there are two duties.

duty_id is 'Y' and 10 hex digits of the SHA-1 of the list and the leading normalised wording, so
the same leader gives the same id on every run and machine.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache, lru_cache
import hashlib
import re
from typing import Any
import unicodedata

from pipeline.common.rules import load
from pipeline.normalize.departments import place_variants
from pipeline.normalize.similarity import Index, Scores, idf_weights, ngrams


@cache
def _rules() -> dict:
    return load("duties")


@cache
def _replacements() -> list[tuple[str, str]]:
    """(printed, normal) pairs, longest printed form first."""
    pairs = [(short, full) for short, full in load("departments")["aliases"].items() if short != full]
    for normal, forms in _rules()["self_reference"].items():
        pairs += [(form, normal) for form in forms]
    pairs += [(word, "") for word in _rules()["filler"]["words"]]
    pairs = [(unicodedata.normalize("NFKC", a), unicodedata.normalize("NFKC", b)) for a, b in pairs]
    return sorted(set(pairs), key=lambda p: (-len(p[0]), p[0]))


_SELF = "本乡镇"  # what the township's own name and 本乡/本镇/… become


@cache
def _places(city: str | None, county: str | None, township: str | None) -> tuple[str, ...]:
    names = set(place_variants(county)) | set(place_variants(city))
    if township:
        names.add(township)
    return tuple(sorted((n for n in names if n), key=lambda n: (-len(n), n)))


def normalise(
    name: str, city: str | None = None, county: str | None = None, township: str | None = None
) -> str:
    """The wording as compared: the township's own name read as 本乡镇, its county and city names
    removed, self-references and department short forms unified, filler words, punctuation and
    spaces dropped."""
    text = unicodedata.normalize("NFKC", name or "")
    for place in _places(city, county, township):
        if place in text:
            text = text.replace(place, _SELF if place == township else "")
    return _unify(text)


@lru_cache(maxsize=1 << 17)
def _unify(text: str) -> str:
    """Place-free wording → compared wording (cached: townships of one template repeat it)."""
    table = _replacement_table()
    text = _replacement_pattern().sub(lambda m: table[m.group(0)], text)
    return re.sub(r"[\W_]+", "", text)


@cache
def _replacement_table() -> dict[str, str]:
    return dict(_replacements())


@cache
def _replacement_pattern() -> re.Pattern:
    return re.compile("|".join(re.escape(a) for a, _ in _replacements()))


@dataclass(frozen=True)
class MatchSettings:
    ngram: int
    cosine_threshold: float
    containment_threshold: float
    containment_floor: float

    @classmethod
    def from_rules(cls) -> MatchSettings:
        m = _rules()["matching"]
        return cls(
            ngram=m["ngram"],
            cosine_threshold=m["cosine_threshold"],
            containment_threshold=m["containment_threshold"],
            containment_floor=m["containment_floor"],
        )

    def same(self, s: Scores) -> bool:
        """Do two wordings with these scores state the same duty?"""
        return s.cosine >= self.cosine_threshold or (
            s.containment >= self.containment_threshold and s.cosine >= self.containment_floor
        )


def duty_id(kind: str, normal: str) -> str:
    return "Y" + hashlib.sha1(f"{kind}|{normal}".encode()).hexdigest()[:10]


@dataclass
class Entry:
    """One distinct normalised wording of one list, with who prints it and how."""

    normal: str
    townships: set[str] = field(default_factory=set)
    counties: set[str] = field(default_factory=set)
    printed: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    n_items: int = 0


class DutyMatcher:
    """Collects items (add), then assigns duties (match) and describes them (rows)."""

    def __init__(self, settings: MatchSettings | None = None) -> None:
        self.settings = settings or MatchSettings.from_rules()
        self.entries: dict[str, dict[str, Entry]] = {}  # list → normal → entry
        self.assigned: dict[tuple[str, str], str] = {}  # (list, normal) → duty_id

    def add(self, kind: str, item: dict) -> str:
        """Record one item (list kind, name, category, city, county, township, township_id);
        returns its normalised wording."""
        normal = normalise(item["name"], item.get("city"), item.get("county"), item.get("township"))
        e = self.entries.setdefault(kind, {}).get(normal)
        if e is None:
            e = self.entries[kind][normal] = Entry(normal)
        e.townships.add(item["township_id"])
        e.counties.add(f"{item.get('city') or ''}|{item.get('county') or ''}")
        e.printed[item["name"]] += 1
        e.categories[item.get("category") or ""] += 1
        e.n_items += 1
        return normal

    def match(self) -> None:
        """Assign every recorded wording to a duty (leader clustering per list, see module doc)."""
        for kind in sorted(self.entries):
            self.assigned.update(cluster(kind, self.entries[kind], self.settings))

    def duty_of(self, kind: str, item: dict) -> str:
        normal = normalise(item["name"], item.get("city"), item.get("county"), item.get("township"))
        return self.assigned[(kind, normal)]

    def rows(self) -> list[dict]:
        """The duties table: one row per duty."""
        members: dict[str, list[Entry]] = {}
        kinds: dict[str, str] = {}
        for kind, entries in self.entries.items():
            for normal, e in entries.items():
                d = self.assigned[(kind, normal)]
                members.setdefault(d, []).append(e)
                kinds[d] = kind
        out: list[dict[str, Any]] = []
        for d, es in members.items():
            printed = sum((e.printed for e in es), Counter())
            categories = sum((e.categories for e in es), Counter())
            out.append(
                {
                    "duty_id": d,
                    "list": kinds[d],
                    "category": _most_common(categories) or None,
                    "wording": _most_common(printed),
                    "n_wordings": len(printed),
                    "n_items": sum(e.n_items for e in es),
                    "n_townships": len(set().union(*(e.townships for e in es))),
                    "n_counties": len(set().union(*(e.counties for e in es))),
                }
            )
        order = {"basic": 0, "coordination": 1, "reclaimed": 2}
        out.sort(key=lambda r: (order.get(r["list"], 9), -r["n_townships"], r["wording"], r["duty_id"]))
        return out


def _most_common(counter: Counter) -> str:
    """The most frequent value; ties go to the smallest, so the choice is deterministic."""
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counter else ""


def cluster(kind: str, entries: dict[str, Entry], settings: MatchSettings) -> dict[tuple[str, str], str]:
    """(kind, normal) → duty_id for one list's wordings."""
    order = sorted(entries.values(), key=lambda e: (-len(e.townships), -e.n_items, e.normal))
    grams = {e.normal: ngrams(e.normal, settings.ngram) for e in order}
    index = Index(idf_weights(list(grams.values())))
    leaders: list[tuple[str, set[str]]] = []  # duty_id, townships so far
    out: dict[tuple[str, str], str] = {}
    for e in order:
        chosen = None
        for pos, s in index.search(grams[e.normal]):
            if settings.same(s) and not (leaders[pos][1] & e.townships):
                chosen = pos
                break
        if chosen is None:
            chosen = index.add(grams[e.normal])
            leaders.append((duty_id(kind, e.normal), set()))
        leaders[chosen][1].update(e.townships)
        out[(kind, e.normal)] = leaders[chosen][0]
    return out
