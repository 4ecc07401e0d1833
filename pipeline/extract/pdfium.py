"""The fast reader: a page's characters and graphics read with PDFium (pypdfium2's raw API).

Produces the same per-page object lists as the pdfplumber reader's `lean_objects` (characters
with boxes, font size and upright flag; lines, rectangles and curves from path objects), in the
same coordinates: pdfminer's page space (the page's /Rotate and MediaBox offset applied as
pdfminer applies them), flipped to a top-left origin the way pdfplumber flips it. Table and
line finding downstream is shared by both readers.

Where PDFium and pdfminer see a page differently:
- PDFium inserts characters of its own (spaces and line breaks between text runs); they are
  dropped, so only printed characters remain.
- PDFium replaces a marked-content span's glyphs by its /ActualText; pdfminer does not.
- PDFium keeps coordinates as 32-bit floats (pdfminer: 64-bit); path points are rounded to 4
  decimals, which restores the numbers written in the file, so that rectangle and edge tests on
  exact equality decide as pdfminer's do. Characters agree to about 0.0001 pt.
- PDFium leaves out a text object holding only a space; it is read back (`_lone_space`), for
  text objects on the page itself (not inside form XObjects).
- PDFium decodes no glyph at all from a text object that shows a single character in a font the
  file does not embed with a predefined CMap (reportlab's STSong-Light with UniGB-UCS2-H, one
  glyph per text operator as Chromium-style producers write): the object comes out empty and
  zero wide, like a lone space, and its text cannot be had from PDFium. A page holding such an
  object is flagged `undecoded`, and the caller reads that page with pdfminer instead.

Not guarded here: a decompression bomb (a small file with a huge stream) makes PDFium inflate
the whole stream in memory.
"""

from __future__ import annotations

import ctypes
import os

import pypdfium2_raw as R  # the raw bindings alone: pypdfium2's helpers take 4x longer to import

from pipeline.common.unicode import has_surrogates, is_high, is_low, whole
from pipeline.extract.geometry import matrix_product

_GENERATED_CANDIDATES = frozenset(" \r\n\x02\ufffe")  # what PDFium inserts between runs
_DIGITS = 4


def _prototype(name: str, restype, *argtypes):
    """A PDFium function taking and returning handles as plain integers: pypdfium2's typed
    pointers cost more per call than the call itself, and this runs once per character."""
    from pypdfium2_raw.bindings import _libs  # the loaded library, to declare our own prototypes

    fn = _libs["pdfium"][name]
    fn.restype, fn.argtypes = restype, argtypes
    return fn


def _unchecked(name: str, restype):
    """A PDFium function without declared argument types, for the calls made once per
    character: ctypes then converts nothing, which makes a call 2-3 times cheaper. Handles must
    be passed as c_void_p objects (a plain int would be cut to a C int), indices as ints,
    pointers as byref(...)."""
    from pypdfium2_raw.bindings import _libs

    fn = getattr(ctypes.CDLL(_libs["pdfium"]._name), name)  # a separate handle: own prototypes
    fn.restype = restype
    return fn


_vp, _int, _dp = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_double)
_text_object_fast = _unchecked("FPDFText_GetTextObject", ctypes.c_void_p)
_char_origin_fast = _unchecked("FPDFText_GetCharOrigin", ctypes.c_int)
_char_matrix_fast = _unchecked("FPDFText_GetMatrix", ctypes.c_int)
_font_size_fast = _unchecked("FPDFTextObj_GetFontSize", ctypes.c_int)
_font_fast = _unchecked("FPDFTextObj_GetFont", ctypes.c_void_p)
_loose_box_fast = _unchecked("FPDFText_GetLooseCharBox", ctypes.c_int)
_text_object = _prototype("FPDFText_GetTextObject", _vp, _vp, _int)
_is_generated = _prototype("FPDFText_IsGenerated", _int, _vp, _int)
_char_origin = _prototype("FPDFText_GetCharOrigin", _int, _vp, _int, _dp, _dp)
_loose_box = _prototype("FPDFText_GetLooseCharBox", _int, _vp, _int, ctypes.POINTER(R.FS_RECTF))
_glyph_width = _prototype(
    "FPDFFont_GetGlyphWidth", _int, _vp, ctypes.c_uint32, ctypes.c_float, ctypes.POINTER(ctypes.c_float)
)
_font_size = _prototype("FPDFTextObj_GetFontSize", _int, _vp, ctypes.POINTER(ctypes.c_float))
_font = _prototype("FPDFTextObj_GetFont", _vp, _vp)
_is_embedded = _prototype("FPDFFont_GetIsEmbedded", _int, _vp)
_char_matrix = _prototype("FPDFText_GetMatrix", _int, _vp, _int, ctypes.POINTER(R.FS_MATRIX))
_char_box = _prototype("FPDFText_GetCharBox", _int, _vp, _int, _dp, _dp, _dp, _dp)
_fp = ctypes.POINTER(ctypes.c_float)
_page_object = _prototype("FPDFPage_GetObject", _vp, _vp, _int)
_form_object = _prototype("FPDFFormObj_GetObject", _vp, _vp, ctypes.c_ulong)
_form_count = _prototype("FPDFFormObj_CountObjects", _int, _vp)
_object_type = _prototype("FPDFPageObj_GetType", _int, _vp)
_object_matrix = _prototype("FPDFPageObj_GetMatrix", _int, _vp, ctypes.POINTER(R.FS_MATRIX))
_object_bounds = _prototype("FPDFPageObj_GetBounds", _int, _vp, _fp, _fp, _fp, _fp)
_object_text = _prototype("FPDFTextObj_GetText", ctypes.c_ulong, _vp, _vp, _vp, ctypes.c_ulong)
_segments = _prototype("FPDFPath_CountSegments", _int, _vp)
_segment = _prototype("FPDFPath_GetPathSegment", _vp, _vp, _int)
_segment_type = _prototype("FPDFPathSegment_GetType", _int, _vp)
_segment_point = _prototype("FPDFPathSegment_GetPoint", _int, _vp, _fp, _fp)
_segment_close = _prototype("FPDFPathSegment_GetClose", _int, _vp)


class PdfiumError(Exception):
    """PDFium could not open or read a file; the message says why in a few words."""


_LOAD_ERRORS = {  # PDFium's reasons, worded like the pdfplumber reader's (extract/pdf.py)
    R.FPDF_ERR_FILE: "unreadable PDF (the file could not be opened)",
    R.FPDF_ERR_FORMAT: "unreadable PDF (PDFium: not a PDF or corrupted)",
    R.FPDF_ERR_PASSWORD: "encrypted PDF (a password is needed to open it)",
    R.FPDF_ERR_SECURITY: "encrypted PDF (an unsupported security handler)",
    R.FPDF_ERR_PAGE: "unreadable PDF (a page could not be read)",
}

_initialised = False


def _no_system_fonts() -> R.FPDF_SYSFONTINFO:
    """A system font source that offers no font: PDFium then substitutes only its own built-in
    fonts (the standard 14 and their fallbacks) for a font a file does not embed, never a font
    installed on the machine. What PDFium decodes must not depend on the fonts installed: with a
    CJK font such as fonts-noto-cjk installed, PDFium decodes glyphs of a non-embedded CID font
    that it leaves empty without one, and boxes follow the substituted font's metrics. A page
    PDFium cannot decode this way is flagged `undecoded` and read by pdfminer, which never uses
    system fonts; so the tables are the same on every machine."""
    info = R.FPDF_SYSFONTINFO()
    info.version = 1
    fields = dict(R.FPDF_SYSFONTINFO._fields_)
    info.Release = fields["Release"](lambda this: None)
    info.EnumFonts = fields["EnumFonts"](lambda this, mapper: None)
    info.MapFont = fields["MapFont"](lambda this, weight, italic, charset, pitch, face, exact: None)
    info.GetFont = fields["GetFont"](lambda this, face: None)
    info.GetFontData = fields["GetFontData"](lambda this, font, table, buffer, size: 0)
    info.GetFaceName = fields["GetFaceName"](lambda this, font, buffer, size: 0)
    info.GetFontCharset = fields["GetFontCharset"](lambda this, font: 0)
    info.DeleteFont = fields["DeleteFont"](lambda this, font: None)
    return info


_FONT_INFO: list = []  # keeps the font source and its callbacks alive as long as PDFium holds them


def init_without_system_fonts() -> None:
    """Initialise PDFium (if pypdfium2 has not) and take away its system fonts, for a process
    that renders pages with pypdfium2 (OCR): see `_no_system_fonts`."""
    _init()


def _init() -> None:
    """Initialise PDFium once per process (as pypdfium2 does on import; PDFium ignores a second
    initialisation, so importing pypdfium2 as well is harmless), without system fonts
    (`_no_system_fonts`)."""
    global _initialised
    if not _initialised:
        config = R.FPDF_LIBRARY_CONFIG(version=2, m_pUserFontPaths=None, m_pIsolate=None, m_v8EmbedderSlot=0)
        R.FPDF_InitLibraryWithConfig(config)
        info = _no_system_fonts()
        _FONT_INFO.append(info)
        R.FPDF_SetSystemFontInfo(ctypes.byref(info))
        _initialised = True


class Document:
    """An open PDF; close it (or use `with`) to free PDFium's memory."""

    def __init__(self, path: str) -> None:
        _init()
        self._handle = R.FPDF_LoadDocument(os.fsencode(path), None)  # any file name, UTF-8 or not
        if not self._handle:
            code = R.FPDF_GetLastError()
            raise PdfiumError(_LOAD_ERRORS.get(code, f"unreadable PDF (PDFium error {code})"))

    def __enter__(self) -> Document:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._handle:
            R.FPDF_CloseDocument(self._handle)
            self._handle = None

    def __len__(self) -> int:
        return R.FPDF_GetPageCount(self._handle)

    def page_objects(self, index: int) -> dict:
        """Page `index` (0-based): its size and object lists, as `pdf.lean_objects` gives them."""
        page = R.FPDF_LoadPage(self._handle, index)
        if not page:
            raise PdfiumError(f"unreadable PDF (PDFium: page {index + 1} could not be read)")
        try:
            return _page_objects(page, index + 1)
        finally:
            R.FPDF_ClosePage(page)


# --- page geometry -------------------------------------------------------------------------


class _Space:
    """pdfminer's device space for a page and pdfplumber's flip of it to a top-left origin."""

    def __init__(self, page) -> None:
        left, bottom, right, top = (ctypes.c_float() for _ in range(4))
        if not R.FPDFPage_GetMediaBox(page, left, bottom, right, top):
            left.value, bottom.value = 0.0, 0.0
            right.value, top.value = R.FPDF_GetPageWidthF(page), R.FPDF_GetPageHeightF(page)
        x0, x1 = sorted((_r(left.value), _r(right.value)))
        y0, y1 = sorted((_r(bottom.value), _r(top.value)))
        rotation = (R.FPDFPage_GetRotation(page) % 4) * 90
        # The matrix pdfminer's interpreter starts a page with (pdfinterp.process_page).
        if rotation == 90:
            self.ctm = (0, -1, 1, 0, -y0, x1)
        elif rotation == 180:
            self.ctm = (-1, 0, 0, -1, x1, y1)
        elif rotation == 270:
            self.ctm = (0, 1, -1, 0, y1, -x0)
        else:
            self.ctm = (1, 0, 0, 1, -x0, -y0)
        # pdfplumber's page box (page._normalize_box, page._invert_box).
        if rotation in (90, 270):
            bx0, by0, bx1, by1 = y0, x0, y1, x1
        else:
            bx0, by0, bx1, by1 = x0, y0, x1, y1
        self.width = bx1 - bx0
        self.height = by1 - by0
        self.mb_x0 = bx0
        self.mb_top = self.height - by1

    def device(self, x: float, y: float) -> tuple[float, float]:
        a, b, c, d, e, f = self.ctm
        return a * x + c * y + e, b * x + d * y + f


def _r(v: float) -> float:
    return round(v, _DIGITS)


_mul = matrix_product


def _box(space: _Space, x0: float, y0: float, x1: float, y1: float, page_number: int) -> dict:
    """pdfplumber's keys for a box given in pdfminer device space."""
    top = space.height - y1 + space.mb_top
    return {
        "x0": x0 + space.mb_x0,
        "x1": x1 + space.mb_x0,
        "y0": y0,
        "y1": y1,
        "top": top,
        "bottom": space.height - y0 + space.mb_top,
        "doctop": top,  # one page at a time: pdfplumber's initial_doctop is not used downstream
        "width": x1 - x0,
        "height": y1 - y0,
        "page_number": page_number,
    }


def _page_objects(page, page_number: int) -> dict:
    space = _Space(page)
    out: dict[str, list[dict]] = {"char": [], "line": [], "rect": [], "curve": [], "image": []}
    textpage = R.FPDFText_LoadPage(page)
    try:
        seen = _chars(textpage, space, page_number, out["char"])
        identity = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        unread: list = []
        page_handle = ctypes.cast(page, ctypes.c_void_p).value or 0
        _walk(
            page_handle, None, R.FPDFPage_CountObjects(page), identity, space, page_number, out, seen, unread
        )
        tp = ctypes.cast(textpage, ctypes.c_void_p).value or 0
        undecoded = False
        for obj in unread:
            undecoded |= _lone_space(obj, tp, space, page_number, out["char"])
    finally:
        if textpage:
            R.FPDFText_ClosePage(textpage)
    rotation = (R.FPDFPage_GetRotation(page) % 4) * 90
    return {
        "page": page_number,
        "width": space.width,
        "height": space.height,
        "objects": out,
        "rotation": rotation,
        "undecoded": undecoded,
    }


# --- characters ------------------------------------------------------------------------------


def _chars(textpage, space: _Space, page_number: int, out: list[dict]) -> set[int]:
    """The page's printed characters; returns the text objects they come from."""
    n = R.FPDFText_CountChars(textpage) if textpage else 0
    if n <= 0:
        return set()
    buf = (ctypes.c_ushort * (n + 1))()
    got = R.FPDFText_GetText(textpage, 0, n, buf)
    text = bytes(buf)[: 2 * max(0, got - 1)].decode("utf-16-le", errors="surrogatepass")
    if len(text) != n:  # characters outside the BMP: read one by one
        text = "".join(chr(R.FPDFText_GetUnicode(textpage, i)) for i in range(n))
    tp = ctypes.cast(textpage, ctypes.c_void_p).value or 0
    x, y = ctypes.c_double(), ctypes.c_double()
    px, py = ctypes.byref(x), ctypes.byref(y)
    rect = R.FS_RECTF()
    prect = ctypes.byref(rect)
    matrix = R.FS_MATRIX()
    pmatrix = ctypes.byref(matrix)
    fsize = ctypes.c_float()
    pfsize = ctypes.byref(fsize)
    per_object: dict[int, tuple] = {}
    kinds: dict[tuple, tuple[bool, bool]] = {}  # matrix → (upright, box needs no matrix)
    # Advances checked once per font, size and character (see _advance); absent: check each time.
    checked: dict[tuple, dict[str, float]] = {}
    plain = space.ctm[:4] == (1, 0, 0, 1)
    e, f = space.ctm[4], space.ctm[5]
    mb_x0 = space.mb_x0
    top0 = space.height - f + space.mb_top  # top = top0 - y for a device y on this page
    text_object, char_origin, loose_box = _text_object_fast, _char_origin_fast, _loose_box_fast
    char_matrix, font_size, font_of, void = _char_matrix_fast, _font_size_fast, _font_fast, ctypes.c_void_p
    vtp = ctypes.c_void_p(tp)
    last_key, last_x, last_y = -1, 0.0, 0.0
    start = len(out)
    generated = _GENERATED_CANDIDATES
    cur = -1  # the text object whose facts are unpacked below
    m: tuple = (1.0, 0.0, 0.0, 1.0)
    size, upright, font, fast, known, scale, height = 0.0, True, None, False, {}, 0.0, 0.0
    for i, ch in enumerate(text):
        if ch in generated and _is_generated(tp, i) == 1:
            continue
        key = text_object(vtp, i) or 0
        if key != cur:  # a text object's characters come one after another: look it up once
            info = per_object.get(key)
            if info is None:
                char_matrix(vtp, i, pmatrix)
                if key:  # one text object per character is common: the calls unchecked, too
                    handle = void(key)
                    size = fsize.value if font_size(handle, pfsize) else 0.0
                    font = font_of(handle)
                else:
                    size, font = 0.0, None
                m = (matrix.a, matrix.b, matrix.c, matrix.d)
                kind = kinds.get(m)
                if kind is None:
                    fast = plain and m[1] == 0 and m[2] == 0 and m[0] > 0 and m[3] > 0
                    kind = kinds[m] = (_upright(m, space), fast)
                known = checked.setdefault((font, size), {})
                info = (m, size, kind[0], font, kind[1], known, m[0], size * m[3])
                per_object[key] = info
            m, size, upright, font, fast, known, scale, height = info
            cur = key
        char_origin(vtp, i, px, py)
        ox, oy = x.value, y.value
        if key == last_key and ox == last_x and oy == last_y:
            # One glyph, several characters (a ToUnicode entry like "——"): no width can be
            # looked up for the whole, so it reaches at least to the glyph's ink.
            out[-1]["text"] += ch
            if fast:
                loose_box(vtp, i, prect)
                out[-1]["x1"] = max(out[-1]["x1"], rect.right + e + mb_x0)
            continue
        last_key, last_x, last_y = key, ox, oy
        adv = known.get(ch)
        if adv is None:
            loose_box(vtp, i, prect)
            adv, trusted = _advance(ch, font, size, m, rect, tp, i)
            if trusted:
                known[ch] = adv
        if fast:  # upright text on an unrotated page: the box needs no matrix
            x0 = ox + e + mb_x0
            bottom = top0 - oy
            out.append(
                {
                    "text": ch,
                    "x0": x0,
                    "x1": x0 + adv * scale,
                    "top": bottom - height,
                    "bottom": bottom,
                    "size": height,
                    "upright": True,
                }
            )
        else:
            out.append(_char(space, ch, ox, oy, m, adv, size, upright, page_number))
    if has_surrogates(text):
        _join_surrogates(out, start)
    return set(per_object)


def _join_surrogates(out: list[dict], start: int) -> None:
    """PDFium's text page holds UTF-16 code units: a character beyond U+FFFF (CJK Extension B
    and later, U+20000 and up) comes as a high and a low surrogate at two indices, usually at one
    origin (joined above as one glyph's characters), else as two characters. Make each pair the
    one character it encodes, the box spanning both halves; a lone half becomes U+FFFD."""
    kept: list[dict] = []
    for c in out[start:]:
        if kept and c["text"] and is_low(c["text"][0]) and is_high(kept[-1]["text"][-1]):
            prev = kept[-1]
            prev["text"] += c["text"]
            prev["x0"], prev["x1"] = min(prev["x0"], c["x0"]), max(prev["x1"], c["x1"])
            prev["top"], prev["bottom"] = min(prev["top"], c["top"]), max(prev["bottom"], c["bottom"])
            continue
        kept.append(c)
    for c in kept:
        c["text"] = whole(c["text"])
    out[start:] = kept


def _upright(m: tuple, space: _Space) -> bool:
    """pdfminer's test on the character's matrix in its device space."""
    a, b, c, d, _, _ = _mul((*m, 0.0, 0.0), space.ctm)
    return a * d > 0 and b * c <= 0


def _char(
    space: _Space, ch: str, ox: float, oy: float, m: tuple, adv: float, size: float, upright: bool, page: int
) -> dict:
    """A character whose box runs from its baseline origin along the advance and up one font
    size (the pdfplumber reader's `_BaselineBox`), in pdfminer's device space."""
    ma, mb, mc, md = m
    a, b, c, d, e, f = space.ctm
    xs, ys = [], []
    for u, v in ((0.0, 0.0), (adv, 0.0), (0.0, size), (adv, size)):
        px, py = ox + u * ma + v * mc, oy + u * mb + v * md
        xs.append(round(a * px + c * py + e, _DIGITS))
        ys.append(round(b * px + d * py + f, _DIGITS))
    box = _box(space, min(xs), min(ys), max(xs), max(ys), page)
    return {
        "text": ch,
        "x0": box["x0"],
        "x1": box["x1"],
        "top": box["top"],
        "bottom": box["bottom"],
        "size": box["height"],
        "upright": upright,
    }


_width = ctypes.c_float()


def _advance(ch: str, font, size: float, m: tuple, rect, tp: int, i: int) -> tuple[float, bool]:
    """A character's advance along the baseline in text space (pdfminer's `adv`), and whether
    it holds for every use of this character in this font and size.

    The font's width for the character, looked up by its Unicode value, is exact. PDFium's
    loose box checks it: that box spans the advance (widened to the glyph's ink where a glyph
    overhangs), so a looked-up width wider than the box is a wrong look-up (the character maps
    to another code, e.g. an /ActualText replacement) and this character's box is used instead;
    unless the loose box is only the ink box, as for fonts without ascent and descent (Type 3).
    """
    ma, mb = m[0], m[1]
    if abs(ma) >= abs(mb):
        boxed = (rect.right - rect.left) / abs(ma) if ma else 0.0
    else:
        boxed = (rect.top - rect.bottom) / abs(mb)
    if not font or not size:
        return boxed, False
    w = _width.value if _glyph_width(font, ord(ch), size, _width) else 0.0
    if w <= 0.0:
        return boxed, False
    if w <= boxed + 1e-3:
        return w, True
    _char_box(tp, i, _left, _right, _bottom, _top)
    ink_only = (_left.value, _right.value, _bottom.value, _top.value) == (
        rect.left,
        rect.right,
        rect.bottom,
        rect.top,
    )
    return (w, True) if ink_only else (boxed, False)


_left, _right, _bottom, _top = (ctypes.c_double() for _ in range(4))


def _lone_space(obj: int, textpage: int, space: _Space, page_number: int, out: list[dict]) -> bool:
    """A text object that holds a single space, which PDFium leaves out of its text page
    (it puts a generated space, or nothing, in its place) but pdfminer reads as a character.

    Such an object has no width in PDFium's eyes and no text; producers (Word, LibreOffice) write
    a space between two runs of other fonts this way. Its width comes from the font's space.
    Returns True when the object may instead be a glyph PDFium could not decode (its font is
    not embedded, see the module's docstring): the page is then read by pdfminer (a lone space
    of a non-embedded font, as reportlab writes with Helvetica, costs that page's speed only).
    """
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    if not _object_bounds(obj, left, bottom, right, top) or right.value != left.value:
        return False
    if _object_text(obj, textpage, None, 0) > 2:  # more than the terminating NUL
        return False
    font = _font(obj)
    undecoded = bool(font) and not _is_embedded(font)
    fsize = ctypes.c_float()
    if not font or not _font_size(obj, fsize) or not fsize.value:
        return undecoded
    size = fsize.value
    width = ctypes.c_float()
    if not _glyph_width(font, 0x20, size, width) or width.value <= 0:
        return undecoded
    matrix = R.FS_MATRIX()
    _object_matrix(obj, matrix)
    m = (matrix.a, matrix.b, matrix.c, matrix.d)
    ch = _char(space, " ", matrix.e, matrix.f, m, width.value, size, _upright(m, space), page_number)
    out.append(ch)
    return undecoded


# --- paths ---------------------------------------------------------------------------------------


def _walk(
    page: int,
    form,
    count: int,
    parent: tuple,
    space: _Space,
    page_number: int,
    out: dict,
    seen: set,
    unread: list,
) -> None:
    """Path objects of a page or form object, recursing into forms with their matrices; text
    objects no character came from go to `unread`."""
    matrix = R.FS_MATRIX()
    for j in range(count):
        obj = _form_object(form, j) if form is not None else _page_object(page, j)
        kind = _object_type(obj)
        if kind == _TEXT:
            if form is None and obj not in seen:
                unread.append(obj)
            continue
        if kind != _PATH and kind != _FORM and kind != _IMAGE:
            continue
        _object_matrix(obj, matrix)
        m = _mul((matrix.a, matrix.b, matrix.c, matrix.d, matrix.e, matrix.f), parent)
        if kind == _IMAGE:
            _image(_mul(m, space.ctm), space, page_number, out)
        elif kind == _FORM:
            _walk(page, obj, _form_count(obj), m, space, page_number, out, seen, unread)
        else:
            _path(obj, _mul(m, space.ctm), space, page_number, out)


_TEXT, _PATH, _FORM = R.FPDF_PAGEOBJ_TEXT, R.FPDF_PAGEOBJ_PATH, R.FPDF_PAGEOBJ_FORM
_IMAGE = R.FPDF_PAGEOBJ_IMAGE


def _image(m: tuple, space: _Space, page_number: int, out: dict) -> None:
    """An image object: the unit square its matrix maps onto the page (as pdfminer's LTImage)."""
    a, b, c, d, e, f = m
    xs = [round(a * x + c * y + e, _DIGITS) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
    ys = [round(b * x + d * y + f, _DIGITS) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
    box = _box(space, min(xs), min(ys), max(xs), max(ys), page_number)
    box["object_type"] = "image"
    out["image"].append(box)


_MOVETO, _BEZIERTO = R.FPDF_SEGMENT_MOVETO, R.FPDF_SEGMENT_BEZIERTO


def _path(obj: int, m: tuple, space: _Space, page_number: int, out: dict) -> None:
    """One path object as pdfminer's paint_path sees it: each subpath a line, rect or curve."""
    n = _segments(obj)
    px, py = ctypes.c_float(), ctypes.c_float()
    a, b, c, d, e, f = m
    subpaths: list[list[tuple[str, tuple[float, float]]]] = []
    bezier = 0
    for k in range(n):
        seg = _segment(obj, k)
        t = _segment_type(seg)
        _segment_point(seg, px, py)
        x, y = px.value, py.value
        pt = (round(a * x + c * y + e, _DIGITS), round(b * x + d * y + f, _DIGITS))
        if t == _MOVETO or not subpaths:
            subpaths.append([("m", pt)])
            bezier = 0
            continue
        if t == _BEZIERTO:
            bezier += 1
            if bezier % 3:  # control points: pdfminer keeps a curve's end point only
                continue
            op = "c"
        else:
            op = "l"
        sub = subpaths[-1]
        if op == "l" and pt == sub[0][1] and _segment_close(seg):
            sub.append(("h", pt))
        else:
            sub.append((op, pt))
    for sub in subpaths:
        _subpath(sub, space, page_number, out)


def _subpath(sub: list, space: _Space, page_number: int, out: dict) -> None:
    shape = "".join(op for op, _ in sub)
    pts = [p for _, p in sub]
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"
        pts.pop()
    if shape in ("ml", "mlh"):
        kind, pts = "line", pts[:2]
    elif shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        kind = "rect" if pts[0] == pts[4] and square else "curve"
        if kind == "rect":
            pts = [pts[0], pts[2]]
    elif shape == "m":
        return
    else:
        kind = "curve"
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    obj = _box(space, min(xs), min(ys), max(xs), max(ys), page_number)
    obj["object_type"] = kind
    if kind == "curve":
        obj["pts"] = [(x + space.mb_x0, space.mb_top + space.height - y) for x, y in pts]
    out[kind].append(obj)
