"""Reliability of the build: content-addressed freshness, one-set publication, crashes at every
named point, and faults of the environment (full disk, read-only folder, a file where a folder
should be). Each case runs the real build (`make all`) on real PDFs and checks what a user sees:
one clear line, the previous tables whole, nothing temporary left behind."""

from __future__ import annotations

import os
from pathlib import Path
import re
import shutil
import signal
import subprocess
import threading
import zlib

import pandas as pd
import pytest

from pipeline.common.faults import POINTS
from pipeline.common.publication import build_id_of
from tests.conftest import CORPUS, LAYOUTS, ROOT

SMALL = next((LAYOUTS / "rect_borders").glob("*.pdf"))  # one township
OTHER = next((LAYOUTS / "rows_kept_whole").glob("*.pdf"))  # another township (红旗乡)
THIRD = next((LAYOUTS / "other_list_order").glob("*.pdf"))


def make(raw: Path, processed: Path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = ["make", "--no-print-directory", "-s", "all", f"RAW={raw}", f"PROCESSED={processed}", "JOBS=1"]
    return subprocess.run(
        [*cmd, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def make_paused(raw: Path, processed: Path, point: str, release: Path) -> subprocess.Popen:
    """`make all` (JOBS=1) started with fault POINT waiting until RELEASE exists (pipeline/common/
    faults.py), returned once the build waits there (or has ended)."""
    cmd = ["make", "--no-print-directory", "-s", "all", f"RAW={raw}", f"PROCESSED={processed}", "JOBS=1"]
    env = {**os.environ, "PIPELINE_FAULT": f"{point}:wait:{release}"}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_at_fault(proc, release)
    return proc


def wait_at_fault(proc: subprocess.Popen, release: Path) -> None:
    """Until PROC waits at its fault point for RELEASE (the point marks `RELEASE.reached`) or ends."""
    reached = Path(f"{release}.reached")
    waiter = threading.Event()
    while not reached.exists() and proc.poll() is None:
        waiter.wait(0.02)


def published(processed: Path) -> dict[str, bytes]:
    """Every file a build publishes (tables, codebook, exports), by path relative to the folder."""
    return {
        p.relative_to(processed).as_posix(): p.read_bytes()
        for p in sorted(processed.rglob("*"))
        if p.is_file() and ".build" not in p.parts and not p.name.startswith(".")
    }


MAKE_ERROR = re.compile(r"make(\[\d+\])?: \*\*\* ")  # "make[1]: ***" when run under make test


def lines(stderr: str) -> list[str]:
    """What the build printed (without make's own closing 'make: *** ... Error' line)."""
    return [line for line in stderr.splitlines() if line.strip() and not MAKE_ERROR.match(line)]


def townships(processed: Path) -> set[str]:
    return set(pd.read_parquet(processed / "townships.parquet").township)


def leftovers(processed: Path) -> list[str]:
    """Temporary files or a staging folder a build left behind."""
    found = [p.name for p in processed.rglob("*.tmp")]
    return found + [p.name for p in (processed / ".build").glob("next")]


def one_build(processed: Path) -> bool:
    """Every table of the folder carries the same build id."""
    return len({build_id_of(p) for p in processed.glob("*.parquet")}) == 1


@pytest.fixture
def built(tmp_path) -> tuple[Path, Path, dict[str, bytes]]:
    """A raw folder with one list, built; and what it published."""
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(SMALL, raw / "a.pdf")
    result = make(raw, processed)
    assert result.returncode == 0, result.stderr
    return raw, processed, published(processed)


# --- freshness ---------------------------------------------------------------------------------


def test_raw_pointed_at_another_folder_with_older_files_is_read(built, tmp_path):
    raw, processed, _ = built
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy2(OTHER, other / "a.pdf")  # same name, other content
    os.utime(other / "a.pdf", (1_000_000_000, 1_000_000_000))  # and older than the last build
    result = make(other, processed)
    assert result.returncode == 0, result.stderr
    assert "1 read" in result.stdout
    assert "红旗乡" in townships(processed)


def test_a_file_replaced_by_an_older_copy_is_read(built, tmp_path):
    raw, processed, _ = built
    older = tmp_path / "older.pdf"
    shutil.copy2(OTHER, older)
    os.utime(older, (1_000_000_000, 1_000_000_000))
    subprocess.run(["cp", "-p", str(older), str(raw / "a.pdf")], check=True)  # keeps the old mtime
    result = make(raw, processed)
    assert result.returncode == 0, result.stderr
    assert "红旗乡" in townships(processed)


def test_a_touched_file_is_hashed_not_read(built):
    raw, processed, before = built
    os.utime(raw / "a.pdf")
    result = make(raw, processed)
    assert result.returncode == 0
    assert "extract:" not in result.stdout  # same content: nothing to build
    assert published(processed) == before


def test_a_deleted_or_edited_output_is_published_again(built):
    raw, processed, before = built
    (processed / "basic_items.parquet").unlink()
    (processed / "csv" / "townships.csv").write_text("edited in Excel\n", encoding="utf-8")
    result = make(raw, processed)
    assert result.returncode == 0, result.stderr
    assert published(processed) == before


def test_a_file_changed_while_it_is_read_is_rejected_then_read_next_time(built, tmp_path):
    raw, processed, before = built
    shutil.copy2(THIRD, raw / "b.pdf")
    release = tmp_path / "go"
    proc = make_paused(raw, processed, "hashed", release)
    shutil.copyfile(OTHER, raw / "b.pdf")  # hashed as one file, read as another
    release.touch()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode != 0, err
    assert "rejected b.pdf: the file changed while it was being read" in err
    assert "Traceback" not in err
    assert "红旗乡" not in townships(processed)  # neither content reached the tables
    result = make(raw, processed)
    assert result.returncode == 0, result.stderr
    assert "红旗乡" in townships(processed)


# --- crashes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_each_point_leaves_one_whole_set(built, point):
    """Killed at POINT with a new file in the raw folder: the published files are all the old ones
    (before the journal) or, once the next build has rolled the journal forward, all new ones;
    never half of a file, never two builds mixed after that next build."""
    raw, processed, before = built
    shutil.copy2(OTHER, raw / "b.pdf")
    killed = make(raw, processed, env={"PIPELINE_FAULT": point})
    assert killed.returncode != 0
    if POINTS.index(point) < POINTS.index("journaled"):
        assert published(processed) == before
    result = make(raw, processed)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    if POINTS.index(point) >= POINTS.index("journaled"):
        assert "finished publishing the tables of a build that was interrupted" in result.stdout
    assert "红旗乡" in townships(processed) and len(townships(processed)) == 2
    assert one_build(processed)
    assert leftovers(processed) == []


def test_an_unknown_fault_point_is_refused(built):
    raw, processed, before = built
    result = make(raw, processed, env={"PIPELINE_FAULT": "nowhere"})
    assert result.returncode != 0
    assert "names no fault point" in result.stderr and "Traceback" not in result.stderr


def test_reruns_give_the_same_build_id_and_bytes(built, tmp_path):
    raw, processed, before = built
    again = tmp_path / "again"
    assert make(raw, again).returncode == 0
    assert published(again) == before
    ids = {build_id_of(p) for p in processed.glob("*.parquet")}
    assert len(ids) == 1 and None not in ids
    assert set(pd.read_parquet(processed / "source_files.parquet").build_id) == ids


# --- the environment ---------------------------------------------------------------------------


def test_processed_is_a_file(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(SMALL, raw / "a.pdf")
    (tmp_path / "out").write_text("not a folder\n")
    for processed in (tmp_path / "out", tmp_path / "out" / "deeper"):
        result = make(raw, processed)
        assert result.returncode != 0
        assert "is a file, not a folder" in result.stderr and "Traceback" not in result.stderr
        assert len(lines(result.stderr)) == 1


def test_raw_is_missing(tmp_path):
    result = make(tmp_path / "nowhere", tmp_path / "processed")
    assert result.returncode != 0
    assert "raw folder" in result.stderr and "does not exist" in result.stderr


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here (needs root): {done.stderr.decode().strip()}")


@pytest.fixture
def small_disk(tmp_path):
    """A file system of its own (4 MB), unmounted afterwards."""
    mount = tmp_path / "disk"
    _mount_tmpfs(mount, "4m")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def built_on_disk(tmp_path, small_disk) -> tuple[Path, Path, dict[str, bytes]]:
    """One list built into a processed folder on the small disk, a second list then added to
    the raw folder; and what the first build published."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(SMALL, raw / "a.pdf")
    processed = small_disk / "processed"
    assert make(raw, processed).returncode == 0
    before = published(processed)
    shutil.copy2(OTHER, raw / "b.pdf")
    return raw, processed, before


def test_a_full_disk_gives_one_line_and_keeps_the_previous_tables(built_on_disk, small_disk):
    raw, processed, before = built_on_disk
    filler = small_disk / "filler"
    # Leave almost nothing free; unbuffered, so no write is left over to fail again on closing.
    with filler.open("wb", buffering=0) as f:
        for size in (65536, 4096, 512, 1):
            try:
                while f.write(b"\0" * size):
                    pass
            except OSError:
                pass
    result = make(raw, processed)
    assert result.returncode != 0
    assert "the disk is full" in result.stderr and "Traceback" not in result.stderr
    assert published(processed) == before
    assert leftovers(processed) == []
    filler.unlink()
    result = make(raw, processed)
    assert result.returncode == 0, result.stderr
    assert len(townships(processed)) == 2


def test_a_read_only_processed_folder_gives_one_line(built_on_disk, small_disk):
    raw, processed, before = built_on_disk
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = make(raw, processed)
    assert result.returncode != 0
    assert "read-only file system" in result.stderr and "Traceback" not in result.stderr
    assert len(lines(result.stderr)) == 1
    assert published(processed) == before
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)


def test_a_processed_folder_without_write_permission_gives_one_line(built):
    """`chattr +i` denies writing even to root (who ignores the mode bits), as a folder of
    another user denies it to an ordinary one."""
    raw, processed, before = built
    shutil.copy2(OTHER, raw / "b.pdf")
    folders = [processed, processed / ".build"]
    if any(subprocess.run(["chattr", "+i", str(f)], capture_output=True).returncode for f in folders):
        pytest.skip("chattr +i is not supported on this file system")
    try:
        result = make(raw, processed)
    finally:
        for f in folders:
            subprocess.run(["chattr", "-i", str(f)], check=False)
    assert result.returncode != 0
    assert "no permission to write there" in result.stderr and "Traceback" not in result.stderr
    assert len(lines(result.stderr)) == 1
    assert published(processed) == before


def test_ctrl_c_gives_one_line_and_keeps_the_previous_tables(built, tmp_path):
    raw, processed, before = built
    shutil.copy2(OTHER, raw / "b.pdf")
    release = tmp_path / "go"
    cmd = [str(ROOT / ".venv" / "bin" / "python"), "-m", "pipeline.orchestrate", "--raw", str(raw)]
    env = {**os.environ, "PIPELINE_FAULT": f"staged:wait:{release}"}
    proc = subprocess.Popen(
        [*cmd, "--processed", str(processed), "--jobs", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_at_fault(proc, release)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert lines(err) == [
        "build: interrupted; the previous tables are unchanged and nothing half-written was left"
    ]
    assert published(processed) == before
    assert leftovers(processed) == []


def test_a_bug_gives_one_line_and_the_traceback_in_a_file(built):
    raw, processed, before = built
    shutil.copy2(OTHER, raw / "b.pdf")
    result = make(raw, processed, env={"PIPELINE_FAULT": "staged:raise"})
    assert result.returncode != 0
    [line] = lines(result.stderr)
    assert line.startswith(
        "build: internal error (RuntimeError: fault injected at staged); the previous tables"
    )
    assert "Traceback" not in result.stderr
    assert "fault injected at staged" in (processed / ".build" / "last-error.txt").read_text()
    assert published(processed) == before and leftovers(processed) == []


def test_a_damaged_copy_of_a_good_file_does_not_replace_its_tables(tmp_path):
    """A copy of the good file with one page's content gone (the coordination list's 序号 then
    jump), written later: the damaged list does not replace the good one, so every item table
    holds what the good file alone gives."""
    from pipeline.fuzz.mutate import Pdf

    alone, both = tmp_path / "alone", tmp_path / "both"
    for raw in (alone, both):
        raw.mkdir()
        shutil.copy2(OTHER, raw / "a.pdf")
    pdf = Pdf.parse(OTHER.read_bytes())
    pdf.add_contents(pdf.pages()[2], [zlib.compress(b"")])  # the third page prints nothing
    (both / "a_copy.pdf").write_bytes(pdf.write())
    os.utime(both / "a_copy.pdf", (2_000_000_000, 2_000_000_000))  # newer than the good file
    assert make(alone, tmp_path / "out_alone").returncode == 0
    result = make(both, tmp_path / "out_both")
    assert "Traceback" not in result.stderr
    for table in ("basic_items", "coordination_items", "reclaimed_items", "duty_steps"):
        ours, theirs = (
            pd.read_parquet(tmp_path / out / f"{table}.parquet").drop(
                columns=["source_file", "duty_id"], errors="ignore"
            )
            for out in ("out_both", "out_alone")
        )
        pd.testing.assert_frame_equal(ours, theirs)
    coordination = pd.read_parquet(tmp_path / "out_both" / "coordination_items.parquet")
    assert set(coordination.source_file) == {"a.pdf"}  # the damaged copy's list (a gap) is not current


def test_a_page_no_reader_can_load_costs_only_that_page(tmp_path):
    """pagetree_0039 (a damaged page tree): PDFium cannot load page 5 and pdfminer cannot either;
    the other pages are read, the file's notes name the missing page, the gap is a problem."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(CORPUS / "damaged" / "pagetree_0039.pdf", raw / "pagetree_0039.pdf")
    result = make(raw, tmp_path / "processed")
    assert "Traceback" not in result.stderr
    sources = pd.read_parquet(tmp_path / "processed" / "source_files.parquet").set_index("source_file")
    row = sources.loc["pagetree_0039.pdf"]
    assert row.status == "ok" and row.n_items > 0
    assert list(row.notes) == [
        "page 5 could not be read (damaged beyond what either PDF reader repairs); its items are missing"
    ]
    assert "[numbering_gap]" in result.stderr
