"""Duty matching: precision and recall on labelled pairs, and time against the number of townships.

    PYTHONPATH=. .venv/bin/python benchmarks/duty_matching.py [--sizes 24 240 2400]

- quality by meaning: the analyst's pairs (tests/fixtures/duty_pairs/) and the shared dev pairs,
  scored by pipeline.normalize.score_pairs, per kind and list;
- quality: the labelled pairs of tests/duty_pairs.py (rewordings that must match, near-misses
  that must not), decided pair by pair with the matcher's thresholds; and the scale corpus's
  items (24 townships from one template), clustered: every template item must get one duty_id
  and no duty_id two template items.
- time: DutyMatcher.add + match over N townships (wall clock and CPU time of this process: on a
  shared machine the CPU time is the steadier figure). The scale corpus's items are replicated into
  N townships in N/8 counties; each county rewords a tenth of its items (a clause added), the way
  counties adapt a template, so distinct wordings grow with counties, not with townships.
Prints the figures and writes benchmarks/results/duty_matching.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import random
import sys
import time

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from duty_pairs import labelled_pairs  # noqa: E402

from pipeline.normalize import score_pairs  # noqa: E402
from pipeline.normalize.duties import DutyMatcher, _unify, decide, normalise  # noqa: E402
from pipeline.normalize.stage import township_id  # noqa: E402


def pair_quality() -> dict:
    pairs = labelled_pairs()
    by_how: dict[str, list[int]] = {}
    tp = fp = fn = tn = 0

    def norm(side):
        return normalise(side.name, None, side.county, side.township)

    for p in pairs:
        same = decide(norm(p.a), norm(p.b)).same  # as the build decides: fixed weights, the guard
        right = same == p.same
        by_how.setdefault(p.how, [0, 0])[0] += right
        by_how[p.how][1] += 1
        tp += p.same and same
        fn += p.same and not same
        fp += (not p.same) and same
        tn += (not p.same) and not same
    return {
        "pairs": tp + fp + fn + tn,
        "must_match": tp + fn,
        "must_not_match": fp + tn,
        "true_positives": tp,
        "false_negatives": fn,
        "false_positives": fp,
        "precision": tp / (tp + fp),
        "recall": tp / (tp + fn),
        "right_by_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_how.items())},
    }


def scale_items() -> list[tuple[str, dict]]:
    out = []
    for path in sorted((ROOT / "tests" / "fixtures" / "corpus" / "scale").glob("*.expected.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        ident = {"city": d["city"], "county": d["county"], "township": d["township"]}
        ident["township_id"] = township_id(d["city"], d["county"], d["township"])
        for kind, items in d["lists"].items():
            out += [(kind, ident | {"name": i["name"], "category": i["category"]}) for i in items]
    return out


PAIR_FILES = {
    "analyst_pairs": ROOT / "tests" / "fixtures" / "duty_pairs" / "analyst_pairs.jsonl",
    "dev_pairs": ROOT.parent.parent / "shared" / "corpus" / "duty_pairs" / "dev_pairs.jsonl",
}


def labelled_quality() -> dict:
    """Precision and recall per kind and list on the pairs labelled by meaning (issue 27), decided
    pair by pair as the build decides (pipeline.normalize.score_pairs)."""
    out = {}
    for name, path in PAIR_FILES.items():
        if path.is_file():
            out[name] = score_pairs.report(score_pairs.judge(score_pairs.read_pairs(path)))
            print(f"{name} ({path})\n" + "\n".join(score_pairs.lines(out[name])), flush=True)
    return out


def scale_quality() -> dict:
    items = scale_items()
    start, cpu = time.perf_counter(), time.process_time()
    m = DutyMatcher()
    for kind, item in items:
        m.add(kind, item)
    m.match()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    duties_of: dict[tuple, set] = {}
    templates_of: dict[str, set] = {}
    for kind, item in items:
        key = (kind, item["name"].replace("本镇", "本乡"))
        d = m.duty_of(kind, item)
        duties_of.setdefault(key, set()).add(d)
        templates_of.setdefault(d, set()).add(key)
    return {
        "items": len(items),
        "template_items": len(duties_of),
        "duties": len(templates_of),
        "template_items_split": sum(len(v) > 1 for v in duties_of.values()),
        "duties_merging_template_items": sum(len(v) > 1 for v in templates_of.values()),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
    }


def synthetic(n_townships: int, seed: int = 15) -> list[tuple[str, dict]]:
    """The scale corpus's townships replicated into n townships of n/8 counties (see module doc)."""
    base = scale_items()
    by_town: dict[str, list[tuple[str, dict]]] = {}
    for kind, item in base:
        by_town.setdefault(item["township_id"], []).append((kind, item))
    towns = sorted(by_town)
    rng = random.Random(seed)
    out = []
    for t in range(n_townships):
        county_no = t // 8
        county = f"县{county_no:04d}县"
        county_rng = random.Random(county_no)
        reword = {name for name in {i["name"] for _, i in base} if county_rng.random() < 0.1}
        township = f"乡{t:05d}镇"
        tid = township_id("哈密市", county, township)
        for kind, item in by_town[towns[rng.randrange(len(towns))]]:
            name = item["name"] + ("，并做好相关记录" if item["name"] in reword else "")
            out.append(
                (kind, item | {"county": county, "township": township, "township_id": tid, "name": name})
            )
    return out


def timing(sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        items = synthetic(n)
        _unify.cache_clear()
        start, cpu0 = time.perf_counter(), time.process_time()
        m = DutyMatcher()
        for kind, item in items:
            m.add(kind, item)
        added, cpu1 = time.perf_counter(), time.process_time()
        m.match()
        done, cpu2 = time.perf_counter(), time.process_time()
        wordings = sum(len(e) for e in m.entries.values())
        rows.append(
            {
                "townships": n,
                "items": len(items),
                "distinct_wordings": wordings,
                "duties": len(m.rows()),
                "add_seconds": round(added - start, 2),
                "match_seconds": round(done - added, 2),
                "add_cpu_seconds": round(cpu1 - cpu0, 2),
                "match_cpu_seconds": round(cpu2 - cpu1, 2),
            }
        )
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[24, 240, 2400])
    args = ap.parse_args(argv)
    result = {
        "labelled_by_meaning": labelled_quality(),
        "labelled_pairs": pair_quality(),
        "scale_corpus": scale_quality(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2), flush=True)
    result["timing"] = timing(args.sizes)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "duty_matching.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
