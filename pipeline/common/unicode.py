"""Whole Unicode characters: surrogate pairs combined, lone surrogates replaced.

A reader that works in UTF-16 (PDFium's text API) gives a character outside the Basic
Multilingual Plane (CJK Extensions B–G from U+20000, mathematical letters, old scripts) as two
code units, a high and a low surrogate. Python keeps such halves as two characters, which no
encoder accepts (`UnicodeEncodeError: surrogates not allowed` when a table or a JSON file is
written). `whole` combines each high surrogate followed by a low one into the one character they
encode; a surrogate without its partner (a damaged ToUnicode map) becomes U+FFFD, the
replacement character, so no lone surrogate ever reaches a table.
"""

from __future__ import annotations

import re

SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
_PAIR_OR_LONE = re.compile("[\ud800-\udbff][\udc00-\udfff]|[\ud800-\udfff]")


def _combine(m: re.Match) -> str:
    s = m.group()
    if len(s) == 2:
        return chr(0x10000 + ((ord(s[0]) - 0xD800) << 10) + (ord(s[1]) - 0xDC00))
    return REPLACEMENT


def whole(text: str) -> str:
    """TEXT with surrogate pairs combined and lone surrogates replaced by U+FFFD."""
    if SURROGATE.search(text) is None:
        return text
    return _PAIR_OR_LONE.sub(_combine, text)


def has_surrogates(text: str) -> bool:
    return SURROGATE.search(text) is not None


def is_high(ch: str) -> bool:
    return "\ud800" <= ch <= "\udbff"


def is_low(ch: str) -> bool:
    return "\udc00" <= ch <= "\udfff"
