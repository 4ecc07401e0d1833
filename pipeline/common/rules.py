"""Domain rules kept as data: the TOML files in pipeline/rules/, loaded once per process.

Header synonyms, continuation markers, paragraph patterns, page furniture, title parsing,
department aliases and power-type keywords live there so a person can read and extend them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
import tomllib

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"


@cache
def load(name: str) -> dict:
    """The rules file `pipeline/rules/<name>.toml` as a dict."""
    with (RULES_DIR / f"{name}.toml").open("rb") as f:
        return tomllib.load(f)


def rules_digest(names: tuple[str, ...]) -> bytes:
    """Bytes of the given rules files, for stage versions (a rule change invalidates caches)."""
    return b"".join((RULES_DIR / f"{n}.toml").read_bytes() for n in names)
