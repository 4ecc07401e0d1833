"""Legacy binary documents (.doc, .wps, .et): converted by LibreOffice, then read as .docx/.xlsx.

LibreOffice is optional: without it such a file is rejected with one line saying what to
install. The conversion runs headless in a private, temporary user profile (so it neither
needs nor disturbs a desktop session and two conversions never share state) and within a time
limit below the read's budget (`conversion_timeout`). It runs inside the read's budgeted child
(pipeline/extract/budget.py): in that child's process group, killed with it when the read ends
(its time limit, the budget, Ctrl-C), and killed by the kernel should the child die first
(PR_SET_PDEATHSIG); its folder (the input copy, the converted file, the profile) lies in the
read's own temporary folder, which the parent removes whatever happened.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
import tempfile

from pipeline.common.sources import RejectedFile
from pipeline.extract.budget import release_limits

BUDGET_SHARE = 0.75  # of the read's time budget the conversion may take (the rest reads the result)

TARGET = {"doc": "docx", "wps": "docx", "et": "xlsx"}
INSTALL_HINT = (
    "install LibreOffice (e.g. apt-get install libreoffice-writer-nogui libreoffice-calc-nogui) "
    "or save the file as .docx/.xlsx"
)


def soffice() -> str | None:
    """The LibreOffice command, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def conversion_timeout(convert_timeout: float, budget_seconds: float) -> float:
    """Seconds a conversion may take: its own limit, but always inside the read's time budget, so the
    conversion is stopped (with a line saying so) before the budget stops the whole read."""
    return min(convert_timeout, budget_seconds * BUDGET_SHARE)


def convert(path: Path, fmt: str, out_dir: Path, timeout: float) -> Path:
    """Convert a legacy file to .docx or .xlsx in `out_dir`; the converted file's path."""
    command = soffice()
    label = {"doc": "Word document (.doc)", "wps": "WPS document (.wps)", "et": "WPS spreadsheet (.et)"}[fmt]
    if command is None:
        raise RejectedFile(f"a legacy {label} needs LibreOffice to be read: {INSTALL_HINT}")
    target = TARGET[fmt]
    source = out_dir / f"input.{fmt}"
    shutil.copyfile(path, source)
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-", dir=out_dir))
    args = [
        command,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
        "--convert-to", target, "--outdir", str(out_dir), str(source),
    ]  # fmt: skip
    reader = os.getpid()
    proc = subprocess.Popen(  # LibreOffice maps far more address space than a read's budget allows
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=out_dir,
        preexec_fn=lambda: release_limits(reader),
    )  # fmt: skip
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RejectedFile(f"LibreOffice did not convert this {label} within {timeout:.0f} s") from None
    finally:
        _stop(proc)  # soffice.bin may outlive the launcher: the budget kills the read's group
    converted = out_dir / f"input.{target}"
    if not converted.exists():
        detail = (err or b"").decode("utf-8", "replace").strip().splitlines()
        reason = detail[-1][:120] if detail else f"exit status {proc.returncode}"
        raise RejectedFile(
            f"LibreOffice could not convert this {label} (damaged or password-protected? {reason})"
        )
    return converted


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()
