"""OFD documents (GB/T 33190, China's fixed-layout format) → the same page objects as a PDF page.

An OFD file is a ZIP package: OFD.xml names each document's Document.xml, which lists its pages
(Content.xml each) and its resources (fonts, named in PublicRes.xml: not needed here, as every
glyph's position is in the page). A page draws
text objects and path objects in millimetres with the origin at the top left, each placed by its
`Boundary` (x y w h on the page) and an optional `CTM` inside that box:

- a TextObject holds TextCode runs: `X`/`Y` the first glyph's origin (Y the baseline), `DeltaX`
  (and `DeltaY`) the advance after each glyph, where `g N D` stands for N advances of D; a run
  without X or Y goes on where the previous one ended;
- a PathObject's `AbbreviatedData` is a path (M/S move, L line, Q/B curves, A arc, C close).

Characters become `char` objects (a box from the baseline up one font size, as the PDF readers
give), paths `curve` objects with their points, all in points; then `page.record_from_objects`
finds the ruled tables exactly as for a PDF page, so stitching and cleaning are shared. Template
pages (a background drawn on every page) are drawn first; annotations (seals, signatures) are
not read. The XML is parsed with defusedxml (no DTDs, no entities) from a ZIP whose sizes
passed `formats.open_zip`; member names are only looked up in the ZIP, never used as paths.
"""

from __future__ import annotations

from collections.abc import Iterator
import posixpath
import re
import unicodedata
import zipfile

from defusedxml import DefusedXmlException, ElementTree

from pipeline.common.records import PageRecord
from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile
from pipeline.extract.geometry import matrix_product
from pipeline.extract.page import record_from_objects

MM = 72.0 / 25.4  # points per millimetre
A4 = (0.0, 0.0, 210.0, 297.0)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _local(tag: object) -> str:
    """An element's name without its namespace (producers differ in the namespace URI)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el, name: str):
    return next((c for c in el if _local(c.tag) == name), None)


def _children(el, name: str) -> list:
    return [c for c in el if _local(c.tag) == name]


def _numbers(text: str | None) -> list[float]:
    return [float(v) for v in _NUMBER.findall(text or "")]


def _box(text: str | None) -> tuple[float, float, float, float] | None:
    v = _numbers(text)
    return (v[0], v[1], v[2], v[3]) if len(v) >= 4 else None


def deltas(text: str | None) -> list[float]:
    """A DeltaX/DeltaY list with `g N D` (N advances of D) written out."""
    out: list[float] = []
    text = text or ""
    tokens = text.split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            try:
                count, value = int(float(tokens[i + 1])), float(tokens[i + 2])
            except ValueError:
                raise RejectedFile(
                    f"damaged OFD document: a bad glyph advance list ({text[:40]!r})"
                ) from None
            out.extend([value] * max(0, min(count, 100_000)))
            i += 3
            continue
        try:
            out.append(float(tokens[i]))
        except ValueError:
            raise RejectedFile(f"damaged OFD document: a bad glyph advance list ({text[:40]!r})") from None
        i += 1
    return out


_mul = matrix_product


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return round(a * x + c * y + e, 4), round(b * x + d * y + f, 4)


def _placement(el, outer: Matrix) -> Matrix:
    """Object space → page millimetres: the object's CTM, then a move to its Boundary's
    origin, then the enclosing placement (the page's own origin)."""
    box = _box(el.get("Boundary")) or (0.0, 0.0, 0.0, 0.0)
    ctm = _numbers(el.get("CTM"))
    m = (ctm[0], ctm[1], ctm[2], ctm[3], ctm[4], ctm[5]) if len(ctm) >= 6 else IDENTITY
    return _mul(_mul(m, (1.0, 0.0, 0.0, 1.0, box[0], box[1])), outer)


class _Package:
    """The OFD's ZIP members, looked up by the paths the XML gives (relative or absolute)."""

    def __init__(self, z: zipfile.ZipFile) -> None:
        self.z = z
        self.names = {n.lstrip("/"): n for n in z.namelist()}
        self.folded = {k.lower(): v for k, v in self.names.items()}

    def resolve(self, base: str, loc: str) -> str:
        loc = loc.strip().replace("\\", "/")
        path = loc.lstrip("/") if loc.startswith("/") else posixpath.join(posixpath.dirname(base), loc)
        return posixpath.normpath(path).lstrip("/")

    def xml(self, name: str):
        member = self.names.get(name) or self.folded.get(name.lower())
        if member is None:
            raise RejectedFile(f"damaged OFD document: its part {name} is missing")
        try:
            return ElementTree.fromstring(self.z.read(member))
        except RejectedFile:
            raise
        except DefusedXmlException as exc:
            raise RejectedFile(
                f"OFD document refused: {name} declares a DTD or entities ({type(exc).__name__}), "
                "which a document system never writes"
            ) from None
        except Exception as exc:  # XML syntax errors
            raise RejectedFile(
                f"damaged OFD document: {name} is not well-formed XML ({type(exc).__name__})"
            ) from None


def _natural_width(ch: str, size: float) -> float:
    """A glyph's advance when the file gives none: CJK characters are square, others half."""
    return size if unicodedata.east_asian_width(ch) in "WF" else 0.5 * size


def _text_chars(el, m: Matrix, out: dict[str, list[dict]]) -> None:
    """The characters of a TextObject, in page points."""
    try:
        size = float(el.get("Size") or 0) or 3.5
    except ValueError:
        raise RejectedFile("damaged OFD document: a text object with a bad Size") from None
    a, b, c, d = m[:4]
    scale = abs(a * d - b * c) ** 0.5 or 1.0
    turned = el.get("CharDirection", "0") not in ("0", "") or el.get("ReadDirection", "0") not in ("0", "")
    upright = abs(b) < 1e-6 and abs(c) < 1e-6 and a > 0 and d > 0 and not turned
    x = y = 0.0
    for code in _children(el, "TextCode"):
        text = "".join(code.itertext())
        if code.get("X") is not None:
            x = _numbers(code.get("X"))[0] if _numbers(code.get("X")) else 0.0
        if code.get("Y") is not None:
            y = _numbers(code.get("Y"))[0] if _numbers(code.get("Y")) else 0.0
        dx, dy = deltas(code.get("DeltaX")), deltas(code.get("DeltaY"))
        for i, ch in enumerate(text):
            natural = _natural_width(ch, size)
            step = dx[i] if i < len(dx) else (natural if not dy else 0.0)
            width = min(natural, step) if step > 0 else natural
            if ch not in "\r\n":
                corners = [_apply(m, px, py) for px in (x, x + width) for py in (y - size, y)]
                xs, ys = [p[0] for p in corners], [p[1] for p in corners]
                out["char"].append(
                    {
                        "text": ch,
                        "x0": min(xs),
                        "x1": max(xs),
                        "top": min(ys),
                        "bottom": max(ys),
                        "size": round(size * scale, 4),
                        "upright": upright,
                    }
                )
            x += step
            y += dy[i] if i < len(dy) else 0.0


def path_points(data: str, m: Matrix) -> list[list[tuple[float, float]]]:
    """The subpaths of an AbbreviatedData path as page points (curves by their end points:
    only straight segments can be rulings)."""
    tokens = data.split()
    paths: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    arity = {"M": 2, "S": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}
    i = 0
    while i < len(tokens):
        op = tokens[i]
        n = arity.get(op)
        if n is None:
            raise RejectedFile(f"damaged OFD document: an unknown path operator {op[:10]!r}")
        try:
            args = [float(t) for t in tokens[i + 1 : i + 1 + n]]
        except ValueError:
            raise RejectedFile("damaged OFD document: a path with a bad number") from None
        if len(args) < n:
            raise RejectedFile("damaged OFD document: a path cut short")
        i += 1 + n
        if op in ("M", "S"):
            if len(current) > 1:
                paths.append(current)
            current = [_apply(m, args[0], args[1])]
        elif op == "C":
            if current:
                current.append(current[0])
                paths.append(current)
                current = [current[0]]
        else:
            point = _apply(m, args[-2], args[-1])
            if op != "L" and current:  # a curve: its end point, not a straight edge to it
                paths.append(current)
                current = [point]
            else:
                current.append(point)
    if len(current) > 1:
        paths.append(current)
    return paths


def _path_curves(el, m: Matrix, out: dict[str, list[dict]]) -> None:
    stroke = el.get("Stroke", "true").lower() != "false"
    fill = el.get("Fill", "false").lower() == "true"
    if not (stroke or fill):
        return
    data = _child(el, "AbbreviatedData")
    if data is None or not (data.text or "").strip():
        return
    for pts in path_points(data.text, m):
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        out["curve"].append(
            {
                "x0": min(xs),
                "x1": max(xs),
                "top": min(ys),
                "bottom": max(ys),
                "pts": [(x * MM, y * MM) for x, y in pts],
            }
        )


def _draw(container, m: Matrix, out: dict[str, list[dict]]) -> None:
    """Every text and path object under a layer or page block (page blocks nest)."""
    for el in container:
        kind = _local(el.tag)
        if kind in ("PageBlock", "Layer"):
            _draw(el, m, out)
        elif kind == "TextObject":
            _text_chars(el, _placement(el, m), out)
        elif kind == "PathObject":
            _path_curves(el, _placement(el, m), out)
        elif kind == "ImageObject":
            box = _box(el.get("Boundary"))
            if box:
                out["image"].append(
                    {"x0": box[0], "x1": box[0] + box[2], "top": box[1], "bottom": box[1] + box[3]}
                )


def _to_points(out: dict[str, list[dict]]) -> None:
    """Millimetres → points for every object (curve points are converted as they are made)."""
    for kind, objs in out.items():
        for o in objs:
            for k in ("x0", "x1", "top", "bottom"):
                o[k] = round(o[k] * MM, 4)
            if kind == "char":
                o["size"] = round(o["size"] * MM, 4)
                o["width"], o["height"] = o["x1"] - o["x0"], o["bottom"] - o["top"]


def _pages(pkg: _Package) -> Iterator[tuple[str, object, tuple[float, float, float, float], list]]:
    """(page part, page root, physical box in mm, template roots) of every page, in order."""
    root = pkg.xml("OFD.xml")
    if _local(root.tag) != "OFD":
        raise RejectedFile("damaged OFD document: OFD.xml is not an OFD entry file")
    bodies = _children(root, "DocBody")
    if not bodies:
        raise RejectedFile("damaged OFD document: OFD.xml names no document")
    for body in bodies:
        doc_root = _child(body, "DocRoot")
        if doc_root is None or not (doc_root.text or "").strip():
            continue
        doc_path = pkg.resolve("OFD.xml", doc_root.text)
        doc = pkg.xml(doc_path)
        common = _child(doc, "CommonData")
        if common is None:
            raise RejectedFile(f"damaged OFD document: {doc_path} has no CommonData")
        area = _child(common, "PageArea")
        default_box = (
            _box(_child(area, "PhysicalBox").text)
            if area is not None and _child(area, "PhysicalBox") is not None
            else None
        )
        templates = {
            t.get("ID", ""): pkg.resolve(doc_path, t.get("BaseLoc", ""))
            for t in _children(common, "TemplatePage")
        }
        pages = _child(doc, "Pages")
        for page in _children(pages, "Page") if pages is not None else []:
            part = pkg.resolve(doc_path, page.get("BaseLoc", ""))
            content = pkg.xml(part)
            box = default_box or A4
            page_area = _child(content, "Area")
            if page_area is not None and _child(page_area, "PhysicalBox") is not None:
                box = _box(_child(page_area, "PhysicalBox").text) or box
            tpls = [
                pkg.xml(templates[t.get("TemplateID", "")])
                for t in _children(content, "Template")
                if t.get("TemplateID", "") in templates
            ]
            yield part, content, box, tpls


def read_ofd(z: zipfile.ZipFile, settings: ExtractSettings) -> list[PageRecord]:
    """Page records of an OFD package whose ZIP container passed the size checks."""
    pkg = _Package(z)
    records: list[PageRecord] = []
    for number, (_part, content, box, templates) in enumerate(_pages(pkg), start=1):
        out: dict[str, list[dict]] = {"char": [], "line": [], "rect": [], "curve": [], "image": []}
        shift: Matrix = (1.0, 0.0, 0.0, 1.0, -box[0], -box[1])
        for root in [*templates, content]:
            body = _child(root, "Content")
            if body is not None:
                _draw(body, shift, out)
        _to_points(out)
        records.append(record_from_objects(number, box[2] * MM, box[3] * MM, out, settings))
    if not records:
        raise RejectedFile("empty OFD document (it has no pages)")
    return records
