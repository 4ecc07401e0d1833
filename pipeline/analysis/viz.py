"""Plotting plumbing shared by the notebooks: CJK font, figure saving, label shortening, readings.

Only plumbing lives here; every count and every chart's content is computed in the notebooks.

- setup() registers the Noto Sans CJK SC font shipped inside the mplfonts pip package with
  matplotlib (nothing is downloaded), makes it the default, and turns matplotlib's
  "Glyph ... missing from font" warning into an error, so a chart with a missing character fails
  instead of silently drawing boxes.
- save_figure(fig, name) writes NAME.png and NAME.svg into the figures folder ($DUTY_FIGURES,
  default reports/figures in the repository).
- save_summary(name, data) writes the headline numbers a notebook shows as JSON next to the figures.
- styled(df) and reading(text) show data as text, never as markup: a category, an item name or a
  department from a downloaded list may hold `<script>` or `<svg onload=…>`, which must neither run
  in JupyterLab (next to the kernel) nor in the exported HTML (which also forbids scripts through
  its Content-Security-Policy, pipeline/analysis/templates/offline).
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from pathlib import Path
import re
import time
import warnings

from pipeline.common.publication import build_id_of
from pipeline.common.rules import load

ROOT = Path(__file__).resolve().parents[2]
FONT_FILE = "NotoSansCJKsc-Regular.otf"
GLYPH_WARNING = r"Glyph .* missing from"

# Display names of the three lists (pipeline/rules/lists.toml) and of schema values (pipeline/normalize/schema.toml), in reading order.
LISTS = {k: load("lists")["lists"][k]["label"] for k in ("basic", "coordination", "reclaimed")}
LIST_COLORS = {"basic": "#4C72B0", "coordination": "#DD8452", "reclaimed": "#55A868"}
DISPOSITIONS = {"transferred": "移交上级部门承接", "cancelled": "取消"}


def power_type_for(keyword: str) -> str:
    """The power_type whose rule lists KEYWORD (pipeline/rules/power_types.toml), e.g. 处罚 → 行政处罚."""
    from pipeline.common.rules import load

    return next(r["power_type"] for r in load("power_types")["rules"] if keyword in r["keywords"])


def power_type_fallback() -> str:
    """The power_type of a name that matches no rule (其他)."""
    from pipeline.common.rules import load

    return load("power_types")["fallback"]


def font_path() -> Path:
    """The CJK font file shipped in the mplfonts package (found without importing it)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the mplfonts package is not installed (see requirements.txt)")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"{FONT_FILE} not found in the mplfonts package ({path})")
    return path


def setup() -> str:
    """Register the CJK font, set the chart defaults and make missing glyphs an error.

    Returns the font family name.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    path = font_path()
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            # DejaVu Sans (matplotlib's own) catches any symbol the CJK font lacks.
            "font.sans-serif": [family, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            "axes.titlesize": 13,
            "axes.titleweight": "normal",  # the CJK font ships one weight only
            "axes.labelsize": 11,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "svg.hashsalt": "duty-lists",  # stable ids inside the SVG files: clean diffs
        }
    )
    warnings.filterwarnings("error", message=GLYPH_WARNING, category=UserWarning)
    return family


def processed_dir() -> Path:
    """The processed folder the notebooks read: $DUTY_PROCESSED, else the project's data/processed."""
    return Path(os.environ.get("DUTY_PROCESSED") or ROOT / "data" / "processed")


def read_table(table: str):
    """One output table of the processed folder as a DataFrame, checked to come from the same
    build as source_files (a build publishes its tables one rename after another: a reader in
    that instant, or after a crash the next build has not yet mended, would mix two builds)."""
    import pandas as pd

    path = processed_dir() / f"{table}.parquet"
    for _ in range(MIXED_RETRIES):
        ours, theirs = build_id_of(path), build_id_of(processed_dir() / "source_files.parquet")
        if ours == theirs:
            return pd.read_parquet(path)
        time.sleep(0.1)  # a publication in progress takes milliseconds
    raise MixedBuilds(
        f"{path} comes from build {ours}, source_files.parquet from build {theirs}: the tables are "
        "from two builds (one was interrupted); run make all to finish publishing them"
    )


MIXED_RETRIES = 20


class MixedBuilds(Exception):
    """The tables of a processed folder come from two builds."""


NOTHING = (
    "没有可分析的乡镇：处理后的文件夹中没有读到任何乡镇的清单（nothing to analyse: no township was read）。"
)


class NothingToAnalyse(Exception):
    """Raised by stop_if_empty: the notebook stops here with one sentence, not a traceback."""

    def _render_traceback_(self) -> list[str]:  # IPython shows this instead of a traceback
        return [str(self)]


def stop_if_empty(townships) -> None:
    """Stop the notebook with one sentence when the processed folder holds no township (an empty raw
    folder, or every file rejected): each chart below needs at least one. The notebook runner counts
    this stop as a success."""
    if len(townships) == 0:
        reading(f"**{NOTHING}**")
        raise NothingToAnalyse(NOTHING)


def figures_dir() -> Path:
    """Where figures and summaries go: $DUTY_FIGURES, else reports/figures in the repository."""
    path = Path(os.environ.get("DUTY_FIGURES") or ROOT / "reports" / "figures")
    path.mkdir(parents=True, exist_ok=True)
    return path


def township_names(townships) -> str:
    """All townships, grouped by city and county: 哈密市伊吾县：吐葫芦乡、下马崖乡；…"""
    if len(townships) == 0:
        return "无"
    parts = []
    places = townships.assign(city=townships["city"].fillna(""))
    for (city, county), group in places.groupby(["city", "county"], sort=True):
        parts.append(f"{city}{county}：{'、'.join(sorted(group['township']))}")
    return "；".join(parts)


def source_names(sources) -> str:
    """The raw files the tables were read from (the first six, then how many)."""
    ok = sorted(sources[sources["status"] == "ok"]["source_file"])
    if not ok:
        return "无"
    return "、".join(ok[:6]) + (f" 等 {len(ok)} 个文件" if len(ok) > 6 else "")


def source_note(width: int = 110) -> str:
    """The footnote every saved figure carries: its townships and its source files."""
    text = (
        f"乡镇：{township_names(read_table('townships'))}。"
        f"来源：{source_names(read_table('source_files'))}（乡镇履职事项清单，本项目读成的数据表）。"
    )
    return "\n".join(wrap_note(text, width))


def wrap_note(text: str, width: int) -> list[str]:
    """TEXT in lines of at most WIDTH characters, broken between Chinese characters or before a
    run of Latin letters, digits and punctuation (a file name), never inside such a run (a run
    longer than a line gets a line of its own); no line starts with closing punctuation."""
    tokens = re.findall(r"[\x21-\x7e]+|\s+|.", text)
    lines: list[str] = []
    line = ""
    for token in tokens:
        if line and len(line) + len(token) > width and token[0] not in "，。、；：）)":
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def save_figure(fig, name: str) -> list[Path]:
    """Write FIG as NAME.png and NAME.svg into the figures folder, with the footnote naming its
    townships and source (source_note) under it; return both paths."""
    out = figures_dir()
    width_in = fig.get_size_inches()[0]
    fig.text(
        0.01, -0.01, source_note(max(40, int(width_in * 9))), ha="left", va="top", fontsize=7, color="#555555"
    )
    paths = [out / f"{name}.png", out / f"{name}.svg"]
    # No dates or software versions inside the files: re-running gives the same bytes. The build
    # the tables come from is recorded in both (the report embeds no figure of another build).
    build = drawn_from()
    fig.savefig(paths[0], metadata={"Software": None, BUILD_KEY: build})
    fig.savefig(paths[1], metadata={"Date": None, "Creator": None, "Identifier": f"{BUILD_KEY}={build}"})
    return paths


BUILD_KEY = "build_id"  # the PNG text key (SVG: Identifier "build_id=…") naming a figure's build


def drawn_from() -> str:
    """The build id of the processed folder's tables (what a figure drawn now is drawn from)."""
    return build_id_of(processed_dir() / "source_files.parquet") or "unknown"


def figure_build(png: Path) -> str | None:
    """The build id a saved PNG figure was drawn from (None: not recorded, an older figure)."""
    from PIL import Image

    with Image.open(png) as image:
        return getattr(image, "text", {}).get(BUILD_KEY)


def _plain(value):
    """JSON-friendly values (numpy scalars and pandas containers to Python ones)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def save_summary(name: str, data: dict) -> Path:
    """Write the headline numbers a notebook displays as NAME.json next to its figures."""
    path = figures_dir() / f"{name}.json"
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=_plain)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def styled(df, formatter=None, subset=None, na_rep: str | None = None):
    """DF's pandas Styler with every value and label escaped as HTML (pandas leaves a Styler's cells
    unescaped), numbers formatted by FORMATTER (a format string or {column: format}) in SUBSET with
    NA_REP as in Styler.format. Format through here: a later .format() call shows its cells
    unescaped again."""
    style = (
        df.style.format(escape="html").format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    )
    if formatter is not None:
        style = style.format(formatter, subset=subset, na_rep=na_rep, escape="html")
    return style


_MARKUP = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]"})


def reading(text: str, zh: str = "") -> None:
    """Show TEXT (Markdown built from computed numbers and names from the lists) below a chart;
    ZH, its Chinese, first. Markup characters are escaped, so a name shows as printed: no HTML
    tag, no link ([x](javascript:…)) comes from the data; Markdown emphasis (**…**) still works."""
    from IPython.display import Markdown, display

    shown = f"{zh}\n\n{text}" if zh else text
    display(Markdown(shown.translate(_MARKUP)))


def pct(part: float, whole: float, digits: int = 0) -> str:
    """PART as a percentage of WHOLE, e.g. '23%' (an em dash when WHOLE is 0)."""
    return f"{100 * part / whole:.{digits}f}%" if whole else "—"


# --- labels --------------------------------------------------------------------------------------


def wrap(text: str, width: int = 10, max_lines: int = 3) -> str:
    """Break TEXT into lines of at most WIDTH characters (Chinese has no spaces to break at).

    Rule: as few lines as possible, of balanced length (13 characters at width 10 give 7 + 6, not
    10 + 3); at most MAX_LINES lines, longer text is cut and ends in '…'.
    """
    text = str(text)
    if len(text) <= width:
        return text
    n_lines = min(math.ceil(len(text) / width), max_lines)
    step = min(math.ceil(len(text) / n_lines), width)
    lines = [text[i : i + step] for i in range(0, len(text), step)]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: step - 1] + "…"
    return "\n".join(lines)


def place_tag(place: str) -> str:
    """A short form of a county or city name for labels.

    Rule: drop a leading 中共, cut at 自治, drop a final 县/区/市/旗 when at least two characters
    remain, and keep at most three characters (X哈萨克自治县 → X's first three characters).
    """
    tag = re.sub(r"^中共", "", str(place)).split("自治")[0]
    if len(tag) > 2 and tag[-1] in "县区市旗":
        tag = tag[:-1]
    return tag[:3]


def department_label(name: str, place: str, tagged: bool = False) -> str:
    """A department's name without its county/city prefix, e.g. X县农业农村局 → 农业农村局.

    Rule: when NAME starts with PLACE (its belongs_to), PLACE is removed; a party office
    (X县委组织部) keeps the 县/区/市 of its committee (县委组织部). With TAGGED, the short place
    (place_tag) is put in front, so that departments of several counties stay apart
    (X·农业农村局). A name that does not start with its place is kept whole.
    """
    name, place = str(name), str(place)
    if not place or not name.startswith(place) or len(name) == len(place):
        return name
    rest = name[len(place) :]
    if rest.startswith("委"):
        rest = place[-1] + rest
    return f"{place_tag(place)}·{rest}" if tagged else rest


def township_labels(townships, tagged: bool | None = None) -> dict[str, str]:
    """township_id → label.

    Rule: the township's name, with the short county name (place_tag) in front when the table holds
    more than one county or a township name occurs twice; the full county name when two short
    names would collide.
    """
    if tagged is None:
        tagged = townships["county"].nunique() > 1 or townships["township"].duplicated().any()
    if not tagged:
        return dict(zip(townships["township_id"], townships["township"], strict=True))
    counties = townships["county"].drop_duplicates()
    short = counties.map(place_tag).nunique() == len(counties)
    return {
        row.township_id: f"{place_tag(row.county) if short else row.county}·{row.township}"
        for row in townships.itertuples()
    }


def department_labels(departments, tagged: bool = False, width: int = 14, lines: int = 2) -> list[str]:
    """Chart labels of a departments table (indexed by department_id, with name): each department's
    name as the lists print it, whole (its county or city included, so departments of several
    counties stay apart without a made-up short form), wrapped. TAGGED is accepted for older callers."""
    return [wrap(d.name, width, lines) for d in departments.itertuples()]


# --- chart pieces --------------------------------------------------------------------------------


def pale(patch, color: str) -> None:
    """Draw PATCH (a bar) pale and hatched in COLOR: a remainder (其他) that keeps its series' colour."""
    patch.set_facecolor((*_rgb(color), 0.3))
    patch.set_edgecolor(color)
    patch.set_hatch("///")
    patch.set_linewidth(0)


def _rgb(color: str) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return to_rgb(color)


def top_down(ax, n: int) -> None:
    """Put row 0 of a horizontal chart with N rows at the top."""
    ax.set_ylim(n - 0.5, -0.5)


def county_separators(ax, counties, linewidth: float = 0.8) -> None:
    """A horizontal line between two rows of different counties (rows ordered by county)."""
    import numpy as np

    counties = np.asarray(counties)
    for r in np.flatnonzero(counties[1:] != counties[:-1]):
        ax.axhline(r + 0.5, color="black", linewidth=linewidth)


def ranked_bars(ax, values, labels, colors, legend: dict | None = None, texts=None) -> None:
    """The ranked horizontal bar chart of the notebooks: one bar per row from the top, the value (or
    TEXTS) at the end of each bar, row labels, an x grid and, with LEGEND ({label: colour}), a legend
    of the colours (e.g. kinds of department)."""
    import matplotlib.pyplot as plt

    values = list(values)
    ax.barh(range(len(values)), values, color=colors)
    for y, (v, text) in enumerate(zip(values, texts or [f"{v}" for v in values], strict=True)):
        ax.text(v, y, f" {text}", va="center", fontsize=8)
    ax.set_yticks(range(len(values)), labels, fontsize=9)
    top_down(ax, len(values))
    if legend:
        ax.legend(
            handles=[plt.Rectangle((0, 0), 1, 1, color=c) for c in legend.values()],
            labels=list(legend),
            title="部门类型",
            loc="lower right",
            frameon=False,
        )
    ax.grid(axis="x", alpha=0.3)
