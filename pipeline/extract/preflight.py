"""A PDF's first look, before any page is read: its compressed streams measured, its pages counted.

A decompression bomb (a small file whose stream inflates to gigabytes) is recognised here by
inflating every stream once without keeping the output, so it is rejected in a fraction of a
second with a line saying so, before a reader tries to hold the stream in memory. The page
count (which opens the document) runs in a budgeted child like every read (see budget.py).
"""

from __future__ import annotations

from pathlib import Path
import re
import zlib

from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile

_STREAM = re.compile(rb"stream\r?\n")
_CHUNK = 1 << 20
TOTAL_FACTOR = 4  # all streams together may inflate to this many times max_stream_mb


def check_streams(path: Path, max_mb: int) -> None:
    """Reject a file with a compressed stream inflating to more than `max_mb` MB (or all of
    them together to more than TOTAL_FACTOR times that). Streams that are not zlib data (images,
    other filters, damaged ones) are left to the reader."""
    data = path.read_bytes()
    cap = max_mb << 20
    total = 0
    pos = 0
    while True:
        m = _STREAM.search(data, pos)
        if m is None:
            return
        end = data.find(b"endstream", m.end())
        end = len(data) if end < 0 else end
        size = _inflated_size(memoryview(data)[m.end() : end], cap + 1)
        if size > cap:
            raise RejectedFile(
                f"decompression bomb: a compressed stream in it inflates to more than {max_mb} MB "
                "(ExtractSettings.max_stream_mb; a duty list's largest streams are a few MB)",
                detail=f"stream at byte {m.end()}: {end - m.end()} bytes inflate to over {cap} bytes",
            )
        total += size
        if total > TOTAL_FACTOR * cap:
            raise RejectedFile(
                f"decompression bomb: its compressed streams inflate to more than {TOTAL_FACTOR * max_mb} MB "
                "in all (ExtractSettings.max_stream_mb)",
                detail=f"over {total} bytes inflated by byte {end}",
            )
        pos = max(end + len(b"endstream"), m.end())


def _inflated_size(raw: memoryview, limit: int) -> int:
    """Bytes `raw` inflates to (zlib), counted up to `limit`; 0 when it is no zlib data."""
    d = zlib.decompressobj()
    size = 0
    buf: bytes | memoryview = raw
    try:
        while buf and size < limit:
            out = d.decompress(buf, _CHUNK)
            size += len(out)
            if d.eof or (not out and len(d.unconsumed_tail) == len(buf)):
                break
            buf = d.unconsumed_tail
    except zlib.error:
        pass
    return size


def open_pdf(path_text: str, settings: ExtractSettings, jobs: int) -> list:
    """The page tasks of a PDF (pipeline.extract.pdf.open_for_tasks), after its streams are
    measured; raises RejectedFile. Module level, to run in a budgeted child."""
    from pipeline.extract.pdf import open_for_tasks

    path = Path(path_text)
    check_streams(path, settings.max_stream_mb)
    return open_for_tasks(path, settings, jobs)
