"""Links from an item back to the page of the source it was read from, for reports.

A PDF viewer opens a file at a page given as the fragment #page=N (PDF Open Parameters, honoured
by browsers' built-in viewers, Acrobat, Evince, …). Items carry source_file (relative to the raw
folder) and first_page, so a report can link each item to where it is printed.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import quote


def page_link(source_file: str, page: int | None, raw: str | Path | None = None) -> str:
    """A URL that opens `source_file` at `page`: relative (as source_file is) when `raw` is None,
    else an absolute file:// URL under the raw folder. Non-PDF sources (Word, Excel) get no page
    fragment: their viewers do not take one."""
    if raw is None:
        url = quote(PurePosixPath(source_file).as_posix())
    else:
        url = (Path(raw).resolve() / source_file).as_uri()
    if page and source_file.lower().endswith(".pdf"):
        url += f"#page={int(page)}"
    return url


def item_link(item: dict, raw: str | Path | None = None) -> str:
    """page_link for an item row (a dict or a pandas row with source_file and first_page)."""
    return page_link(item["source_file"], item.get("first_page"), raw)
