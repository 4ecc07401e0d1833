"""The no-op build: what it decides from the raw folder's stat keys and content hashes, what it
reads (no raw file whose stat key is settled), what it says, and what it leaves alone."""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
import time

import pytest

from pipeline.common import freshness
from pipeline.common.sources import scan_sources
from pipeline.common.storage import build_dir, remove_stale_temp_files
from tests.conftest import LAYOUTS, ROOT, build_command

SMALL = next((LAYOUTS / "rect_borders").glob("*.pdf"))
CHANGED = "raw files were added, changed or removed"


def check(raw: Path, processed: Path) -> freshness.Freshness:
    return freshness.check(processed, scan_sources(raw, exclude=processed), raw, "pdfium", False)


def rewrite_keeping_size_and_mtime(path: Path, data: bytes) -> None:
    st = path.stat()
    assert len(data) == st.st_size
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)


@pytest.mark.parametrize("settled", [False, True])
def test_a_file_rewritten_with_its_size_and_mtime_kept_is_seen_changed(tmp_path, settled):
    """SETTLED: the state was taken more than RACY_NS after the file last changed, so its stat key
    alone decides (the inode's change time moved: no tool sets it back); else the key is racy
    and the file is hashed again whatever its key says."""
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "a.pdf").write_bytes(b"%PDF-1.4 first\n%%EOF\n")
    (raw / "b.pdf").write_bytes(b"%PDF-1.4 other\n%%EOF\n")
    if settled:
        time.sleep(freshness.RACY_NS / 1e9 + 0.2)
    check(raw, processed).save([])
    assert check(raw, processed).up_to_date
    rewrite_keeping_size_and_mtime(raw / "a.pdf", b"%PDF-1.4 again\n%%EOF\n")
    assert check(raw, processed).reasons == [CHANGED]


def test_a_settled_folder_is_decided_without_reading_a_file(tmp_path, monkeypatch):
    """Nothing changed and every stat key settled: no raw file is opened (10,000 files: a no-op
    must not hash them); a touched file (same content) is hashed, found the same, and its new
    key remembered, so the run after it reads nothing again."""
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    for i in range(3):
        (raw / f"{i}.pdf").write_bytes(f"%PDF-1.4 {i}\n%%EOF\n".encode())
    time.sleep(freshness.RACY_NS / 1e9 + 0.2)
    check(raw, processed).save([])
    hashed: list[str] = []
    real = freshness.file_sha256
    monkeypatch.setattr(freshness, "file_sha256", lambda p: hashed.append(p.name) or real(p))
    first = check(raw, processed)
    assert first.up_to_date and hashed == []
    state = build_dir(processed) / freshness.STATE
    written = state.stat().st_mtime_ns
    first.refresh()  # nothing hashed: the state stands, not even rewritten
    assert state.stat().st_mtime_ns == written
    os.utime(raw / "1.pdf", ns=(time.time_ns() - 10 * freshness.RACY_NS,) * 2)  # a touch: its key moves
    time.sleep(freshness.RACY_NS / 1e9 + 0.2)  # and settles
    touched = check(raw, processed)
    assert touched.up_to_date and hashed == ["1.pdf"]
    touched.refresh()
    hashed.clear()
    assert check(raw, processed).up_to_date and hashed == []


def test_a_file_added_or_removed_is_seen(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    (raw / "a.pdf").write_bytes(b"%PDF-1.4 a\n%%EOF\n")
    check(raw, processed).save([])
    (raw / "b.pdf").write_bytes(b"%PDF-1.4 b\n%%EOF\n")
    assert check(raw, processed).reasons == [CHANGED]
    (raw / "b.pdf").unlink()
    assert check(raw, processed).up_to_date
    (raw / "a.pdf").unlink()
    assert check(raw, processed).reasons == [CHANGED]


def test_a_no_op_names_the_rejected_files_and_counts_as_the_build_did(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(SMALL, raw / "a.pdf")
    (raw / "b.pdf").write_bytes(b"%PDF-1.4\nnot really a PDF\n")
    cmd = build_command(raw, processed)
    first = subprocess.run([*cmd, "--jobs", "1"], cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 1, first.stderr
    [rejected] = [line for line in first.stderr.splitlines() if line.startswith("rejected ")]
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 1
    assert again.stderr.splitlines() == [rejected]
    [said] = again.stdout.strip().splitlines()
    assert said.startswith("up to date (build ")
    assert "1 of 2 raw files read, 40 items, 1 rejected, 0 problem(s)" in said


def test_a_no_op_sweeps_temporary_files_but_not_the_cache_folders(tmp_path):
    """A killed run's temporary files go; the per-file cache folders (20,000 files beside
    10,000 raw files) are swept by a build that reads files, not by every no-op."""
    processed = tmp_path / "processed"
    cache = build_dir(processed) / "extract" / "v1"
    cache.mkdir(parents=True)
    (processed / "csv").mkdir()
    left = [
        processed / ".a.parquet.x1.tmp",
        build_dir(processed) / ".build.json.x2.tmp",
        processed / "csv" / ".b.csv.x3.tmp",
    ]
    in_cache = cache / ".f.parquet.x4.tmp"
    kept = [processed / "a.tmp", build_dir(processed) / ".tmp", cache / "f.parquet"]
    for path in [*left, in_cache, *kept]:
        path.write_bytes(b"")
    remove_stale_temp_files(processed, caches=False)
    assert not any(p.exists() for p in left)
    assert in_cache.exists() and all(p.exists() for p in kept)
    remove_stale_temp_files(processed)
    assert not in_cache.exists() and all(p.exists() for p in kept)
