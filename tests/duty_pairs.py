"""Labelled pairs for the duty matcher: rewordings that must match and near-misses that must not.

Built from the expected results of the Tuhulu template (tests/fixtures/corpus/tuhulu), so the
pairs are labelled by construction, not by the matcher:
- rewordings of one template item, each made the way counties and townships reword: a clause
  added, a clause dropped, synonyms, a department named another way, 本乡/本镇 or the township's
  own name; plus the hand-written pairs of tests/fixtures/duty_pairs.toml;
- near-misses: two different template items of one list that are the most alike (every item with
  its nearest other item: real duties worded alike), the same sentence frame carrying another
  matter (对X的处罚 with the X of another item), and the hand-written near-misses.
The synonym table below is the test's own; the matcher does not know it.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
import random
import tomllib

CORPUS = Path(__file__).parent / "fixtures" / "corpus"
HAND_MADE = Path(__file__).parent / "fixtures" / "duty_pairs.toml"

SYNONYMS = [
    ("开展", "组织开展"),
    ("负责", "承担"),
    ("做好", "抓好"),
    ("加强", "强化"),
    ("落实", "贯彻落实"),
    ("组织", "组织协调"),
    ("宣传", "宣传教育"),
    ("管理", "管理服务"),
    ("推进", "推动"),
    ("工作", "相关工作"),
]
CLAUSES = ["，并做好相关记录", "，及时上报有关情况", "，建立工作台账", "等工作", "，按要求报送信息"]
DEPARTMENTS = [("林业和草原局", "林草局"), ("人力资源和社会保障局", "人社局"), ("住房和城乡建设局", "住建局")]


@dataclass(frozen=True)
class Side:
    name: str
    county: str
    township: str


@dataclass(frozen=True)
class Pair:
    kind: str  # list
    a: Side
    b: Side
    same: bool
    how: str


def template() -> dict[str, list[str]]:
    """The Tuhulu lists' item names, by list."""
    path = next((CORPUS / "tuhulu").glob("*.expected.json"))
    data = json.loads(path.read_text(encoding="utf-8"))
    return {kind: [i["name"] for i in items] for kind, items in data["lists"].items()}


def rewordings(name: str, rng: random.Random) -> list[tuple[str, str]]:
    """(how, reworded name) for one template name."""
    out = []
    out.append(("clause added", name + rng.choice(CLAUSES)))
    clauses = name.split("，")
    if len(clauses) > 1 and len("，".join(clauses[:-1])) >= len(name) / 2:
        out.append(("clause dropped", "，".join(clauses[:-1])))
    synonym = next(((a, b) for a, b in rng.sample(SYNONYMS, len(SYNONYMS)) if a in name), None)
    if synonym:
        out.append(("synonym", name.replace(synonym[0], synonym[1], 1)))
    if "本乡" in name:
        out.append(("本乡/本镇", name.replace("本乡", "本镇")))
        out.append(("own name", name.replace("本乡", "奎苏镇")))
    full, short = rng.choice(DEPARTMENTS)
    out.append(("department", (f"{name}（伊吾县{full}牵头）", f"{name}（巴里坤县{short}牵头）")))
    return out


def frame_swaps(names: list[str]) -> list[tuple[str, str]]:
    """Pairs 对X的处罚 / 对Y的处罚: the same frame, another matter (X, Y from two items)."""
    framed = [n for n in names if n.startswith("对") and n.endswith("的处罚") and len(n) <= 40]
    out = []
    for a, b in zip(framed, framed[1:], strict=False):
        x = a[1 : -len("的处罚")]
        y = b[1 : -len("的处罚")]
        half = len(y) // 2
        out.append((a, "对" + x[: len(x) // 2] + y[half:] + "的处罚"))
    return out


def nearest_pairs(names: list[str]) -> list[tuple[str, str]]:
    """Every template item with its most alike other item of the same list (by bigram Jaccard,
    a measure the matcher does not use)."""

    def grams(t: str) -> set[str]:
        return {t[i : i + 2] for i in range(len(t) - 1)}

    g = {n: grams(n) for n in names}
    out = set()
    for a in names:
        best = max(
            (b for b in names if b != a),
            key=lambda b: (len(g[a] & g[b]) / max(1, len(g[a] | g[b])), b),
        )
        out.add(tuple(sorted((a, best))))
    return sorted(out)


def labelled_pairs(seed: int = 15) -> list[Pair]:
    """All labelled pairs: generated from the template plus the hand-made ones."""
    rng = random.Random(seed)
    here = Side("", "伊吾县", "吐葫芦乡")
    pairs: list[Pair] = []
    for kind, names in template().items():
        for name in names:
            for how, new in rewordings(name, rng):
                if isinstance(new, tuple):
                    pairs.append(
                        Pair(
                            kind,
                            Side(new[0], "伊吾县", "盐池镇"),
                            Side(new[1], "巴里坤哈萨克自治县", "奎苏镇"),
                            True,
                            how,
                        )
                    )
                else:
                    pairs.append(
                        Pair(
                            kind,
                            Side(name, here.county, here.township),
                            Side(new, "巴里坤哈萨克自治县", "奎苏镇"),
                            True,
                            how,
                        )
                    )
        for a, b in nearest_pairs(names):
            pairs.append(
                Pair(
                    kind,
                    Side(a, "伊吾县", "吐葫芦乡"),
                    Side(b, "伊州区", "二堡镇"),
                    False,
                    "nearest other item",
                )
            )
        for a, b in frame_swaps(names):
            pairs.append(
                Pair(kind, Side(a, "伊吾县", "吐葫芦乡"), Side(b, "伊州区", "二堡镇"), False, "frame swap")
            )
    with HAND_MADE.open("rb") as f:
        hand = tomllib.load(f)
    for label, same in (("rewording", True), ("near_miss", False)):
        for p in hand[label]:
            pairs.append(
                Pair(
                    p["list"],
                    Side(p["a"], "伊吾县", "吐葫芦乡"),
                    Side(p["b"], "伊州区", "二堡镇"),
                    same,
                    "hand-made " + label,
                )
            )
    return pairs
