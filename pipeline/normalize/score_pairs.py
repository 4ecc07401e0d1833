"""Score the duty matcher on labelled pairs: precision and recall, overall, per kind and per list.

    python -m pipeline.normalize.score_pairs FILE.jsonl [FILE.jsonl ...] [--wrong] [--json OUT]

Each line of a pairs file is one JSON object: `list` (basic, coordination, reclaimed), `a` and `b`
(each with `name` and optionally `city`, `county`, `township`), `same` (true when both state one
duty) and `kind` (what the pair tests: paraphrase, near_miss_object, …). Each pair is decided
as the build decides it (pipeline.normalize.duties.decide: fixed weights and the guard, the
pair alone). A kind of pairs that must not match has no precision or recall of its own: its
`right` column (the share decided right) and its false positives (fp) say how it fares.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

from pipeline.normalize.duties import decide, normalise


def read_pairs(path: Path) -> list[dict]:
    """The labelled pairs of a file; a line that is not a pair is an error naming it."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            p = json.loads(line)
            p["a"]["name"], p["b"]["name"], bool(p["same"])  # noqa: B018
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path} line {n}: not a labelled pair ({exc})") from None
        out.append(p)
    return out


def _side(s: dict) -> str:
    return normalise(s["name"], s.get("city"), s.get("county"), s.get("township"))


def judge(pairs: list[dict]) -> list[tuple[dict, bool]]:
    """(pair, the matcher's decision) for every pair."""
    return [(p, decide(_side(p["a"]), _side(p["b"])).same) for p in pairs]


def tally(judged: list[tuple[dict, bool]]) -> dict:
    tp = sum(1 for p, d in judged if p["same"] and d)
    fp = sum(1 for p, d in judged if not p["same"] and d)
    fn = sum(1 for p, d in judged if p["same"] and not d)
    tn = sum(1 for p, d in judged if not p["same"] and not d)
    return {
        "pairs": len(judged),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": tp / (tp + fp) if tp + fp and tp + fn else None,  # none for must-not pairs alone
        "recall": tp / (tp + fn) if tp + fn else None,
        "right": (tp + tn) / len(judged) if judged else None,
    }


def report(judged: list[tuple[dict, bool]]) -> dict:
    """Figures overall, by kind and by list."""
    out = {"overall": tally(judged), "kind": {}, "list": {}}
    for key in ("kind", "list"):
        for value in sorted({str(p.get(key)) for p, _ in judged}):
            out[key][value] = tally([(p, d) for p, d in judged if str(p.get(key)) == value])
    return out


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.3f}"


def lines(figures: dict) -> list[str]:
    head = f"{'':28} {'pairs':>5} {'prec.':>6} {'recall':>6} {'right':>6}  tp fp fn tn"
    out = [head]
    rows = [("overall", figures["overall"])]
    rows += [(f"kind {k}", v) for k, v in figures["kind"].items()]
    rows += [(f"list {k}", v) for k, v in figures["list"].items()]
    for label, t in rows:
        out.append(
            f"{label:28} {t['pairs']:>5} {_fmt(t['precision']):>6} {_fmt(t['recall']):>6} "
            f"{_fmt(t['right']):>6}  {t['tp']} {t['fp']} {t['fn']} {t['tn']}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", type=Path, nargs="+")
    ap.add_argument("--wrong", action="store_true", help="also list the pairs decided wrongly")
    ap.add_argument("--json", type=Path, help="write the figures to this JSON file")
    args = ap.parse_args(argv)
    try:
        pairs = [p for f in args.files for p in read_pairs(f)]
    except (OSError, ValueError) as exc:
        print(f"score_pairs: {exc}", file=sys.stderr)
        return 2
    judged = judge(pairs)
    figures = report(judged)
    print("\n".join(lines(figures)))
    if args.wrong:
        for p, d in judged:
            if d != p["same"]:
                print(f"WRONG {p.get('kind')} same={p['same']}: {p['a']['name']} || {p['b']['name']}")
    if args.json:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
