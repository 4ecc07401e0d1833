"""Duty paragraphs → steps: which sub-heading each falls under, its number, its department.

A paragraph ending with a colon is a sub-heading (伊吾县农业农村局： or 职级等级晋升：); the
steps below it fall under it. A step may name its department itself (伊吾县民政局：负责…).
Numbering patterns come from pipeline/rules/text.toml, department rules from departments.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
import re

from pipeline.common.rules import load
from pipeline.common.text import is_heading, split_department_list, step_patterns
from pipeline.normalize.departments import Department, resolve, split_printed


@dataclass(frozen=True)
class Step:
    paragraph: int
    is_heading: bool
    heading: str | None
    step_no: str | None
    departments: tuple[
        tuple[str, Department], ...
    ]  # (as printed, department) named by the step or its heading
    source: str | None  # heading | step
    text: str


def step_number(text: str) -> str | None:
    """The step's number as printed, without its separator: 1. → 1, （一） → （一）, 一、 → 一."""
    for p in step_patterns():
        m = p.match(text)
        if m:
            return re.sub(r"\s+", "", m.group(0)).rstrip(".．、")
    return None


def named_departments(text: str, county: str | None, city: str | None) -> tuple[tuple[str, Department], ...]:
    """(as printed, department) for each department a heading or a 'department：' prefix names
    (split on 、), in order, each department once."""
    found: list[tuple[str, Department]] = []
    for entry in split_department_list(text.strip().rstrip("：:")):
        for name in split_printed(entry):
            dept = resolve(name, county, city)
            if dept is not None and all(d != dept for _, d in found):
                found.append((name, dept))
    return tuple(found)


def _prefix(text: str) -> str | None:
    """A 'department：' at the start of a step, or None."""
    longest = load("departments")["steps"]["max_prefix_length"]
    m = re.match(rf"^([^：:，。；;]{{2,{longest}}})[：:](?=.)", text)
    return m.group(1) if m else None


def parse_steps(paragraphs: list[str], county: str | None, city: str | None) -> list[Step]:
    """One Step per paragraph, in order."""
    steps: list[Step] = []
    heading: str | None = None
    heading_depts: tuple[tuple[str, Department], ...] = ()
    for i, text in enumerate(paragraphs, start=1):
        if is_heading(text):
            heading = text
            heading_depts = named_departments(text, county, city)
            steps.append(Step(i, True, None, None, heading_depts, "heading" if heading_depts else None, text))
            continue
        prefix = _prefix(text)
        own = named_departments(prefix, county, city) if prefix else ()
        if own and prefix:
            steps.append(
                Step(i, False, heading or prefix + text[len(prefix)], step_number(text), own, "step", text)
            )
        else:
            source = "heading" if heading_depts else None
            steps.append(Step(i, False, heading, step_number(text), heading_depts, source, text))
    return steps
