"""A published table read a batch of rows at a time, whether it is one Parquet file
(PROCESSED/NAME.parquet) or a partitioned folder of them under that name (a Parquet dataset, hive
partition keys such as `province=北京市/` taken as columns), so that publish holds one batch of a
table, never the whole table, however many townships it has.

Every file is read with `ParquetFile`, a folder's files one after another in path order (the
order `pyarrow.dataset` gives them): `pyarrow.dataset` is not imported, which costs 0.2-0.3 s and
brings pandas in, and a file's metadata is held only while it is read (through `pyarrow.dataset`,
publishing 10,000 townships by province took 412 MB, proportional, for its two processes).
Batches are decoded in this thread: with small batches Arrow's threads gain no time, and each
would hold memory of its own (30 MB less a process without them). Pages are read as they are
decoded (no `pre_buffer`, which reads every row group's column chunks ahead: memory that grows
with the file, 34 MB more at 10,000 townships, and no faster from a local disk).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pipeline.common.storage import partition_keys, table_parts

# Rows read at a time: what publish holds of a table. A batch's text is held about four times
# over while a sheet is written (values, cells' XML, rows, the chunk written); 1,000 rows keep
# that near 10 MB for the longest items, as fast as larger batches.
BATCH = 1_000


def table_path(processed: Path, name: str) -> Path:
    """Where table NAME is published: a Parquet file, or a folder of them (partitioned)."""
    return processed / f"{name}.parquet"


def exists(path: Path) -> bool:
    return path.is_file() or path.is_dir()


def batches(path: Path, batch_size: int | None = None) -> Iterator[dict[str, list]]:
    """The table's rows in order, BATCH_SIZE (default BATCH) at a time, as {column: values}; a
    dataset's files one after another in path order, each file's partition keys added as columns
    after its own (as `pyarrow.dataset` reads them: the value of `province=甘肃省/` for every row)."""
    import pyarrow.parquet as pq

    batch_size = batch_size or BATCH
    for part, keys in files(path):
        with pq.ParquetFile(part, pre_buffer=False) as f:
            for batch in f.iter_batches(batch_size=batch_size, use_threads=False):
                data = batch.to_pydict()
                for key, value in keys.items():
                    data.setdefault(key, [value] * batch.num_rows)
                yield data


def files(path: Path) -> list[tuple[str, dict[str, str]]]:
    """The table's Parquet files in order, each with its partition keys ({} for a single file)."""
    return [(str(p), partition_keys(path, p)) for p in table_parts(path)]


def num_rows(path: Path) -> int:
    """Rows of the table, from the files' metadata (no data read)."""
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(p).num_rows for p, _ in files(path))


def data_bytes(path: Path) -> int:
    """The table's data (uncompressed bytes of its row groups), from the files' metadata."""
    import pyarrow.parquet as pq

    total = 0
    for p, _ in files(path):
        meta = pq.read_metadata(p)
        total += sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    return total
