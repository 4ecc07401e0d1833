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
    seen = set()
    while len(chars) < 2000:
        x0, top = rng.uniform(0, 320), rng.uniform(0, 220)
        w = rng.choice([5.0, 11.0, 12.0])
        text = "字" if len(chars) % 2 else "A"
        if (text, round(x0), round(top)) not in seen:  # distinct characters (not bold twins)
            seen.add((text, round(x0), round(top)))
            chars.append({"text": text, "x0": x0, "x1": x0 + w, "top": top, "bottom": top + 12})
    chars.append(dict(chars[0]))  # printed twice for bold: kept once
    chars.append({**chars[1], "upright": False})  # not upright: dropped
    chars.append({**chars[2], "text": ""})  # no text: dropped
    members, free, n = _place(chars, tables)
    assert n == 2000
    expected: dict = {}
    expected_free = []
    for ch in chars[:2000]:
        for ti, t in enumerate(tables):
            slot = char_slot(t["xs"], t["ys"], ch)
            if slot is not None:
                expected.setdefault((ti, *slot), []).append(ch)
                break
        else:
            expected_free.append(ch)
    assert members == expected and free == expected_free
    assert len(free) < 2000 and members  # both kinds occur
