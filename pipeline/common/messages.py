"""The bilingual catalogue (pipeline/rules/messages.toml): Chinese text for the deliverables people
read (the workbook, the CSVs' Chinese columns, the report) and the language of the terminal.

A text without a Chinese entry falls back to its English wording, so a new problem kind or reason
works before anyone translates it (tests list the untranslated ones)."""

from __future__ import annotations

from pipeline.common.rules import load


def table_description(table: str, english: str = "") -> str:
    """What TABLE holds, in Chinese (ENGLISH when the catalogue has no entry)."""
    return load("messages")["tables"].get(table, english)
