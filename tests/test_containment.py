"""Every read stays inside its budget, and Ctrl-C leaves nothing behind.

LibreOffice is played by a real slow program: a script named soffice, first on PATH, that starts a
second process (as the launcher starts soffice.bin) and waits. What must hold: the conversion stops
inside the read's budget with one line, the budget's kill takes every process of the read with it,
and no temporary folder is left, nor after Ctrl-C at named points of a build.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time

import pytest

from pipeline import extract
from pipeline.common.settings import ExtractSettings
from pipeline.extract import budget, legacy
from tests.conftest import build_command, quiet

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "tests" / "fixtures" / "office" / "lists.doc"
PDF = ROOT / "data" / "raw" / "hami_yiwu_tuhulu.pdf"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups as on Linux")


@pytest.fixture
def slow_soffice(tmp_path, monkeypatch) -> Path:
    """A fake LibreOffice that never finishes; returns the file where its processes write their ids."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    pids = tmp_path / "soffice.pids"
    script = bin_dir / "soffice"
    script.write_text(f"#!/bin/sh\necho $$ >> {pids}\nsleep 300 &\necho $! >> {pids}\nwait\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr("tempfile.tempdir", None)  # read TMPDIR again
    return pids


def running(pids_file: Path) -> list[int]:
    """The fake's processes still alive (zombies, already dead, excluded), after a moment to die."""
    pids = [int(p) for p in pids_file.read_text().split()] if pids_file.exists() else []
    alive = pids
    for _ in range(100):
        alive = [p for p in pids if _alive(p)]
        if not alive:
            break
        time.sleep(0.05)
    return alive


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_for(path: Path, lines: int = 2, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if path.exists() and len(path.read_text().split()) >= lines:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written")


def test_the_conversion_limit_stays_below_the_budget():
    assert legacy.conversion_timeout(120, 60) == 45
    assert legacy.conversion_timeout(10, 60) == 10
    assert ExtractSettings().convert_timeout < ExtractSettings().budget_seconds


def test_a_slow_conversion_stops_inside_the_budget_and_leaves_nothing(tmp_path, slow_soffice):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(DOC, raw / "slow.doc")
    settings = ExtractSettings(budget_seconds=2, convert_timeout=120)
    start = time.monotonic()
    manifest = extract.run(raw, tmp_path / "processed", settings=settings, jobs=1, log=quiet)
    assert time.monotonic() - start < 10
    (entry,) = manifest["files"]
    assert entry["status"] == "rejected"
    assert entry["reason"] == "LibreOffice did not convert this Word document (.doc) within 2 s"
    assert len(slow_soffice.read_text().split()) == 2 and running(slow_soffice) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def test_the_budget_kills_the_conversion_with_the_read(tmp_path, slow_soffice):
    """A conversion allowed longer than the read's budget: the budget stops the read, and every
    process the read started dies with it; its temporary folder is removed by the parent."""

    def read(_):
        with __import__("tempfile").TemporaryDirectory() as out:
            return legacy.convert(DOC, "doc", Path(out), timeout=300)

    outcome = budget.call(read, None, budget.Budget(seconds=1.5, memory_mb=1024))
    assert not outcome.ok and "time budget" in outcome.reason
    assert len(slow_soffice.read_text().split()) == 2 and running(slow_soffice) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def _build(raw: Path, processed: Path, env: dict, jobs: int) -> subprocess.Popen:
    cmd = build_command(raw, processed)
    return subprocess.Popen(
        [*cmd, "--jobs", str(jobs)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own foreground group, as in a terminal: Ctrl-C reaches every process
    )


def _ctrl_c(proc: subprocess.Popen) -> tuple[str, str]:
    os.killpg(proc.pid, signal.SIGINT)
    return proc.communicate(timeout=60)


def _nothing_left(processed: Path, tmp: Path) -> None:
    assert list(tmp.iterdir()) == []
    assert [p.name for p in processed.rglob("*.tmp")] == []
    assert not (processed / ".build" / "next").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_during_extract_one_line_nothing_left(tmp_path, slow_soffice, jobs):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(DOC, raw / "a.doc")
    shutil.copy2(DOC, raw / "b.doc")
    processed = tmp_path / "processed"
    proc = _build(raw, processed, dict(os.environ), jobs)
    wait_for(slow_soffice, lines=2 * jobs)  # the conversions run
    out, err = _ctrl_c(proc)
    assert proc.returncode == 130, err
    assert err.splitlines() == [
        "build: interrupted; the previous tables are unchanged and nothing half-written was left"
    ]
    assert running(slow_soffice) == []
    _nothing_left(processed, tmp_path / "tmp")


@pytest.mark.parametrize("point", ["extracted", "staged", "exported"])
def test_ctrl_c_at_a_named_point_of_a_build(tmp_path, monkeypatch, point):
    """Ctrl-C after extraction, before publishing and after exporting (the workbook and CSVs written,
    not yet published)."""
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(PDF, raw / "a.pdf")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    release = tmp_path / "go"
    env = {**os.environ, "TMPDIR": str(tmp), "PIPELINE_FAULT": f"{point}:wait:{release}"}
    processed = tmp_path / "processed"
    proc = _build(raw, processed, env, jobs=1)
    reached = Path(f"{release}.reached")
    end = time.monotonic() + 120
    while not reached.exists() and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.02)
    out, err = _ctrl_c(proc)
    assert proc.returncode == 130, err
    assert len(err.splitlines()) == 1 and err.startswith("build: interrupted;") and "Traceback" not in err
    _nothing_left(processed, tmp)


# --- pixel bombs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "megapixels"), [((8000, 8000), 64), ((12000, 11000), 132)])
def test_a_pixel_bomb_is_named_as_such_at_the_first_look(tmp_path, size, megapixels):
    """Past the limit (64 MP: Pillow's warning; 132 MP: Pillow's own refusal) the image is rejected
    in words, never as a damaged PDF and without Pillow's warning."""
    from PIL import Image

    raw = tmp_path / "raw"
    raw.mkdir()
    Image.new("1", size, 1).save(raw / "scan.png")  # a few KB on disk
    code = (
        "import sys, warnings; from pathlib import Path; from pipeline import extract;"
        "from pipeline.common.settings import ExtractSettings;"
        f"m = extract.run(Path({str(raw)!r}), Path({str(tmp_path / 'p')!r}), jobs=1, log=lambda *a: None);"
        "e = m['files'][0]; print(e['status']); print(e['reason'])"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    status, reason = done.stdout.splitlines()
    assert status == "rejected"
    assert reason == (
        f"an image of {megapixels} megapixels, over the 60-megapixel limit for a page scan "
        "(a decompression bomb?); not read"
    )
    assert "DecompressionBomb" not in done.stderr and done.stderr == ""


def test_a_reason_over_two_lines_is_one_line():
    from pipeline.common.sources import RejectedFile

    exc = RejectedFile(
        "unreadable Excel workbook (KeyError: 'There is no item named\n 'xl/x.xml' in the archive')"
    )
    assert (
        str(exc) == "unreadable Excel workbook (KeyError: 'There is no item named 'xl/x.xml' in the archive')"
    )


# --- ZIP containers ---------------------------------------------------------------------------------


def _lying_zip(path: Path, real: int, declared: int) -> Path:
    """A .docx-like ZIP whose word/document.xml inflates to REAL bytes but declares DECLARED."""
    import struct
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<" + b"a" * (real - 2) + b">")
    data = bytearray(path.read_bytes())
    local = data.find(b"PK\x03\x04" + b"\x14\x00", data.find(b"word/document.xml") - 60)
    central = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)  # the second entry
    struct.pack_into("<I", data, local + 22, declared)
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))
    return path


def test_a_zip_member_lying_about_its_size_is_refused_in_words(tmp_path):
    from pipeline.common.sources import RejectedFile
    from pipeline.extract.formats import open_zip

    path = _lying_zip(tmp_path / "lie.docx", real=80 << 20, declared=1000)
    with pytest.raises(RejectedFile) as caught:
        open_zip(path, 64 << 20, 200.0)
    assert str(caught.value) == "damaged Office file: its ZIP container is incomplete or corrupted"
    honest = _lying_zip(tmp_path / "honest.docx", real=2 << 20, declared=2 << 20)
    with pytest.raises(RejectedFile, match="suspicious ZIP container"):  # 2 MB from a few KB: the ratio
        open_zip(honest, 64 << 20, 200.0)
    open_zip(_lying_zip(tmp_path / "small.docx", real=5000, declared=5000), 64 << 20, 200.0).close()


def test_counting_stops_at_the_limit_whatever_the_sizes_declared(tmp_path):
    """The count is of inflated bytes: a limit lower than the real size is found by inflating."""
    import zipfile

    from pipeline.extract.formats import _inflated_over

    path = _lying_zip(tmp_path / "big.docx", real=3 << 20, declared=3 << 20)
    with zipfile.ZipFile(path) as z:
        assert _inflated_over(z, z.infolist(), 64 << 20, 1e9) == 0
        assert _inflated_over(z, z.infolist(), 1 << 20, 1e9) > 1 << 20


@pytest.mark.slow  # OCR must be under way: a dozen seconds
@pytest.mark.parametrize("jobs", [1, 2])
def test_ctrl_c_during_ocr_one_line_nothing_left(tmp_path, jobs):
    from pipeline.fuzz.families import image_bases

    raw = tmp_path / "raw"
    raw.mkdir()
    for made in image_bases(tmp_path / "scans")[::2]:  # a PNG page and a two-frame TIFF
        shutil.copy2(made, raw / made.name)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = _build(raw, tmp_path / "processed", {**os.environ, "TMPDIR": str(tmp)}, jobs)
    # The scans' first look is done and their pages are being recognized once the OCR round's
    # stop folder exists (pipeline.extract.stage._read_scans); a fixed wait missed it on an idle
    # machine, where the build had ended by then.
    deadline = time.monotonic() + 120
    while not list(tmp.glob("duty-ocr-stop-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    assert proc.poll() is None
    out, err = _ctrl_c(proc)
    assert proc.returncode == 130, err
    assert err.splitlines() == [
        "build: interrupted; the previous tables are unchanged and nothing half-written was left"
    ]
    # The OCR runtime may keep a small session file of its own; no folder or file of a read is left.
    assert [p.name for p in tmp.iterdir() if p.is_dir() or p.name.startswith(("duty-", "tmp"))] == []
    assert [p.name for p in (tmp_path / "processed").rglob("*.tmp")] == []


@pytest.mark.slow  # a big sheet to make and parse: about 12 s
def test_a_reader_out_of_memory_is_over_the_memory_budget_in_words(tmp_path):
    """openpyxl parsing a big sheet within a small budget: the reason names the budget, never
    "unreadable Excel workbook (MemoryError)"."""
    from openpyxl import Workbook

    raw = tmp_path / "raw"
    raw.mkdir()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("清单")
    for i in range(60_000):
        ws.append([i, f"类别{i}", f"事项名称{i}" * 3])
    wb.save(raw / "big.xlsx")
    code = (
        "from pathlib import Path; from pipeline import extract; from pipeline.common.settings import ExtractSettings;"
        f"m = extract.run(Path({str(raw)!r}), Path({str(tmp_path / 'p')!r}), ExtractSettings(budget_memory_mb=64),"
        " jobs=1, log=lambda *a: None); e = m['files'][0]; print(e['status']); print(e['reason'])"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout.splitlines() == [
        "rejected",
        "reading it exceeds the 64 MB memory budget (ExtractSettings.budget_memory_mb)",
    ], done.stderr


def test_an_unreadable_image_is_named_without_its_folder(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "cut.tif").write_bytes(b"II*\x00" + b"\x00" * 20)
    manifest = extract.run(raw, tmp_path / "p", jobs=1, log=quiet)
    (entry,) = manifest["files"]
    assert entry["status"] == "rejected" and str(tmp_path) not in entry["reason"], entry["reason"]
