"""Stage 1, extract: raw files → page records (tables as grids of cells with text lines).

Modules: stage (the run, cache and manifest), formats (what a raw file is, from its content),
pdf (page tasks and the pdfplumber reader), pdfium (the PDFium reader), page (a page's objects →
its page record, for both readers), rulings (ruled tables from lines and rectangles), geometry
(grids from ruling lines, characters → lines), ocr (the reader of scanned pages and image files),
raster (image processing for it), office (Word and Excel files: word, sheets, legacy through
LibreOffice, office_layout for their synthetic geometry). May import pipeline.common only.
"""

from pipeline.extract.stage import run, version

__all__ = ["run", "version"]
