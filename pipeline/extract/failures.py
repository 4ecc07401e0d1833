"""Why a reader failed, as a sentence a person can use: the catalogue in pipeline/rules/pdf_errors.toml.

The exception is written "Type: message" (its first line, the exception a reader wrapped when it
wrapped one) and matched against the catalogue's rules in order; the first match gives the
reason shown to the user, the text itself is kept as the technical detail
(source_files.reason_detail).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
import re

from pipeline.common.failures import content_failure, technical
from pipeline.common.rules import load

__all__ = ["Failure", "content_failure", "describe", "failure_result", "technical"]


@dataclass(frozen=True)
class Failure:
    reason: str  # the sentence for the user
    detail: str  # "Type: message", for those who want to look further
    memory: bool = False  # the reader ran out of memory (reported as over the memory budget)


@cache
def _rules() -> tuple[list[tuple[re.Pattern, str, bool]], str]:
    data = load("pdf_errors")
    rules = [(re.compile(r["match"]), r["reason"], r.get("memory", False)) for r in data["rules"]]
    return rules, data["fallback"]


def describe(exc: BaseException) -> Failure:
    """The catalogue's sentence for a reader's exception."""
    detail = technical(exc)
    rules, fallback = _rules()
    for pattern, reason, memory in rules:
        m = pattern.search(detail)
        if m:
            return Failure(m.expand(reason), detail, memory)
    return Failure(fallback, detail)


def failure_result(exc: BaseException) -> dict:
    """A read task's result for a file it could not read (see pipeline.extract.budget)."""
    f = describe(exc)
    result = {"error": f.reason, "error_detail": f.detail}
    if f.memory:
        result["error_kind"] = "memory"
    return result
