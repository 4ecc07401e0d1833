"""The shared page path places characters as `geometry.char_slot` says (inlined there for speed)."""

from __future__ import annotations

import random

from pipeline.extract.geometry import char_slot
from pipeline.extract.page import _place


def test_placing_agrees_with_char_slot_and_drops_bold_duplicates():
    rng = random.Random(12)
    tables = [
        {"xs": [40.0, 100.0, 200.0], "ys": [10.0, 50.0, 90.0]},
        {"xs": [40.0, 300.0], "ys": [120.0, 200.0]},
    ]
    chars = []
    for row in range(15):  # a lattice with jitter: no two characters overprint each other
        for col in range(24):
            x0, top = 13.0 * col + rng.uniform(0, 1), 15.0 * row + rng.uniform(0, 2)
            w = rng.choice([5.0, 11.0, 12.0])
            text = "字" if (row + col) % 2 else "A"
            chars.append({"text": text, "x0": x0, "x1": x0 + w, "top": top, "bottom": top + 12, "size": 12.0})
    rng.shuffle(chars)
    n_printed = len(chars)
    chars.append(dict(chars[0]))  # printed twice for bold: kept once
    chars.append({**chars[0], "x0": chars[0]["x0"] + 0.4, "x1": chars[0]["x1"] + 0.4})  # and beside
    chars.append({**chars[1], "upright": False})  # not upright: dropped
    chars.append({**chars[2], "text": ""})  # no text: dropped
    members, free, n = _place(chars, tables)
    assert n == n_printed
    expected: dict = {}
    expected_free = []
    for ch in chars[:n_printed]:
        for ti, t in enumerate(tables):
            slot = char_slot(t["xs"], t["ys"], ch)
            if slot is not None:
                expected.setdefault((ti, *slot), []).append(ch)
                break
        else:
            expected_free.append(ch)
    assert members == expected and free == expected_free
    assert free and members  # both kinds occur
