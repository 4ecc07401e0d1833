"""Cell text: join wrapped lines, recover paragraphs, drop markers and layout padding.

A cell's printed lines come with their geometry. Wrapped lines fill the cell to its right
text edge; a paragraph's last line usually stops short. A numbered step (1. 1、 （1） （一）)
starts a paragraph and a sub-heading ending in ： ends one, wherever the line stops.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
import re

from pipeline.common.rules import load
from pipeline.common.settings import CleanSettings
from pipeline.common.text import is_heading, starts_step

SPACE_RUN = re.compile(r"[ \t\u3000\u00a0]{2,}")
EDGE_SPACE = re.compile(r"^[ \t\u3000\u00a0]+|[ \t\u3000\u00a0]+$")


@dataclass(slots=True)  # not frozen: a frozen dataclass is built 3.5x slower, and a cold
class Line:  # build makes ~10,000 lines per 100 pages. Treated as immutable: changed by replace().
    """One printed line of a cell: its text, where it ends, the cell's right text edge, size."""

    text: str
    x0: float
    x1: float
    right: float  # right edge of the cell's text area on this page
    size: float
    cell_start: bool = False  # first line of a new cell that is not the continuation of a split row
    # Known paragraph boundary (office files carry real paragraphs): True when the line starts
    # a paragraph, False when it carries one on; None (PDFs) lets the geometry decide.
    para: bool | None = None
    conf: float | None = None  # OCR: lowest character probability of the line; None when born-digital


@cache
def _patterns() -> dict:
    rules = load("text")
    para = rules["paragraph"]
    cont = rules["continuation"]
    return {
        "no_start": set(para["no_line_start"]),
        "no_end": set(para["no_line_end"]),
        "sentence_end": set(para["sentence_end"]),
        "lead_heading": [re.compile(p) for p in para.get("lead_heading", [])],
        "markers": [re.compile(p) for p in cont["continued_on_next"] + cont["continued_from_previous"]],
        # Any marker at all: where none matches, removing them one by one changes nothing.
        "any_marker": re.compile(
            "|".join(f"(?:{p})" for p in cont["continued_on_next"] + cont["continued_from_previous"])
        ),
    }


def strip_padding(text: str) -> str:
    """Remove layout padding: runs of two or more spaces, and spaces at either end."""
    if " " not in text and "\t" not in text and "\u3000" not in text and "\u00a0" not in text:
        return text  # no space of any kind (most cells): nothing to strip
    return EDGE_SPACE.sub("", SPACE_RUN.sub("", text))


def remove_markers(text: str) -> str:
    """Drop continuation markers such as （未完见下页） and （续上页）."""
    patterns = _patterns()
    if patterns["any_marker"].search(text) is None:
        return text
    for p in patterns["markers"]:
        text = p.sub("", text)
    return text


def join_wrapped(left: str, right: str) -> str:
    """Join a wrapped line to the next: no space for CJK, one space between two Latin words."""
    if (
        left
        and right
        and left[-1].isascii()
        and left[-1].isalpha()
        and right[0].isascii()
        and right[0].isalpha()
    ):
        return left + " " + right
    return left + right


def _gap(line: Line) -> float:
    """How far short of the cell's right text edge a line stops, in characters."""
    return (line.right - line.x1) / max(line.size, 1.0)


def _narrow(ch: str) -> bool:
    return ch.isascii()


def _word_char(ch: str) -> bool:
    return (ch.isascii() and ch.isalnum()) or ch in "·.%‰-/"


def lead_unit(text: str) -> str:
    """The start of a line that line breaking keeps together: a character with the closing
    punctuation after it, an opening bracket or quote with its neighbours, a run of Latin
    letters and digits (“3·15”, DMCC)."""
    pats = _patterns()
    end = 1
    while end < len(text):
        a, b = text[end - 1], text[end]
        if (
            b in pats["no_start"]
            or a in pats["no_end"]
            or b in pats["no_end"]
            or (_word_char(a) and _word_char(b))
        ):
            end += 1
        else:
            break
    return text[:end]


def lead_width(lines: list[Line], j: int, settings: CleanSettings) -> float:
    """Width, in characters, of the unbreakable unit that starts lines[j].

    The unit may run on over the following lines of the same cell (a long “3·15”“6·14” can
    itself be broken when no line holds it). Narrow (ASCII) characters count a little over
    half a CJK character, scaled so that lines[j]'s text matches its printed width.
    """

    def weight(text: str) -> float:
        return sum(settings.narrow_width if _narrow(ch) else 1.0 for ch in text)

    stream = lines[j].text
    for k in range(j + 1, min(j + 1 + settings.lead_unit_lines, len(lines))):
        if lines[k].cell_start:
            break
        stream += lines[k].text
    unit = lead_unit(stream)
    line = lines[j]
    total = weight(line.text)
    if total <= 0 or line.x1 <= line.x0:
        return weight(unit)
    return weight(unit) * (line.x1 - line.x0) / total / max(line.size, 1.0)


def wraps(lines: list[Line], i: int, settings: CleanSettings) -> bool:
    """Geometry alone: lines[i] was cut by wrapping rather than ending its paragraph.

    It was if it filled the cell, or if the next line's leading unit would not have fit in
    the space it left. A line that ends a sentence (。；) and stops short did not wrap.
    """
    gap = _gap(lines[i])
    if gap < settings.full_line:
        return True
    if lines[i].text[-1:] in _patterns()["sentence_end"]:
        return False
    return gap < lead_width(lines, i + 1, settings) + settings.fit_margin


def _heading_follows(lines: list[Line], start: int, settings: CleanSettings) -> bool:
    """A sub-heading starts at lines[start]: a run of lines ending with a colon (伊吾县水利局：),
    or one short line with no closing punctuation (a department name standing alone)."""
    pats = _patterns()
    for j in range(start, min(start + 8, len(lines))):
        if is_heading(lines[j].text):
            return True
        last = j + 1 == len(lines) or lines[j + 1].cell_start
        if last or not wraps(lines, j, settings):
            return (
                j == start
                and len(lines[j].text) <= settings.max_bare_heading
                and lines[j].text[-1:] not in pats["sentence_end"] | pats["no_start"]
                and _gap(lines[j]) >= settings.full_line
            )
    return False


def ends_paragraph(lines: list[Line], i: int, settings: CleanSettings) -> bool:
    """Whether a paragraph ends between lines[i] and lines[i + 1].

    A line that knows whether it starts a paragraph (office files) says so. Otherwise a
    numbered step starts a paragraph and a sub-heading stands on its own, and else the
    geometry decides (`wraps`).
    """
    line, nxt = lines[i], lines[i + 1]
    if nxt.para is not None:
        return nxt.para or nxt.cell_start
    if nxt.cell_start or starts_step(nxt.text) or is_heading(line.text):
        return True
    if line.text[-1:] in _patterns()["sentence_end"] and (
        _heading_follows(lines, i + 1, settings)
        or any(p.match(nxt.text) for p in _patterns()["lead_heading"])
    ):
        return True
    return not wraps(lines, i, settings)


def paragraphs(lines: list[Line], settings: CleanSettings) -> list[str]:
    """Paragraph texts of a cell's lines (markers and padding removed, empty lines dropped)."""
    kept = []
    for line in lines:
        text = strip_padding(remove_markers(line.text))
        if text:
            kept.append(line if text == line.text else replace(line, text=text))
    out: list[str] = []
    for i, line in enumerate(kept):
        if i == 0 or ends_paragraph(kept, i - 1, settings):
            out.append(line.text)
        else:
            out[-1] = join_wrapped(out[-1], line.text)
    return out


def single_value(lines: list[Line]) -> str:
    """A one-value cell (category, name): all lines joined as wrapped text."""
    text = ""
    for line in lines:
        part = strip_padding(remove_markers(line.text))
        if part:
            text = join_wrapped(text, part) if text else part
    return text
