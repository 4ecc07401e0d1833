"""Why the clean stage read a file the way it did: row by row, in words and in a picture.

    make explain FILE=path [PAGE=N]          (python -m pipeline.clean --explain FILE [--page N] [--picture OUT.png])

Any format a build reads: a file whose content the build of the processed folder read (Word,
Excel, OCR pages too) is explained from the page records the build cached; otherwise a PDF, Word
or Excel file is read here.

The file goes through the same reader and cleaning as in a build; the cleaning keeps a
RowDecision (page, table, grid row, kind, reason) for every table row it classifies (its
DocumentResult.decisions). This module only prints that decision log, with each row's first
words, and the free text of the page (titles, page footers), and draws it: the page rendered as
PNG with the table grid, its cells and the item boundaries, as pdfplumber's debug_tablefinder and
Camelot's plot do.
"""

from __future__ import annotations

from pathlib import Path
import sys

from pipeline.clean.stage import DocumentResult, clean_document
from pipeline.clean.stitch import RowDecision
from pipeline.clean.wording import is_footer, looks_like_title
from pipeline.common.records import Cell, PageRecord, Table
from pipeline.common.settings import CleanSettings, ExtractSettings

PREVIEW = 36  # characters of a row's text shown beside its decision
SCALE = 2.0  # picture pixels per PDF point (144 dpi)
GUTTER = 170  # pixels left of the page for the labels
LEGEND = 48  # pixels below the page for the colour key
# kind → (name printed, short label drawn, label colour, band fill RGBA or None)
STYLE = {
    "title": ("title row", "title", (90, 90, 90), (120, 120, 120, 70)),
    "header": ("header row", "header", (90, 90, 90), (120, 120, 120, 70)),
    "section": ("section row", "section", (150, 110, 0), (255, 200, 0, 70)),
    "new": ("new item", "item", (200, 0, 0), None),
    "repeated": ("continued item", "continued", (130, 0, 170), (160, 60, 220, 55)),
    "continued": ("page-split fragment", "fragment of", (215, 110, 0), (255, 150, 0, 70)),
    "fragment": ("fragment, 序号 below", "fragment", (215, 110, 0), (255, 150, 0, 70)),
    "sub_row": ("sub-row", "sub-row of", (0, 110, 160), (0, 150, 220, 40)),
    "skipped": ("dropped", "dropped", (90, 90, 90), (0, 0, 0, 60)),
}
ITEM_STARTS = ("new", "repeated", "section", "fragment")  # rows drawn with an item boundary above


def read_records(path: Path) -> list[PageRecord]:
    """Page records of one PDF, exactly as a build hands them to the clean stage.

    A debugging tool: it runs the extract stage's reader itself (the clean stage never does), so
    a file can be explained without a build. Raises RejectedFile with the reason."""
    from pipeline.common.records import arrow_to_records, extract_schema
    from pipeline.common.sources import RejectedFile
    from pipeline.common.storage import rows_to_arrow
    from pipeline.extract.pdf import open_for_tasks, run_page_task

    parts = [run_page_task(task) for task in open_for_tasks(path, ExtractSettings(), jobs=1)]
    error = next((p["error"] for p in parts if "error" in p), None)
    if error is not None:
        raise RejectedFile(error)
    return arrow_to_records(rows_to_arrow([row for p in parts for row in p["rows"]], extract_schema()))


def cached_records(path: Path, processed: Path | None) -> list[PageRecord] | None:
    """The page records a build of PROCESSED read from this file (same content), or None: any
    format a build reads (Word, Excel, OCR pages) is explained from what the build saw."""
    if processed is None:
        return None
    import hashlib

    from pipeline.common.records import arrow_to_records
    from pipeline.common.storage import build_dir, read_parquet

    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    found = sorted((build_dir(processed) / "extract").glob(f"*/{digest}.parquet"))
    if not found:
        return None
    return arrow_to_records(read_parquet(found[-1]))


def records_of(path: Path, processed: Path | None = None) -> tuple[list[PageRecord], str]:
    """Page records of a raw file of any format and where they come from: the build's cache when
    it read this content, else the file read here (PDF, Word, Excel); a scan not yet built is
    rejected (OCR takes a build's budgeted workers). Raises RejectedFile with the reason."""
    from pipeline.common.sources import RejectedFile
    from pipeline.extract.formats import sniff
    from pipeline.extract.readers import READERS

    cached = cached_records(path, processed)
    if cached is not None:
        return cached, f"as the build in {processed} read it"
    fmt = sniff(path)
    if fmt.skip:
        raise RejectedFile(fmt.skip)
    if fmt.name == "pdf":
        return read_records(path), "read now"
    if fmt.name in READERS and READERS[fmt.name].budget == "frames":  # an image: OCR
        raise RejectedFile("a scan: run make all with it in the raw folder first, then explain it")
    from pipeline.extract.office import read_office

    return read_office(path, fmt.name, ExtractSettings()), "read now"


def explain(records: list[PageRecord], settings: CleanSettings | None = None):
    """The decision log of one document and what it produced."""
    result: DocumentResult = clean_document(records, settings or CleanSettings())
    return result.decisions, result


def kind_name(kind: str) -> str:
    return STYLE[kind][0] if kind in STYLE else kind


def _row_text(cells: list[Cell], row: int) -> str:
    """The first words of a grid row, cell by cell."""
    texts = ["".join(ln["text"] for ln in c["lines"]) for c in sorted(cells, key=lambda c: c["c0"])]
    text = " | ".join(t for t in texts if t.strip()) if texts else ""
    return text[:PREVIEW] + ("…" if len(text) > PREVIEW else "")


def _free_text_kind(text: str) -> str:
    if is_footer(text):
        return "footer: page furniture, dropped"
    if looks_like_title(text):
        return "title: names the list and the township"
    return "text outside tables: not read as items"


def describe(records: list[PageRecord], trace: list[RowDecision], page: int | None = None) -> str:
    """The decision log as text, page by page and row by row."""
    by_table: dict[tuple[int, int], list[RowDecision]] = {}
    for d in trace:
        by_table.setdefault((d.page, d.table), []).append(d)
    out = []
    for rec in records:
        if page is not None and rec["page"] != page:
            continue
        out.append(f"page {rec['page']} ({rec['width']:.0f} × {rec['height']:.0f} pt)")
        free = sorted(rec["text"], key=lambda ln: (ln["top"], ln["x0"]))
        for ti, table in enumerate(rec["tables"]):
            bbox = tuple(table["bbox"])
            n_rows, n_cols = max(c["r1"] for c in table["cells"]), max(c["c1"] for c in table["cells"])
            for ln in [ln for ln in free if ln["bottom"] <= bbox[1] + 1]:
                out.append(f"  text  {_free_text_kind(ln['text'])}: {ln['text'].strip()}")
            free = [ln for ln in free if ln["bottom"] > bbox[1] + 1]
            out.append(f"  table {ti + 1}: {n_rows} grid rows × {n_cols} columns, top {bbox[1]:.0f} pt")
            decisions = by_table.get((rec["page"], ti), [])
            if not decisions:
                out.append("    (no row read: the table belongs to no list)")
            for d in decisions:
                cells = [c for c in table["cells"] if c["r0"] == d.row]
                out.append(f"    row {d.row:<3} {kind_name(d.kind):<20} {d.reason}")
                if d.kind not in ("title", "header"):
                    out.append(f"    {'':<28} “{_row_text(cells, d.row)}”")
        for ln in free:
            out.append(f"  text  {_free_text_kind(ln['text'])}: {ln['text'].strip()}")
    return "\n".join(out)


def summary(result: DocumentResult) -> str:
    counts: dict[str, int] = {}
    for item in result.items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    parts = ", ".join(f"{k} {n}" for k, n in counts.items())
    notes = "".join(f"\nnote: {n}" for n in result.notes)
    notes += "".join(f"\nproblem [{p['kind']}]: {p['message']}" for p in result.problems)
    return f"{len(result.items)} items ({parts}){notes}"


# --- the picture ------------------------------------------------------------------------------------


def _row_bands(table: Table, decisions: list[RowDecision]) -> list[tuple[RowDecision, float, float]]:
    """Each decision with the vertical extent (pt) of its rows: from its row's top to the next
    decision's row (or the table's bottom)."""
    tops: dict[int, float] = {}
    for c in table["cells"]:
        tops[c["r0"]] = min(tops.get(c["r0"], c["top"]), c["top"])
    ordered = sorted(decisions, key=lambda d: d.row)
    bands = []
    for i, d in enumerate(ordered):
        top = tops.get(d.row, table["bbox"][1])
        bottom = tops.get(ordered[i + 1].row, table["bbox"][3]) if i + 1 < len(ordered) else table["bbox"][3]
        bands.append((d, top, bottom))
    return bands


def _label(d: RowDecision) -> str:
    """A few ASCII characters for the gutter: the kind and the item number it names."""
    number = next((w.strip(",()") for w in d.reason.split() if w.strip(",()").isdigit()), "")
    word = STYLE[d.kind][1] if d.kind in STYLE else d.kind
    return f"{word} {number}" if d.kind not in ("title", "header", "skipped") and number else word


def picture(path: Path, record: PageRecord, trace: list[RowDecision], out: Path) -> tuple[int, int]:
    """Draw one page with its grid, cells and item boundaries into a PNG; return its size (px)."""
    from PIL import Image, ImageDraw, ImageFont
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        page_image = pdf[record["page"] - 1].render(scale=SCALE).to_pil().convert("RGB")
    finally:
        pdf.close()
    width, height = page_image.size
    canvas = Image.new("RGB", (width + GUTTER, height + LEGEND), "white")
    canvas.paste(page_image, (GUTTER, 0))
    overlay = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    font = ImageFont.load_default(size=18)

    def xy(x: float, y: float) -> tuple[float, float]:
        return GUTTER + x * SCALE, y * SCALE

    for index, table in enumerate(record["tables"]):
        bbox = tuple(table["bbox"])
        decisions = [d for d in trace if d.page == record["page"] and d.table == index]
        for d, top, bottom in _row_bands(table, decisions):
            _, _, colour, fill = STYLE.get(d.kind, ("", "", (0, 0, 0), None))
            if fill is not None:
                draw.rectangle([xy(bbox[0], top), xy(bbox[2], bottom)], fill=fill)
            if d.kind in ITEM_STARTS:  # an item boundary
                draw.line([xy(bbox[0] - 6, top), xy(bbox[2] + 4, top)], fill=colour + (255,), width=4)
            label = _label(d)
            lx = GUTTER - 10 - draw.textlength(label, font=font)
            draw.text((lx, top * SCALE + 4), label, fill=colour + (255,), font=font)
        for c in table["cells"]:
            draw.rectangle(
                [xy(c["x0"], c["top"]), xy(c["x1"], c["bottom"])], outline=(0, 160, 80, 200), width=1
            )
        draw.rectangle([xy(bbox[0], bbox[1]), xy(bbox[2], bbox[3])], outline=(30, 60, 220, 255), width=3)
    for ln in record["text"]:  # free text: titles and page footers
        kind = _free_text_kind(ln["text"]).split(":")[0]
        draw.rectangle(
            [xy(ln["x0"] - 2, ln["top"] - 2), xy(ln["x1"] + 2, ln["bottom"] + 2)],
            outline=(120, 120, 120, 255),
        )
        draw.text(
            (GUTTER - 10 - draw.textlength(kind, font=font), ln["top"] * SCALE),
            kind,
            fill=(90, 90, 90, 255),
            font=font,
        )
    draw.text((10, 10), f"page {record['page']}", fill=(0, 0, 0, 255), font=ImageFont.load_default(size=24))
    _legend(draw, height + 14, font)
    image = Image.alpha_composite(canvas.convert("RGBA"), overlay).convert("RGB")
    image.save(out, format="PNG", optimize=True)
    return image.size


def _legend(draw, y: int, font) -> None:
    """Colour key in a strip below the page: bands by decision kind, item boundaries, the grid."""
    x = 10
    for key, (kind, _, colour, fill) in STYLE.items():
        if key in ("title", "fragment"):
            continue
        draw.rectangle(
            [x, y, x + 24, y + 20], fill=fill or (255, 255, 255, 0), outline=colour + (255,), width=2
        )
        draw.text((x + 30, y), kind, fill=colour + (255,), font=font)
        x += 30 + draw.textlength(kind, font=font) + 24
    draw.line([x, y + 10, x + 24, y + 10], fill=(200, 0, 0, 255), width=4)
    draw.text((x + 30, y), "item boundary", fill=(200, 0, 0, 255), font=font)
    x += 30 + draw.textlength("item boundary", font=font) + 24
    draw.rectangle([x, y, x + 24, y + 20], outline=(0, 160, 80, 255), width=1)
    draw.text((x + 30, y), "cell", fill=(0, 130, 60, 255), font=font)
    x += 30 + draw.textlength("cell", font=font) + 24
    draw.rectangle([x, y, x + 24, y + 20], outline=(30, 60, 220, 255), width=3)
    draw.text((x + 30, y), "table", fill=(30, 60, 220, 255), font=font)


def main(
    path: Path, page: int | None = None, picture_out: Path | None = None, processed: Path | None = None
) -> int:
    """The command: print the decision log (and draw one page); one line and status 1 for a bad file."""
    from pipeline.common.sources import RejectedFile

    if not path.is_file():
        print(f"explain: {path}: no such file", file=sys.stderr)
        return 2
    try:
        records, origin = records_of(path, processed)
    except RejectedFile as exc:
        print(f"explain: {path}: {exc}", file=sys.stderr)
        return 1
    pages = sorted({r["page"] for r in records})
    if page is not None and page not in pages:
        shown = f"1..{pages[-1]}" if pages else "none"
        print(f"explain: {path} has pages {shown}, not {page}", file=sys.stderr)
        return 2
    trace, result = explain(records)
    print(f"{path.name}: {len(records)} pages ({origin}), {summary(result)}")
    print(describe(records, trace, page))
    if picture_out is not None:
        if path.read_bytes()[:5] != b"%PDF-":
            print(f"explain: no picture of {path.name}: pictures are drawn of PDF pages", file=sys.stderr)
            return 0
        target = next(r for r in records if r["page"] == (page or pages[0]))
        w, h = picture(path, target, trace, picture_out)
        print(f"picture of page {target['page']}: {picture_out} ({w} × {h} px)")
    return 0


def explain_item_main(item_id: str, processed: Path, raw: Path, picture_out: Path | None) -> int:
    """--item: the item's later decisions, then its first page read row by row."""
    from pipeline.normalize.why import NoSuchItem, explain_item

    if not (processed / "basic_items.parquet").is_file():
        print(f"explain: {processed} has no tables (run make all first)", file=sys.stderr)
        return 2
    try:
        text, item = explain_item(processed, item_id)
    except NoSuchItem as exc:
        print(f"explain: {exc}", file=sys.stderr)
        return 2
    print(text)
    source = raw / str(item.get("source_file"))
    if not source.is_file():
        print(f"explain: {source} is not there (RAW=…): the row-by-row reading is left out", file=sys.stderr)
        return 0
    print(f"\nhow page {item.get('first_page')} of {item.get('source_file')} was read:")
    return main(source, item.get("first_page"), picture_out, processed)
