"""Stage 1, extract: raw files → page records (tables as grids of cells with text lines).

Modules: stage (the run, cache and manifest), pdf (the pdfplumber reader), ocr (the reader of
scanned pages and image files), raster (image processing for it), geometry (grids from ruling
lines, characters → lines). May import pipeline.common only.
"""

from pipeline.extract.stage import run, version

__all__ = ["run", "version"]
