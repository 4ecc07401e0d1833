"""Generate pipeline/rules/lookalikes.toml: look-alike code points → the standard characters.

Run once (and again only when the override lists below change):
    .venv/bin/python scripts/make_lookalikes.py > pipeline/rules/lookalikes.toml

Why not NFKC at run time: CJK Radicals Supplement forms (⻔ ⻚ ⺠ …) have no decomposition, and
a few Kangxi radicals decompose to a traditional or variant form where the simplified text
layer meant the common character (⼾ → 戶, but 户 is meant). So the table is built here, on
purpose, from three sources, and reviewed:
- Kangxi Radicals (U+2F00–U+2FD5): their compatibility decomposition, except KANGXI_OVERRIDES;
- CJK Radicals Supplement (U+2E80–U+2EF3): SUPPLEMENT, written by hand from the Unicode names
  (C-SIMPLIFIED X → the simplified character; a component form → the standalone component
  character). Forms that stand for no character of their own are left out (SUPPLEMENT_LEFT_OUT);
- CJK Compatibility Ideographs (U+F900–U+FAFF, U+2F800–U+2FA1F): their canonical decomposition
  (the twelve unified ideographs inside U+FA0E–U+FA29 decompose to themselves and are skipped).
"""

from __future__ import annotations

import unicodedata

# Kangxi radicals whose decomposition is a variant a simplified-Chinese text never uses; the
# Simplified Chinese fonts draw the radical with the glyph of the character given here.
KANGXI_OVERRIDES = {
    "⼾": "户",  # U+2F3E DOOR: NFKC gives 戶 (U+6236), simplified text means 户 (U+6237)
    "⾭": "青",  # U+2FAD BLUE: NFKC gives 靑 (U+9751), simplified text means 青 (U+9752)
}

# CJK Radicals Supplement: the standard character each form is drawn like.
SUPPLEMENT = {
    "⺁": "厂",  # CLIFF
    "⺅": "亻",  # PERSON (component)
    "⺉": "刂",  # KNIFE TWO (component)
    "⺊": "卜",  # DIVINATION
    "⺒": "巳",  # SNAKE
    "⺓": "幺",  # THREAD
    "⺔": "彐",  # SNOUT ONE
    "⺖": "忄",  # HEART ONE (component)
    "⺘": "扌",  # HAND (component)
    "⺙": "攵",  # RAP (component)
    "⺛": "旡",  # CHOKE
    "⺜": "日",  # SUN
    "⺝": "月",  # MOON
    "⺟": "母",  # MOTHER (also its decomposition)
    "⺠": "民",  # CIVILIAN
    "⺡": "氵",  # WATER ONE (component)
    "⺢": "氺",  # WATER TWO (component)
    "⺣": "灬",  # FIRE (component)
    "⺤": "爫",  # PAW ONE (component)
    "⺥": "爫",  # PAW TWO (component)
    "⺦": "丬",  # SIMPLIFIED HALF TREE TRUNK (component)
    "⺧": "牜",  # COW (component)
    "⺨": "犭",  # DOG (component)
    "⺩": "王",  # JADE
    "⺫": "罒",  # EYE (component)
    "⺬": "示",  # SPIRIT ONE
    "⺭": "礻",  # SPIRIT TWO (component)
    "⺯": "糸",  # SILK
    "⺰": "纟",  # C-SIMPLIFIED SILK (component)
    "⺱": "罒",  # NET ONE (component)
    "⺹": "耂",  # OLD (component)
    "⺺": "肀",  # BRUSH ONE
    "⺻": "聿",  # BRUSH TWO
    "⺼": "月",  # MEAT
    "⺽": "臼",  # MORTAR
    "⺾": "艹",  # GRASS ONE (component)
    "⺿": "艹",  # GRASS TWO (component)
    "⻀": "艹",  # GRASS THREE (component)
    "⻁": "虍",  # TIGER
    "⻂": "衤",  # CLOTHES (component)
    "⻃": "覀",  # WEST ONE (component)
    "⻄": "西",  # WEST TWO
    "⻅": "见",  # C-SIMPLIFIED SEE
    "⻆": "角",  # SIMPLIFIED HORN
    "⻇": "角",  # HORN
    "⻈": "讠",  # C-SIMPLIFIED SPEECH (component)
    "⻉": "贝",  # C-SIMPLIFIED SHELL
    "⻋": "车",  # C-SIMPLIFIED CART
    "⻌": "辶",  # SIMPLIFIED WALK (component)
    "⻍": "辶",  # WALK ONE (component)
    "⻎": "辶",  # WALK TWO (component)
    "⻏": "阝",  # CITY (component)
    "⻐": "钅",  # C-SIMPLIFIED GOLD (component)
    "⻑": "長",  # LONG ONE
    "⻒": "镸",  # LONG TWO
    "⻓": "长",  # C-SIMPLIFIED LONG
    "⻔": "门",  # C-SIMPLIFIED GATE
    "⻖": "阝",  # MOUND TWO (component)
    "⻘": "青",  # BLUE
    "⻙": "韦",  # C-SIMPLIFIED TANNED LEATHER
    "⻚": "页",  # C-SIMPLIFIED LEAF
    "⻛": "风",  # C-SIMPLIFIED WIND
    "⻜": "飞",  # C-SIMPLIFIED FLY
    "⻝": "食",  # EAT ONE
    "⻞": "飠",  # EAT TWO (component)
    "⻟": "飠",  # EAT THREE (component)
    "⻠": "饣",  # C-SIMPLIFIED EAT (component)
    "⻡": "首",  # HEAD
    "⻢": "马",  # C-SIMPLIFIED HORSE
    "⻣": "骨",  # BONE
    "⻤": "鬼",  # GHOST
    "⻥": "鱼",  # C-SIMPLIFIED FISH
    "⻦": "鸟",  # C-SIMPLIFIED BIRD
    "⻧": "卤",  # C-SIMPLIFIED SALT
    "⻨": "麦",  # SIMPLIFIED WHEAT
    "⻩": "黄",  # SIMPLIFIED YELLOW
    "⻪": "黾",  # C-SIMPLIFIED FROG
    "⻫": "斉",  # J-SIMPLIFIED EVEN
    "⻬": "齐",  # C-SIMPLIFIED EVEN
    "⻭": "歯",  # J-SIMPLIFIED TOOTH
    "⻮": "齿",  # C-SIMPLIFIED TOOTH
    "⻯": "竜",  # J-SIMPLIFIED DRAGON
    "⻰": "龙",  # C-SIMPLIFIED DRAGON
    "⻱": "龜",  # TURTLE
    "⻲": "亀",  # J-SIMPLIFIED TURTLE
    "⻳": "龟",  # C-SIMPLIFIED TURTLE (also its decomposition)
}

# Supplement forms left out: parts of characters that stand for no character of their own
# (REPEAT, SECOND ONE/TWO/THREE, BOX, TABLE, KNIFE ONE, SEAL, SMALL ONE/TWO, LAME ONE–FOUR,
# SNOUT TWO, HEART TWO, DEATH, BOLT OF CLOTH, BAMBOO, NET TWO–FOUR, MESH, SHEEP, RAM, EWE,
# FOOT, MOUND ONE, RAIN). A text layer that prints one of them is left as printed.
SUPPLEMENT_LEFT_OUT = "⺀⺂⺃⺄⺆⺇⺈⺋⺌⺍⺎⺏⺐⺑⺕⺗⺞⺪⺮⺲⺳⺴⺵⺶⺷⺸⻊⻕⻗"


def table() -> list[tuple[str, str, str]]:
    """(look-alike, standard, comment) rows, in code point order."""
    rows = []
    for cp in range(0x2F00, 0x2FD6):
        c = chr(cp)
        rows.append((c, KANGXI_OVERRIDES.get(c, unicodedata.normalize("NFKC", c)), unicodedata.name(c)))
    for cp in range(0x2E80, 0x2EF4):
        c = chr(cp)
        if c in SUPPLEMENT:
            rows.append((c, SUPPLEMENT[c], unicodedata.name(c)))
    for lo, hi in ((0xF900, 0xFAFF), (0x2F800, 0x2FA1F)):
        for cp in range(lo, hi + 1):
            c = chr(cp)
            target = unicodedata.normalize("NFC", c)
            if unicodedata.category(c) == "Lo" and target != c:
                rows.append((c, target, unicodedata.name(c)))
    rows.sort(key=lambda r: ord(r[0]))
    return rows


def main() -> None:
    print("# Look-alike code points → the standard characters they are printed for.")
    print("# Generated by scripts/make_lookalikes.py (its docstring says how and why); edit the")
    print("# override lists there, not this file. Every text a PDF yields is folded with this")
    print("# table before anything reads it (pipeline/common/lookalikes.py, which validates it).")
    print(f"# Supplement forms left unfolded (no character of their own): {SUPPLEMENT_LEFT_OUT}")
    print()
    print("[fold]")
    for src, dst, name in table():
        note = "  (override)" if src in KANGXI_OVERRIDES else ""
        print(f'"{src}" = "{dst}"  # U+{ord(src):04X} {name} → U+{ord(dst):04X}{note}')


if __name__ == "__main__":
    main()
