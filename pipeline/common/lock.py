"""An exclusive lock on the processed folder, held for a whole build.

Two builds started at once on the same folders take turns instead of interleaving stages, so
neither can read the other's half-finished work. The build (pipeline.orchestrate) takes it first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import fcntl
from pathlib import Path
import sys

LOCK_FILE = ".build.lock"


@contextmanager
def hold(processed: Path) -> Iterator[None]:
    """Hold the processed folder's lock (waiting, with one line, while another build has it)."""
    processed.mkdir(parents=True, exist_ok=True)
    with open(processed / LOCK_FILE, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build of {processed} to finish ...", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
