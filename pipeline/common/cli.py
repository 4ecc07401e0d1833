"""Command lines of the project: usage under the name a person types, help and default of every option."""

from __future__ import annotations

import argparse

RAW_HELP = "folder of raw files (PDF, Word, Excel, images; subfolders too)"
PROCESSED_HELP = "folder of the tables (Parquet, CSV, workbook) and the build's caches"
JOBS_HELP = "at most this many processes read files (default: all cores; also $JOBS)"
SCHEDULER_HELP = (
    "read files on this dask.distributed scheduler, e.g. tcp://host:8786 (also $DASK_SCHEDULER; "
    "default: processes on this machine)"
)
ENGINE_HELP = "PDF reader: pdfium (fast) or pdfplumber (the reference); also $ENGINE"


class _Defaults(argparse.HelpFormatter):
    """Help with each option's default, unless its help already says it or there is none."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "default" in text or default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


class _OneLine(argparse.ArgumentParser):
    """Refuses a bad argument in one line (`python -m pipeline.orchestrate: JOBS must be …`), without
    the usage block argparse prints before it."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message}\n")


def parser(module: str, doc: str | None) -> argparse.ArgumentParser:
    """An argument parser for `python -m MODULE` (its usage line says so, not __main__.py),
    described by the first line of DOC, showing each option's default after its help, refusing
    a bad argument in one line."""
    return _OneLine(
        prog=f"python -m {module}",
        description=(doc or "").splitlines()[0] if doc else None,
        formatter_class=_Defaults,
    )
