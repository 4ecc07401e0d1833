"""Write the exports of a processed folder: csv/TABLE.csv, duty_lists.xlsx, datapackage.json.

Called after the tables are written (make all runs it after normalize); it only reads the published
Parquet tables, so it can run inside any publication step that has them.
"""

from __future__ import annotations

from pathlib import Path
import sys

from pipeline.common import cli
from pipeline.common.parallel import Forked
from pipeline.normalize.schema import spec, write_datapackage
from pipeline.publish.csv_files import write_csvs
from pipeline.publish.workbook import WORKBOOK, finish_workbook, render_sheets, split_sheets


def run(processed: Path, log=print) -> None:
    """Write every export from the Parquet tables in PROCESSED."""
    missing = [t for t in spec() if not (processed / f"{t}.parquet").exists()]  # a file or a dataset
    if missing:
        raise FileNotFoundError(f"{processed} has no {missing[0]}.parquet (run normalize first)")
    # The workbook is the largest export: a forked child renders its largest sheets while this
    # process writes the CSV files and renders the other sheets, which it then hands to the
    # child; the child packs the workbook.
    helper, own = split_sheets(processed)
    workbook = Forked(finish_workbook, processed, helper, inbox=True)
    try:
        write_csvs(processed)
        write_datapackage(processed)
        workbook.send(render_sheets(processed, own))
    except BaseException:
        workbook.cancel()
        raise
    workbook.result()
    log(f"publish: {WORKBOOK} (open it in Excel or WPS), csv/ (UTF-8 with BOM), datapackage.json")


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.publish", __doc__)
    ap.add_argument("--processed", type=Path, default=Path("data/processed"), help=cli.PROCESSED_HELP)
    args = ap.parse_args(argv)
    try:
        run(args.processed)
    except FileNotFoundError as exc:
        print(f"publish: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
