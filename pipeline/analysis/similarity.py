"""Which reclaimed items resemble a duty the township still holds (notebook 03).

Each name is cut into character bigrams (punctuation removed). Bigrams found in more than
`boilerplate_share` of all names compared (负责, 工作, 处罚, …) are dropped. For a reclaimed item R
and a basic item B of the same township the score is the share of R's bigrams also in B,
|R ∩ B| / |R| (containment; it suits short reclaimed names better than Jaccard, which long
basic-list sentences push towards zero; Jaccard is reported too). Each reclaimed item is paired
with its best-scoring basic item; a pair resembles when score ≥ threshold and at least
`min_shared` bigrams are shared.
"""

from __future__ import annotations

from collections import Counter
import re

PAIR_COLUMNS = ["township_id", "reclaimed", "basic", "score", "jaccard", "n_shared", "shared", "resembles"]


def bigrams(text: str) -> set[str]:
    """Character bigrams of the text without punctuation or spaces."""
    chars = re.sub(r"[\W_]", "", str(text))
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def boilerplate(names: list[str], share: float) -> set[str]:
    """Bigrams found in more than `share` of the names."""
    frequency = Counter(g for name in names for g in bigrams(name))
    return {g for g, c in frequency.items() if c > share * len(names)}


def resembling_pairs(
    reclaimed: list[tuple[str, str]],
    basic: list[tuple[str, str]],
    threshold: float = 0.3,
    min_shared: int = 2,
    boilerplate_share: float = 0.05,
) -> tuple[list[dict], set[str]]:
    """Best basic match of every reclaimed item within its township.

    reclaimed, basic: (township_id, name) pairs. Returns rows with PAIR_COLUMNS and the
    boilerplate bigrams dropped."""
    common = boilerplate([n for _, n in basic] + [n for _, n in reclaimed], boilerplate_share)
    by_township: dict[str, list[tuple[str, set[str]]]] = {}
    for tid, name in basic:
        by_township.setdefault(tid, []).append((name, bigrams(name) - common))
    rows = []
    for tid, r_name in reclaimed:
        grams = bigrams(r_name) - common
        best = None
        for name, other in by_township.get(tid, []):
            shared = grams & other
            score = len(shared) / len(grams) if grams else 0.0
            if best is None or (score, len(shared)) > best[0]:
                union = grams | other
                best = ((score, len(shared)), name, shared, len(shared) / len(union) if union else 0.0)
        if best:
            (score, n_shared), name, shared, jaccard = best
            rows.append(
                {
                    "township_id": tid,
                    "reclaimed": r_name,
                    "basic": name,
                    "score": score,
                    "jaccard": jaccard,
                    "n_shared": n_shared,
                    "shared": "、".join(sorted(shared)),
                    "resembles": score >= threshold and n_shared >= min_shared,
                }
            )
    return rows, common
