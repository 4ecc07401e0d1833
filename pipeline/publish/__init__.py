"""After normalize: the published tables for people and other programs (CSV files with a byte-order
mark, an Excel workbook, datapackage.json). Reads only the published Parquet tables.

Run alone: python -m pipeline.publish --processed data/processed
"""

from pipeline.publish.stage import main, run

__all__ = ["main", "run"]
