"""A progress bar for long runs that stays quiet when output is not a terminal."""

from __future__ import annotations

import sys


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress(total: int, desc: str, unit: str):
    """A tqdm bar on an interactive stderr with real work to show; otherwise a no-op."""
    if total <= 0 or not sys.stderr.isatty():
        return _Silent()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True)
