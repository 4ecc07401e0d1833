"""The report never shows a figure of another build than its tables: figures carry the build id
they were drawn from; `make report` redraws stale ones (or refuses in one line); every figure has a
caption worded for one township or several."""

from __future__ import annotations

from pathlib import Path
import shutil
import subprocess
import sys

from PIL import Image, PngImagePlugin
import pytest

from pipeline.analysis import report, viz
from pipeline.common.publication import build_id_of

ROOT = Path(__file__).resolve().parent.parent

# A notebook as small as the real ones' plumbing allows: one chart, saved by viz.save_figure.
TINY = """# %%
import matplotlib.pyplot as plt

from pipeline.analysis import viz

viz.setup()
townships = viz.read_table("townships")
fig, ax = plt.subplots(figsize=(3, 2))
ax.bar(["基本"], [len(townships)])
viz.save_figure(fig, "01_category_counts")
"""


def _copy_tables(processed: Path, target: Path) -> Path:
    target.mkdir(parents=True)
    for table in processed.glob("*.parquet"):
        shutil.copy(table, target / table.name)
    return target


def test_figures_carry_the_build_they_were_drawn_from(tuhulu_tables, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv("DUTY_PROCESSED", str(tuhulu_tables))
    monkeypatch.setenv("DUTY_FIGURES", str(tmp_path))
    viz.setup()
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    png, svg = viz.save_figure(fig, "01_category_counts")
    build = build_id_of(tuhulu_tables / "source_files.parquet")
    assert build and viz.figure_build(png) == build
    assert f"build_id={build}" in svg.read_text(encoding="utf-8")
    assert report.stale_figures(tmp_path, build) == []
    assert report.stale_figures(tmp_path, "another") == [png]


def test_report_refuses_figures_of_another_build_in_one_line(tuhulu_tables, tmp_path, capsys):
    """The fast half of the test below: a figure of another build is never embedded."""
    figures = tmp_path / "reports" / "figures"
    figures.mkdir(parents=True)
    info = PngImagePlugin.PngInfo()
    info.add_text(viz.BUILD_KEY, "an-earlier-build")
    Image.new("RGB", (4, 4)).save(figures / "01_category_counts.png", pnginfo=info)
    code = report.main(["--processed", str(tuhulu_tables), "--out", str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "drawn from build an-earlier-build" in err
    assert not (tmp_path / "reports" / "report.html").exists()


@pytest.mark.slow
def test_new_tables_then_make_report_never_embeds_a_figure_of_the_earlier_build(
    tuhulu_tables, multi_township_tables, tmp_path
):
    """Figures drawn on one build; then the tables of another build: the report refuses in one
    line, or (make report: --redraw) runs the notebook again and embeds the new figure."""
    processed = _copy_tables(tuhulu_tables, tmp_path / "processed")
    out, notebooks = tmp_path / "reports", tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "01_tiny.py").write_text(TINY, encoding="utf-8")
    cmd = [sys.executable, "-m", "pipeline.analysis.report", "--processed", str(processed), "--out", str(out)]
    cmd += ["--notebooks", str(notebooks)]
    drawn = subprocess.run(  # make notebooks
        [
            sys.executable,
            "-m",
            "pipeline.analysis.notebooks",
            "--processed",
            str(processed),
            "--out",
            str(out),
        ]
        + ["--notebooks", str(notebooks)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert drawn.returncode == 0, drawn.stderr
    done = subprocess.run([*cmd, "--redraw"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and "redrew" not in done.stdout, done.stderr
    old = build_id_of(processed / "source_files.parquet")
    figure = out / "figures" / "01_category_counts.png"
    assert viz.figure_build(figure) == old
    first = (out / "report.html").read_text(encoding="utf-8")

    shutil.rmtree(processed)  # new data: another build's tables
    _copy_tables(multi_township_tables, processed)
    new = build_id_of(processed / "source_files.parquet")
    assert new != old
    refused = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1
    assert f"drawn from build {old}" in refused.stderr and f"are build {new}" in refused.stderr
    assert (out / "report.html").read_text(encoding="utf-8") == first  # not overwritten with old figures

    redrawn = subprocess.run([*cmd, "--redraw"], cwd=ROOT, capture_output=True, text=True)
    assert redrawn.returncode == 0, redrawn.stderr
    assert "report: redrew 01_tiny" in redrawn.stdout
    assert viz.figure_build(figure) == new
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html != first and "图 1　三张清单的事项类别构成" in html


def test_every_figure_has_a_caption_worded_for_one_township_or_several(tmp_path):
    for name in ("04_category_composition", "05_workload_per_township", "99_new_chart_of_someone"):
        png = tmp_path / f"{name}.png"
        Image.new("RGB", (2, 2)).save(png)
        one, several = report.caption(png, 1), report.caption(png, 5)
        assert one[0] and several[0]
        assert "每个点是一个乡镇" not in one[1]
    assert "每个点是一个乡镇" in report.caption(tmp_path / "04_category_composition.png", 5)[1]
    assert report.caption(tmp_path / "99_new_chart_of_someone.png", 1)[0] == "new chart of someone"


def test_generated_figures_are_not_under_version_control():
    """make notebooks redraws reports/figures/: nothing there is tracked, all of it ignored, so
    running the notebooks never dirties a checkout."""
    tracked = subprocess.run(
        ["git", "ls-files", "reports/figures"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert tracked.stdout == ""
    for name in (
        "01_category_counts.png",
        "01_category_counts.svg",
        "summary_01.json",
        "01_item_counts.html",
    ):
        ignored = subprocess.run(["git", "check-ignore", "-q", f"reports/figures/{name}"], cwd=ROOT)
        assert ignored.returncode == 0, name


def test_footnotes_break_between_chinese_characters_never_inside_a_file_name():
    text = "乡镇：哈密市伊吾县：吐葫芦乡、下马崖乡。来源：hami_yiwu_tuhulu_2024_final.pdf、b.pdf（乡镇履职事项清单）。"
    for width in range(12, 40):
        lines = viz.wrap_note(text, width)
        assert "".join(lines) == text
        assert all("hami_yiwu_tuhulu_2024_final.pdf" in ln for ln in lines if "hami" in ln)
        assert all(len(ln.rstrip("，。、；：）")) <= width or "hami" in ln for ln in lines)  # + closing marks
        assert not any(ln[0] in "，。、；：）" for ln in lines)


def test_departments_are_labelled_as_printed():
    import pandas as pd

    departments = pd.DataFrame(
        {
            "name": ["伊吾县农业农村局", "巴里坤哈萨克自治县农业农村局"],
            "belongs_to": ["伊吾县", "巴里坤哈萨克自治县"],
        }
    )
    labels = viz.department_labels(departments, tagged=True)
    assert [label.replace("\n", "") for label in labels] == list(departments["name"])


def test_a_figure_takes_the_caption_of_its_longest_known_prefix_in_reading_order(tmp_path):
    names = ["05_standardisation_by_category", "05_standardisation", "01_category_counts"]
    for name in names:
        Image.new("RGB", (2, 2)).save(tmp_path / f"{name}.png")
    assert [p.stem for p in report.figure_order(tmp_path)] == [
        "01_category_counts",
        "05_standardisation",
        "05_standardisation_by_category",
    ]
    assert report.caption(tmp_path / "05_standardisation_by_category.png", 3)[0] == "各类别事项的标准化程度"
    assert report.caption(tmp_path / "05_standardisation.png", 3)[0] == "各乡镇清单的标准化程度"
