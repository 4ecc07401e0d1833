"""Stage 1, extract: raw files → page records (tables as grids of cells with text lines).

Modules: stage (the run, cache and manifest), pdf (the pdfplumber reader), geometry (grids
from ruling lines, characters → lines), formats (what a raw file is, from its content), office
(Word and Excel files: word, sheets, legacy through LibreOffice, office_layout for their
synthetic geometry). May import pipeline.common only.
"""

from pipeline.extract.stage import run, version

__all__ = ["run", "version"]
