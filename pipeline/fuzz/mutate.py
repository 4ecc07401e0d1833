"""Seeded mutations of small duty-list PDFs: the ways real files get damaged, and hostile ones.

Mutant `i` of seed `s` depends only on (s, i) and the base files, so any failing mutant can be
made again alone (`python -m pipeline.fuzz --seed s --only i`). Each mutation works on the
object level of a plain PDF (the project's fixtures are written by reportlab: numbered objects
in order, a classic xref table) and writes the file again with a correct or a stale xref.

Operations (`OPERATIONS`, with their weights in the mix):
  flip_stream     1-8 bytes of a compressed stream flipped
  flip_bytes      1-16 bytes anywhere flipped
  truncate        the file cut short (half of them with a %%EOF marker appended)
  delete_object   an object removed (a page, a font, a content stream, the catalogue, ...)
  pagetree_loop   the page tree made to contain itself (a page or the root listed as its own kid)
  rotate          /Rotate 90, 180 or 270 on some pages (a valid file: it must still be read)
  garble_content  operators and operands of a content stream replaced by junk
  bad_reference   a reference pointed at a missing object or an object of another kind
  xref_garbage    the cross-reference table or startxref overwritten
  deep_nesting    an array nested 50,000 deep in a page dictionary
  huge_count      the page tree claims 2^31-1 pages
  bomb            a content stream inflating to 300 MB or 1 GiB (over the stream cap)
  memory_bomb     a page of three content streams of 200 MB of line drawing each (each under the
                  stream cap; together over the memory budget)
  time_bomb       a content stream of 160 MB of no-op operators (under the cap: the time budget)
  bad_name        an intact file under a name with bytes that are not UTF-8, a newline, or 200 characters
  combo           two or three of the damaging operations at once
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from pathlib import Path
import random
import re
import zlib

OPERATIONS: dict[str, int] = {
    "flip_stream": 14,
    "flip_bytes": 10,
    "truncate": 10,
    "delete_object": 10,
    "pagetree_loop": 6,
    "rotate": 6,
    "garble_content": 10,
    "bad_reference": 8,
    "xref_garbage": 5,
    "deep_nesting": 2,
    "huge_count": 2,
    "bomb": 3,
    "memory_bomb": 1,
    "time_bomb": 1,
    "bad_name": 5,
    "combo": 7,
}
VALID = ("rotate", "bad_name")  # mutants that are still good files: they must be read
DAMAGING = ("flip_stream", "flip_bytes", "truncate", "delete_object", "pagetree_loop", "garble_content",
            "bad_reference", "xref_garbage", "rotate")  # fmt: skip

_HEADER = re.compile(rb"(?m)^(\d+) 0 obj\b")


@dataclass(frozen=True)
class Mutant:
    index: int
    op: str  # the operation (combo: "combo:a+b")
    base: str  # the base file's name
    name: bytes  # the file name to write (bytes: it may be no valid UTF-8)
    data: bytes


@dataclass
class Pdf:
    """A plain PDF as numbered object bodies (the bytes between "N 0 obj" and "endobj")."""

    head: bytes
    objects: dict[int, bytes]
    trailer: bytes  # the trailer dictionary's inside

    @classmethod
    def parse(cls, data: bytes) -> Pdf:
        heads = list(_HEADER.finditer(data))
        xref = data.rfind(b"\nxref")
        objects: dict[int, bytes] = {}
        for h, nxt in zip(heads, heads[1:] + [None], strict=True):
            end = nxt.start() if nxt is not None else (xref if xref > h.end() else len(data))
            body = data[h.end() : end]
            cut = body.rfind(b"endobj")
            objects[int(h.group(1))] = body[:cut] if cut >= 0 else body
        t = data.rfind(b"trailer")
        inside = data[t:].split(b"<<", 1)[1].rsplit(b">>", 1)[0] if t >= 0 else b"/Root 1 0 R"
        return cls(data[: heads[0].start()] if heads else b"%PDF-1.3\n", objects, inside)

    def write(self, stale_xref: bool = False) -> bytes:
        out = bytearray(self.head)
        offsets: dict[int, int] = {}
        for num in sorted(self.objects):
            offsets[num] = len(out)
            out += b"%d 0 obj" % num + self.objects[num] + b"endobj\n"
        size = max(self.objects, default=0) + 1
        start = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for num in range(1, size):
            off = offsets.get(num)
            if off is not None and stale_xref:
                off += 17  # every offset wrong: the reader must rebuild the table
            out += b"%010d 00000 n \n" % off if off is not None else b"0000000000 65535 f \n"
        trailer = re.sub(rb"/Size \d+", b"/Size %d" % size, self.trailer)
        out += b"trailer\n<<" + trailer + b">>\nstartxref\n%d\n%%%%EOF\n" % start
        return bytes(out)

    def streams(self) -> list[int]:
        return [n for n, body in self.objects.items() if b"stream" in body and b"/Length" in body]

    def pages(self) -> list[int]:
        return [n for n, body in self.objects.items() if re.search(rb"/Type\s*/Page\b", body)]

    def page_root(self) -> int | None:
        return next((n for n, b in self.objects.items() if re.search(rb"/Type\s*/Pages\b", b)), None)

    def contents(self) -> list[int]:
        refs = []
        for p in self.pages():
            m = re.search(rb"/Contents\s+(\d+) 0 R", self.objects[p])
            if m and int(m.group(1)) in self.objects:
                refs.append(int(m.group(1)))
        return refs

    def set_stream(self, num: int, payload: bytes, filters: bytes = b"/FlateDecode") -> None:
        self.objects[num] = (
            b"\n<< /Filter %s /Length %d >>\nstream\n" % (filters, len(payload)) + payload + b"\nendstream\n"
        )

    def add_contents(self, page: int, payloads: list[bytes]) -> None:
        """Give `page` new content streams (deflated payloads), in place of its own."""
        nums = []
        for payload in payloads:
            nums.append(max(self.objects) + 1)
            self.set_stream(nums[-1], payload)
        refs = b"[ " + b" ".join(b"%d 0 R" % n for n in nums) + b" ]"
        self.objects[page] = re.sub(
            rb"/Contents\s+(\d+ 0 R|\[[^\]]*\])", b"/Contents " + refs, self.objects[page]
        )

    def stream_data(self, num: int) -> bytes:
        """The decoded bytes of a content stream (ASCII85 and Flate undone)."""
        body = self.objects[num]
        head, rest = body.split(b"stream", 1)
        raw = rest.lstrip(b"\r\n").rsplit(b"endstream", 1)[0]
        if b"ASCII85Decode" in head:
            raw = base64.a85decode(raw.strip().removesuffix(b"~>"), adobe=False)
        return zlib.decompress(raw) if b"FlateDecode" in head else raw


def mutants(seed: int, count: int, bases: list[Path], start: int = 0) -> list[Mutant]:
    """Mutants start .. start+count-1 of `seed`, each from one of `bases` (cycled)."""
    return [mutant(seed, i, bases) for i in range(start, start + count)]


def mutant(seed: int, index: int, bases: list[Path]) -> Mutant:
    rng = random.Random(f"{seed}/{index}")
    base = bases[rng.randrange(len(bases))]
    op = rng.choices(list(OPERATIONS), weights=list(OPERATIONS.values()))[0]
    data = base.read_bytes()
    stem = f"m{index:04d}_{op}"
    name = f"{stem}.pdf".encode()
    if op == "bad_name":
        name = _bad_name(rng, stem)
    elif op == "combo":
        ops = rng.sample(DAMAGING, rng.choice((2, 3)))
        for o in ops:
            data = _apply(o, data, rng)
        op = "combo:" + "+".join(ops)
    else:
        data = _apply(op, data, rng)
    return Mutant(index, op, base.name, name, data)


def _bad_name(rng: random.Random, stem: str) -> bytes:
    kind = rng.choice(("latin1", "gbk_bytes", "newline", "long", "control"))
    if kind == "latin1":
        return f"{stem}_".encode() + b"\xe9t\xe9\xff.pdf"
    if kind == "gbk_bytes":  # a Chinese name written by a GBK system: not UTF-8
        return f"{stem}_".encode() + "履职事项清单".encode("gbk") + b".pdf"
    if kind == "newline":
        return f"{stem}_a\nrejected fake.pdf: b.pdf".encode()
    if kind == "control":
        return f"{stem}_\x1b[31mred\t.pdf".encode()
    return (f"{stem}_" + "清单" * 38 + ".pdf").encode()  # about 240 bytes, under NAME_MAX


def _apply(op: str, data: bytes, rng: random.Random) -> bytes:
    """DATA mutated by OP: raw bytes (flip_bytes, truncate), or the parsed PDF changed by the
    op's function in _MUTATIONS and written again (with a stale xref now and then)."""
    if op == "flip_bytes":
        out = bytearray(data)
        for _ in range(rng.randint(1, 16)):
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        return bytes(out)
    if op == "truncate":
        cut = data[: int(len(data) * rng.uniform(0.05, 0.98))]
        return cut + b"\n%%EOF\n" if rng.random() < 0.5 else cut
    try:
        pdf = Pdf.parse(data)
    except Exception:
        return data  # an earlier mutation left nothing to parse: keep the bytes
    # A stale xref is damage of its own: not for a rotated file (still valid: it must be read) nor a
    # bomb (pdfminer gives up on the xref before it reaches the stream the bomb is about).
    stale = rng.random() < 0.3 and op not in ("rotate", "bomb", "memory_bomb", "time_bomb")
    mutation = _MUTATIONS[op]
    mutated = mutation(pdf, rng, op) if mutation is _bombs else mutation(pdf, rng)
    return mutated if mutated is not None else pdf.write(stale_xref=stale)


def _flip_stream(pdf: Pdf, rng: random.Random) -> bytes | None:
    """Mutation: flip stream."""
    streams = pdf.streams()
    if streams:
        n = rng.choice(streams)
        body = bytearray(pdf.objects[n])
        s = body.find(b"stream") + 7
        e = max(s + 1, body.rfind(b"endstream"))
        for _ in range(rng.randint(1, 8)):
            body[rng.randrange(s, e)] ^= 1 << rng.randrange(8)
        pdf.objects[n] = bytes(body)
    return None


def _delete_object(pdf: Pdf, rng: random.Random) -> bytes | None:
    """Mutation: delete object."""
    if pdf.objects:
        del pdf.objects[rng.choice(sorted(pdf.objects))]
    return None


def _pagetree_loop(pdf: Pdf, rng: random.Random) -> bytes | None:
    """Mutation: pagetree loop."""
    root, pages = pdf.page_root(), pdf.pages()
    if root is not None and pages:
        victim = rng.choice([root, *pages])
        pdf.objects[root] = re.sub(rb"/Kids\s*\[", b"/Kids [ %d 0 R " % victim, pdf.objects[root], count=1)
        if rng.random() < 0.5:  # and a page whose parent is itself
            p = rng.choice(pages)
            pdf.objects[p] = re.sub(rb"/Parent \d+ 0 R", b"/Parent %d 0 R" % p, pdf.objects[p])
    return None


def _rotate(pdf: Pdf, rng: random.Random) -> bytes | None:
    """Mutation: rotate."""
    for p in pdf.pages():
        if rng.random() < 0.6:
            pdf.objects[p] = pdf.objects[p].replace(b"<<", b"<< /Rotate %d" % rng.choice((90, 180, 270)), 1)
    return None


def _garble_content(pdf: Pdf, rng: random.Random) -> bytes | None:
    """Mutation: garble content."""
    contents = pdf.contents()
    if contents:
        n = rng.choice(contents)
        try:
            tokens = pdf.stream_data(n).split(b" ")
        except Exception:
            tokens = []
        junk = (b"Tj", b"TJ", b"Tf", b"cm", b"re", b"BT", b"ET", b"Do", b"q", b"Q", b"(", b"[", b"<<", b"-1e999",
                b"99999999999", b"/Nonexistent", b"\xff\xfe", b"%")  # fmt: skip
        for _ in range(rng.randint(1, 40)):
            if tokens:
                tokens[rng.randrange(len(tokens))] = rng.choice(junk)
        pdf.set_stream(n, zlib.compress(b" ".join(tokens)))
    return None


def _bad_reference(pdf: Pdf, rng: random.Random) -> bytes | None:
    """Mutation: bad reference."""
    nums = sorted(pdf.objects)
    n = rng.choice(nums)
    refs = list(re.finditer(rb"(\d+) 0 R", pdf.objects[n]))
    if refs:
        r = rng.choice(refs)
        target = rng.choice((max(nums) + 50, rng.choice(nums), 0))
        text = pdf.objects[n]
        pdf.objects[n] = text[: r.start()] + b"%d 0 R" % target + text[r.end() :]
    return None


def _xref_garbage(pdf: Pdf, rng: random.Random) -> bytes | None:
    """Mutation: xref garbage."""
    out = bytearray(pdf.write())
    x = out.rfind(b"xref")
    if rng.random() < 0.5:
        for i in range(x, min(len(out) - 20, x + rng.randint(20, 400))):
            out[i] = rng.randrange(32, 127)
    else:
        s = out.rfind(b"startxref") + 10
        out[s : s + 6] = b"%06d" % rng.randrange(10**6)
    return bytes(out)


def _deep_nesting(pdf: Pdf, rng: random.Random) -> bytes | None:
    """Mutation: deep nesting."""
    pages = pdf.pages()
    if pages:
        p = rng.choice(pages)
        pdf.objects[p] = pdf.objects[p].replace(b"<<", b"<< /Junk " + b"[" * 50000 + b"]" * 50000, 1)
    return None


def _huge_count(pdf: Pdf, rng: random.Random) -> bytes | None:
    """Mutation: huge count."""
    root = pdf.page_root()
    if root is not None:
        pdf.objects[root] = re.sub(rb"/Count \d+", b"/Count 2147483647", pdf.objects[root])
    return None


def _bombs(pdf: Pdf, rng: random.Random, op: str) -> bytes | None:
    """Mutation: the op's bomb (a deflate bomb, a memory bomb over several streams, a time bomb)."""
    contents = pdf.contents()
    if contents:
        if op == "bomb":
            pdf.set_stream(rng.choice(contents), _deflated(b"0 0 m ", rng.choice((300, 1024)) << 20))
        elif op == "memory_bomb":  # each stream under the cap, the page's together over the budget
            pdf.add_contents(rng.choice(pdf.pages()), [_deflated(b"10 10 m 200 200 l S ", 200 << 20)] * 3)
        else:
            pdf.set_stream(rng.choice(contents), _deflated(b"q Q ", 160 << 20))
    return None


_MUTATIONS: dict = {
    "flip_stream": _flip_stream,
    "delete_object": _delete_object,
    "pagetree_loop": _pagetree_loop,
    "rotate": _rotate,
    "garble_content": _garble_content,
    "bad_reference": _bad_reference,
    "xref_garbage": _xref_garbage,
    "deep_nesting": _deep_nesting,
    "huge_count": _huge_count,
    "bomb": _bombs,
    "memory_bomb": _bombs,
    "time_bomb": _bombs,
}


@cache
def _deflated(pattern: bytes, size: int) -> bytes:
    """`pattern` repeated to `size` bytes, deflated (made once per run: a few seconds for 1 GiB)."""
    z = zlib.compressobj(9)
    block = pattern * ((1 << 20) // len(pattern))
    parts, done = [], 0
    while done < size:
        chunk = block[: size - done]
        parts.append(z.compress(chunk))
        done += len(chunk)
    parts.append(z.flush())
    return b"".join(parts)
