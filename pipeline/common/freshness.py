"""Is the published set up to date? Decided by content, cheaply.

The last successful build leaves a state file (.build/build.json): for every raw file its name,
content hash (SHA-256) and stat key (size, mtime, ctime, inode, device); a digest of the code and
rules; the engine; the stat keys of the files it published; and what a no-op says of it (files
read, rejected, items). A build is skipped only when all of them match. A raw file whose stat key matches is not read again (the fast path); any
difference in the key (a copy with `cp -p` keeps the mtime but not the inode or ctime; another
raw folder differs in device or inode) makes the file be hashed, and only a different hash makes
it count as changed. Timestamps are coarse (a clock tick), so a file changed within RACY_NS of
the state being taken is hashed again next time, as git does for "racily clean" files.

Reading modules only (no pyarrow, no stage imports), so a no-op build starts and ends quickly.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
import os
from pathlib import Path
import time

from pipeline.common.sources import Source, file_sha256
from pipeline.common.storage import (
    atomic_write_text,
    build_dir,
    package_digest,
    read_manifest,
    reader_versions,
)

STATE = "build.json"
DECISIONS_FILE = "duty_decisions.csv"  # an analyst's duty decisions, beside the raw folder
FORMAT = 2  # bump when the state file's layout changes (2: a file is [sha256, key, racy]; compact)
RACY_NS = 2_000_000_000  # files changed this close to the state being taken are hashed again

StatKey = list[int]


def stat_key(st: os.stat_result) -> StatKey:
    """What tells a file's content may have changed without reading it."""
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def code_digest(engine: str) -> str:
    """Digest of everything that shapes the outputs besides the raw files: every file of the
    package (code, rules, templates, the workbook theme, …), the project version, the versions of
    the reading libraries, and the PDF reader chosen."""
    h = hashlib.sha256(engine.encode() + b"\0")
    h.update(package_digest().encode())
    h.update(reader_versions())
    return h.hexdigest()[:16]


@dataclass
class RawFile:
    """One entry of the raw folder as this build sees it."""

    path: Path
    name: str  # as recorded in the tables (relative to the raw folder, escaped)
    key: StatKey  # [] for an entry that is not read
    sha256: str  # "" for an entry that is not read
    status: str | None = None  # "skipped" or "rejected" for an entry that is not read (a FIFO, …)
    reason: str | None = None
    hashed: bool = False  # read to hash it now (its stat key moved, or was racy)


@dataclass
class Freshness:
    """What the last build's state says about this one."""

    processed: Path
    code: str
    files: list[RawFile]
    reasons: list[str]  # why a build is needed (none: the published set is up to date)
    taken_ns: int  # when the raw folder was looked at
    previous: dict  # the last build's state
    decisions: str = ""  # SHA-256 of the analyst's duty decisions file ("" when there is none)

    @property
    def up_to_date(self) -> bool:
        return not self.reasons

    def save(
        self,
        published: list[str],
        retry: set[str] | frozenset[str] = frozenset(),
        build: str | None = None,
        summary: dict | None = None,
    ) -> None:
        """Record this build as the last one (after its files are published, named relative to
        the processed folder). RETRY: raw files rejected because they changed while being read;
        their hash is not kept, so the next build reads them again. SUMMARY: what a no-op says of
        this build (`summary`), so that it need not read the clean stage's manifest."""
        keys = {n: stat_key(st) for n in published if (st := _stat(self.processed / n)) is not None}
        state = self._state(keys) | {"build": build, "summary": summary}
        for name in retry:
            if name in state["files"]:
                state["files"][name] = ["", [], True]
        _write_state(self.processed, state)

    def refresh(self) -> None:
        """Up to date, but stat keys moved (a touch, a copy) or were racy: remember the new keys,
        so the next run takes the fast path again. When no file had to be hashed, every key is
        the one recorded and settled: the state stands as it is (nothing to compare or write)."""
        if not any(f.hashed for f in self.files):
            return
        kept = {k: self.previous.get(k) for k in ("build", "summary")}
        state = self._state(self.previous.get("published", {})) | kept
        if state != self.previous:
            _write_state(self.processed, state)

    def _state(self, published: dict[str, StatKey]) -> dict:
        files = {f.name: [f.sha256, f.key, _racy(f.key, self.taken_ns)] for f in self.files}
        state = {"format": FORMAT, "code": self.code, "files": files, "published": published}
        if self.decisions:
            state["decisions"] = self.decisions
        return state


def summary(cleaned: dict, items: int) -> dict:
    """What a no-op build says of the build that stands, from its clean manifest: raw files, those
    read, those rejected (name and reason, one line each), and its items."""
    files = cleaned.get("files", [])
    return {
        "files": len(files),
        "ok": sum(1 for f in files if f["status"] == "ok"),
        "rejected": [[f["source_file"], f["reason"]] for f in files if f["status"] == "rejected"],
        "items": items,
    }


def _write_state(processed: Path, state: dict) -> None:
    """The state file, compact (10,000 raw files: 1.5 MB, read by every no-op)."""
    text = json.dumps(state, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"
    atomic_write_text(build_dir(processed) / STATE, text)


def check(processed: Path, inputs: list[Source], raw: Path, engine: str, strict: bool) -> Freshness:
    """Hash what needs hashing and say whether the published set already matches the raw folder."""
    taken = time.time_ns()
    old = read_manifest(build_dir(processed) / STATE)
    code = code_digest(engine)
    before = old.get("files", {}) if old.get("format") == FORMAT else {}
    files = raw_files(inputs, raw, before)
    reasons = []
    if not old:
        reasons.append("no earlier build")
    elif old.get("format") != FORMAT or old.get("code") != code:
        reasons.append("the code, the rules, the PDF reader or a reading library changed")
    if {f.name: f.sha256 for f in files} != {n: e[0] for n, e in before.items()}:
        reasons.append("raw files were added, changed or removed")
    decisions = decisions_sha256(raw)
    if old and decisions != old.get("decisions", ""):
        reasons.append(f"the analyst's decisions ({DECISIONS_FILE}) changed")
    for name, key in old.get("published", {}).items():
        st = _stat(processed / name)
        if st is None or stat_key(st) != key:
            reasons.append(f"{name} is missing or was changed")
            break
    if strict:
        reasons.append("a strict build always checks the lists again")
    return Freshness(processed, code, files, reasons, taken, old, decisions)


def decisions_path(raw: Path) -> Path:
    """Where an analyst's duty decisions are kept: beside the raw folder (data/duty_decisions.csv
    for the default data/raw), read by pipeline.normalize.duties."""
    return raw.resolve().parent / DECISIONS_FILE


def decisions_sha256(raw: Path) -> str:
    path = decisions_path(raw)
    return file_sha256(path) if path.is_file() else ""


def raw_files(sources: list[Source], raw: Path, before: dict | None = None) -> list[RawFile]:
    """Each entry's stat key and content hash (entries that are not read keep their note); the
    hash is taken from BEFORE (a state's "files": name → [sha256, stat key, racy]) when the stat
    key there matches and was not racy, else the file is read. A file that vanishes or cannot be
    read meanwhile is rejected."""
    files = []
    for s in sources:
        if s.status is not None:
            files.append(RawFile(s.path, s.name, [], "", s.status, s.reason))
            continue
        prev = (before or {}).get(s.name)
        try:
            key = stat_key(s.stat or os.stat(s.path))  # as the folder was listed, before any hashing
            if prev is not None and prev[1] == key and not prev[2]:
                files.append(RawFile(s.path, s.name, key, prev[0]))
            else:
                files.append(RawFile(s.path, s.name, key, file_sha256(s.path), hashed=True))
        except OSError as exc:
            why = "it disappeared" if isinstance(exc, FileNotFoundError) else exc.strerror
            files.append(RawFile(s.path, s.name, [], "", "rejected", f"the file could not be read ({why})"))
    return files


def changed_while_read(f: RawFile) -> bool:
    """After reading: did the file change since it was hashed? (stat first; hash only if it moved)."""
    st = _stat(f.path)
    if st is None:
        return True
    if stat_key(st) == f.key and not _racy(f.key, time.time_ns()):
        return False
    return file_sha256(f.path) != f.sha256


def moved(f: RawFile) -> bool:
    """After reading: was the file written (or removed) since it was hashed, whatever it holds now?"""
    st = _stat(f.path)
    return st is None or stat_key(st) != f.key


def _racy(key: StatKey, taken_ns: int) -> bool:
    """Changed too close to TAKEN_NS to trust the stat key next time (an entry without one: always)."""
    return not key or max(key[1], key[2]) >= taken_ns - RACY_NS


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None
