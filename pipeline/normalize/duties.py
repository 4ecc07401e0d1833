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

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
import csv
from dataclasses import dataclass, field
import difflib
from functools import cache, lru_cache
import hashlib
import math
from pathlib import Path
import re
from typing import Any
import unicodedata

from pipeline.common import freshness
from pipeline.common.rules import RulesError, load
from pipeline.normalize.departments import place_variants
from pipeline.normalize.similarity import Index, Scores, ngrams, scores


@cache
def _rules() -> dict:
    return load("duties")


@cache
def _replacements() -> list[tuple[str, str]]:
    """(printed, normal) pairs of the first pass (department short forms, self-references),
    longest printed form first."""
    pairs = [(short, full) for short, full in load("departments")["aliases"].items() if short != full]
    for normal, forms in _rules()["self_reference"].items():
        pairs += [(form, normal) for form in forms]
    pairs.append((_SELF, _SELF))  # what a township's own name became stays as it is (not 本乡镇镇)
    return _longest_first(pairs)


def _longest_first(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    pairs = [(unicodedata.normalize("NFKC", a), unicodedata.normalize("NFKC", b)) for a, b in pairs]
    return sorted({p for p in pairs if p[0]}, key=lambda p: (-len(p[0]), p[0]))


@cache
def _equivalents() -> list[tuple[str, str]]:
    """(word, what it becomes) of rules [equivalents]; a word listed twice is an error."""
    seen: dict[str, str] = {}
    for normal, words in _rules()["equivalents"].items():
        for w in words:
            if w in seen and seen[w] != normal:
                raise RulesError(
                    f"duties.toml [equivalents]: {w!r} is listed under {seen[w]!r} and {normal!r}"
                )
            seen[w] = normal
    return _longest_first(list(seen.items()))


@cache
def _filler() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    f = _rules()["filler"]
    return _longest_first([(w, "") for w in f["words"]]), _longest_first(
        [(w, "") for w in f["words"] + f["penalty_words"]]
    )


class _Pass:
    """One longest-first replacement pass over a wording."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.table = dict(pairs)
        self.pattern = re.compile("|".join(re.escape(a) for a, _ in pairs)) if pairs else None

    def __call__(self, text: str) -> str:
        return self.pattern.sub(lambda m: self.table[m.group(0)], text) if self.pattern else text


@cache
def _passes() -> tuple[_Pass, _Pass, _Pass, _Pass, re.Pattern, re.Pattern]:
    units = _rules()["units"]
    departments = (
        set(units["departments"])
        | set(load("departments")["aliases"])
        | set(load("departments")["aliases"].values())
    )
    alt = "|".join(re.escape(d) for d in sorted(departments, key=lambda d: (-len(d), d)))
    county = "|".join(re.escape(u) for u in sorted(units["county"], key=lambda u: (-len(u), u)))
    bodies = "|".join(re.escape(b) for b in sorted(units["township_bodies"], key=lambda b: (-len(b), b)))
    town = "|".join(re.escape(t) for t in sorted(units["township"], key=lambda t: (-len(t), t)))
    county_unit = re.compile(f"(?:{county})(?=(?:{alt}))")
    township_body = re.compile(f"(?<![乡镇])(?:{town})(?=(?:{bodies}))")
    plain, penalty = _filler()
    return (
        _Pass(_replacements()),
        _Pass(_equivalents()),
        _Pass(plain),
        _Pass(penalty),
        county_unit,
        township_body,
    )


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
    removed, self-references, department short forms, county-level units before a department,
    township bodies (乡人大/镇人大) and equivalent words unified, filler words, punctuation and
    spaces dropped (rules: duties.toml)."""
    text = unicodedata.normalize("NFKC", name or "")
    for place in _places(city, county, township):
        if place in text:
            text = text.replace(place, _SELF if place == township else "")
    return _unify(text)


@lru_cache(maxsize=1 << 17)
def _unify(text: str) -> str:
    """Place-free wording → compared wording (cached: townships of one template repeat it)."""
    first, equivalents, plain, penalty, county_unit, township_body = _passes()
    text = first(text)
    text = county_unit.sub("", text)
    text = township_body.sub("乡镇", text)
    text = equivalents(text)
    text = (penalty if text.rstrip("。；;. ").endswith(_rules()["filler"]["penalty_marker"]) else plain)(text)
    return re.sub(r"[\W_]+", "", text)


# --- the guard: what differs between two close wordings ------------------------------------------


@cache
def _contrasts() -> list[tuple[str, re.Pattern]]:
    """The contrast groups of the rules, and one of the departments (an item naming one
    department is not the same duty as one naming another: departments.toml names, short forms
    unified, and [units] departments)."""
    out = []
    names = set(_rules()["units"]["departments"]) | set(load("departments")["aliases"].values())
    named = sorted({_unify(n) for n in names if len(_unify(n)) >= 2}, key=lambda w: (-len(w), w))
    out.append(("departments", re.compile("|".join(re.escape(w) for w in named))))
    for group, words in sorted(_rules()["contrasts"].items()):
        if len(words) < 2:
            raise RulesError(f"duties.toml [contrasts] {group}: a contrast needs two words at least")
        dead = [w for w in words if not _unify(w)]
        if dead:
            raise RulesError(f"duties.toml [contrasts] {group}: {dead[0]!r} is dropped before comparing")
        normal = sorted({_unify(w) for w in words}, key=lambda w: (-len(w), w))
        out.append((group, re.compile("|".join(re.escape(w) for w in normal))))
    return out


@cache
def _negation() -> tuple[re.Pattern, re.Pattern]:
    n = _rules()["negation"]
    words = sorted({_unify(w) or w for w in n["words"]}, key=lambda w: (-len(w), w))
    keep = sorted({_unify(w) or w for w in n["not_negations"]}, key=lambda w: (-len(w), w))
    return (
        re.compile("|".join(re.escape(w) for w in words)),
        re.compile("|".join(re.escape(w) for w in keep)),
    )


@cache
def _numbers() -> re.Pattern:
    return re.compile(_rules()["scope"]["numbers"])


@cache
def _scope() -> re.Pattern:
    words = sorted(_rules()["scope"]["words"], key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in words))


def _negations(text: str) -> Counter:
    words, keep = _negation()
    return Counter(words.findall(keep.sub("", text)))


def _foreign(segment: str, other: str) -> bool:
    """Does nothing of SEGMENT (no bigram; a single character itself) occur in OTHER?"""
    if len(segment) < 2:
        return segment not in other
    return not any(segment[i : i + 2] in other for i in range(len(segment) - 1))


def apart(a: str, b: str, settings: MatchSettings) -> str | None:
    """Why two compared wordings state different duties however alike they are, or None: a
    contrast (each holds a word of one contrast group the other lacks), a negation added or
    dropped, or a short stretch replaced by another in wordings otherwise alike."""
    for group, pattern in _contrasts():
        wa, wb = set(pattern.findall(a)), set(pattern.findall(b))
        if wa - wb and wb - wa:
            return f"contrast {group}: {'、'.join(sorted(wa - wb))} / {'、'.join(sorted(wb - wa))}"
    if _negations(a) != _negations(b):
        return "negation added or dropped"
    scope = _scope()
    numbers = _numbers()
    na, nb = numbers.findall(a), numbers.findall(b)
    if na and nb and na != nb:
        return f"numbers: {'、'.join(na)} / {'、'.join(nb)}"
    sa, sb = set(scope.findall(a)), set(scope.findall(b))
    if sa != sb:
        return f"scope: {'、'.join(sorted(sa - sb)) or '-'} / {'、'.join(sorted(sb - sa)) or '-'}"
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    equal = sum(i2 - i1 for op, i1, i2, _, _ in ops if op == "equal")
    if equal >= settings.replaced_share * min(len(a), len(b)):
        for op, i1, i2, j1, j2 in ops:
            x, y = a[i1:i2], b[j1:j2]
            lo, hi = sorted((len(x), len(y)))
            short = op == "replace" and lo <= settings.replaced_chars and hi <= 3 * settings.replaced_chars
            if short and _foreign(x, b) and _foreign(y, a):  # not words moved elsewhere
                return f"replaced: {x} / {y}"
    return None


@dataclass(frozen=True)
class MatchSettings:
    ngram: int
    cosine_threshold: float
    containment_threshold: float
    containment_floor: float
    full_containment: float = 1.0
    min_weight: float = 0.0
    whole_containment: float = 2.0  # above 1: not used
    char_containment: float = 2.0  # above 1: not used
    char_floor: float = 1.0
    replaced_chars: int = 0
    replaced_share: float = 1.0
    max_candidates: int = 1 << 30
    review_cosine: float = 1.0
    review_containment: float = 1.0

    @classmethod
    def from_rules(cls) -> MatchSettings:
        m, r = _rules()["matching"], _rules()["review"]
        return cls(
            ngram=m["ngram"],
            cosine_threshold=m["cosine_threshold"],
            containment_threshold=m["containment_threshold"],
            containment_floor=m["containment_floor"],
            full_containment=m["full_containment"],
            min_weight=m["min_weight"],
            whole_containment=m["whole_containment"],
            char_containment=m["char_containment"],
            char_floor=m["char_floor"],
            replaced_chars=m["replaced_chars"],
            replaced_share=m["replaced_share"],
            max_candidates=m["max_candidates"],
            review_cosine=r["cosine"],
            review_containment=r["containment"],
        )

    def same(self, s: Scores) -> bool:
        """Do two wordings with these scores state the same duty (before the guard)?"""
        return (
            s.cosine >= self.cosine_threshold
            or (s.containment >= self.containment_threshold and s.cosine >= self.containment_floor)
            or (s.containment >= self.full_containment and s.weight >= self.min_weight)
            or s.containment >= self.whole_containment
        )

    def doubtful(self, s: Scores) -> bool:
        """Close enough that a person should look (when not decided the same)."""
        return s.cosine >= self.review_cosine or s.containment >= self.review_containment


@dataclass(frozen=True)
class Decision:
    same: bool
    scores: Scores
    reason: str | None  # why kept apart by the guard, or None
    doubtful: bool  # not the same, but close: a person should look


def decide(a: str, b: str, settings: MatchSettings | None = None) -> Decision:
    """Do two compared wordings (normalise) state the same duty? Weights from the fixed
    vocabulary, so the answer depends on the two wordings only."""
    settings = settings or MatchSettings.from_rules()
    idf = reference_idf()
    s = scores(ngrams(a, settings.ngram), ngrams(b, settings.ngram), idf, unknown_weight())
    return _decide(a, b, s, settings)


def _decide(a: str, b: str, s: Scores, settings: MatchSettings) -> Decision:
    if a == b:
        return Decision(True, s, None, False)
    close = settings.same(s) or (
        s.containment >= settings.char_floor
        and s.weight >= settings.min_weight  # a short wording's characters are found anywhere
        and char_containment(a, b) >= settings.char_containment
    )
    reason = apart(a, b, settings) if (close or settings.doubtful(s)) else None
    same = close and reason is None
    return Decision(same, s, reason, not same and settings.doubtful(s))


def char_containment(a: str, b: str) -> float:
    """The share of the lighter wording's character weight (fixed weights) found in the other:
    high when one says the same with the same words in another order or split apart."""
    idf, unknown = reference_idf(), unknown_weight()
    ca, cb = set(a), set(b)
    wa = sum(idf.get(c, unknown) for c in ca)
    wb = sum(idf.get(c, unknown) for c in cb)
    shared = sum(idf.get(c, unknown) for c in ca & cb)
    return shared / min(wa, wb) if wa and wb else 0.0


# --- fixed weights ---------------------------------------------------------------------------------


@cache
def reference_idf() -> dict[str, float]:
    """IDF of every n-gram of the shipped vocabulary (pipeline/rules/duty_vocabulary.toml: the
    document frequency of each bigram over the corpus's compared wordings), not of the build."""
    v = load("duty_vocabulary")
    n = v["wordings"]
    return {g: math.log((1 + n) / (1 + c)) + 1.0 for g, c in v["df"].items()}


@cache
def unknown_weight() -> float:
    """An n-gram the vocabulary does not hold is as rare as it gets."""
    return math.log(1 + load("duty_vocabulary")["wordings"]) + 1.0


def duty_id(kind: str, normal: str) -> str:
    return "Y" + hashlib.sha1(f"{kind}|{normal}".encode()).hexdigest()[:10]


class Members:
    """A set of small numbers (the matcher's township or county numbers) as a bitmap over the
    span they cover: bit i of an int stands for OFFSET + i. Townships are numbered in the order
    the build meets them (a county's together), so a wording printed in one county takes a few
    bytes and one printed everywhere N/8 bytes; union, intersection and size are int operations."""

    __slots__ = ("offset", "bits")

    def __init__(self, offset: int = 0, bits: int = 0) -> None:
        self.offset = offset
        self.bits = bits

    @classmethod
    def of(cls, numbers: Iterable[int]) -> Members:
        values = numbers if isinstance(numbers, (array, list)) else list(numbers)
        if not values:
            return cls()
        lo = min(values)
        buf = bytearray((max(values) - lo) // 8 + 1)
        for n in values:
            buf[(n - lo) >> 3] |= 1 << ((n - lo) & 7)
        return cls(lo, int.from_bytes(buf, "little"))

    def __len__(self) -> int:
        return self.bits.bit_count()

    def __iter__(self) -> Iterator[int]:
        data = self.bits.to_bytes((self.bits.bit_length() + 7) // 8, "little")
        for i, byte in enumerate(data):
            for j in range(8) if byte else ():
                if byte >> j & 1:
                    yield self.offset + 8 * i + j

    def intersects(self, other: Members) -> bool:
        if not self.bits or not other.bits:
            return False
        if self.offset <= other.offset:
            return bool((self.bits >> (other.offset - self.offset)) & other.bits)
        return bool((other.bits >> (self.offset - other.offset)) & self.bits)

    def update(self, other: Members) -> None:
        """Add OTHER's numbers to this set."""
        if not other.bits:
            return
        if not self.bits:
            self.offset, self.bits = other.offset, other.bits
            return
        lo = min(self.offset, other.offset)
        self.bits = (self.bits << (self.offset - lo)) | (other.bits << (other.offset - lo))
        self.offset = lo


@dataclass
class Entry:
    """One distinct normalised wording of one list, with who prints it and how. While items are
    added, `numbers` holds the township number of each (4 bytes an item); `DutyMatcher.match`
    turns them into the sets `townships` and `counties`."""

    normal: str
    numbers: array = field(default_factory=lambda: array("i"))
    townships: Members = field(default_factory=Members)
    counties: Members = field(default_factory=Members)
    printed: Counter = field(default_factory=Counter)
    categories: Counter = field(default_factory=Counter)
    n_items: int = 0


# --- an analyst's decisions ------------------------------------------------------------------------

DECISION_COLUMNS = ("list", "wording_a", "wording_b", "decision", "note")
SAME, DIFFERENT = "same", "different"


class DecisionsError(ValueError):
    """The decisions file cannot be used (one line naming file, row and reason)."""


def decisions_path(raw: Path | None) -> Path | None:
    """Where the analyst's decisions are kept: duty_decisions.csv beside the raw folder."""
    return freshness.decisions_path(raw) if raw is not None else None


def read_decisions(path: Path | None) -> dict[tuple[str, str, str], str]:
    """(list, a, b) with a <= b → 'same' or 'different', from the analyst's CSV (columns list,
    wording_a, wording_b, decision, note): each decision keyed by the two wordings as the matcher
    compares them and as printed (what duty_review shows). No file: no decisions."""
    if path is None or not path.is_file():
        return {}
    out: dict[tuple[str, str, str], str] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in DECISION_COLUMNS[:4] if c not in (reader.fieldnames or [])]
        if missing:
            raise DecisionsError(f"{path}: missing column(s) {', '.join(missing)}")
        for n, row in enumerate(reader, start=2):
            decision = (row.get("decision") or "").strip().lower()
            if not decision:
                continue  # not decided yet
            if decision not in (SAME, DIFFERENT):
                raise DecisionsError(
                    f"{path} line {n}: decision must be 'same' or 'different', not {decision!r}"
                )
            kind, raw_a, raw_b = (row["list"] or "").strip(), row["wording_a"] or "", row["wording_b"] or ""
            a, b = normalise(raw_a), normalise(raw_b)
            if not a or not b:
                raise DecisionsError(f"{path} line {n}: both wordings are needed")
            out[_pair_key(kind, a, b)] = decision
            # as printed too: a wording naming its own township compares without it only in place
            out[_pair_key(kind, PRINTED + raw_a.strip(), PRINTED + raw_b.strip())] = decision
    return out


PRINTED = "\0"  # marks a decision's key made of the wordings as printed


def decisions_digest(path: Path | None) -> bytes:
    """What of the decisions file shapes the tables: its bytes (empty when there is none)."""
    return path.read_bytes() if path is not None and path.is_file() else b""


def decisions_note(path: Path | None, review: list[dict]) -> list[str]:
    """The codebook's record of the analyst's decisions this build honoured (none without a
    decisions file: the duty_review table's description says how to give them)."""
    data = decisions_digest(path)
    if not data or not read_decisions(path):
        return []
    ruled = [r for r in review if r["decision"]]
    n_same = sum(1 for r in ruled if r["decision"] == SAME)
    out = [
        "## Analyst decisions (duty_review, 待核对)",
        "",
        f"This build read `{path}` (SHA-256 {hashlib.sha256(data).hexdigest()[:16]}) and honoured "
        f"{len(ruled)} decision(s) on pairs it compared: {n_same} same, {len(ruled) - n_same} different.",
        "",
    ]
    return out + [
        f"- {r['list']}: {r['wording_a']} / {r['wording_b']}: {r['decision']} (matcher: {r['matcher']})"
        for r in ruled
    ]


def _pair_key(kind: str, a: str, b: str) -> tuple[str, str, str]:
    return (kind, min(a, b), max(a, b))


class DutyMatcher:
    """Collects items (add), then assigns duties (match) and describes them (rows), with the
    pairs a person should look at (review_rows)."""

    def __init__(
        self, settings: MatchSettings | None = None, decisions: dict[tuple[str, str, str], str] | None = None
    ) -> None:
        self.settings = settings or MatchSettings.from_rules()
        self.decisions = decisions or {}
        self.entries: dict[str, dict[str, Entry]] = {}  # list → normal → entry
        self.assigned: dict[tuple[str, str], str] = {}  # (list, normal) → duty_id
        self.review: list[dict] = []
        # Townships by number (in the order met), so that an item costs its wording's entry a
        # number, not its strings: township_id → number, and per number its place and county.
        self.numbers: dict[str, int] = {}
        self.places: list[tuple[str | None, str | None, str | None]] = []
        self.county_of = array("i")
        self._counties: dict[str, int] = {}

    def add(self, kind: str, item: dict) -> str:
        """Record one item (list kind, name, category, city, county, township, township_id);
        returns its normalised wording."""
        normal = normalise(item["name"], item.get("city"), item.get("county"), item.get("township"))
        e = self.entries.setdefault(kind, {}).get(normal)
        if e is None:
            e = self.entries[kind][normal] = Entry(normal)
        number = self.numbers.get(item["township_id"])
        if number is None:
            number = self.numbers[item["township_id"]] = len(self.places)
            self.places.append((item.get("city"), item.get("county"), item.get("township")))
            county = f"{item.get('city') or ''}|{item.get('county') or ''}"
            self.county_of.append(self._counties.setdefault(county, len(self._counties)))
        e.numbers.append(number)
        e.printed[item["name"]] += 1
        e.categories[item.get("category") or ""] += 1
        e.n_items += 1
        return normal

    def match(self) -> None:
        """Assign every recorded wording to a duty (leader clustering per list, see module doc)."""
        for entries in self.entries.values():
            for e in entries.values():
                e.townships = Members.of(e.numbers)
                e.counties = Members.of(self.county_of[t] for t in e.townships)
                e.numbers = array("i")
        for kind in sorted(self.entries):
            assigned, review = cluster(kind, self.entries[kind], self.settings, self.decisions, self.places)
            self.assigned.update(assigned)
            self.review += review

    def duty_of(self, kind: str, item: dict) -> str:
        normal = normalise(item["name"], item.get("city"), item.get("county"), item.get("township"))
        return self.assigned[(kind, normal)]

    def review_rows(self) -> list[dict]:
        """The duty_review table: pairs of wordings close enough to doubt, with the analyst's
        decision when the decisions file has one."""
        return sorted(self.review, key=lambda r: (r["list"], -r["cosine"], r["wording_a"], r["wording_b"]))

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
                    "n_townships": len(_union(e.townships for e in es)),
                    "n_counties": len(_union(e.counties for e in es)),
                }
            )
        order = {"basic": 0, "coordination": 1, "reclaimed": 2}
        out.sort(key=lambda r: (order.get(r["list"], 9), -r["n_townships"], r["wording"], r["duty_id"]))
        return out


def _union(sets: Iterable[Members]) -> Members:
    out = Members()
    for m in sets:
        out.update(m)
    return out


def _most_common(counter: Counter) -> str:
    """The most frequent value; ties go to the smallest, so the choice is deterministic."""
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counter else ""


def cluster(
    kind: str,
    entries: dict[str, Entry],
    settings: MatchSettings,
    decisions: dict[tuple[str, str, str], str] | None = None,
    places: Sequence[tuple[str | None, str | None, str | None]] = (),
) -> tuple[dict[tuple[str, str], str], list[dict]]:
    """(kind, normal) → duty_id for one list's wordings, and the review rows: for each wording
    that leads a new duty, the closest leader it was not joined to when the pair is doubtful.

    Weights are the fixed reference (reference_idf), and a wording is compared with the leaders
    only, so a pair's decision never depends on which other wordings are in the build. An
    analyst's decision on a (wording, leader) pair overrides the matcher's either way. PLACES:
    (city, county, township) by township number, for the review rows."""
    decisions = decisions or {}
    printed = {e.normal: PRINTED + _most_common(e.printed) for e in entries.values()} if decisions else {}
    order = sorted(entries.values(), key=lambda e: (-len(e.townships), -e.n_items, e.normal))
    grams = {e.normal: ngrams(e.normal, settings.ngram) for e in order}
    index = Index(reference_idf(), default=unknown_weight())
    leaders: list[tuple[str, Members, Entry]] = []  # duty_id, townships so far, leading entry
    out: dict[tuple[str, str], str] = {}
    review: list[dict] = []
    for e in order:
        chosen, doubt, ruled_row = _leader_of(
            kind, e, leaders, index.search(grams[e.normal]), decisions, printed, settings, places
        )
        if ruled_row is not None:
            review.append(ruled_row)
        if chosen is None:
            chosen = index.add(grams[e.normal])
            leaders.append((duty_id(kind, e.normal), Members(), e))
            if doubt is not None:
                review.append(_review_row(kind, doubt[0], e, doubt[1], doubt[2], places))
        leaders[chosen][1].update(e.townships)
        out[(kind, e.normal)] = leaders[chosen][0]
    return out, review


def _leader_of(
    kind: str,
    e: Entry,
    leaders: list[tuple[str, Members, Entry]],
    candidates: list[tuple[int, Scores]],
    decisions: dict[tuple[str, str, str], str],
    printed: dict[str, str],
    settings: MatchSettings,
    places: Sequence[tuple[str | None, str | None, str | None]],
) -> tuple[int | None, tuple[Entry, Decision, str | None] | None, dict | None]:
    """The leader (its position) whose duty the wording `e` joins, looking at the closest
    leaders first (`candidates`: position and similarity, from the index); else None and the
    first doubtful leader (to review). When an analyst's decision joined them, its review row.
    A leader whose duty already holds one of e's townships is never joined (one township lists
    a duty once)."""
    doubt: tuple[Entry, Decision, str | None] | None = None
    looked = 0
    for pos, s in candidates:
        leader = leaders[pos][2]
        ruled = (
            decisions.get(_pair_key(kind, e.normal, leader.normal))
            or decisions.get(_pair_key(kind, printed[e.normal], printed[leader.normal]))
            if decisions
            else None
        )
        if ruled is None and not (
            settings.same(s)
            or s.containment >= settings.char_floor
            or (doubt is None and settings.doubtful(s))
        ):
            continue  # neither the same nor a doubt to report: no need to look closer
        looked += 1
        if looked > settings.max_candidates and ruled is None:
            break  # the closest leaders were not it: a farther one will not be either
        d = _decide(e.normal, leader.normal, s, settings)
        same = d.same if ruled is None else ruled == SAME
        if same and not leaders[pos][1].intersects(e.townships):
            row = _review_row(kind, leader, e, d, ruled, places) if ruled is not None else None
            return pos, None, row
        if (
            doubt is None
            and (d.doubtful or ruled is not None)
            and not leaders[pos][1].intersects(e.townships)
        ):
            doubt = (leader, d, ruled)
    return None, doubt, None


def _places_text(e: Entry, places: Sequence[tuple[str | None, str | None, str | None]]) -> str:
    return "；".join(sorted({" ".join(p for p in places[t] if p) for t in e.townships}))


def _review_row(kind: str, a: Entry, b: Entry, d: Decision, ruled: str | None, places: Sequence) -> dict:
    key = "|".join(_pair_key(kind, a.normal, b.normal))
    return {
        "pair_id": "R" + hashlib.sha1(key.encode()).hexdigest()[:10],
        "list": kind,
        "wording_a": _most_common(a.printed),
        "places_a": _places_text(a, places),
        "wording_b": _most_common(b.printed),
        "places_b": _places_text(b, places),
        "cosine": round(d.scores.cosine, 4),
        "containment": round(d.scores.containment, 4),
        "guard": d.reason,
        "matcher": SAME if d.same else DIFFERENT,
        "decision": ruled,
    }
