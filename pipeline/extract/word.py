"""Word documents (.docx): tables and paragraphs straight from the document's XML.

The body is read in order: paragraphs outside tables are free text (a title before a table),
every top-level table becomes one pseudo page (office_layout). A table's grid comes from its
w:tblGrid; a cell spans columns by w:gridSpan and rows by w:vMerge (restart … continue), and
its paragraphs are the document's own paragraphs (a line break w:br also ends one, as printed).
Each section's page header (where Word documents often put the list title) is printed above
the section's first table, as a PDF of the document would show it. Deleted, moved-away and
hidden text is not read.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
import zipfile

from defusedxml import ElementTree

from pipeline.common.records import PageRecord
from pipeline.common.sources import RejectedFile
from pipeline.extract.office_layout import Block, Cell, Para, Table, page_record
from pipeline.extract.word_numbering import Numbering, read_numbering

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"

# Subtrees whose text is not printed: tracked deletions and moves, fallbacks of alternate
# content (the choice is read), text boxes and drawings floating over the page, field codes.
SKIP = {W + "del", W + "moveFrom", MC + "Fallback", W + "txbxContent", W + "drawing", W + "pict",
        W + "object", W + "instrText", W + "delText", W + "pPr", W + "rPr", W + "tcPr", W + "trPr",
        W + "tblPr", W + "sectPr", W + "footnoteReference", W + "commentReference"}  # fmt: skip
TRANSPARENT = {W + "sdt", W + "sdtContent", W + "customXml", W + "smartTag", W + "ins", W + "moveTo"}
DEFAULT_SIZE = 10.0  # Word's size when no style says otherwise, pt


@dataclass(frozen=True)
class _Styles:
    """Font sizes (pt) and automatic numbering (numId, level) by style id, resolved along
    basedOn, the document defaults, and the numbering counts of the text being read."""

    sizes: dict[str, float]
    default: float
    default_paragraph: str | None
    numbered: dict[str, tuple[str, int]]
    numbering: Numbering


def read_docx(path: Path, z: zipfile.ZipFile) -> list[PageRecord]:
    """Page records of a .docx whose ZIP container `z` passed the size checks."""
    main = _main_part(z)
    body = _xml(z, main).find(W + "body")
    if body is None:
        raise RejectedFile(f"damaged Word document: {main} has no body")
    folder, name = main.rsplit("/", 1) if "/" in main else ("", main)
    rels = _relationships(z, f"{folder}/_rels/{name}.rels".lstrip("/"))
    styles = _styles(z, rels)
    pages: list[list[Block]] = []
    pending: list[Para] = []
    header: list[Para] = []
    section = 0
    headers = _section_headers(z, body, rels, styles)
    header_shown = -1
    for kind, el in _blocks(body):
        if kind == "p":
            pending.extend(_paragraph(el, styles))
            if el.find(f"{W}pPr/{W}sectPr") is not None:
                section += 1
            continue
        blocks: list[Block] = []
        if header_shown != section:
            header = headers[min(section, len(headers) - 1)] if headers else []
            blocks.append(list(header))
            header_shown = section
        blocks.append(pending)
        blocks.append(_table(el, styles))
        pages.append(blocks)
        pending = []
    if pending:
        if pages:
            pages[-1].append(pending)
        else:
            pages.append([pending])
    if not pages:
        raise RejectedFile("empty Word document (no paragraphs and no tables)")
    return [page_record(i + 1, blocks) for i, blocks in enumerate(pages)]


# --- XML parts ------------------------------------------------------------------------------------


def _xml(z: zipfile.ZipFile, name: str):
    try:
        data = z.read(name)
    except KeyError:
        raise RejectedFile(f"damaged Word document: {name} is missing") from None
    try:
        return ElementTree.fromstring(data)
    except MemoryError:  # over the memory budget: the budget says so, in words
        raise
    except Exception as exc:
        raise RejectedFile(f"damaged Word document: {name} is not well-formed XML ({exc})") from None


def _main_part(z: zipfile.ZipFile) -> str:
    """The document's main part: where the package relationships say, usually word/document.xml."""
    found = _relationships(z, "_rels/.rels", "/officeDocument").values()
    return next((p for p in found if p in z.namelist()), "word/document.xml")


def _relationships(z: zipfile.ZipFile, name: str, of_type: str = "") -> dict[str, str]:
    """Relationship id → part name inside the package (only those whose type ends in of_type)."""
    if name not in z.namelist():
        return {}
    base = PurePosixPath(name).parent.parent
    out = {}
    for rel in _xml(z, name).iter(REL + "Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External" or not rel.get("Type", "").endswith(of_type):
            continue
        part = target.lstrip("/") if target.startswith("/") else str(base / target)
        out[rel.get("Id", "")] = _normpath(part)
    return out


def _normpath(part: str) -> str:
    out: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if out:
                out.pop()
        elif piece and piece != ".":
            out.append(piece)
    return "/".join(out)


def _styles(z: zipfile.ZipFile, rels: dict[str, str]) -> _Styles:
    part = next((p for p in rels.values() if p.endswith("numbering.xml") and p in z.namelist()), None)
    numbering = read_numbering(_xml(z, part) if part else None)
    if "word/styles.xml" not in z.namelist():
        return _Styles({}, DEFAULT_SIZE, None, {}, numbering)
    root = _xml(z, "word/styles.xml")
    default = _size_of(root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")) or DEFAULT_SIZE
    own: dict[str, float | None] = {}
    own_number: dict[str, tuple[str, int] | None] = {}
    based: dict[str, str] = {}
    default_paragraph = None
    for st in root.iter(W + "style"):
        sid = st.get(W + "styleId", "")
        own[sid] = _size_of(st.find(W + "rPr"))
        own_number[sid] = _num_pr(st.find(W + "pPr"))
        parent = st.find(W + "basedOn")
        if parent is not None:
            based[sid] = parent.get(W + "val", "")
        if st.get(W + "type") == "paragraph" and st.get(W + "default") in ("1", "true"):
            default_paragraph = sid
    return _Styles(_inherit(own, based), default, default_paragraph, _inherit(own_number, based), numbering)


def _inherit(own: dict, based: dict[str, str]) -> dict:
    """Each style's value, or the nearest one along its basedOn chain."""
    out = {}
    for sid in own:
        seen, cur = set(), sid
        while cur in own and cur not in seen and own[cur] is None:
            seen.add(cur)
            cur = based.get(cur, "")
        if own.get(cur) is not None:
            out[sid] = own[cur]
    return out


def _num_pr(ppr) -> tuple[str, int] | None:
    """(numId, level) of a paragraph's or style's w:numPr; numId 0 switches numbering off."""
    num = ppr.find(W + "numPr") if ppr is not None else None
    if num is None:
        return None
    num_id = num.find(W + "numId")
    ilvl = num.find(W + "ilvl")
    try:
        level = int(ilvl.get(W + "val")) if ilvl is not None else 0
    except (TypeError, ValueError):
        level = 0
    return (num_id.get(W + "val", "0") if num_id is not None else "", level)


def _size_of(rpr) -> float | None:
    if rpr is None:
        return None
    sz = rpr.find(W + "sz")
    try:
        return int(sz.get(W + "val")) / 2 if sz is not None else None
    except (TypeError, ValueError):
        return None


def _section_headers(z: zipfile.ZipFile, body, rels: dict[str, str], styles: _Styles) -> list[list[Para]]:
    """Paragraphs of each section's page header (the default one, else the first-page one);
    a section without its own header keeps the previous section's."""
    props = [p for p in body.iter(W + "sectPr")]
    out: list[list[Para]] = []
    previous: list[Para] = []
    for sect in props:
        refs = {
            ref.get(W + "type", "default"): ref.get(R + "id", "")
            for ref in sect.findall(W + "headerReference")
        }
        rid = refs.get("default") or refs.get("first")
        part = rels.get(rid or "")
        if part and part in z.namelist():
            root = _xml(z, part)
            own = replace(styles, numbering=styles.numbering.fresh())  # headers count on their own
            previous = [p for kind, el in _blocks(root) for p in _block_paragraphs(kind, el, own)]
        out.append(previous)
    return out


# --- body, paragraphs, tables -------------------------------------------------------------------------


def _blocks(parent):
    """(kind, element) of the paragraphs and tables directly in `parent`, in order, looking
    through content controls and custom XML wrappers."""
    for el in parent:
        if el.tag == W + "p":
            yield "p", el
        elif el.tag == W + "tbl":
            yield "tbl", el
        elif el.tag in TRANSPARENT:
            yield from _blocks(el)


def _block_paragraphs(kind: str, el, styles: _Styles) -> list[Para]:
    if kind == "p":
        return _paragraph(el, styles)
    return [p for tr in _rows(el) for tc in _cells(tr) for p in _cell_paragraphs(tc, styles)]


def _paragraph(p, styles: _Styles) -> list[Para]:
    """A paragraph's printed text; a line break inside it (w:br, w:cr) starts a new one."""
    pstyle = p.find(f"{W}pPr/{W}pStyle")
    style_id = pstyle.get(W + "val") if pstyle is not None else styles.default_paragraph
    base = styles.sizes.get(style_id or "", styles.default)
    mark = _size_of(p.find(f"{W}pPr/{W}rPr"))
    label = _label(p, style_id, styles)
    texts: list[list[str]] = [[]]
    sizes: list[list[float]] = [[]]

    def run_size(r) -> float:
        rpr = r.find(W + "rPr")
        own = _size_of(rpr)
        if own is not None:
            return own
        rstyle = rpr.find(W + "rStyle") if rpr is not None else None
        if rstyle is not None and rstyle.get(W + "val") in styles.sizes:
            return styles.sizes[rstyle.get(W + "val")]
        return base

    def hidden(r) -> bool:
        v = r.find(f"{W}rPr/{W}vanish")
        return v is not None and v.get(W + "val", "true") not in ("0", "false", "off")

    def walk(el, size: float, skip: bool) -> None:
        for ch in el:
            tag = ch.tag
            if tag in SKIP:
                continue
            if tag == W + "r":
                walk(ch, run_size(ch), hidden(ch))
            elif tag == W + "t":
                if not skip and ch.text:
                    texts[-1].append(ch.text)
                    sizes[-1].append(size)
            elif tag == W + "tab" and not skip:
                texts[-1].append(" ")
            elif tag == W + "noBreakHyphen" and not skip:
                texts[-1].append("-")
            elif tag in (W + "br", W + "cr") and not skip:
                texts.append([])
                sizes.append([])
            else:
                walk(ch, size, skip)

    walk(p, base, False)
    if label:  # Word prints the number before the text, even before an empty paragraph
        texts[0].insert(0, label)
    out = []
    for parts, part_sizes in zip(texts, sizes, strict=True):
        text = "".join(parts)
        if text.strip():
            out.append(Para(text, max(part_sizes, default=mark or base)))
    return out


def _label(p, style_id: str | None, styles: _Styles) -> str:
    """The automatic number Word prints before this paragraph ("" when it has none)."""
    own = _num_pr(p.find(W + "pPr"))
    inherited = styles.numbered.get(style_id or "")
    if own is None:
        own = inherited
    elif own[0] == "" and inherited is not None:  # a level without an instance: the style's
        own = (inherited[0], own[1])
    if own is None or own[0] in ("", "0"):
        return ""
    return styles.numbering.label(*own)


def _rows(tbl):
    for el in tbl:
        if el.tag == W + "tr":
            yield el
        elif el.tag in TRANSPARENT:
            yield from _rows(el)


def _cells(tr):
    for el in tr:
        if el.tag == W + "tc":
            yield el
        elif el.tag in TRANSPARENT:
            yield from _cells(el)


def _cell_paragraphs(tc, styles: _Styles) -> list[Para]:
    """A cell's paragraphs in order, including those of tables nested inside it."""
    out = []
    for kind, el in _blocks(tc):
        out.extend(_block_paragraphs(kind, el, styles))
    return out


def _int_attr(el, path: str, default: int) -> int:
    found = el.find(path)
    try:
        return int(found.get(W + "val")) if found is not None else default
    except (TypeError, ValueError):
        return default


def _table(tbl, styles: _Styles) -> Table:
    """A table's grid and cells: horizontal spans from w:gridSpan (and rows starting late,
    w:gridBefore), vertical merges from w:vMerge."""
    widths = []
    for col in tbl.findall(f"{W}tblGrid/{W}gridCol"):
        try:
            widths.append(int(col.get(W + "w", "0")) / 20)  # twentieths of a point
        except ValueError:
            widths.append(0.0)
    cells: list[Cell] = []
    open_merges: dict[int, Cell] = {}  # first column → the vertically merged cell running there
    for r, tr in enumerate(_rows(tbl)):
        c = _int_attr(tr, f"{W}trPr/{W}gridBefore", 0)
        touched: set[int] = set()
        for tc in _cells(tr):
            span = max(1, _int_attr(tc, f"{W}tcPr/{W}gridSpan", 1))
            vmerge = tc.find(f"{W}tcPr/{W}vMerge")
            paras = _cell_paragraphs(tc, styles)
            above = open_merges.get(c)
            if vmerge is not None and vmerge.get(W + "val", "continue") == "continue" and above is not None:
                if above.c1 == c + span and above.r1 == r:
                    above.r1 = r + 1
                    above.paras.extend(paras)  # Word shows only the first cell; keep any text
                    touched.add(c)
                    c += span
                    continue
            cell = Cell(r, r + 1, c, c + span, paras)
            cells.append(cell)
            if vmerge is not None:
                open_merges[c] = cell
            else:
                open_merges.pop(c, None)
            touched.add(c)
            c += span
        for col in [k for k in open_merges if k not in touched]:
            del open_merges[col]
    return Table(widths, cells)
