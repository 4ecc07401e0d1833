"""storage.rows_to_arrow: the direct path a build takes (pyarrow loaded without numpy) gives the
same tables as the JSON path the tests and notebooks take, and it does not load numpy or pandas."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import DEFAULT_PDF, ROOT

# Run in a fresh interpreter: this pytest process has numpy loaded, so pyarrow has it too.
PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from pipeline.common.storage import import_arrow, rows_to_arrow, _from_rows, jsonl_to_arrow, rows_to_jsonl
import_arrow()
from pipeline.common.records import extract_schema, records_to_rows
from pipeline.common.settings import CleanSettings, ExtractSettings
from pipeline.clean.stage import clean_schema, clean_file
from pipeline.common.records import arrow_to_records
from pipeline.extract.pdf import open_for_tasks, run_page_task
from pathlib import Path
rows = [r for t in open_for_tasks(Path(sys.argv[2]), ExtractSettings(), 2) for r in run_page_task(t)["rows"]]
direct = rows_to_arrow(rows, extract_schema())
via_json = jsonl_to_arrow(rows_to_jsonl(rows), extract_schema())
items, _, _ = clean_file(arrow_to_records(direct), Path(sys.argv[2]).name, CleanSettings())
clean_direct = _from_rows(items, clean_schema())
clean_json = jsonl_to_arrow(rows_to_jsonl(items), clean_schema())
try:
    _from_rows([{"page": 1, "no_such_field": 2}], extract_schema())
    refused = False
except ValueError:
    refused = True
print(json.dumps({
    "extract_equal": direct.equals(via_json) and direct.schema.equals(via_json.schema, check_metadata=True),
    "clean_equal": clean_direct.equals(clean_json),
    "rows": direct.num_rows, "items": clean_direct.num_rows,
    "numpy": "numpy" in sys.modules, "pandas": "pandas" in sys.modules,
    "refused": refused,
}))
"""


def test_direct_rows_match_the_json_path_and_load_neither_numpy_nor_pandas():
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT), str(DEFAULT_PDF)], capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["rows"] > 1000 and got["items"] == 263
    assert got["extract_equal"] and got["clean_equal"]
    assert not got["numpy"] and not got["pandas"]
    assert got["refused"], "a row with a field the schema lacks must be refused, as the JSON reader does"


def test_a_stages_cache_files_are_flushed_at_once_before_its_manifest_names_them(tmp_path, monkeypatch):
    """Cache files are written without an fsync each (5-15 ms apiece: seconds for a folder of
    many files) and made durable together, before the stage's manifest (synced) names them; the
    staged set is durable before the publication journal names it."""
    import os

    from pipeline import clean, extract, normalize
    from pipeline.common import publication, storage
    from pipeline.common.storage import build_dir

    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(3):  # three files with the same list (other bytes): three cache files per stage
        (raw / f"copy{i}.pdf").write_bytes(DEFAULT_PDF.read_bytes() + f"% copy {i}\n".encode())
    processed = tmp_path / "out"
    events: list[str] = []
    real_fsync, real_sync = os.fsync, storage.sync_folder

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def sync_folder(folder) -> None:
        done = {p.name for p in folder.rglob("*.parquet")} if folder.is_dir() else set()
        manifests = {p.name for p in build_dir(processed).glob("*.json")}
        journal = (build_dir(processed) / publication.JOURNAL).exists()
        events.append(f"sync {len(done)} parquet, manifests {sorted(manifests)}, journal {journal}")
        real_sync(folder)

    monkeypatch.setattr(os, "fsync", fsync)
    for module in (storage, extract.stage, clean.stage, publication):
        monkeypatch.setattr(module, "sync_folder", sync_folder, raising=False)
    extract.run(raw, processed, jobs=1, log=lambda *a: None)
    assert events == ["sync 3 parquet, manifests [], journal False", "fsync"]  # the manifest's own
    events.clear()
    clean.run(processed, log=lambda *a: None)
    assert events == ["sync 3 parquet, manifests ['extract.json'], journal False", "fsync"]
    events.clear()
    with publication.staged(processed) as out:
        normalize.run(processed, out, log=lambda *a: None)
    syncs = [e for e in events if e.startswith("sync")]
    assert len(syncs) == 1 and syncs[0].endswith("journal False")  # before the journal is written
    assert not (build_dir(processed) / publication.JOURNAL).exists()
    assert (processed / "basic_items.parquet").is_file()
