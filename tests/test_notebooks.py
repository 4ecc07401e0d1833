"""The analysis notebooks run headless on the embedded default (one township) and on three townships
in three counties: no error, no missing glyph, figures in PNG and SVG, and the headline numbers they
show equal counts taken directly from the Parquet tables."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
import json
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest

from pipeline.analysis import notebooks

SOURCES = notebooks.sources()
FIXTURES = ("tuhulu_tables", "multi_township_tables")
LISTS = ("basic", "coordination", "reclaimed")


@pytest.fixture(scope="session")
def executed(request, tmp_path_factory):
    """Every notebook run on both fixtures, two kernels at a time.

    {(fixture, notebook): (Result, executed notebook, figures folder, processed folder)}
    """
    out = tmp_path_factory.mktemp("reports")
    folders = {name: request.getfixturevalue(name) for name in FIXTURES}
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = {
            (name, src.stem): pool.submit(notebooks.run_notebook, src, processed, out / name)
            for name, processed in folders.items()
            for src in SOURCES
        }
        done = {key: job.result() for key, job in jobs.items()}
    return {
        key: (result, nb, out / key[0] / "figures", folders[key[0]]) for key, (result, nb) in done.items()
    }


def summary(executed, fixture: str, number: str) -> dict:
    name = next(src.stem for src in SOURCES if src.stem.startswith(number))
    figures = executed[(fixture, name)][2]
    return json.loads((figures / f"summary_{number}.json").read_text(encoding="utf-8"))


def tables(processed: Path) -> dict[str, pd.DataFrame]:
    names = ["townships", "departments", "duty_steps", "source_files"]
    names += [f"{k}_items" for k in LISTS] + ["coordination_departments", "reclaimed_departments"]
    return {name: pd.read_parquet(processed / f"{name}.parquet") for name in names}


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts += [out.get("text", ""), out.get("evalue", ""), *out.get("traceback", [])]
            parts += [str(v) for k, v in out.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(parts)


def test_notebooks_are_numbered_and_paired():
    assert [p.stem[:2] for p in SOURCES] == [f"{i:02d}" for i in range(1, len(SOURCES) + 1)]
    assert len(SOURCES) >= 4
    for src in SOURCES:
        committed = jupytext.read(src.with_suffix(".ipynb"))
        expected = notebooks.twin(src)
        assert [(c.cell_type, c.source) for c in committed.cells] == [
            (c.cell_type, c.source) for c in expected.cells
        ], (
            f"{src.with_suffix('.ipynb').name} differs from {src.name}: python -m pipeline.analysis.notebooks --sync"
        )
        assert not any(c.get("outputs") or c.get("execution_count") for c in committed.cells), (
            f"{src.with_suffix('.ipynb').name} has outputs: python -m pipeline.analysis.notebooks --sync"
        )
        assert "read_pdf" not in src.read_text(encoding="utf-8") and ".pdf" not in src.read_text(
            encoding="utf-8"
        )


@pytest.mark.parametrize("fixture", FIXTURES)
@pytest.mark.parametrize("number", [src.stem[:2] for src in SOURCES])
def test_notebook_runs_cleanly(executed, fixture, number):
    name = next(src.stem for src in SOURCES if src.stem.startswith(number))
    result, nb, figures, _ = executed[(fixture, name)]
    assert result.ok, result.error
    text = outputs_text(nb)
    assert "missing from" not in text and "Glyph" not in text
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert result.html.is_file() and result.html.stat().st_size > 0
    pngs = sorted(figures.glob(f"{number}_*.png"))
    assert pngs, "the notebook saved no figure"
    for png in pngs:
        assert png.with_suffix(".svg").is_file()
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_item_counts_match_tables(executed):
    for fixture in FIXTURES:
        t = tables(executed[(fixture, SOURCES[0].stem)][3])
        s = summary(executed, fixture, "01")
        assert s["n_townships"] == len(t["townships"])
        for key in LISTS:
            df = t[f"{key}_items"]
            assert s["items"][key] == len(df)
            assert s["categories"][key] == df["category"].value_counts().to_dict()
            assert s["per_township"][key] == df.groupby("township_id").size().to_dict()
        assert s["heatmaps"] == (len(t["townships"]) > 1)
    # One township: the per-township part is skipped with a sentence, and no heatmap is drawn.
    result, nb, figures, _ = executed[("tuhulu_tables", SOURCES[0].stem)]
    assert "Only one township" in outputs_text(nb)
    assert not list(figures.glob("01_township_category_*"))
    assert (
        len(list(executed[("multi_township_tables", SOURCES[0].stem)][2].glob("01_township_category_*.png")))
        == 3
    )


def test_department_numbers_match_tables(executed):
    for fixture in FIXTURES:
        t = tables(executed[(fixture, SOURCES[0].stem)][3])
        s = summary(executed, fixture, "02")
        links = t["coordination_departments"]
        assert s["n_links"] == len(links)
        assert s["items_per_department"] == links.groupby("department_id")["item_id"].nunique().to_dict()
        steps = t["duty_steps"]
        steps = steps[(steps["list"] == "coordination") & ~steps["is_heading"]]
        assert s["steps"]["upper"] == (steps["side"] == "upper").sum()
        assert s["steps"]["township"] == (steps["side"] == "township").sum()
        upper = steps[steps["side"] == "upper"]
        assert s["steps"]["upper_unassigned"] == upper["department_id"].isna().sum()
        assert s["steps_per_department"] == {
            d: (upper["department_id"] == d).sum() for d in s["items_per_department"]
        }


def test_reclaimed_numbers_match_tables(executed):
    for fixture in FIXTURES:
        t = tables(executed[(fixture, SOURCES[0].stem)][3])
        s = summary(executed, fixture, "03")
        reclaimed = t["reclaimed_items"]
        assert s["n_reclaimed"] == len(reclaimed)
        assert s["disposition"] == reclaimed["disposition"].value_counts().to_dict()
        assert s["n_penalty"] == (reclaimed["power_type"] == "行政处罚").sum()
        assert s["categories"] == reclaimed["category"].value_counts().to_dict()
        receivers = t["reclaimed_departments"]
        assert s["receiving_departments"] == receivers.groupby("department_id")["item_id"].nunique().to_dict()
        assert s["items_without_receiver"] == (~reclaimed["item_id"].isin(receivers["item_id"])).sum()
        assert 0 <= s["similarity"]["n_resembling"] <= s["similarity"]["n_compared"] == len(reclaimed)


def test_corpus_numbers_match_tables(executed):
    for fixture in FIXTURES:
        t = tables(executed[(fixture, SOURCES[0].stem)][3])
        s = summary(executed, fixture, "04")
        assert s["n_townships"] == len(t["townships"])
        assert s["n_counties"] == t["townships"]["county"].nunique()
        assert s["n_departments"] == len(t["departments"])
        assert s["source_files"] == t["source_files"]["status"].value_counts().to_dict()
        owner = pd.concat([t[f"{k}_items"][["item_id", "township_id"]] for k in LISTS]).set_index("item_id")
        bridges = pd.concat([t["coordination_departments"], t["reclaimed_departments"]])
        named = bridges.assign(township_id=bridges["item_id"].map(owner["township_id"]))
        assert (
            s["departments_per_township"] == named.groupby("township_id")["department_id"].nunique().to_dict()
        )
        for key in LISTS:
            counts = t[f"{key}_items"].groupby("township_id").size()
            assert {tid: n[key] for tid, n in s["per_township"].items()} == counts.to_dict()


def test_runner_fails_on_a_missing_glyph(tuhulu_tables, tmp_path, capsys):
    """One line per notebook; exit status 1 when a notebook fails (here: a glyph the font lacks)."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01_fine.py").write_text("# %%\nprint('fine')\n", encoding="utf-8")
    (folder / "02_glyph.py").write_text(
        "# %%\nimport sys\n"
        f"sys.path.insert(0, {str(notebooks.ROOT)!r})\n"
        "from pipeline.analysis import viz\nimport matplotlib.pyplot as plt\n\n"
        "viz.setup()\nfig, ax = plt.subplots()\nax.set_title('\\U0001f600')\nviz.save_figure(fig, 'glyph')\n",
        encoding="utf-8",
    )
    args = ["--notebooks", str(folder), "--processed", str(tuhulu_tables), "--out", str(tmp_path / "out")]
    assert notebooks.main(args) == 1
    captured = capsys.readouterr()
    assert [ln.split()[:2] for ln in captured.out.splitlines()][-1][:2] == ["ok", "01_fine"]
    failed = [ln for ln in captured.err.splitlines() if ln.startswith("FAILED")]
    assert len(failed) == 1 and "02_glyph" in failed[0] and "Glyph" in failed[0]
    assert notebooks.main(["--processed", str(tmp_path / "nothing")]) == 2


def test_standardisation_numbers_match_tables(executed):
    for fixture in FIXTURES:
        processed = executed[(fixture, SOURCES[0].stem)][3]
        t = tables(processed)
        s = summary(executed, fixture, "05")
        items = pd.concat([t[f"{k}_items"] for k in LISTS])
        assert s["n_items"] == len(items) and s["n_duties"] == items["duty_id"].nunique()
        spread = items.groupby("duty_id").agg(
            towns=("township_id", "nunique"), counties=("county", "nunique")
        )
        towns = items["duty_id"].map(spread["towns"])
        counties = items["duty_id"].map(spread["counties"])
        cls = pd.Series(
            np.select([counties > 1, towns > 1], ["common", "county"], default="unique"), index=items.index
        )
        assert s["classes"] == {c: int((cls == c).sum()) for c in ("common", "county", "unique")}
        duties = pd.read_parquet(processed / "duties.parquet").set_index("duty_id")
        assert duties["n_townships"].to_dict() == spread["towns"].to_dict()
        for tid, shares in s["per_township"].items():
            mine = cls[items["township_id"] == tid]
            assert shares["unique"] == pytest.approx((mine == "unique").mean(), abs=1e-4)
        assert s["revisions"]["n_lists"] == 0
    # One township: the comparisons are skipped with a sentence.
    assert "With one township nothing can be shared" in outputs_text(
        executed[("tuhulu_tables", "05_standardisation")][1]
    )


@pytest.mark.slow  # runs every notebook once more (8 s); `make test` runs them on the Tuhulu tables
def test_notebooks_say_nothing_to_analyse_on_no_township(empty_tables, tmp_path):
    """0 townships (an empty raw folder): each notebook stops after its first cell with one sentence,
    and the runner counts that as done, not failed."""
    for source in SOURCES:
        result, nb = notebooks.run_notebook(source, empty_tables, tmp_path)
        assert result.ok, result.error
        assert result.note.startswith("nothing to analyse")
        assert "没有可分析的乡镇" in outputs_text(nb)
        html = result.html.read_text(encoding="utf-8")
        assert "没有可分析的乡镇" in html and "<script" not in html and "viz.setup()" not in html
