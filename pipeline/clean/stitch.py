"""Table rows → duty-list items: what a page break, a merged cell or the document split apart.

- A row split by a page break continues on the next page in a row whose 序号 cell is empty
  (or holds the rest of a number that wrapped, 5 | 7 for 57): its cells carry on the cells
  above.
- A vertically merged cell (one 事项类别 for several items) gives its value to every item it
  spans; when it crosses a page break its text may continue in the merged cell at the top of
  the next page, and that is still one value.
- An item the document printed as two rows with （未完见下页）/（续上页） becomes one item.
- An item whose 事项类别 cell is empty sits under a merged cell continued from above.
- In a list without a 事项类别 column, a row across the whole table (一、党的建设) is the
  category of the items below it.

Cells become `Segment`s: the lines of one logical cell, shared by every item it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pipeline.clean.paragraphs import Line, paragraphs, single_value
from pipeline.common.records import Cell, Table
from pipeline.common.settings import CleanSettings

TEXT_ROLES = ("category", "name")  # one value each; the other text roles keep paragraphs


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

    def attach(self, role: str, segment: Segment) -> None:
        segments = self.cells.setdefault(role, [])
        if not any(s is segment for s in segments):
            segments.append(segment)


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
    """A cell's text: one string for category and name, paragraphs for the others."""
    lines = [ln for s in segments for ln in s.lines]
    return single_value(lines) if role in TEXT_ROLES else paragraphs(lines, settings)


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


class ListReader:
    """Reads, table by table in print order, the rows of one list of one township."""

    def __init__(self, kind: str, place: dict, title: str, settings: CleanSettings):
        self.kind, self.place, self.title = kind, place, title
        self.settings = settings
        self.items: list[Item] = []
        self._tail: dict[str, _Tail] = {}
        self._section: Segment | None = None  # a section row (一、党的建设) in a list without 类别 column

    def read_table(
        self, table: Table, first_row: int, roles: dict[int, str], page: int, lines_of, notes: list
    ) -> None:
        """Add the items of one table (from grid row `first_row` on); `lines_of(cell)` gives a
        cell's lines with their text edge."""
        cells = table["cells"]
        seq_col = next((c for c, r in roles.items() if r == "seq"), 0)
        n_columns = max(c["c1"] for c in cells)
        segment_of: dict[int, Segment] = {}
        tail, self._tail = self._tail, {}
        groups = row_groups(cells, first_row, seq_col)
        for index, (start, end, seq_cell) in enumerate(groups):
            in_group = [c for c in cells if c["r0"] < end and c["r1"] > start]
            if len(in_group) == 1 and in_group[0]["c1"] - in_group[0]["c0"] == n_columns > 1:
                text = single_value(lines_of(in_group[0]))
                if text and "category" not in roles.values():
                    self._section = Segment(lines_of(in_group[0]))  # 一、党的建设: the items' category
                elif text:
                    notes.append(f"page {page}: a row across the whole table is not an item: {text[:40]}")
                continue
            seq_text = single_value(lines_of(seq_cell)) if seq_cell is not None else ""
            split = index == 0 and self.items and (not seq_text or self._number_wrapped(seq_text))
            if split:
                item = self.items[-1]
                item.seq_text += seq_text
            elif not seq_text:
                if not self.items:
                    if any(c["lines"] for c in in_group):
                        notes.append(f"page {page}: a row without 序号 before the first item was skipped")
                    continue
                item = self.items[-1]  # a sub-row of the item above (its 序号 cell not merged)
            else:
                item = Item(self.kind, self.place, self.title, seq_text)
                self.items.append(item)
                if self._section is not None and "category" not in roles.values():
                    item.attach("category", self._section)
            item.pages.add(page)
            if seq_cell is not None:
                item.seq_confs.extend(ln.conf for ln in lines_of(seq_cell) if ln.conf is not None)
            for c in sorted(in_group, key=lambda c: (c["r0"], c["c0"])):
                role = roles.get(c["c0"])
                if role is None or role == "seq":
                    continue
                if id(c) not in segment_of:
                    segment_of[id(c)] = self._segment(
                        c, lines_of(c), role, tail, item, split, index == 0 and c["r0"] == start
                    )
                item.attach(role, segment_of[id(c)])
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
        """The list's items with two-row items joined and empty categories filled."""
        return fill_categories(merge_continued(self.items, self.settings))


def merge_continued(items: list[Item], settings: CleanSettings) -> list[Item]:
    """Join consecutive rows printed for one item (same 序号, （未完见下页）/（续上页））.

    A cell printed identically in both counts once; otherwise the texts follow each other.
    """
    out: list[Item] = []
    for item in items:
        prev = out[-1] if out else None
        number = seq_number(item.seq_text)
        if prev is None or number is None or seq_number(prev.seq_text) != number:
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
    """An item without a 事项类别 of its own sits under the merged cell of the item above."""
    previous: list[Segment] | None = None
    for item in items:
        own = item.cells.get("category", [])
        if any(ln.text.strip() for s in own for ln in s.lines):
            previous = own
        elif previous is not None:
            item.cells["category"] = previous
    return items
