"""The bilingual catalogue (pipeline/rules/messages.toml): Chinese text for the deliverables people
read (the workbook, the report) and the language of the terminal.

The code says things in English (a problem's message, why a file was rejected); the catalogue turns
such a sentence into Chinese by a regular expression per wording, so the Chinese lives in one rules
file. A sentence without a Chinese entry falls back to its English wording, so a new problem kind or
reason works before anyone translates it (tests/test_messages.py lists the untranslated kinds).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
import os
import re

from pipeline.common.rules import load

LANGUAGE_VARIABLES = ("DUTY_LANG", "LC_ALL", "LC_MESSAGES", "LANG")  # first set one decides


def table_description(table: str, english: str = "") -> str:
    """What TABLE holds, in Chinese (ENGLISH when the catalogue has no entry)."""
    return load("messages")["tables"].get(table, english)


@cache
def _rules(section: str) -> list[tuple[str, re.Pattern, str]]:
    return [(r.get("kind", ""), re.compile(r["match"]), r["zh"]) for r in load("messages")[section]]


def chinese(section: str, english: str, kind: str = "") -> str | None:
    """ENGLISH (a problem's message: SECTION "problems", with its KIND; a file's reason: "reasons")
    in Chinese, or None when the catalogue has no wording for it."""
    for rule_kind, pattern, zh in _rules(section):
        if rule_kind and rule_kind != kind:
            continue
        m = pattern.match(english)
        if m:
            return m.expand(zh)
    return None


def problem_zh(kind: str, message: str) -> str:
    """A problem's message in Chinese (the English one when the catalogue lacks its wording)."""
    return chinese("problems", message, kind) or message


def reason_zh(reason: str) -> str:
    """Why a file was not read, in Chinese (the English reason when the catalogue lacks it)."""
    return chinese("reasons", reason) or reason


def translated_columns(table: str) -> dict[str, str]:
    """Columns of TABLE whose text has a Chinese twin: column → catalogue section."""
    return dict(load("messages")["columns"].get(table, {}))


def to_chinese(section: str, english: str | None, kind: str = "") -> str | None:
    """`problem_zh` or `reason_zh` by SECTION; None stays None."""
    if english is None:
        return None
    return problem_zh(kind, english) if section == "problems" else reason_zh(english)


def terminal_language(env: Mapping[str, str] | None = None) -> str:
    """ "zh" or "en": the language of the lines the build prints. $DUTY_LANG (zh, en) decides, else
    the locale ($LC_ALL, $LC_MESSAGES, $LANG: zh_CN.UTF-8 → zh); English when none is Chinese."""
    env = os.environ if env is None else env
    for name in LANGUAGE_VARIABLES:
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def untranslated_problem_kinds(kinds: list[str]) -> list[str]:
    """The problem KINDS without any Chinese wording in the catalogue."""
    have = {kind for kind, _, _ in _rules("problems")}
    return [k for k in kinds if k not in have]


def listed_untranslated() -> list[str]:
    """The problem kinds the catalogue says have no Chinese wording yet ([untranslated])."""
    return list(load("messages")["untranslated"]["problems"])
