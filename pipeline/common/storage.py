"""Atomic, deterministic file writes and the build folder layout inside the processed folder.

Everything is written to a temporary file beside its target and moved into place, so a failed
or interrupted run leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

from functools import cache
import hashlib
import json
import os
from pathlib import Path
import re
import sys
import tempfile
import threading

BUILD_DIR = ".build"
EXTRACT_MANIFEST = "extract.json"  # what the extract stage read, per raw file
CLEAN_MANIFEST = "clean.json"  # what the clean stage made of it, per raw file
PROBLEMS_SUMMARY = "problems.json"  # the published problems table, for the run summary


def build_dir(processed: Path) -> Path:
    """Working folder of the pipeline inside the processed folder (caches, stage manifests)."""
    return processed / BUILD_DIR


def stage_version(stage: str, rules: tuple[str, ...], *inputs: bytes) -> str:
    """Key of a stage's cache: changes with the package version, every module of the stage's
    folder (pipeline/<stage>/) and of pipeline/common/, the rules files it reads and any other
    inputs (settings). The folder is the map from stage to code; the Makefile uses the same."""
    from pipeline import __version__
    from pipeline.common.rules import rules_digest

    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256(__version__.encode())
    for folder in ("common", stage):
        for module in sorted((root / folder).glob("*.py")):
            h.update(module.name.encode() + b"\0" + module.read_bytes())
    h.update(rules_digest(rules))
    for data in inputs:
        h.update(data)
    return h.hexdigest()[:12]


# The libraries whose reading shapes the tables: a new version may read a file otherwise.
READING_LIBRARIES = (
    "pypdfium2",
    "pdfplumber",
    "pdfminer.six",
    "openpyxl",
    "xlrd",
    "defusedxml",
    "pillow",
    "rapidocr-onnxruntime",
    "onnxruntime",
    "pyarrow",
)


def reader_versions() -> bytes:
    """name==version of each reading library (name==- where one is not installed), from the
    names of the installed distributions' metadata folders (…/pdfplumber-0.11.10.dist-info):
    importlib.metadata would add a tenth of the no-op build's time."""
    import sys

    installed: dict[str, str] = {}
    for folder in sys.path:
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in names:
            if entry.endswith(".dist-info"):
                name, _, version = entry[: -len(".dist-info")].partition("-")
                installed.setdefault(_normal(name), version)
    return "\n".join(f"{n}=={installed.get(_normal(n), '-')}" for n in READING_LIBRARIES).encode()


def _normal(name: str) -> str:
    """A distribution name as its metadata folder spells it (PEP 503 and wheel's escaping)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def package_digest(root: Path | None = None) -> str:
    """Digest of every file of the package (pipeline/: code, rules, templates, the workbook
    theme; compiled caches left out) and of pyproject.toml beside it. ROOT: the package folder
    (default: this one, taken once per process: the freshness check and the build id both ask)."""
    return _digest_of(root) if root is not None else _own_digest()


@cache
def _own_digest() -> str:
    return _digest_of(Path(__file__).resolve().parent.parent)


def _digest_of(root: Path) -> str:
    h = hashlib.sha256()
    pyproject = root.parent / "pyproject.toml"
    if pyproject.is_file():
        h.update(pyproject.read_bytes())
    files = []  # relative paths as their parts, the order Path objects sort in
    for top, folders, names in os.walk(root):
        folders[:] = [f for f in folders if f != "__pycache__"]  # compiled modules, parsed rules
        rel = Path(top).relative_to(root).parts
        files += [(*rel, n) for n in names if not n.endswith((".pyc", ".pyo"))]
    for parts in sorted(files):
        path = root.joinpath(*parts)
        if path.is_file():
            h.update("/".join(parts).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def read_manifest(path: Path) -> dict:
    """A stage manifest from an earlier run, or {} when there is none (or it is unreadable)."""
    try:
        return read_json(path)
    except (OSError, ValueError):
        return {}


def prune_cache(cache: Path, live: set[str]) -> None:
    """Delete cached files not named in `live`, and caches of other stage versions beside it."""
    for stale in cache.glob("*.parquet"):
        if stale.name not in live:
            stale.unlink()
    for other in cache.parent.iterdir():
        if other != cache and other.is_dir():
            for p in sorted(other.rglob("*"), reverse=True):
                p.unlink() if p.is_file() else p.rmdir()
            other.rmdir()


CACHE_FOLDERS = ("extract", "clean", "ocr")  # under .build: a file (or page) each, thousands of them


def remove_stale_temp_files(processed: Path, caches: bool = True) -> None:
    """Delete temporary files (.NAME.….tmp) a killed run left behind (builds hold a lock, so none
    is live). CACHES: in the stages' per-file cache folders too; a build that reads files sweeps
    them (pipeline.extract), a build that finds nothing changed (which writes none) leaves them:
    with 10,000 raw files they hold 20,000 files."""
    skip = set() if caches else {build_dir(processed) / name for name in CACHE_FOLDERS}
    for top, folders, files in os.walk(processed):
        if skip:
            folders[:] = [f for f in folders if Path(top, f) not in skip]
        for name in files:
            if name.startswith(".") and name.endswith(".tmp") and len(name) >= 5:
                Path(top, name).unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes, sync: bool = True) -> None:
    """Write PATH whole or not at all (a temporary file renamed into place). SYNC: on disk before
    it is renamed; without it, the caller makes a batch of files durable at once (`sync_folder`)
    before anything that names them is written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sync_folder(folder: Path) -> None:
    """Make every file written into FOLDER's file system durable, at once: one syncfs (Linux)
    instead of an fsync per file, which took 5-15 ms each (seconds for a folder of cache files
    on a busy disk); os.sync where there is no syncfs. Raises OSError when the disk failed."""
    if sys.platform.startswith("linux"):
        import ctypes

        fd = os.open(folder, os.O_RDONLY)
        try:
            if ctypes.CDLL(None, use_errno=True).syncfs(fd) != 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err), str(folder))
        finally:
            os.close(fd)
        return
    os.sync()


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def read_json(path: Path):
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def rows_to_jsonl(rows: list[dict]) -> bytes:
    """Rows as JSON lines, the form `jsonl_to_arrow` reads."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def import_arrow() -> None:
    """Import pyarrow (and its Parquet and JSON modules) without numpy, unless numpy or pyarrow
    is already loaded.

    numpy is optional for pyarrow (since 16) and costs a third of its import (0.1 s); a build
    process hands pyarrow Python rows, never numpy arrays. Without numpy pyarrow also cannot
    import pandas, which makes `rows_to_arrow`'s direct path cheap. Only for a build's own
    processes: a notebook or the tests import pyarrow as usual and get the JSON path.
    """
    import sys

    with ARROW_IMPORT:  # another thread must not import numpy while it is hidden
        if "pyarrow" in sys.modules or "numpy" in sys.modules:
            return
        sys.modules["numpy"] = None  # type: ignore[assignment]  # an import of it now fails
        try:
            import pyarrow.json  # noqa: F401
            import pyarrow.parquet  # noqa: F401
        finally:
            if sys.modules.get("numpy", 0) is None:
                del sys.modules["numpy"]


# Held while `import_arrow` hides numpy; a thread importing numpy meanwhile takes it first.
ARROW_IMPORT = threading.RLock()


def _arrow_has_numpy() -> bool:
    import pyarrow.lib

    return getattr(pyarrow.lib, "np", None) is not None


def rows_to_arrow(rows: list[dict], schema):
    """Arrow table of `schema` from plain row dicts; a key the schema lacks raises ValueError.

    Built from the Python rows directly where pyarrow was loaded without numpy (`import_arrow`:
    a build); else through Arrow's JSON reader, because building arrays from Python lists makes
    a pyarrow that has numpy import pandas (0.3 s), which a short-lived stage process would pay.
    Both give the same table (tests/test_storage.py)."""
    if _arrow_has_numpy():
        return jsonl_to_arrow(rows_to_jsonl(rows), schema)
    return _from_rows(rows, schema)


def _from_rows(rows: list[dict], schema):
    import pyarrow as pa

    names = set(schema.names)
    for row in rows:
        if not names.issuperset(row):
            raise ValueError(f"row has fields the schema lacks: {sorted(set(row) - names)}")
    table = pa.Table.from_pylist(rows, schema=schema)
    return table.combine_chunks().replace_schema_metadata(schema.metadata)


def jsonl_to_arrow(data: bytes, schema):
    """Arrow table of `schema` from JSON lines.

    Goes through Arrow's JSON reader: building arrays from Python lists makes pyarrow import
    pandas (0.3 s per process), which each short-lived stage process would pay.
    """
    import io

    import pyarrow.json as pj

    if not data:
        return schema.empty_table()
    opts = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    table = pj.read_json(
        io.BytesIO(data), parse_options=opts, read_options=pj.ReadOptions(block_size=1 << 26)
    )
    table = table.select(schema.names)
    if not table.schema.equals(schema, check_metadata=False):
        table = table.cast(schema)  # imports pyarrow.compute; read_json's types usually match
    return table.combine_chunks().replace_schema_metadata(schema.metadata)


# A large table may be published as a dataset (pipeline.normalize: PARTITION): a folder named
# as the single file would be, TABLE.parquet/, holding one file per province in hive-style
# folders, TABLE.parquet/province=甘肃省/part-0.parquet. pandas.read_parquet and
# pyarrow.dataset.dataset read the folder as one table (with a province column from the folder
# names); DuckDB reads read_parquet('TABLE.parquet/*/*.parquet', hive_partitioning = true).
PARTITION_COLUMN = "province"
PART_FILE = "part-0.parquet"
# Rows whose township's province is not known (a county the division index lacks), and an
# empty table's file. Not Hive's null folder (__HIVE_DEFAULT_PARTITION__): pandas cannot read a
# dataset holding it beside another province ("Cannot yet unify dictionaries with nulls"), nor
# pyarrow one holding only it.
UNKNOWN_PROVINCE = "未知"


def partition_folder(value: str | None) -> str:
    """The folder of a province's rows: province=VALUE (UNKNOWN_PROVINCE when there is none), with
    the few characters a path segment cannot hold (/ \\ = % and controls) percent-encoded, as
    pyarrow decodes them."""
    if value is None or value == "":
        return f"{PARTITION_COLUMN}={UNKNOWN_PROVINCE}"
    safe = "".join(f"%{ord(c):02X}" if c in "/\\=%" or ord(c) < 32 else c for c in value)
    return f"{PARTITION_COLUMN}={safe}"


def table_parts(path: Path) -> list[Path]:
    """The Parquet files of a published table: the file itself, or a dataset's files in a stable
    order (see PARTITION_COLUMN; any hive-style folders, as pyarrow reads them: names starting
    with . or _ are not data)."""
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*.parquet")
            if p.is_file() and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
        )
    return [path]


def partition_keys(table: Path, part: Path) -> dict[str, str]:
    """The hive partition keys of one of a dataset's files (`key=value` folders between the
    table's folder and the file; values percent-decoded as `partition_folder` encodes them)."""
    from urllib.parse import unquote

    keys = {}
    for folder in part.relative_to(table).parts[:-1]:
        key, sep, value = folder.partition("=")
        if sep:
            keys[key] = unquote(value)
    return keys


def read_parquet(path: Path, columns: list[str] | None = None):
    """Arrow table from a Parquet file (without importing pandas), COLUMNS only where given.

    Decoded in this thread: a file of the build (one source file's pages or items) decodes in a
    few ms, which Arrow's thread pool only lengthens (starting it, handing columns over), 5-10 ms
    a read on two busy cores."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as f:
        return f.read(columns=columns, use_threads=False)


def write_parquet(path: Path, table, sync: bool = True) -> None:
    """Write an Arrow table as Parquet, atomically and byte-for-byte reproducibly (SYNC: see
    atomic_write_bytes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_statistics=True, store_schema=True)
    atomic_write_bytes(path, sink.getvalue().to_pybytes(), sync)
