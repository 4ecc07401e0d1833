"""Word's automatic numbering: the labels (1. 2. …, （一）, ①) Word prints before numbered
paragraphs, which are not in the text. Lists often number their 序号 column or a cell's steps
this way.

word/numbering.xml defines abstract numberings (per level: start value, number format, label
pattern such as "%1." or "（%1）") and numbering instances (w:num) that point to one, possibly
restarting a level (w:startOverride). Each instance counts on its own (Word's "restart
numbering" makes a new instance); a deeper level starts again under each new upper number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

_CJK_DIGITS = "〇一二三四五六七八九"
_LEGAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"


def _cjk(n: int, digits: str = _CJK_DIGITS, ten: str = "十", hundred: str = "百") -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 一百零五 (below 1000)."""
    if n <= 0 or n >= 1000:
        return str(n)
    h, rest = divmod(n, 100)
    t, u = divmod(rest, 10)
    out = digits[h] + hundred if h else ""
    if t:
        out += ("" if t == 1 and not h else digits[t]) + ten
    elif h and u:
        out += "零"
    return out + (digits[u] if u else "")


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):  # fmt: skip
        while n >= value:
            out += sym
            n -= value
    return out


def _letters(n: int) -> str:
    """1 → A, 26 → Z, 27 → AA (Word repeats the letter)."""
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


def format_number(n: int, fmt: str) -> str:
    """A counter value in one of Word's number formats (w:numFmt)."""
    if fmt in ("bullet", "none"):
        return ""
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperRoman", "lowerRoman"):
        return _roman(n) if fmt == "upperRoman" else _roman(n).lower()
    if fmt in ("upperLetter", "lowerLetter"):
        return _letters(n) if fmt == "upperLetter" else _letters(n).lower()
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwanCounting", "taiwanCountingThousand",
               "japaneseCounting", "ideographDigital"):  # fmt: skip
        return _cjk(n)
    if fmt == "chineseLegalSimplified":
        return _cjk(n, _LEGAL_DIGITS, "拾", "佰")
    if fmt == "ideographTraditional":
        return _HEAVENLY_STEMS[n - 1] if 0 < n <= 10 else str(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return chr(0x2460 + n - 1) if 0 < n <= 20 else str(n)
    if fmt == "decimalFullWidth":
        return str(n).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    return str(n)


@dataclass
class Numbering:
    """The numbering definitions of a document and the counts reached so far."""

    levels: dict[str, dict[int, tuple[int, str, str]]] = field(default_factory=dict)  # abstract → lvl →
    #                                                                (start, format, label pattern)
    nums: dict[str, tuple[str, dict[int, int]]] = field(default_factory=dict)  # num → (abstract, restarts)
    counts: dict[str, dict[int, int]] = field(default_factory=dict)  # num → lvl → current value

    def fresh(self) -> Numbering:
        """The same definitions with no count yet (page headers count on their own)."""
        return Numbering(self.levels, self.nums)

    def label(self, num_id: str, ilvl: int) -> str:
        """Count one numbered paragraph and return the label Word prints before it."""
        if num_id not in self.nums:
            return ""
        abstract, restarts = self.nums[num_id]
        levels = self.levels.get(abstract, {})
        if ilvl not in levels:
            return ""
        counts = self.counts.setdefault(num_id, {})
        start, fmt, pattern = levels[ilvl]
        counts[ilvl] = counts.get(ilvl, restarts.get(ilvl, start) - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            del counts[deeper]
        if fmt in ("bullet", "none"):
            return ""
        for k in range(9):
            token = f"%{k + 1}"
            if token in pattern:
                level = levels.get(k, (1, "decimal", ""))
                value = counts.get(k, restarts.get(k, level[0]))
                pattern = pattern.replace(token, format_number(value, level[1]))
        return pattern


def read_numbering(root) -> Numbering:
    """Numbering definitions from the root of word/numbering.xml (None: no numbering part)."""
    out = Numbering()
    if root is None:
        return out
    for absn in root.iter(W + "abstractNum"):
        levels: dict[int, tuple[int, str, str]] = {}
        for lvl in absn.findall(W + "lvl"):
            levels[_int(lvl.get(W + "ilvl"), 0)] = (
                _int(_val(lvl, "start"), 1),
                _val(lvl, "numFmt") or "decimal",
                _val(lvl, "lvlText") or "",
            )
        out.levels[absn.get(W + "abstractNumId", "")] = levels
    for num in root.iter(W + "num"):
        abstract = _val(num, "abstractNumId") or ""
        restarts = {}
        for override in num.findall(W + "lvlOverride"):
            start = override.find(W + "startOverride")
            if start is not None:
                restarts[_int(override.get(W + "ilvl"), 0)] = _int(start.get(W + "val"), 1)
        out.nums[num.get(W + "numId", "")] = (abstract, restarts)
    return out


def _val(el, child: str) -> str | None:
    found = el.find(W + child)
    return found.get(W + "val") if found is not None else None


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default
