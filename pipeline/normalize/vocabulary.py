"""The fixed reference the duty matcher weighs n-grams by (pipeline/rules/duty_vocabulary.toml).

A bigram's weight (IDF) says how rare it is among duty wordings: 负责 or 处罚 are everywhere and
weigh little, 收养 is rare and weighs much. Taken from the wordings of each build, the weights (and
so a pair's decision and a duty_id) would move whenever another township is added; taken from this
shipped file they do not. The file holds, for every bigram and every character of the compared
wordings (normalise) of a corpus of lists, how many distinct wordings hold it.

Made from the expected results (*.expected.json: every item name of a list, with its place) of
the project's corpora:

    python -m pipeline.normalize.vocabulary --out pipeline/rules/duty_vocabulary.toml DIR...

Run it again after an edit of duties.toml (equivalents, filler), so the words the rules make are
in it; tests/test_duty_review.py checks that the shipped file is current for tests/fixtures/corpus.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

from pipeline.normalize.duties import normalise
from pipeline.normalize.similarity import ngrams


def wordings(folders: list[Path]) -> set[str]:
    """Distinct compared wordings of every list item in the expected results under FOLDERS."""
    out: set[str] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*.expected.json")):
            d = json.loads(path.read_text(encoding="utf-8"))
            for items in d.get("lists", {}).values():
                for i in items:
                    text = normalise(i.get("name") or "", d.get("city"), d.get("county"), d.get("township"))
                    if text:
                        out.add(text)
    return out


def vocabulary(folders: list[Path], n: int = 2) -> str:
    """The vocabulary file's text (TOML, bigrams sorted, so the same corpus gives the same bytes)."""
    texts = wordings(folders)
    df: dict[str, int] = {}
    for t in texts:
        for g in ngrams(t, n) | set(t):  # bigrams, and single characters (char_containment)
            df[g] = df.get(g, 0) + 1
    lines = [
        "# Fixed n-gram weights of the duty matcher: made by pipeline/normalize/vocabulary.py from the",
        "# expected results of the project's corpora; do not edit by hand (see that module).",
        f"wordings = {len(texts)}",
        "",
        "[df]",
    ]
    lines += [f"{json.dumps(g, ensure_ascii=False)} = {c}" for g, c in sorted(df.items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("folders", type=Path, nargs="+")
    args = ap.parse_args(argv)
    missing = [f for f in args.folders if not f.is_dir()]
    if missing:
        print(f"vocabulary: {missing[0]} is not a folder", file=sys.stderr)
        return 2
    args.out.write_text(vocabulary(args.folders), encoding="utf-8")
    print(f"vocabulary: {args.out} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
