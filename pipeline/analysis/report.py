"""One self-contained HTML report in Chinese on a processed folder: REPORTS/report.html.

It shows the figures the notebooks drew (REPORTS/figures/NN_*.png, the PNG and SVG files stay beside
it) embedded in the page, each with a Chinese caption naming what it shows, its townships and its
source, and headline numbers computed from the tables. Nothing is loaded from the network and no code
is shown, so the file can be mailed or opened offline. With no township it says there is nothing to
analyse.

Run: python -m pipeline.analysis.report --processed data/processed --out reports
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
import sys

import pandas as pd

from pipeline.analysis import viz
from pipeline.common import cli
from pipeline.common.messages import reason_zh

REPORT = "report.html"

# What each figure shows, in reading order (name prefix → title, what it shows). A figure not listed
# here (a new notebook's) still appears, under its file name.
FIGURES = {
    "01_category_counts": ("三张清单的事项类别构成", "各事项类别的事项数及其占本清单的比例，三张清单并列。"),
    "01_township_category": (
        "各乡镇的类别构成",
        "行为乡镇、列为事项类别；格中数字为事项数，颜色为该类别占该乡镇本清单事项的比例（见色标）。",
    ),
    "02_items_per_department": (
        "各部门对应的配合事项数",
        "配合履职事项清单“对应上级部门”栏点名各部门的事项数（每个乡镇的平均数，乡镇多的县不因此居前）。",
    ),
    "02_department_category": ("部门 × 事项类别", "各部门对应的配合事项按事项类别分布。"),
    "02_kind_level": ("部门类型与层级", "点名部门的类型（党委、政府、群团等）与层级。"),
    "02_steps_per_department": ("各部门的职责步骤数", "“上级部门职责”中归于各部门的步骤（段落）数。"),
    "02_steps_per_item": ("每个事项的职责步骤数", "每个配合事项的上级部门与乡镇职责各分几步。"),
    "03_category_disposition": (
        "收回事项：取消还是移交",
        "上级部门收回事项按类别，取消与移交上级部门承接各多少。",
    ),
    "03_power_types": (
        "收回事项的权力类型",
        "收回事项名称中的权力类型（按关键词判断），对照基本履职事项；浅色斜纹为名称中无权力关键词的事项（其他），颜色仍表示清单。",
    ),
    "03_receiving_departments": ("承接收回事项的部门", "承接收回事项最多的部门。"),
    "03_similarity": ("收回事项与基本履职事项的相似度", "收回事项与同一乡镇基本履职事项的文字相似程度。"),
    "04_items_per_township": ("各乡镇的事项数", "每个乡镇三张清单的事项数。"),
    "04_category_composition": (
        "各乡镇的类别构成分布",
        "每个点是一个乡镇某类别事项占其清单的比例；偏离最远的乡镇标出名称。",
    ),
    "04_departments_per_township": ("各乡镇点名的部门数", "每个乡镇的清单点名多少个不同部门。"),
    "04_power_types": (
        "各清单的权力类型构成",
        "三张清单事项名称中的权力类型；浅色斜纹为名称中没有权力类型关键词的事项（其他，多为服务、组织类工作），颜色仍表示清单。",
    ),
    "05_standardisation": (
        "各乡镇清单的标准化程度",
        "每个乡镇的事项中与其他乡镇共有、与同县乡镇共有和独有的比例，以及覆盖本县全部事项的程度。",
    ),
    "05_standardisation_by_category": (
        "各类别事项的标准化程度",
        "每张清单每个事项类别中，与其他乡镇共有、与同县乡镇共有和本乡镇独有的事项各占多少。",
    ),
    "05_township_similarity": (
        "乡镇两两之间清单的相似度",
        "每格为两个乡镇共同职责占两者职责并集的比例（Jaccard）；乡镇按县排列，白线分隔各县。",
    ),
    "05_workload_per_township": (
        "各类部门的配合事项：每个乡镇平均",
        "每个乡镇涉及各类部门的配合事项数，按县取平均（乡镇多的县不因此居前）；每种颜色一个县。",
    ),
}

# Captions for a folder with one township, where the figure differs (no dots to compare).
ONE_TOWNSHIP = {
    "04_category_composition": ("本乡镇的类别构成", "只有一个乡镇：条形为该乡镇各类别事项占其清单的比例。"),
    "04_items_per_township": ("本乡镇的事项数", "只有一个乡镇：三张清单各自的事项数。"),
    "04_departments_per_township": ("本乡镇点名的部门数", "只有一个乡镇：其清单点名的不同部门数。"),
    "02_items_per_department": (
        "各部门对应的配合事项数",
        "配合履职事项清单“对应上级部门”栏点名各部门的事项数。",
    ),
    "05_workload_per_township": ("各类部门的配合事项", "涉及各类部门的配合事项数。"),
}


def _prefix(png: Path) -> str | None:
    """The longest name prefix of FIGURES the figure's file name starts with (None: unknown)."""
    known = [prefix for prefix in FIGURES if png.stem.startswith(prefix)]
    return max(known, key=len) if known else None


class StaleFigures(Exception):
    """Figures in the folder were drawn from another build than the tables'."""


def figure_order(figures: Path) -> list[Path]:
    """The PNG figures in the folder: known ones in the order of FIGURES, then the rest by name."""
    pngs = sorted(figures.glob("[0-9][0-9]_*.png"))
    rank = {prefix: i for i, prefix in enumerate(FIGURES)}

    def key(p: Path) -> tuple:
        prefix = _prefix(p)
        return (rank[prefix] if prefix else len(rank), p.stem)

    return sorted(pngs, key=key)


def caption(png: Path, n_townships: int) -> tuple[str, str]:
    """A figure's title and what it shows (worded for one township or several); a figure FIGURES
    does not know gets a title from its file name, never none."""
    prefix = _prefix(png)
    if prefix is None:
        return png.stem.split("_", 1)[-1].replace("_", " "), ""
    if n_townships == 1 and prefix in ONE_TOWNSHIP:
        return ONE_TOWNSHIP[prefix]
    return FIGURES[prefix]


def stale_figures(figures: Path, build: str | None) -> list[Path]:
    """The PNG figures not drawn from BUILD (the tables' build id)."""
    return [p for p in figure_order(figures) if viz.figure_build(p) != build]


def _figure(n: int, png: Path, places: str, source: str, n_townships: int = 2) -> str:
    title, what = caption(png, n_townships)
    suffix = png.stem.rsplit("_", 1)[-1]
    if png.stem.startswith("01_township_category_") and suffix in viz.LISTS:
        title = f"{viz.LISTS[suffix]}：{title}"
    data = base64.b64encode(png.read_bytes()).decode("ascii")
    svg = png.with_suffix(".svg")
    links = f'<a href="figures/{png.name}">PNG</a>' + (
        f' · <a href="figures/{svg.name}">SVG</a>' if svg.exists() else ""
    )
    return (
        f'<figure><img width="100%" src="data:image/png;base64,{data}" alt="{html.escape(title)}">'
        f"<figcaption><b>图 {n}　{html.escape(title)}。</b>{html.escape(what)}<br>"
        f"<span class=src>乡镇：{html.escape(places)}。数据来源：{html.escape(source)}。"
        f"图片文件：{links}</span></figcaption></figure>"
    )


STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif;
       max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.7; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ddd; margin-top: 2em; }
figure { margin: 2em 0; } img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.95em; } .src { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { border: 1px solid #ccc; padding: 2px 8px; }
th { background: #f2f2f2; } .meta { color: #555; }
"""


# No script, no request: the report needs neither (figures are embedded images), and a name from a
# downloaded list that slipped through as markup stays inert. The notebooks' HTML carries the same
# policy (templates/offline/index.html.j2).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src data:; base-uri 'none'; "
    "form-action 'none'"
)


def build(processed: Path, figures: Path) -> str:
    """The report's HTML. Raises StaleFigures when a figure was drawn from another build than
    the tables' (it would show other data than the text beside it)."""
    from pipeline.common.publication import build_id_of
    from pipeline.normalize.schema import build_info

    build = build_id_of(processed / "source_files.parquet")
    stale = stale_figures(figures, build)
    if stale:
        drawn = sorted({viz.figure_build(p) or "unrecorded" for p in stale})
        raise StaleFigures(
            f"{len(stale)} figure(s) in {figures} (e.g. {stale[0].name}) were drawn from build "
            f"{', '.join(drawn)}, the tables in {processed} are build {build}"
        )

    tables = {t: pd.read_parquet(processed / f"{t}.parquet") for t in ("townships", "source_files")}
    items = {k: pd.read_parquet(processed / f"{k}_items.parquet") for k in viz.LISTS}
    townships, sources = tables["townships"], tables["source_files"]
    info = build_info()
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>乡镇履职事项清单分析报告</title><style>{STYLE}</style></head><body>",
        "<h1>乡镇履职事项清单分析报告</h1>",
        f"<p class=meta>数据文件夹：{html.escape(str(processed))}；版本 {info['version']}，"
        f"报告生成日期 {info['build_date']}。各数字均由数据表计算得出。</p>",
    ]
    n_ok = int((sources["status"] == "ok").sum())
    if townships.empty:
        out += [f"<p><b>{html.escape(viz.NOTHING)}</b></p>"]
        out.append(f"<p>原始文件 {len(sources)} 个，读取 {n_ok} 个。</p></body></html>")
        return "\n".join(out)
    places = viz.township_names(townships)
    source = viz.source_names(sources) + "（乡镇履职事项清单，经本项目读成数据表）"
    counts = "，".join(f"{viz.LISTS[k]} {len(df)} 条" for k, df in items.items())
    out += [
        "<h2>概况</h2>",
        f"<p>共读取原始文件 {len(sources)} 个中的 {n_ok} 个，涉及 {townships['county'].nunique()} 个县（区）的 "
        f"{len(townships)} 个乡镇（{html.escape(places)}）。{counts}。</p>",
    ]
    rejected = sources[sources["status"] != "ok"]
    if len(rejected):
        out.append(
            "<p>未能读取的文件："
            + "；".join(
                html.escape(f"{r.source_file}（{reason_zh(r.reason or '')}）") for r in rejected.itertuples()
            )
            + "。</p>"
        )
    pngs = figure_order(figures)
    out.append("<h2>图表</h2>")
    if not pngs:
        out.append("<p>还没有图：先运行 <code>make notebooks</code>。</p>")
    for n, png in enumerate(pngs, start=1):
        out.append(_figure(n, png, places, source, len(townships)))
    out += [
        "<h2>附表：乡镇</h2>",
        "<table><tr><th>省（自治区）</th><th>市</th><th>县（区）</th><th>乡镇</th>"
        "<th>县级行政区划代码</th><th>基本</th><th>配合</th><th>收回</th></tr>",
    ]
    for t in townships.itertuples():
        cells = [
            t.province,
            t.city,
            t.county,
            t.township,
            t.county_code,
            t.n_basic,
            t.n_coordination,
            t.n_reclaimed,
        ]
        out.append(
            "<tr>" + "".join(f"<td>{html.escape('' if c is None else str(c))}</td>" for c in cells) + "</tr>"
        )
    out += ["</table>", "</body></html>"]
    return "\n".join(out)


def redraw(processed: Path, out: Path, figures: list[Path], notebooks: Path | None = None) -> bool:
    """Run again the notebooks that drew these FIGURES (NN_… → notebook NN); True when all ran."""
    from pipeline.analysis import notebooks as runner

    prefixes = sorted({p.name[:2] for p in figures})
    ok = True
    for source in runner.sources(notebooks or runner.NOTEBOOKS, prefixes):
        result, _ = runner.run_notebook(source, processed, out)
        print(
            f"report: redrew {result.name} ({result.seconds:.0f} s)"
            + ("" if result.ok else f": {result.error}")
        )
        ok = ok and result.ok
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = cli.parser("pipeline.analysis.report", __doc__)
    ap.add_argument("--processed", type=Path, default=Path("data/processed"), help="the tables (make all)")
    ap.add_argument(
        "--out", type=Path, default=Path("reports"), help="report.html goes here, figures in OUT/figures"
    )
    ap.add_argument(
        "--redraw",
        action="store_true",
        help="run again the notebooks whose figures were drawn from another build (else refuse)",
    )
    ap.add_argument(
        "--notebooks",
        type=Path,
        default=None,
        help="folder of the notebooks to redraw with (default: the project's notebooks/)",
    )
    args = ap.parse_args(argv)
    if not (args.processed / "townships.parquet").is_file():
        print(f"report: {args.processed} has no townships.parquet (run make all first)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    target = args.out / REPORT
    figures = args.out / "figures"
    try:
        text = build(args.processed, figures)
    except StaleFigures as exc:
        if not args.redraw:
            print(f"report: {exc}; run make notebooks (or make report, which redraws them)", file=sys.stderr)
            return 1
        from pipeline.common.publication import build_id_of

        stale = stale_figures(figures, build_id_of(args.processed / "source_files.parquet"))
        redraw(args.processed, args.out, stale, args.notebooks)
        try:
            text = build(args.processed, figures)
        except StaleFigures as again:  # a notebook failed or drew nothing new: refuse, say why
            print(f"report: {again}, even after redrawing; run make notebooks to see why", file=sys.stderr)
            return 1
    target.write_text(text, encoding="utf-8")
    print(f"report: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
