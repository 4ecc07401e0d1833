"""Text similarity of short Chinese wordings: character n-grams weighted by rarity (IDF).

Chinese has no spaces, so words are not available without a dictionary; overlapping character
pairs (收养登记 → 收养, 养登, 登记) carry most of a word's identity and need none. Each n-gram
weighs its inverse document frequency over the wordings compared, so the pairs every item has
(负责, 工作, 处罚) count little and the ones that name the matter (收养, 草原) count much.

Two measures over the same weights:
- cosine: how alike two wordings are as a whole;
- containment: the share of the shorter wording's weight found in the longer one, which stays
  high when one wording adds or drops a clause.

`Index` answers "which of these wordings are close to this one" through an inverted index over
n-grams, so a query touches only wordings that share a rare-enough n-gram with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import math
import re

_NON_WORD = re.compile(r"[\W_]+")


def ngrams(text: str, n: int = 2) -> set[str]:
    """Overlapping character n-grams of the text with punctuation and spaces removed; a text
    shorter than n is its own single n-gram."""
    chars = _NON_WORD.sub("", text)
    if len(chars) < n:
        return {chars} if chars else set()
    return {chars[i : i + n] for i in range(len(chars) - n + 1)}


def idf_weights(documents: list[set[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency of every n-gram: log((1 + N) / (1 + df)) + 1."""
    df: dict[str, int] = {}
    for grams in documents:
        for g in grams:
            df[g] = df.get(g, 0) + 1
    n = len(documents)
    return {g: math.log((1 + n) / (1 + c)) + 1.0 for g, c in df.items()}


@dataclass(frozen=True)
class Scores:
    cosine: float
    containment: float
    weight: float = 0.0  # the shorter (lighter) wording's total weight


def scores(a: set[str], b: set[str], idf: dict[str, float], default: float = 1.0) -> Scores:
    """Cosine and containment of two n-gram sets under the given weights (an n-gram the weights
    do not know weighs `default`)."""
    shared = a & b
    if not a or not b:
        return Scores(0.0, 0.0, 0.0)
    wa = [idf.get(g, default) for g in a]
    wb = [idf.get(g, default) for g in b]
    ws = [idf.get(g, default) for g in shared]
    cosine = sum(w * w for w in ws) / math.sqrt(sum(w * w for w in wa) * sum(w * w for w in wb))
    lighter = min(sum(wa), sum(wb))
    return Scores(cosine, sum(ws) / lighter, lighter)


@dataclass
class Index:
    """Wordings (as n-gram sets) to search by similarity. Weights are fixed at construction."""

    idf: dict[str, float]
    default: float = 1.0  # weight of an n-gram the weights do not know
    max_posting: int = 0  # n-grams held by more entries than this are not used to find candidates
    postings: dict[str, list[int]] = field(default_factory=dict)
    entries: list[tuple[set[str], float, float]] = field(default_factory=list)  # grams, Σw², Σw

    def add(self, grams: set[str]) -> int:
        """Add a wording; returns its position."""
        pos = len(self.entries)
        w = [self.idf.get(g, self.default) for g in grams]
        self.entries.append((grams, sum(x * x for x in w), sum(w)))
        for g in grams:
            self.postings.setdefault(g, []).append(pos)
        return pos

    def search(self, grams: set[str]) -> list[tuple[int, Scores]]:
        """Entries sharing at least one n-gram with the query, with their scores, best cosine
        first (ties by position, so results are deterministic)."""
        dot: dict[int, float] = {}
        shared: dict[int, float] = {}
        for g in grams:
            post = self.postings.get(g)
            if not post or (self.max_posting and len(post) > self.max_posting):
                continue
            w = self.idf.get(g, self.default)
            for pos in post:
                dot[pos] = dot.get(pos, 0.0) + w * w
                shared[pos] = shared.get(pos, 0.0) + w
        if not dot:
            return []
        wq = [self.idf.get(g, self.default) for g in grams]
        sq2, sq = sum(x * x for x in wq), sum(wq)
        out = []
        for pos, d in dot.items():
            _, s2, s1 = self.entries[pos]
            if self.max_posting:  # n-grams skipped above still count when an entry is a candidate
                d, sh = _exact(grams, self.entries[pos][0], self.idf, self.default)
            else:
                sh = shared[pos]
            out.append((pos, Scores(d / math.sqrt(sq2 * s2), sh / min(sq, s1), min(sq, s1))))
        out.sort(key=lambda r: (-r[1].cosine, r[0]))
        return out


def _exact(a: set[str], b: set[str], idf: dict[str, float], default: float) -> tuple[float, float]:
    ws = [idf.get(g, default) for g in a & b]
    return sum(w * w for w in ws), sum(ws)
