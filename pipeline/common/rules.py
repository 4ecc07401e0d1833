"""Domain rules kept as data: the TOML files in pipeline/rules/, validated and loaded once per process.

Header synonyms, continuation markers, paragraph patterns, page furniture, title parsing,
department aliases, levels and power-type keywords live there so a person can read and extend
them. Every file has a declared shape below (`SHAPES`); a missing or unknown key, a value of the
wrong type or a regular expression that does not compile is an error naming the file and the key,
raised when the file is first loaded, instead of silently reading as empty.

Shape notation: "str", "int", "float", "bool", "regex" (a string that must compile); ["str"] a
list of such values; a dict is a table with exactly those keys (a key ending in "?" may be left
out); {"*": shape} a table with any keys, each value of that shape; [{...}] an array of tables.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
import hashlib
import os
from pathlib import Path
import pickle
import re
import sys
from typing import Any, TypeVar

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

Shape = Any  # str | list | dict, see the module docstring

SHAPES: dict[str, Shape] = {
    "admin_units": {
        "suffixes": {"province": ["str"], "city": ["str"], "county": ["str"], "township": ["str"]},
        "township_kind": {"*": "str"},
        "title": {"list_words": ["str"], "not_townships": ["str"]},
        "autonomous": {"suffixes": ["str"], "ethnic_groups": ["str"]},
    },
    "departments": {
        "aliases": {"*": "str"},
        "generic": {"patterns": ["regex"], "splitters": ["str"]},
        "vertical": {"prefixes": ["str"]},
        "levels": {
            "province": "str",
            "city": "str",
            "county": "str",
            "vertical": "str",
            "not_a_place": ["str"],
            "bare_place": {"*": "str"},
        },
        "names": {"endings": ["str"]},
        "kinds": [{"kind": "str", "keywords": ["str"], "starts_with?": ["str"]}],
        "fallback_kind": "str",
        "disposition": {"cancelled": ["regex"]},
        "steps": {"max_prefix_length": "int"},
        "types": {"*": "str"},
    },
    "duties": {
        "self_reference": {"*": ["str"]},
        "filler": {"words": ["str"], "penalty_words": ["str"], "penalty_marker": "str"},
        "equivalents": {"*": ["str"]},
        "units": {
            "county": ["str"],
            "departments": ["str"],
            "township": ["str"],
            "township_bodies": ["str"],
        },
        "contrasts": {"*": ["str"]},
        "scope": {"words": ["str"], "numbers": "regex"},
        "negation": {"words": ["str"], "not_negations": ["str"]},
        "matching": {
            "ngram": "int",
            "cosine_threshold": "float",
            "containment_threshold": "float",
            "containment_floor": "float",
            "full_containment": "float",
            "min_weight": "float",
            "whole_containment": "float",
            "char_containment": "float",
            "char_floor": "float",
            "replaced_chars": "int",
            "replaced_share": "float",
            "max_candidates": "int",
        },
        "review": {"cosine": "float", "containment": "float"},
    },
    "duty_vocabulary": {"wordings": "int", "df": {"*": "int"}},
    "lists": {
        "lists": {
            "*": {
                "label": "str",
                "title_keywords": ["str"],
                "columns_any": ["str"],
                "default_columns": ["str"],
            }
        },
        "detection": {"order": ["str"], "required_columns": ["str"], "title_markers": ["str"]},
        "columns": {
            "*": {
                "names": ["str"],
                "contains?": ["str"],
                "extra?": "bool",
                # the column registry (pipeline/common/columns.py checks these against each other)
                "value?": "str",
                "lists?": ["str"],
                "after?": "str",
                "compare?": "bool",
                "zh?": "str",
                "description?": "str",
                "header?": "str",
                "by_list?": {"*": {"*": "str"}},
            }
        },
        "columns_order": {"contains_order": ["str"]},
        "sections": {"enumerators": [{"style": "str", "pattern": "regex"}], "counts": ["regex"]},
    },
    "lookalikes": {"fold": {"*": "str"}},
    "messages": {
        "tables": {"*": "str"},
        "columns": {"*": {"*": "str"}},
        "untranslated": {"problems": ["str"]},
        "problems": [{"kind": "str", "match": "regex", "zh": "str"}],
        "reasons": [{"match": "regex", "zh": "str"}],
    },  # look-alike → standard character (checked in lookalikes.py)
    "ocr": {
        "punctuation": {"cjk_context": {"*": "str"}},
        "digits": {"lookalikes": {"*": "str"}, "max_length": "int"},
        "vocabulary": {
            "max_edits": "int",
            "min_length": "int",
            "below_confidence": "float",
            "free_line_edits": "float",
        },
    },
    "pdf_errors": {
        "fallback": "str",
        "rules": [{"match": "regex", "reason": "str", "memory?": "bool"}],
    },
    "power_types": {
        "fallback": "str",
        "rules": [{"power_type": "str", "keywords": ["str"]}],
    },
    "text": {
        "continuation": {"continued_on_next": ["regex"], "continued_from_previous": ["regex"]},
        "paragraph": {
            "numbered_step": ["regex"],
            "heading_end": ["regex"],
            "lead_heading?": ["regex"],
            "no_line_start": "str",
            "no_line_end": "str",
            "sentence_end": "str",
        },
        "furniture": {"page_footer": ["regex"], "title_prefix": ["regex"], "page_of": ["regex"]},
        "department_list": {"separators": ["str"]},
        "document_date": {"patterns": ["regex"]},
    },
}


class RulesError(ValueError):
    """A rules file that does not have its declared shape; the message names the file and key."""


_SCALARS: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "regex": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
}


def check(value: Any, shape: Shape, where: str) -> None:
    """Raise RulesError unless `value` has `shape`; `where` is the key path shown in the message."""
    if isinstance(shape, str):
        _check_scalar(value, shape, where)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise RulesError(f"{where}: expected a list, got {type(value).__name__}")
        for i, v in enumerate(value):
            check(v, shape[0], f"{where}[{i}]")
    elif not isinstance(value, dict):
        raise RulesError(f"{where}: expected a table, got {type(value).__name__}")
    elif "*" in shape:
        for k, v in value.items():
            check(v, shape["*"], f"{where}.{k}".lstrip("."))
    else:
        _check_table(value, shape, where)


def _check_scalar(value: Any, shape: str, where: str) -> None:
    numeric = shape in ("int", "float")
    if not isinstance(value, _SCALARS[shape]) or (numeric and isinstance(value, bool)):
        raise RulesError(f"{where}: expected {shape}, got {type(value).__name__} {value!r:.40}")
    if shape == "regex":
        try:
            re.compile(str(value))
        except re.error as exc:
            raise RulesError(f"{where}: not a valid regular expression ({exc})") from None


def _check_table(value: dict, shape: dict, where: str) -> None:
    wanted = {k.rstrip("?"): k for k in shape}
    unknown = sorted(set(value) - set(wanted))
    if unknown:
        raise RulesError(f"{where or '(top level)'}: unknown key {unknown[0]!r} (known: {', '.join(wanted)})")
    for key, declared in wanted.items():
        if key in value:
            check(value[key], shape[declared], f"{where}.{key}".lstrip("."))
        elif not declared.endswith("?"):
            raise RulesError(f"{(where + '.' + key).lstrip('.')}: missing")


def load_file(path: Path, shape: Shape) -> dict:
    """A rules file parsed and checked against its shape (errors name the file)."""
    import tomllib  # only where a file is parsed, not where its checked form is reused

    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML ({exc})") from None
    try:
        check(data, shape, "")
    except RulesError as exc:
        raise RulesError(f"{path}: {exc}") from None
    return data


@cache
def load(name: str) -> dict:
    """The rules file `pipeline/rules/<name>.toml` as a dict, checked against its declared shape.

    Parsed and checked once per content: the result is kept beside the rules, as Python keeps
    compiled modules (`derived`), since parsing TOML in Python costs a cold build 0.02-0.05 s."""
    if name not in SHAPES:
        raise RulesError(f"{rules_path(name)}: no shape declared in pipeline/common/rules.py")
    path = rules_path(name)
    data = path.read_bytes()
    return derived(name, data + repr(SHAPES[name]).encode(), lambda: load_file(path, SHAPES[name]))


def rules_path(name: str) -> Path:
    """Where the rules file NAME is: pipeline/rules/<name>.toml."""
    return RULES_DIR / f"{name}.toml"


T = TypeVar("T")


def derived(name: str, inputs: bytes, make: Callable[[], T]) -> T:
    """make(), or what it returned before for the same inputs.

    For data derived from rules files or pinned packages (parsed and checked rules, the county
    index), kept as a pickle in the user's private cache folder (`cache_dir()`) under a digest
    of the inputs, of this module's code, of the code of the module that defines make() (the
    checks a caller runs in it, e.g. lookalikes.validate) and of the Python version: a rules
    edit, a code change or another interpreter makes it again. A pickle runs code when loaded,
    so one is loaded only from a folder and a file that belong to this user and that nobody else
    can write (never from the source tree, which others may be able to write); anything else, or
    a folder that cannot be made, and make() simply runs every time (it costs a cold build
    about 0.04 s). Errors in make() are not kept. Code make() calls in yet other modules belongs
    in INPUTS."""
    h = hashlib.sha256(inputs)
    h.update(_CODE)
    h.update(_maker_code(make))
    h.update(sys.version.encode())
    folder = cache_dir()
    target = folder / f"{name}.{h.hexdigest()[:20]}.pickle"
    try:
        if _private(folder) and _private(target):
            with target.open("rb") as f:
                return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, IndexError):
        pass  # not made yet, or unreadable: make it again
    value = make()
    import tempfile

    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return value  # a folder others can write: keep nothing there
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
        for old in folder.glob(f"{name}.*.pickle"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # no cache folder can be made: nothing kept
    return value


def cache_dir() -> Path:
    """Where derived data is kept: $DUTY_LISTS_CACHE, else $XDG_CACHE_HOME/duty-lists/derived,
    else ~/.cache/duty-lists/derived (the per-user cache folder of the XDG convention)."""
    explicit = os.environ.get("DUTY_LISTS_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "duty-lists" / "derived"


def _private(path: Path) -> bool:
    """PATH is this user's and no one else can write it (so loading a pickle from it is as safe
    as running this user's own code)."""
    st = path.stat()
    return st.st_uid == os.getuid() and not st.st_mode & 0o022


_CODE = Path(__file__).read_bytes()


def _maker_code(make: Callable) -> bytes:
    """The source of the module that defines MAKE (empty where it has none to read)."""
    code = getattr(make, "__code__", None)
    try:
        return Path(code.co_filename).read_bytes() if code is not None else b""
    except OSError:
        return b""


def rules_digest(names: tuple[str, ...]) -> bytes:
    """Bytes of the given rules files, for stage versions (a rule change invalidates caches)."""
    return b"".join((RULES_DIR / f"{n}.toml").read_bytes() for n in names)
