"""Characters that must not reach a table or a terminal.

- `scrub`: the clean stage removes, before reading a file's text, every character XML 1.0 does not
  allow and every control character: C0 controls but tab and newline (an ESC starting a terminal
  sequence, a carriage return, a NUL), DEL and the C1 controls (U+007F–U+009F), U+FFFE and U+FFFF,
  lone surrogates. None is ever printed on a list; one in a table breaks the workbook (Excel must
  repair it; openpyxl cannot load it) or, printed, retitles or clears the analyst's terminal. The
  number removed is counted in the file's notes.
- `printable`: a line printed for the user (a problem, a rejected or skipped file) shows any
  control character that still reaches it as \\xNN or \\uNNNN, as file names are (one file, one
  problem: one line, and no terminal sequence runs).
"""

from __future__ import annotations

import re

_ILLEGAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def scrub(text: str) -> tuple[str, int]:
    """TEXT without the characters listed in the module doc, and how many were removed."""
    if _ILLEGAL.search(text) is None:  # the usual case: one scan, no copy
        return text, 0
    return _ILLEGAL.subn("", text)


def scrub_records(records: list) -> int:
    """Scrub every text line of page records in place (cells and free text); the number removed."""
    from pipeline.common.records import rewrite_text  # here: printing lines (a no-op build) needs none

    return rewrite_text(records, scrub)


def scrub_note(n: int) -> str:
    """The note a file gets for N removed characters."""
    return (
        f"{n} control or non-XML character(s) (such as ESC, NUL, U+FFFF) removed from the text: "
        "no list prints them, and a table or a terminal cannot hold them"
    )


_PRINT_ESCAPE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ufffe\uffff\ud800-\udfff]")


def printable(text: str) -> str:
    """TEXT as one harmless line: control characters (newline included), line and paragraph
    separators, U+FFFE/U+FFFF and lone surrogates as \\xNN or \\uNNNN."""
    return _PRINT_ESCAPE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    c = match.group()
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
