"""Named stop points, for testing what a crash at each moment of a build leaves behind.

A build passes these points in order (see POINTS). With PIPELINE_FAULT=NAME in the environment
the process kills itself with SIGKILL at that point, as a power cut or `kill -9` would: no
cleanup handler runs. PIPELINE_FAULT=NAME:wait:PATH instead creates PATH.reached and waits there
until PATH exists, so a test can change the raw folder at exactly that moment;
PIPELINE_FAULT=NAME:raise raises an error there, as a bug would. Unset (always, in normal use),
a point costs one dictionary lookup.
"""

from __future__ import annotations

import os
from pathlib import Path
import signal
import time

ENV = "PIPELINE_FAULT"

POINTS: tuple[str, ...] = (
    "hashed",  # the raw files are listed and hashed; nothing read yet
    "extracted",  # the extract stage wrote its cache and manifest
    "cleaned",  # the clean stage wrote its cache and manifest
    "staged",  # normalize wrote the new tables into the staging folder
    "exported",  # the workbook, CSVs and datapackage are staged too; no journal yet
    "journaled",  # the publication journal is written; nothing moved yet
    "moving",  # the first published file has been moved into place, the others not
    "published",  # every file is in place; the journal is not yet removed
)


def point(name: str) -> None:
    """Stop here if PIPELINE_FAULT names this point (see the module docstring)."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    if name not in POINTS:
        raise ValueError(f"unknown fault point {name!r}; known: {', '.join(POINTS)}")
    target, _, action = spec.partition(":")
    if target != name:
        return
    if action == "raise":
        raise RuntimeError(f"fault injected at {name}")
    if action.startswith("wait:"):
        release = Path(action[len("wait:") :])
        Path(f"{release}.reached").touch()
        while not release.exists():
            time.sleep(0.02)
        return
    os.kill(os.getpid(), signal.SIGKILL)


def check() -> None:
    """Refuse a PIPELINE_FAULT that names no point (a typo would silently test nothing)."""
    spec = os.environ.get(ENV)
    if spec and spec.partition(":")[0] not in POINTS:
        raise ValueError(f"{ENV}={spec!r} names no fault point; known: {', '.join(POINTS)}")
