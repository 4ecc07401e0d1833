"""The build's edges as a user meets them: arguments checked up front (one line each), relative
paths taken from the caller's directory under `make -C`, STRICT=1 stopping on a rejected file, a
file rejected because it was written while being read read again by the next build, a no-op
saying which build stands, and freshness covering every file of the package and the versions of
the reading libraries."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess

import pandas as pd

from pipeline.common.publication import build_id_of
from pipeline.common.storage import package_digest, reader_versions
from tests.conftest import LAYOUTS, ROOT
from tests.test_reliability import lines, make, make_paused, published

SMALL = next((LAYOUTS / "rect_borders").glob("*.pdf"))
OTHER = next((LAYOUTS / "rows_kept_whole").glob("*.pdf"))  # 红旗乡


def test_a_bad_jobs_or_engine_value_is_one_line(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for extra, env, says in [
        (("JOBS=abc",), None, "JOBS must be a whole number"),
        (("JOBS=0",), None, "JOBS must be at least 1"),
        (("ENGINE=fast",), None, "invalid choice: 'fast'"),
        ((), {"JOBS": "two"}, "JOBS must be a whole number"),
    ]:
        cmd = [
            "make",
            "--no-print-directory",
            "-s",
            "all",
            f"RAW={raw}",
            f"PROCESSED={tmp_path / 'p'}",
            *extra,
        ]
        result = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert len(lines(result.stderr)) == 1 and says in result.stderr, result.stderr
        assert not (tmp_path / "p").exists()


def test_relative_paths_are_taken_from_the_callers_directory_under_make_c(tmp_path):
    caller = tmp_path / "caller"
    (caller / "lists").mkdir(parents=True)
    shutil.copy2(SMALL, caller / "lists" / "a.pdf")
    script = f"cd {shlex.quote(str(caller))} && make -s -C {shlex.quote(str(ROOT))} all RAW=lists PROCESSED=out JOBS=1"
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (caller / "out" / "basic_items.parquet").is_file()
    assert not (ROOT / "out").exists() and not (ROOT / "lists").exists()


def test_strict_stops_on_a_rejected_file_and_publishes_nothing(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(SMALL, raw / "a.pdf")
    assert make(raw, processed).returncode == 0
    before = published(processed)
    (raw / "b.pdf").write_bytes(b"%PDF-1.4\nnot really a PDF\n")
    result = make(raw, processed, "STRICT=1")
    assert result.returncode != 0
    assert "rejected b.pdf:" in result.stderr
    assert "nothing was published" in result.stderr and "Traceback" not in result.stderr
    assert published(processed) == before
    relaxed = make(raw, processed)  # without STRICT: the good file's tables, the bad one listed
    assert relaxed.returncode != 0 and "rejected b.pdf:" in relaxed.stderr


def test_a_no_op_says_which_build_stands(tmp_path):
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(SMALL, raw / "a.pdf")
    first = make(raw, processed)
    assert first.returncode == 0, first.stderr
    build = build_id_of(processed / "basic_items.parquet")
    again = make(raw, processed)
    assert again.returncode == 0
    assert again.stdout.strip().splitlines() == [
        f"up to date (build {build}): nothing changed since; 1 of 1 raw files read, 40 items, "
        f"0 rejected, 0 problem(s); tables in {processed}"
    ]


def test_a_file_torn_while_read_is_read_again_once_whole(tmp_path):
    """b.pdf is hashed, then cut in half while the build reads it (a copy in progress), then
    completed with exactly the content that was hashed: the next build must read it, not keep
    the rejection because the hash it remembers matches."""
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    raw.mkdir()
    shutil.copy2(SMALL, raw / "a.pdf")
    assert make(raw, processed).returncode == 0
    shutil.copy2(OTHER, raw / "b.pdf")
    whole = (raw / "b.pdf").read_bytes()
    release = tmp_path / "go"
    proc = make_paused(raw, processed, "hashed", release)
    (raw / "b.pdf").write_bytes(whole[: len(whole) // 2])  # torn: half of it
    release.touch()
    _, err = proc.communicate(timeout=300)
    assert proc.returncode != 0, err
    assert "rejected b.pdf: the file changed while it was being read" in err
    (raw / "b.pdf").write_bytes(whole)  # the copy completes: the content hashed before
    result = make(raw, processed)
    assert result.returncode == 0, result.stderr
    assert "红旗乡" in set(pd.read_parquet(processed / "townships.parquet").township)


def test_freshness_covers_every_file_of_the_package_and_the_reading_libraries(tmp_path):
    from importlib import metadata

    copy = tmp_path / "pipeline"
    shutil.copytree(ROOT / "pipeline", copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = package_digest(copy)
    theme = copy / "publish" / "theme1.xml"
    theme.write_bytes(theme.read_bytes().replace(b"<a:", b"<a:", 1) + b"\n")
    assert package_digest(copy) != before
    versions = reader_versions().decode()
    for name in ("pypdfium2", "pdfplumber", "pdfminer.six", "openpyxl"):
        assert f"{name}=={metadata.version(name)}" in versions
