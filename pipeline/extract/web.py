"""Web pages (.html, .htm, .shtml, and .mht/.mhtml as browsers save them) → page records.

A county site serves a list as `<table>`s inside its page: banner, navigation, breadcrumbs,
publishing details, share links and footer around the content. The reader decodes the bytes
(the BOM, else the declared charset, else whichever of UTF-8, GB18030 and Big5 decodes them),
parses them with the standard library's HTML tokenizer into a small tree (it expands only
HTML's fixed named character references, never an entity a document defines, and fetches
nothing), and reads the *content*: the smallest element holding every data table. Everything
outside it is site furniture. Inside, block elements and `<br>` end paragraphs, a cell spans
rows and columns by `rowspan`/`colspan` (one cell, as Word's vMerge), and a table that holds
other tables is layout, read through. The blocks then get the same synthetic geometry as a Word
document's (office_layout), one pseudo page per table, so the clean stage reads both alike.

An MHTML file is a MIME message: its first HTML part (quoted-printable or base64, in the
charset its header names) is the page; pictures and styles saved with it are not read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import email
import email.policy
from html.parser import HTMLParser
from pathlib import Path
import re

from pipeline.common.records import PageRecord
from pipeline.common.sources import RejectedFile
from pipeline.extract.office_layout import Block, Cell, Para, Table, page_record, text_width

BASE_SIZE = 12.0  # body text, pt (a browser's 16 px)
HEADING_SIZE = {"h1": 24.0, "h2": 18.0, "h3": 14.0, "h4": 12.0, "h5": 10.0, "h6": 8.0}
MAX_DEPTH = 256  # elements nested deeper than this are read as empty (a hostile page's recursion)
MAX_COLSPAN = 256  # a cell spans at most this many columns
CONTENT_SHARE = 0.8  # the content area holds at least this share of the tables' text
BOLD = 1.25  # bold text counts this much larger: a bold paragraph is a title, as printed
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr", "keygen", "frame"}  # fmt: skip
# Never printed: scripts, styles, form controls, embedded frames.
UNSEEN = {"script", "style", "noscript", "template", "head", "title", "select", "option", "textarea",
          "button", "iframe", "object", "svg", "math", "map", "frameset"}  # fmt: skip
# Elements whose start and end break a paragraph (all others are inline).
BLOCK = {"address", "article", "aside", "blockquote", "center", "dd", "details", "dialog", "dir",
         "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
         "h4", "h5", "h6", "header", "hr", "li", "main", "menu", "nav", "ol", "p", "pre", "section",
         "summary", "table", "ul", "tr", "td", "th", "caption", "tbody", "thead", "tfoot", "body",
         "html", "br"}  # fmt: skip
# Opening one of these closes an open <p> (HTML's implied end tags).
CLOSES_P = BLOCK - {"br", "td", "th", "tr", "tbody", "thead", "tfoot", "caption", "body", "html"}
CELL = {"td", "th"}
SECTION = {"tbody", "thead", "tfoot"}
SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030",
             "cp936": "gb18030", "euc-cn": "gb18030", "csgb2312": "gb18030", "big5": "big5hkscs",
             "x-x-big5": "big5hkscs", "cp950": "big5hkscs", "iso-8859-1": "cp1252", "latin1": "cp1252",
             "us-ascii": "utf-8", "ascii": "utf-8"}  # fmt: skip
_META = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9_.:-]+)")
_SPACE = re.compile(r"[ \t\n\r\f]+")
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t]*[\r\n][ \t\r\n]*(?=[{_CJK}])")
_FONT_SIZE = re.compile(r"font-size\s*:\s*([\d.]+)\s*(px|pt|em|rem|%)?", re.I)
_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BOLD_STYLE = re.compile(r"font-weight\s*:\s*(bold|[6-9]00)", re.I)


# --- decoding ---------------------------------------------------------------------------------------


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding) of a page's bytes: BOM, else the declared charset (a header's, then the
    page's own <meta>, then an XHTML page's XML declaration), else detection. GB2312/GBK
    declarations are read as GB18030, their superset (pages declaring gb2312 routinely use GBK
    characters); a declaration the bytes contradict is ignored (then detection reads a UTF-8 page
    with a few damaged bytes as UTF-8, each such byte as U+FFFD)."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) :].decode(enc, errors="replace"), enc
    candidates = [declared] if declared else []
    for pattern in (_META, _XML_DECLARATION):
        found = pattern.search(data[:8192])
        if found:
            candidates.append(found.group(1).decode("ascii", "replace"))
    for name in candidates:
        codec = _codec(name)
        if codec is None:
            continue
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    return detect(data)


def _nearly(data: bytes, codec: str) -> str | None:
    """DATA in CODEC when at most one in forty of its non-ASCII bytes does not fit (a damaged
    byte, shown as U+FFFD), else None: a page in another encoding fits at almost none."""
    try:
        text = data.decode(codec, errors="replace")
    except LookupError:
        return None
    bad = text.count("\ufffd")
    high = len(data.translate(None, bytes(range(0x80))))  # the non-ASCII bytes
    return text if bad * 40 <= high else None


def _codec(name: str) -> str | None:
    import codecs

    name = name.strip().lower()
    name = SUPERSETS.get(name, name)
    try:
        return SUPERSETS.get(codecs.lookup(name).name, codecs.lookup(name).name)
    except LookupError:
        return None


def detect(data: bytes) -> tuple[str, str]:
    """(text, encoding) of undeclared bytes: UTF-8 if they are valid UTF-8; else GB18030 or
    Big5, whichever reads them as common characters (GB18030 decodes nearly any byte pairs,
    Big5 text among them, but as rare characters outside GB2312's common set)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    nearly = _nearly(data, "utf-8")  # UTF-8 with a few damaged bytes (GB18030 would read them as
    # mojibake, losing the list); a page in another encoding fits UTF-8 at almost none
    if nearly is not None:
        return nearly, "utf-8"
    readings = []
    for enc in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        readings.append((_commonness(text, enc), enc, text))
    if not readings:
        return data.decode("gb18030", errors="replace"), "gb18030"
    _, enc, text = max(readings, key=lambda r: r[0])
    return text, enc


def _commonness(text: str, enc: str) -> float:
    """Share of the CJK characters that are common in that script: in GB2312 for a GB18030
    reading, in Big5's frequent-character block (lead bytes A4-C6) for a Big5 reading."""
    cjk = [ch for ch in text if "\u3400" <= ch <= "\u9fff"]
    if not cjk:
        return 0.0
    common = 0
    for ch in cjk:
        try:
            if enc == "gb18030":
                ch.encode("gb2312")
                common += 1
            elif 0xA4 <= ch.encode("big5")[0] <= 0xC6:
                common += 1
        except UnicodeEncodeError:
            pass
    return common / len(cjk)


def html_texts(data: bytes) -> list[str]:
    """The HTML of a web page file, or of each page inside an MHTML file (the page, and the
    frames or, from Excel, the sheets saved with it), in their order."""
    if is_mhtml(data):
        return _mhtml_pages(data)
    return [decode(data)[0]]


def is_mhtml(data: bytes) -> bool:
    """Whether the bytes are a MIME message (an .mht): headers, one of them a multipart type."""
    head = data[:4096].lstrip()
    if not re.match(
        rb"(?i)(mime-version|from|subject|date|content-type|content-location|x-[\w-]+)\s*:", head
    ):
        return False
    return re.search(rb"(?im)^content-type\s*:\s*(multipart/related|text/html)", head) is not None


def _mhtml_pages(data: bytes) -> list[str]:
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    out = []
    for part in msg.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                out.append(decode(payload, part.get_content_charset())[0])
    if not out:
        raise RejectedFile("an MHTML file without a web page (text/html part) in it")
    return out


# --- a small tree -------------------------------------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None


class _TreeBuilder(HTMLParser):
    """HTML → Node tree, with the end tags HTML lets pages leave out (</td>, </tr>, </p>, </li>)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]
        self.page_title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag in CELL:
            self._close_to({"td", "th"}, stop={"tr", "table"})
        elif tag == "tr":
            self._close_to({"tr"}, stop={"table"})
        elif tag in SECTION:
            self._close_to(SECTION, stop={"table"})
        elif tag == "li":
            self._close_to({"li"}, stop={"ul", "ol", "table", "td", "th"})
        elif tag in ("dt", "dd"):
            self._close_to({"dt", "dd"}, stop={"dl", "table", "td", "th"})
        if tag in CLOSES_P or tag == "table":
            self._close_to({"p"}, stop={"td", "th", "table", "div", "li", "body"})
        if tag == "title":
            self._in_title = True
        node = Node(tag, a, parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID and len(self.stack) < MAX_DEPTH:  # deeper elements are read as empty
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        depth = len(self.stack)
        self.handle_starttag(tag, attrs)
        if len(self.stack) > depth:  # <div/>: opened and closed (implied end tags may have popped)
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "br":  # </br> is read as <br>, as browsers do
            self.handle_starttag("br", [])
            return
        if tag == "p" and not any(n.tag == "p" for n in self.stack):
            self.handle_starttag("p", [])  # a stray </p> is an empty paragraph
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return
            if self.stack[i].tag == "table" and tag != "table":
                return  # an end tag never closes past a table it is not in

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page_title.append(data)
        self.stack[-1].children.append(data)

    def _close_to(self, tags: set[str], stop: set[str]) -> None:
        """Close the innermost open element of TAGS (and all inside it), unless one of STOP
        is open inside it."""
        for i in range(len(self.stack) - 1, 0, -1):
            t = self.stack[i].tag
            if t in tags:
                del self.stack[i:]
                return
            if t in stop:
                return


def parse(html: str) -> tuple[Node, str]:
    """The tree of a page and its <title> text."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root, _clean("".join(builder.page_title))


def _clean(text: str) -> str:
    """Text as a browser shows it: a line break in the source between two CJK characters
    vanishes (CSS Text's segment-break rule), other white space runs are one space."""
    text = _CJK_BREAK.sub("", text)
    return _SPACE.sub(" ", text.replace("\xa0", " ")).strip()


# --- reading --------------------------------------------------------------------------------------------


def _hidden(node: Node) -> bool:
    return (
        node.tag in UNSEEN
        or "hidden" in node.attrs
        or bool(_HIDDEN.search(node.attrs.get("style", "")))
        or node.attrs.get("aria-hidden") == "true"
        and node.tag not in ("td", "th", "tr", "table")
    )


def _elements(node: Node):
    for ch in node.children:
        if isinstance(ch, Node) and not _hidden(ch):
            yield ch
            yield from _elements(ch)


def _tables_in(node: Node) -> list[Node]:
    return [n for n in _elements(node) if n.tag == "table"]


def _rows(table: Node) -> list[Node]:
    """A table's rows in print order (header group first, footer group last), not those of
    tables nested in its cells."""
    head: list[Node] = []
    body: list[Node] = []
    foot: list[Node] = []

    def walk(n: Node, into: list[Node]) -> None:
        for ch in n.children:
            if not isinstance(ch, Node) or _hidden(ch):
                continue
            if ch.tag == "tr":
                into.append(ch)
            elif ch.tag == "thead":
                walk(ch, head)
            elif ch.tag == "tfoot":
                walk(ch, foot)
            elif ch.tag in ("tbody", "form") or ch.tag not in ("table", "td", "th"):
                walk(ch, into)

    walk(table, body)
    return head + body + foot


def _cells(tr: Node) -> list[Node]:
    out = []
    for ch in tr.children:
        if isinstance(ch, Node) and not _hidden(ch):
            if ch.tag in CELL:
                out.append(ch)
            elif ch.tag not in ("tr", "table"):
                out.extend(_cells(ch))
    return out


def _span(node: Node, name: str, limit: int) -> int:
    try:
        value = int(re.match(r"\s*(\d+)", node.attrs.get(name, "1")).group(1))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        return 1
    return min(max(value, 1), limit)


def _is_layout(table: Node) -> bool:
    """A table holding other tables lays the page out (unless it is itself a grid of data: at
    least three rows of two or more cells, whose nested tables are cell content)."""
    if not any(n.tag == "table" for n in _elements(table)):
        return False
    grid_rows = sum(1 for tr in _rows(table) if len(_cells(tr)) >= 2)
    return grid_rows < 3


def _data_tables(root: Node) -> list[Node]:
    """Tables read as tables: grids (a row of two cells or more) that are not layout tables,
    and not inside another data table."""
    out: list[Node] = []

    def walk(n: Node) -> None:
        for ch in n.children:
            if not isinstance(ch, Node) or _hidden(ch):
                continue
            if ch.tag == "table" and not _is_layout(ch):
                if any(len(_cells(tr)) >= 2 for tr in _rows(ch)):
                    out.append(ch)
                    continue  # a one-column table is a box or a list of links: read through
            walk(ch)

    walk(root)
    return out


def _content(root: Node, tables: list[Node]) -> Node:
    """The page's content area: the smallest element around the largest data table that holds
    at least CONTENT_SHARE of all data tables' text (a lone table: its parent, so that its title
    paragraph is read too). Tables outside it (a sidebar's news list, a calendar) are site
    furniture."""
    if not tables:
        return root
    weight = {id(t): _text_length(t) for t in tables}
    total = sum(weight.values())
    ancestors = {id(t): _ancestors(t) for t in tables}
    node = max(tables, key=lambda t: weight[id(t)])
    while node.parent is not None:
        inside = sum(weight[id(t)] for t in tables if id(node) in ancestors[id(t)])
        if inside >= CONTENT_SHARE * total:
            break
        node = node.parent
    if node.tag == "table" and node.parent is not None:
        node = node.parent
    return node


def _ancestors(node: Node) -> set[int]:
    out = set()
    n: Node | None = node
    while n is not None:
        out.add(id(n))
        n = n.parent
    return out


def _text_length(node: Node) -> int:
    return sum(len(ch.strip()) if isinstance(ch, str) else _text_length(ch) for ch in node.children)


@dataclass
class _Run:
    """Text gathered for one paragraph: its pieces with their sizes."""

    parts: list[tuple[str, float]] = field(default_factory=list)


class _Reader:
    """Walks the content area, emitting free paragraphs and tables in order."""

    def __init__(self, data_tables: list[Node]) -> None:
        self.data = {id(t) for t in data_tables}
        self.blocks: list[Block] = []
        self.paras: list[Para] = []
        self.run = _Run()

    def end_paragraph(self, out: list[Para] | None = None) -> None:
        target = self.paras if out is None else out
        para = _para(self.run)
        if para is not None:
            target.append(para)
        self.run = _Run()

    def read(self, node: Node) -> list[Block]:
        self.walk(node, BASE_SIZE, False, None)
        self.end_paragraph()
        if self.paras:
            self.blocks.append(self.paras)
        return self.blocks

    def walk(self, node: Node, size: float, bold: bool, out: list[Para] | None) -> None:
        for ch in node.children:
            if isinstance(ch, str):
                self.run.parts.append((ch, size * (BOLD if bold else 1.0)))
                continue
            if _hidden(ch):
                continue
            tag = ch.tag
            if tag == "table" and out is None and id(ch) in self.data:
                self.end_paragraph()
                for caption in (n for n in ch.children if isinstance(n, Node) and n.tag == "caption"):
                    self.walk(caption, *_style(caption, size, bold), None)  # printed above the grid
                    self.end_paragraph()
                self.blocks.append(self.paras)
                self.paras = []
                self.blocks.append(self.table(ch))
                continue
            if tag == "br":
                self.end_paragraph(out)
                continue
            own_size, own_bold = _style(ch, size, bold)
            if tag in BLOCK:
                self.end_paragraph(out)
                self.walk(ch, own_size, own_bold, out)
                self.end_paragraph(out)
            else:
                self.walk(ch, own_size, own_bold, out)

    def table(self, table: Node) -> Table:
        rows = _rows(table)
        below: list[int] = []  # per column: the first row not covered by a cell from above
        cells: list[Cell] = []
        n_rows = len(rows)
        for r, tr in enumerate(rows):
            c = 0
            for td in _cells(tr):
                while c < len(below) and below[c] > r:
                    c += 1
                rowspan = (
                    _span(td, "rowspan", n_rows - r)
                    if td.attrs.get("rowspan", "1").strip() != "0"
                    else n_rows - r
                )
                colspan = _span(td, "colspan", MAX_COLSPAN)
                paras: list[Para] = []
                saved, self.run = self.run, _Run()
                size, bold = _style(td, BASE_SIZE, td.tag == "th")
                self.walk(td, size, bold, paras)
                self.end_paragraph(paras)
                self.run = saved
                cells.append(Cell(r, r + rowspan, c, c + colspan, paras))
                below.extend([0] * (c + colspan - len(below)))
                for cc in range(c, c + colspan):
                    below[cc] = r + rowspan
                c += colspan
        return Table(_widths(cells), cells)


def _style(node: Node, size: float, bold: bool) -> tuple[float, bool]:
    """A node's font size (pt) and boldness, from its tag and its inline style."""
    tag = node.tag
    if tag in HEADING_SIZE:
        size, bold = HEADING_SIZE[tag], True
    elif tag in ("b", "strong", "th"):
        bold = True
    elif tag == "big":
        size *= 1.2
    elif tag == "small":
        size /= 1.2
    elif tag == "font" and node.attrs.get("size", "").strip().isdigit():
        size = {1: 7.5, 2: 10.0, 3: 12.0, 4: 13.5, 5: 18.0, 6: 24.0, 7: 36.0}.get(
            int(node.attrs["size"].strip()), size
        )
    style = node.attrs.get("style", "")
    m = _FONT_SIZE.search(style)
    if m:
        value, unit = float(m.group(1)), (m.group(2) or "px").lower()
        if value > 0:
            size = {"px": value * 0.75, "pt": value, "em": value * size, "rem": value * BASE_SIZE,
                    "%": value / 100 * size}[unit]  # fmt: skip
    if _BOLD_STYLE.search(style):
        bold = True
    return size, bold


def _para(run: _Run) -> Para | None:
    """A paragraph from its pieces: white space collapsed as a browser does; its size that of
    most of its characters."""
    text = _clean("".join(t for t, _ in run.parts))
    if not text:
        return None
    weight: dict[float, int] = {}
    for t, s in run.parts:
        weight[s] = weight.get(s, 0) + len(t.strip())
    size = max(weight, key=lambda s: (weight[s], s))
    return Para(text, round(size, 2))


def _widths(cells: list[Cell]) -> list[float]:
    """Column widths (pt) from the longest paragraph of each column's one-column cells."""
    n = max((c.c1 for c in cells), default=0)
    widths = [36.0] * n
    for c in cells:
        if c.c1 - c.c0 == 1:
            for p in c.paras:
                widths[c.c0] = max(widths[c.c0], min(text_width(p.text, p.size) + 8, 300.0))
    return widths


def read_web_file(path: Path) -> list[PageRecord]:
    """Page records of a web page or MHTML file (see read_web)."""
    return read_web(path.read_bytes())


def read_web(data: bytes) -> list[PageRecord]:
    """Page records of a web page or MHTML file: one pseudo page per data table, with the
    paragraphs above it; raises RejectedFile when the page has nothing to read. Of an MHTML
    file's pages, those holding tables are read (the first page when none does)."""
    documents = [_document_blocks(html) for html in html_texts(data)]
    with_tables = [blocks for blocks, n in documents if n]
    blocks = [b for doc in with_tables for b in doc] if with_tables else documents[0][0]
    pages: list[list[Block]] = []
    pending: list[Block] = []
    for block in blocks:
        pending.append(block)
        if isinstance(block, Table):
            pages.append(pending)
            pending = []
    if pending:
        if pages:
            pages[-1].extend(pending)
        else:
            pages.append(pending)
    if not any(p.text for b in blocks if isinstance(b, list) for p in b) and not with_tables:
        raise RejectedFile("empty web page (no text in it)")
    return [page_record(i + 1, page) for i, page in enumerate(pages)]


def _document_blocks(html: str) -> tuple[list[Block], int]:
    """The blocks of one page's content area, and how many data tables it holds."""
    root, title = parse(html)
    body = next((n for n in _elements(root) if n.tag == "body"), root)
    tables = _data_tables(body)
    content = _content(body, tables)
    tables = [t for t in tables if id(content) in _ancestors(t)]
    blocks = _Reader(tables).read(content)
    if tables and not _has_heading(blocks):
        heading = _page_heading(body, title)
        first = next((b for b in blocks if isinstance(b, list)), None)
        if heading and first is not None:
            first.insert(0, Para(heading, HEADING_SIZE["h1"]))
    return blocks, len(tables)


def _has_heading(blocks: list[Block]) -> bool:
    """Whether the content prints a heading or bold paragraph above its first table."""
    for block in blocks:
        if isinstance(block, Table):
            return False
        if any(p.size > BASE_SIZE for p in block):
            return True
    return False


def _page_heading(body: Node, title: str) -> str:
    """The page's own heading: its first <h1>, else its <title> up to the site's name
    (`清单_乡镇动态_某某人民政府`: the part before the first separator)."""
    h1 = next((n for n in _elements(body) if n.tag == "h1"), None)
    if h1 is not None:
        reader = _Reader([])
        paras: list[Para] = []
        reader.walk(h1, BASE_SIZE, True, paras)
        reader.end_paragraph(paras)
        if paras:
            return " ".join(p.text for p in paras)
    return re.split(r"\s*[_|｜]\s*|\s+-\s+|\s+—\s+", title, maxsplit=1)[0].strip()
