"""A failure caused by one file's content costs only that file.

A stage that meets an unexpected error while working on one file (a bug the file's content
revealed) rejects that file with one line and goes on with the others; only failures of the
environment (OSError: a full disk, no permission; MemoryError) end the build.
"""

from __future__ import annotations


def technical(exc: BaseException) -> str:
    """'Type: first line of the message' of the exception (or of the one it wraps)."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    text = str(inner).strip()
    first = text.splitlines()[0][:200] if text else ""
    return f"{type(inner).__name__}{': ' + first if first else ''}"


def content_failure(stage: str, exc: BaseException) -> str:
    """The reason given for a file whose content made STAGE fail."""
    return (
        f"the file could not be processed ({stage}: {technical(exc)}); the other files are not affected, "
        "please report this file"
    )
