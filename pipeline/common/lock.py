"""An exclusive lock on the processed folder, held for a whole build.

Two builds started at once on the same folders take turns instead of interleaving stages, so
neither can read the other's half-finished work. The build (pipeline.build) takes it itself;
the command form runs any other command under it.

Usage: python -m pipeline.common.lock PROCESSED_DIR COMMAND [ARGS...]
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import fcntl
from pathlib import Path
import subprocess
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with hold(Path(args[0])):
        try:
            return subprocess.call(args[1:])
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main())
