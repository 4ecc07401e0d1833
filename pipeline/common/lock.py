"""Run a command while holding an exclusive lock on the processed folder.

Two builds started at once on the same folders take turns instead of interleaving stages, so
neither can read the other's half-finished work.

Usage: python -m pipeline.common.lock PROCESSED_DIR COMMAND [ARGS...]
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
import subprocess
import sys

LOCK_FILE = ".build.lock"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    processed, command = Path(args[0]), args[1:]
    processed.mkdir(parents=True, exist_ok=True)
    with open(processed / LOCK_FILE, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another build of {processed} to finish ...", file=sys.stderr)
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return subprocess.call(command)
        except KeyboardInterrupt:
            return 130
        finally:
            os.utime(lock.fileno())


if __name__ == "__main__":
    sys.exit(main())
