"""The machine's fonts do not change what is read. PDFium substitutes a font a PDF does not
embed; left to itself it looks for one among the fonts installed (on Linux it scans font folders
itself, not through fontconfig), so a machine with fonts-noto-cjk decoded glyphs another machine
leaves empty. The reader gives PDFium no system font at all (pipeline/extract/pdfium.py,
`_no_system_fonts`). Each case runs the reader in a fresh process whose PDFium was first
initialised with a font folder holding CJK fonts, as on a machine with them installed, or with an
empty one, and the two must read the same."""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys

import mplfonts
import pytest

from tests.conftest import ROOT
from tests.test_pdfium_reader import _cid_glyphs, _pdf

CJK_FONTS = Path(mplfonts.__file__).parent / "fonts"  # Noto Sans/Serif CJK, SimHei, Source Han

PROBE = r"""
import ctypes, json, sys
import pypdfium2_raw as R
folder = sys.argv[2]
paths = (ctypes.POINTER(ctypes.c_char) * 2)(ctypes.cast(ctypes.c_char_p(folder.encode()), ctypes.POINTER(ctypes.c_char)), None)
R.FPDF_InitLibraryWithConfig(R.FPDF_LIBRARY_CONFIG(version=2, m_pUserFontPaths=paths, m_pIsolate=None, m_v8EmbedderSlot=0))
from pipeline.common.settings import ExtractSettings
from pipeline.extract.pdf import PageTask, _pdfium_pages
from pipeline.extract.pdfium import Document
with Document(sys.argv[1]) as doc:
    page = doc.page_objects(0)
[(record, _)], _ = _pdfium_pages(PageTask(sys.argv[1], 0, 1, ExtractSettings(engine="pdfium")))
chars = [[c["text"], round(c["x0"], 3), round(c["x1"], 3)] for c in page["objects"]["char"]]
print(json.dumps({"undecoded": page["undecoded"], "chars": chars, "lines": [l["text"] for l in record["text"]]}))
"""


def _read_with_fonts(pdf: Path, folder: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(pdf), str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.mark.parametrize("one_per_operator", [True, False])
def test_installed_cjk_fonts_do_not_change_what_pdfium_reads(tmp_path, one_per_operator):
    """reportlab's STSong-Light is a CID font the file does not embed. With CJK fonts at hand
    PDFium would decode the one-glyph strings it otherwise leaves empty; without system fonts it
    reads the same with or without them, and the page reads 事项名称 either way."""
    pdf = _pdf(tmp_path / "cid.pdf", lambda c: _cid_glyphs(c, one_per_operator))
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    with_fonts, without = _read_with_fonts(pdf, CJK_FONTS), _read_with_fonts(pdf, empty)
    assert with_fonts == without
    assert "".join(without["lines"]) == "事项名称"
    assert without["undecoded"] is one_per_operator
