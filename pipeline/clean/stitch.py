"""Table rows → duty-list items: what a page break, a merged cell or the document split apart.

- A row split by a page break continues on the next page in a row whose 序号 cell is empty
  (or holds the rest of a number that wrapped, 5 | 7 for 57): its cells carry on the cells
  above.
- A vertically merged cell (one 事项类别 for several items) gives its value to every item it
  spans; when it crosses a page break its text may continue in the merged cell at the top of
  the next page, and that is still one value.
- An item the document printed as two rows with （未完见下页）/（续上页） becomes one item.
- An item whose 事项类别 cell is empty sits under a merged cell continued from above.
- In a list without a 事项类别 column, a row across the whole table (一、党的建设（15项）) is the
  category of the items below it, without its enumerator and count; a second enumerator style
  (（一）) is a second level, the subcategory. In a list with a 类别 column, a numbered row across
  the table is the category and the column's value the subcategory.
- 序号 that start again at 1 in every section are read as printed: an item is then identified by
  its section and its 序号 (`Item.section`), and only a 序号 repeated within a section is a repeat.

Cells become `Segment`s: the lines of one logical cell, shared by every item it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pipeline.clean.paragraphs import Line, paragraphs, single_value
from pipeline.clean.wording import header_roles, section_count, section_enumerator
from pipeline.common.columns import text_fields
from pipeline.common.records import Cell, Table
from pipeline.common.settings import CleanSettings


@dataclass(eq=False)
class Segment:
    """Lines of one logical cell: a printed cell, or printed cells that are one cell."""

    lines: list[Line]

    def extend(self, lines: list[Line]) -> None:
        """Carry the cell on with lines printed after a page break."""
        if lines:
            self.lines.extend([replace(lines[0], cell_start=False)] + lines[1:])


@dataclass(eq=False)
class Item:
    """One duty-list item as printed, possibly over several rows and pages."""

    kind: str  # basic | coordination | reclaimed
    place: dict
    title: str
    seq_text: str
    cells: dict[str, list[Segment]] = field(default_factory=dict)
    pages: set[int] = field(default_factory=set)
    seq_confs: list[float] = field(default_factory=list)  # OCR confidence of its 序号 lines
    section: int = 0  # ordinal of the section row (any level) the item is printed under; 0: none

    def attach(self, role: str, segment: Segment) -> None:
        segments = self.cells.setdefault(role, [])
        if not any(s is segment for s in segments):
            segments.append(segment)


@dataclass(frozen=True)
class Section:
    """A section row: its title (enumerator and count removed) as a one-line cell, and its level."""

    segment: Segment
    level: int  # 1: the category (一级), 2: the subcategory (二级)


def section_title(lines: list[Line]) -> tuple[str | None, Line | None]:
    """The enumerator style and the title of a section row's lines (一、党的建设（15项） →
    ("chinese", 党的建设)), the title as one line in the first line's place."""
    text = single_value(lines)
    if not text or not lines:
        return None, None
    found = section_enumerator(text)
    style, start = found if found is not None else (None, 0)
    title = text[start:]
    title = title[: section_count(title)].strip()
    confs = [ln.conf for ln in lines if ln.conf is not None]
    first = lines[0]
    return style, replace(first, text=title or text, conf=min(confs) if confs else None)


@dataclass(frozen=True)
class RowDecision:
    """What the reader made of one table row, and why (for --explain)."""

    page: int
    table: int  # index of the table on its page
    row: int  # first grid row
    kind: str  # title | header | section | skipped | continued | sub_row | fragment | new | repeated
    reason: str


@dataclass
class _Tail:
    """A cell in the last row of a list's previous table (page), with its segment."""

    segment: Segment
    cell: Cell
    line: Line | None  # its last printed line


def seq_number(text: str) -> int | None:
    """The item number of a 序号 cell (1, 1., 1、), or None."""
    t = text.strip().rstrip(".．、").strip()
    return int(t) if t.isdigit() and t.isascii() else None


def item_confidence(item: Item) -> float | None:
    """Lowest OCR confidence over every line of the item's cells; None when nothing was OCRed."""
    confs = list(item.seq_confs)
    confs += [
        ln.conf for segments in item.cells.values() for s in segments for ln in s.lines if ln.conf is not None
    ]
    return round(min(confs), 4) if confs else None


def value(segments: list[Segment], role: str, settings: CleanSettings):
    """A cell's text: one string for a text column (lists.toml `value = "text"`: category, name, …),
    paragraphs for the others."""
    lines = [ln for s in segments for ln in s.lines]
    return single_value(lines) if role in text_fields() else paragraphs(lines, settings)


def row_groups(cells: list[Cell], start: int, seq_col: int) -> list[tuple[int, int, Cell | None]]:
    """(first row, end row, 序号 cell) of each item's rows at or below grid row `start`.

    Rows form one group when one 序号 cell spans them (an item printed in sub-rows).
    """
    groups: list[tuple[int, int, Cell | None]] = []
    for r in sorted({c["r0"] for c in cells if c["r0"] >= start}):
        seq_cell = next((c for c in cells if c["r0"] <= r < c["r1"] and c["c0"] <= seq_col < c["c1"]), None)
        if groups and seq_cell is not None and groups[-1][2] is seq_cell:
            continue
        groups.append((r, seq_cell["r1"] if seq_cell is not None else r + 1, seq_cell))
    return groups


@dataclass(frozen=True)
class RowFacts:
    """What the classifier needs to know about one row (an item's grid rows) of a table."""

    after_break: bool  # the first data row after a page break (of the page's first table)
    across: bool  # one cell across the whole table
    text: str  # that cell's text, when `across`
    seq_text: str  # the 序号 cell's text ("" when empty or absent)
    is_header: bool  # its cells' wording is a header row (序号, 事项名称, …)
    has_text: bool
    after_header: bool  # the row above is a header row printed inside the table
    has_items: bool  # the list has an item already
    last_seq: str  # the last item's 序号 as read so far ("" when none, or not yet printed)
    number_wrapped: bool  # the last item's 序号 was cut by the page break (5 | 7 for 57)
    category_column: bool  # the list has a 事项类别 column
    category_empty: bool = False  # its 事项类别 cell is empty (a merged cell above carries on)
    numbered_across: bool = False  # `text` starts with a section enumerator (一、 （一） 1. 第一部分)
    after_section: bool = False  # a section row since the list's last item: this row starts an item
    section_text: str = (
        ""  # a section's number in the 序号 cell and its title in one other cell (一 | 党的建设)
    )


def classify_row(f: RowFacts) -> tuple[str, str]:
    """The kind of a table row and the reason, from its facts alone.

    header: page furniture; section: a category row (一、党的建设); continued: carries on the
    last item across a page break; sub_row: more of the item above; fragment: an item whose
    序号 is printed after the page break; repeated: the second row of an item printed twice;
    new: an item of its own; skipped: nothing to read.
    """
    if f.is_header:
        return "header", "furniture: a header row repeated inside the table (its wording names the columns)"
    if f.across:
        return _classify_across(f)
    if f.section_text:
        return (
            "section",
            f"序号 {f.seq_text} numbers a section, not an item: the category of the items below: {f.section_text}",
        )
    if f.after_break and f.has_items and not f.after_section:
        decision = _classify_after_break(f)
        if decision is not None:
            return decision
    if not f.seq_text:
        if not f.has_items:
            return "skipped", "a row without 序号 before the list's first item"
        if f.after_header:
            return "fragment", "a row without 序号 under a repeated header: its 序号 follows the page break"
        return "sub_row", f"序号 cell empty mid-table: more rows of item {f.last_seq}"
    carried = "; 事项类别 empty: the category above carries on (merged cell)" if f.category_empty else ""
    if f.has_items and seq_number(f.last_seq) == seq_number(f.seq_text) is not None:
        return "repeated", f"序号 {f.seq_text} again: the second row of item {f.seq_text} (joined){carried}"
    return "new", f"序号 {f.seq_text}{carried}"


def _classify_across(f: RowFacts) -> tuple[str, str]:
    if not f.text:
        return "skipped", "an empty row across the whole table"
    if not f.category_column:
        return "section", f"a row across the table: the category of the items below: {f.text}"
    if f.numbered_across:
        return (
            "section",
            f"a numbered row across the table: the category (the 类别 column the subcategory): {f.text}",
        )
    return "skipped", f"a row across the table in a list with a 类别 column: {f.text[:40]}"


def _classify_after_break(f: RowFacts) -> tuple[str, str] | None:
    """The first row after a page break carries on the last item, when it does."""
    if not f.last_seq and f.seq_text:
        return (
            "continued",
            f"序号 {f.seq_text!r} at the top of the page belongs to the fragment above the break",
        )
    if not f.seq_text:
        return "continued", (
            f"序号 cell empty in the first row of the page: the rest of item {f.last_seq}, cut by the page break"
        )
    if f.number_wrapped:
        joined = f.last_seq + f.seq_text
        return "continued", (
            f"序号 {f.seq_text!r} at the top of the page completes the number cut by the page break ({joined})"
        )
    return None


class ListReader:
    """Reads, table by table in print order, the rows of one list of one township."""

    def __init__(self, kind: str, place: dict, title: str, settings: CleanSettings):
        self.kind, self.place, self.title = kind, place, title
        self.settings = settings
        self.decisions: list[RowDecision] = []
        self.items: list[Item] = []
        self._tail: dict[str, _Tail] = {}
        self._sections: dict[int, Section] = {}  # current section rows by level (一、党的建设, （一）…)
        self._styles: list[str | None] = []  # enumerator styles in the order seen: index + 1 is the level
        self._n_sections = 0  # section rows read so far
        self._fresh_section = False  # a section row since the last item: the next row starts an item

    def read_table(
        self,
        table: Table,
        first_row: int,
        roles: dict[int, str],
        page: int,
        lines_of,
        notes: list,
        table_index: int = 0,
    ) -> None:
        """Add the items of one table (from grid row `first_row` on); `lines_of(cell)` gives a
        cell's lines with their text edge. Every row is classified (classify_row) and the reader
        acts on the class; each decision is kept in `decisions`."""
        cells = table["cells"]
        seq_col = next((c for c, r in roles.items() if r == "seq"), 0)
        n_columns = max(c["c1"] for c in cells)
        segment_of: dict[int, Segment] = {}
        tail, self._tail = self._tail, {}
        # A table further down a page whose header row was dropped: like a header inside a table.
        after_header = table_index > 0 and first_row > min(c["r0"] for c in cells)
        for index, (start, end, seq_cell) in enumerate(row_groups(cells, first_row, seq_col)):
            in_group = [c for c in cells if c["r0"] < end and c["r1"] > start]
            after_break = index == 0 and table_index == 0
            facts = self._facts(in_group, seq_cell, after_break, after_header, n_columns, roles, lines_of)
            kind, reason = classify_row(facts)
            self.decisions.append(RowDecision(page, table_index, start, kind, reason))
            after_header = kind == "header"
            item = self._act(kind, facts, in_group, page, lines_of, notes)
            if item is None:
                continue
            item.pages.add(page)
            if seq_cell is not None:
                item.seq_confs.extend(ln.conf for ln in lines_of(seq_cell) if ln.conf is not None)
            first = start if index == 0 else None
            self._attach(item, in_group, roles, kind == "continued", first, segment_of, tail, lines_of)
        self._remember_tail(cells, roles, segment_of, lines_of)

    def _attach(
        self,
        item: Item,
        in_group: list[Cell],
        roles: dict[int, str],
        split: bool,
        first: int | None,
        segment_of: dict[int, Segment],
        tail: dict[str, _Tail],
        lines_of,
    ) -> None:
        """A row group's cells attached to its item by their column's role (the 序号 left out),
        each cell made a segment once (a merged cell spans row groups). `split`: the row goes on
        with the item above; `first`: the table's first row group's top row (else None), whose
        cells may continue the previous table's (`tail`)."""
        for c in sorted(in_group, key=lambda c: (c["r0"], c["c0"])):
            role = roles.get(c["c0"])
            if role is None or role == "seq":
                continue
            if role == "category" and 1 in self._sections:
                role = "subcategory"  # numbered section rows are the categories: the column is 二级
            if id(c) not in segment_of:
                segment_of[id(c)] = self._segment(c, lines_of(c), role, tail, item, split, c["r0"] == first)
            item.attach(role, segment_of[id(c)])

    def _facts(self, in_group, seq_cell, after_break, after_header, n_columns, roles, lines_of) -> RowFacts:
        across = len(in_group) == 1 and in_group[0]["c1"] - in_group[0]["c0"] == n_columns > 1
        texts = [(i, single_value(lines_of(c))) for i, c in enumerate(in_group)]
        seq_text = single_value(lines_of(seq_cell)) if seq_cell is not None else ""
        return RowFacts(
            after_break=after_break,
            across=across,
            text=texts[0][1] if across else "",
            seq_text=seq_text,
            is_header=len(in_group) > 1 and header_roles(texts) is not None,
            has_text=any(c["lines"] for c in in_group),
            after_header=after_header,
            has_items=bool(self.items),
            last_seq=self.items[-1].seq_text if self.items and not self._fresh_section else "",
            number_wrapped=bool(self.items)
            and bool(seq_text)
            and not self._fresh_section
            and self._number_wrapped(seq_text),
            category_column="category" in roles.values(),
            category_empty=any(roles.get(c["c0"]) == "category" and not c["lines"] for c in in_group),
            numbered_across=across and section_enumerator(texts[0][1]) is not None,
            after_section=self._fresh_section,
            section_text=_section_in_seq(
                seq_text, [t for c, (_, t) in zip(in_group, texts, strict=True) if c is not seq_cell]
            ),
        )

    def _act(self, kind: str, facts: RowFacts, in_group, page: int, lines_of, notes: list) -> Item | None:
        """Carry out a row's decision; the item its cells go to, or None."""
        if kind == "section" and facts.section_text:  # 一 | 党的建设: one line holding both
            titled = next(c for c in in_group if c["lines"] and single_value(lines_of(c)) != facts.seq_text)
            self._start_section([replace(lines_of(titled)[0], text=facts.section_text)])
        elif kind == "section":
            self._start_section(lines_of(in_group[0]))  # 一、党的建设: the items' category
        elif kind == "skipped" and facts.has_text:
            if facts.across:
                notes.append(f"page {page}: a row across the whole table is not an item: {facts.text[:40]}")
            else:
                notes.append(f"page {page}: a row without 序号 before the first item was skipped")
        elif kind == "continued":
            self.items[-1].seq_text += facts.seq_text
            return self.items[-1]
        elif kind == "sub_row":
            return self.items[-1]  # a sub-row of the item above (its 序号 cell not merged)
        elif kind in ("new", "repeated", "fragment"):
            item = Item(self.kind, self.place, self.title, facts.seq_text, section=self._n_sections)
            self.items.append(item)
            self._fresh_section = False
            first = self._sections.get(1)
            second = self._sections.get(2)
            if first is not None:
                item.attach("category", first.segment)
                if second is not None:
                    item.attach("subcategory", second.segment)
            elif second is not None:
                item.attach("subcategory", second.segment)
            return item
        return None

    def _start_section(self, lines: list[Line]) -> None:
        """A section row: its title becomes the category (level 1) or subcategory (level 2) of
        the items below. The first enumerator style a list prints is level 1, any other level 2."""
        style, title = section_title(lines)
        if title is None:
            return
        if style not in self._styles:
            self._styles.append(style)
        level = 1 if self._styles.index(style) == 0 else 2
        if level == 1:
            self._sections.pop(2, None)
        self._sections[level] = Section(Segment([title]), level)
        self._n_sections += 1
        self._fresh_section = True

    def restarts(self) -> bool:
        """Whether the list numbers its items again in every section: a later section starts at 1."""
        firsts: dict[int, Item] = {}
        for item in self.items:
            firsts.setdefault(item.section, item)
        return any(
            seq_number(item.seq_text) == 1 for section, item in firsts.items() if section > min(firsts)
        )

    def _remember_tail(self, cells, roles, segment_of, lines_of) -> None:
        """The cells of the table's last row, which the next table (page) may carry on."""
        last_row = max(c["r1"] for c in cells)
        for c in cells:
            role = roles.get(c["c0"])
            if c["r1"] == last_row and id(c) in segment_of and role not in (None, "seq"):
                printed = lines_of(c)
                self._tail[role] = _Tail(segment_of[id(c)], c, printed[-1] if printed else None)

    def _segment(self, cell, lines, role, tail, item, split, first_row) -> Segment:
        """The logical cell a printed cell belongs to: its own, or one it carries on."""
        carried = None
        if first_row and split:
            if role in tail:
                carried = tail[role].segment
            elif item.cells.get(role):
                carried = item.cells[role][-1]
        elif first_row and role in tail and self._merged_cell_continues(tail[role], cell, lines):
            carried = tail[role].segment
        if carried is None:
            return Segment(list(lines))
        carried.extend(lines)
        return carried

    def _merged_cell_continues(self, tail: _Tail, cell: Cell, lines: list[Line]) -> bool:
        """A merged cell at the foot of the previous page whose text the page break cut off
        continues in the merged cell at the top of this page."""
        above, last = tail.cell, tail.line
        if last is None or not lines or not above["lines"]:
            return False
        merged = above["r1"] - above["r0"] > 1 or cell["r1"] - cell["r0"] > 1
        full = (last.right - last.x1) / max(last.size, 1.0) < self.settings.full_line
        at_foot = above["bottom"] - above["lines"][-1]["bottom"] < self.settings.foot_gap * last.size
        return merged and full and at_foot

    def _number_wrapped(self, seq_text: str) -> bool:
        """The 序号 of the row above was cut by the page break (57 printed as 5 | 7)."""
        prev = self.items[-1]
        before = seq_number(self.items[-2].seq_text) if len(self.items) > 1 else 0
        if before is None:
            return False
        expected = before + 1
        return seq_number(prev.seq_text) != expected and seq_number(prev.seq_text + seq_text) == expected

    def finish(self) -> list[Item]:
        """The list's items with two-row items joined and empty categories filled; `section` set
        to 0 on every item unless the numbering starts again in every section."""
        restarts = self.restarts()
        items = fill_categories(merge_continued(self.items, self.settings))
        if not restarts:
            for item in items:
                item.section = 0
        return items


CHINESE_NUMERALS = "一二三四五六七八九十百零〇两"


def _section_in_seq(seq_text: str, others: list[str]) -> str:
    """The section title of a row that prints a section's number in the 序号 cell (一, （一）,
    第一部分) and its title in exactly one other cell (一 | 党的建设 | | ), as one text
    (一、党的建设); "" for any other row."""
    seq = seq_text.strip()
    filled = [t for t in others if t.strip()]
    if not seq or seq_number(seq) is not None or len(filled) != 1 or any(ch.isdigit() for ch in seq):
        return ""
    text = seq + ("、" if seq[-1] in CHINESE_NUMERALS else "") + filled[0].strip()
    found = section_enumerator(text)
    return text if found is not None and found[1] >= len(seq) else ""


def merge_continued(items: list[Item], settings: CleanSettings) -> list[Item]:
    """Join consecutive rows printed for one item (same 序号, （未完见下页）/（续上页））.

    A cell printed identically in both counts once; otherwise the texts follow each other.
    """
    out: list[Item] = []
    for item in items:
        prev = out[-1] if out else None
        number = seq_number(item.seq_text)
        if (
            prev is None
            or number is None
            or seq_number(prev.seq_text) != number
            or prev.section != item.section
        ):
            out.append(item)
            continue
        for role, segments in item.cells.items():
            mine = prev.cells.get(role, [])
            if value(mine, role, settings) == value(segments, role, settings):
                continue
            follow = [Segment(list(s.lines)) for s in segments]
            if follow and follow[0].lines:
                follow[0].lines[0] = replace(follow[0].lines[0], cell_start=False)
            prev.cells[role] = mine + follow
        prev.pages |= item.pages
        prev.seq_confs += item.seq_confs
    return out


def fill_categories(items: list[Item]) -> list[Item]:
    """An item without a 事项类别 (or 二级类别) of its own sits under the merged cell of the
    item above (in its section)."""
    for role in ("category", "subcategory"):
        previous: list[Segment] | None = None
        section = 0
        for item in items:
            if role == "subcategory" and item.section != section:
                previous, section = None, item.section
            own = item.cells.get(role, [])
            if any(ln.text.strip() for s in own for ln in s.lines):
                previous = own
            elif previous is not None:
                item.cells[role] = previous
    return items
