"""Text patterns that more than one stage reads: numbered steps and sub-headings.

clean uses them to find where paragraphs start; normalize uses them to number duty steps and
find the headings steps fall under. The patterns live in pipeline/rules/text.toml [paragraph].
"""

from __future__ import annotations

from functools import cache
import re

from pipeline.common.rules import load


@cache
def step_patterns() -> list[re.Pattern]:
    """Numbered-step patterns (1. 1、 （1） （一） 一、 ①); group 1, where present, is the number."""
    return [re.compile(p) for p in load("text")["paragraph"]["numbered_step"]]


@cache
def heading_patterns() -> list[re.Pattern]:
    return [re.compile(p) for p in load("text")["paragraph"]["heading_end"]]


def starts_step(text: str) -> bool:
    """A numbered step: 1. 1、 （1） （一） 一、 ①."""
    return any(p.match(text) for p in step_patterns())


def is_heading(text: str) -> bool:
    """A sub-heading line, ending in a colon."""
    return any(p.search(text) for p in heading_patterns())


@cache
def _list_separator() -> re.Pattern:
    return re.compile("|".join(re.escape(s) for s in load("text")["department_list"]["separators"]))


def split_department_list(text: str) -> list[str]:
    """The names in a cell or heading that lists departments (县民政局、县财政局), as printed
    between the separators of pipeline/rules/text.toml [department_list], blanks dropped."""
    return [part.strip() for part in _list_separator().split(text) if part.strip()]
