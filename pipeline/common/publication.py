"""Publish a build's files as one set: all of them or none, even across a crash.

A build writes everything it publishes (the Parquet tables, the codebook, the exports, the
problems summary) into a staging folder, .build/next/, laid out as the processed folder is.
`commit` then makes them durable (one flush of the file system), writes a journal naming those
files (atomically, synced) and moves each into place. A crash before the journal leaves the
previous set untouched, and the next build drops the staging folder; a crash after it leaves a
journal that the next build (or `recover`) rolls forward, moving the rest. Every table carries
the build id in its metadata (and source_files in a column), so a reader who looks in the
instant between two moves can tell.

A table published as a dataset (a folder TABLE.parquet/ of files by province, see
pipeline.common.storage.PARTITION_COLUMN) moves as one: the previous build's folder (or file)
of that name is first renamed aside into .build/replaced/, then the new folder renamed into
place, so no file of an earlier build is ever read as part of the new table; what was set
aside is deleted once everything is in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import os
from pathlib import Path
import shutil

from pipeline.common import faults
from pipeline.common.storage import (
    build_dir,
    read_json,
    remove_stale_temp_files,
    sync_folder,
    table_parts,
    write_json,
)

STAGING = "next"
JOURNAL = "publish.journal"
REPLACED = "replaced"  # under .build: what a dataset's move set aside, deleted after the moves


def staging_dir(processed: Path) -> Path:
    return build_dir(processed) / STAGING


@contextmanager
def staged(processed: Path) -> Iterator[Path]:
    """A new staging folder to write into, published as one set when the block ends, discarded
    when it fails (a stage run alone, a test: the build itself stages and commits in its steps)."""
    staging = new_staging(processed)
    try:
        yield staging
    except BaseException:
        discard(processed)
        raise
    commit(processed, staging)


def new_staging(processed: Path) -> Path:
    """An empty staging folder (whatever an interrupted build left there is dropped)."""
    folder = staging_dir(processed)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def staged_names(staging: Path) -> list[str]:
    """Files in the staging folder, relative to it, in a stable order."""
    return sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())


def staged_units(staging: Path) -> list[str]:
    """What the staging folder publishes, each moved as one: its files, but a dataset folder
    (TABLE.parquet/) whole."""
    datasets = sorted(p.relative_to(staging).as_posix() for p in staging.glob("*.parquet") if p.is_dir())
    inside = tuple(f"{d}/" for d in datasets)
    return sorted(datasets + [n for n in staged_names(staging) if not n.startswith(inside)])


def commit(processed: Path, staging: Path) -> list[str]:
    """Move every staged file into the processed folder as one set; return their names (a
    dataset's files each)."""
    files = staged_names(staging)
    names = staged_units(staging)
    sync_folder(staging)  # every staged file on disk before the journal names it
    journal = build_dir(processed) / JOURNAL
    write_json(journal, {"files": names})
    faults.point("journaled")
    first = processed / names[0]
    before = first.stat().st_ino if first.exists() else None
    try:
        _roll_forward(processed, staging, names)
    except OSError:
        moved = first.exists() and first.stat().st_ino != before
        if not moved:  # nothing is in place yet: the previous set stands, the journal is void
            journal.unlink(missing_ok=True)
        raise
    return files


def recover(processed: Path) -> bool:
    """Finish a publication a crash interrupted (True), or drop a staging folder that no
    journal committed; remove temporary files a killed run left behind."""
    journal = build_dir(processed) / JOURNAL
    finished = False
    if journal.is_file():
        names = read_json(journal)["files"]
        _roll_forward(processed, staging_dir(processed), names)
        finished = True
    elif staging_dir(processed).exists():
        shutil.rmtree(staging_dir(processed))
    shutil.rmtree(build_dir(processed) / REPLACED, ignore_errors=True)  # a crash after the last move
    remove_stale_temp_files(processed, caches=False)  # a build that reads files sweeps its caches
    return finished


def discard(processed: Path) -> bool:
    """Drop the staging folder of a build that failed (best effort: it may be the disk that failed).
    Once a journal committed it, the staging folder is kept for the next build to roll forward:
    returns True then (the published set is the new one in part until that build)."""
    if (build_dir(processed) / JOURNAL).is_file():
        return True
    shutil.rmtree(staging_dir(processed), ignore_errors=True)
    try:
        remove_stale_temp_files(processed)
    except OSError:
        pass
    return False


def build_id_of(table: Path) -> str | None:
    """The build id a published Parquet table carries in its metadata (None: none recorded)."""
    import pyarrow.parquet as pq

    parts = table_parts(table)
    if not parts:
        return None
    meta = pq.read_schema(parts[0]).metadata or {}
    value = meta.get(b"build_id")
    return value.decode() if value is not None else None


def _roll_forward(processed: Path, staging: Path, names: list[str]) -> None:
    folders = set()
    replaced = build_dir(processed) / REPLACED
    for i, name in enumerate(names):
        source, target = staging / name, processed / name
        # A source gone was moved already, when a crash interrupted an earlier roll-forward.
        if source.is_dir() or (source.is_file() and target.is_dir()):  # a dataset, or one no more
            if target.exists() or target.is_symlink():
                aside = replaced / name
                if aside.exists():
                    shutil.rmtree(aside)
                aside.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, aside)
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            folders.add(target.parent)
        if i == 0:
            faults.point("moving")
    for folder in sorted(folders):
        _fsync_dir(folder)
    faults.point("published")
    (build_dir(processed) / JOURNAL).unlink()
    shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(replaced, ignore_errors=True)


def _fsync_dir(folder: Path) -> None:
    """Make the renames in a folder durable (a crash after this keeps them)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
