# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python (duty lists)
#     language: python
#     name: duty-lists
# ---

# %% [markdown]
# # 1. 事项数量与类别构成（Item counts per category）
#
# 每张清单有多少事项，按原文的“事项类别”如何分布；基本履职事项、配合履职事项、上级部门收回事项三张清单并列。有多个乡镇时，另按乡镇列出，每张清单一张“乡镇 × 类别”热力图。只读取处理后的
# Parquet 数据表：文件夹为 `$DUTY_PROCESSED`（默认 `data/processed`），图存到 `$DUTY_FIGURES`（默认
# `reports/figures`），`make notebooks` 会设置这两个变量。
#
# How many items each list holds and how they split over the printed 事项类别, side by side for the
# three lists: 基本履职事项 (basic), 配合履职事项 (coordination) and 上级部门收回事项 (reclaimed).
# With several townships the same is shown per township, as one township × category heatmap per list.
#
# Reads only the processed Parquet tables: the folder is `$DUTY_PROCESSED` (default `data/processed`).
# Figures go to `$DUTY_FIGURES` (default `reports/figures`); `make notebooks` sets both.

# %%
from IPython.display import display
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pipeline.analysis import viz

viz.setup()
PROCESSED = viz.processed_dir()
read = viz.read_table

townships = read("townships")
viz.stop_if_empty(townships)
items = {key: read(f"{key}_items") for key in viz.LISTS}
for df in items.values():
    df["category"] = df["category"].fillna("（未标类别）")
labels = viz.township_labels(townships)
summary = {
    "n_townships": len(townships),
    "items": {key: len(df) for key, df in items.items()},
}
viz.reading(
    f"Processed folder `{PROCESSED}`: {len(townships)} township(s) in {townships['county'].nunique()} "
    f"county(ies); " + ", ".join(f"{viz.LISTS[k]} {len(df)}" for k, df in items.items()) + " items.",
    zh=f"数据文件夹 `{PROCESSED}`：{townships['county'].nunique()} 个县（区）的 {len(townships)} 个乡镇；"
    + "，".join(f"{viz.LISTS[k]} {len(df)} 条" for k, df in items.items())
    + "。",
)

# %% [markdown]
# ## 各类别的事项数与占比，三张清单并列（Counts and shares per category）
#
# 占比 = 该类别事项数 / 本清单全部事项数。类别按三张清单合计的事项数排列。
#
# Share = the category's items / all items of that list. Categories are ordered by their total over
# the three lists.

# %%
counts = pd.DataFrame({key: df["category"].value_counts() for key, df in items.items()}).fillna(0)
counts = counts.astype(int)
counts = counts.loc[counts.sum(axis=1).sort_values(ascending=False, kind="stable").index]
shares = counts / counts.sum().replace(0, np.nan)
table = pd.concat(
    {viz.LISTS[k]: pd.DataFrame({"数量": counts[k], "占比": shares[k]}) for k in viz.LISTS}, axis=1
)
table.index.name = "事项类别"
viz.styled(table, "{:.1%}", subset=[c for c in table.columns if c[1] == "占比"], na_rep="—")

# %%
n_cat = len(counts)
fig, (ax_n, ax_s) = plt.subplots(1, 2, figsize=(12, 1.6 + 0.42 * n_cat), sharey=True)
y = np.arange(n_cat)
height = 0.8 / len(viz.LISTS)
for i, key in enumerate(viz.LISTS):
    offset = (i - (len(viz.LISTS) - 1) / 2) * height
    style = dict(height=height, color=viz.LIST_COLORS[key], label=viz.LISTS[key])
    ax_n.barh(y + offset, counts[key], **style)
    ax_s.barh(y + offset, 100 * shares[key].fillna(0), **style)
ax_n.set_yticks(y, counts.index)
ax_n.set_ylim(n_cat - 0.5, -0.5)
ax_n.set_xlabel("事项数（条）")
ax_s.set_xlabel("占本清单事项的比例（%）")
ax_n.set_ylabel("事项类别")
ax_n.set_title("各类别事项数")
ax_s.set_title("各类别占本清单的比例")
ax_s.legend(loc="lower right", frameon=False)
for ax in (ax_n, ax_s):
    ax.grid(axis="x", alpha=0.3)
fig.suptitle("三张清单的事项类别构成", fontsize=14)
fig.tight_layout()
viz.save_figure(fig, "01_category_counts")
plt.show()

top = {k: counts[k].idxmax() for k in viz.LISTS if counts[k].sum()}
only_one = counts[(counts > 0).sum(axis=1) == 1]
viz.reading(
    "**Reading.** "
    + "; ".join(
        f"{viz.LISTS[k]}: {counts[k].sum()} items in {(counts[k] > 0).sum()} categories, the largest "
        f"being {top[k]} ({counts.at[top[k], k]} items, {viz.pct(counts.at[top[k], k], counts[k].sum())})"
        for k in top
    )
    + f". {len(only_one)} of the {n_cat} categories appear in one list only"
    + (f" (e.g. {', '.join(only_one.index[:3])})." if len(only_one) else "."),
    zh="**解读。** "
    + "；".join(
        f"{viz.LISTS[k]}：{counts[k].sum()} 条事项分属 {(counts[k] > 0).sum()} 个类别，最大的是{top[k]}"
        f"（{counts.at[top[k], k]} 条，{viz.pct(counts.at[top[k], k], counts[k].sum())}）"
        for k in top
    )
    + f"。{n_cat} 个类别中有 {len(only_one)} 个只出现在一张清单中"
    + (f"（如{'、'.join(only_one.index[:3])}）。" if len(only_one) else "。"),
)
summary["categories"] = {k: {c: int(n) for c, n in counts[k].items() if n} for k in viz.LISTS}

# %% [markdown]
# ## 按乡镇（Per township）
#
# 每个乡镇各清单的事项数，以及每张清单一张热力图：行为乡镇，列为该清单的类别；格中数字为事项数，颜色为该类别占该乡镇本清单事项的比例（大小乡镇因此可比）。至少需要两个乡镇。
#
# Items per township and list, and one heatmap per list: rows are townships, columns the list's
# categories; the number in a cell is the count of items, the colour its share of that township's
# list (so large and small townships compare). Needs at least two townships.

# %%
per_township = pd.DataFrame(
    {viz.LISTS[k]: df.groupby("township_id").size() for k, df in items.items()}
).reindex(townships["township_id"], fill_value=0)
per_township = per_township.fillna(0).astype(int)
per_township.index = per_township.index.map(labels)
per_township.index.name = "乡镇"
summary["per_township"] = {
    k: {tid: int(n) for tid, n in df.groupby("township_id").size().items()} for k, df in items.items()
}
several = len(townships) > 1
summary["heatmaps"] = several
if several:
    display(per_township.sort_values(list(per_township.columns), ascending=False))
else:
    viz.reading(
        f"Only one township in this folder ({', '.join(townships['township'])}): the per-township "
        "comparison and the township × category heatmaps are skipped. Run on a folder with several "
        "townships (e.g. `make notebooks PROCESSED=...`) to see them.",
        zh=f"本文件夹只有一个乡镇（{'、'.join(townships['township'])}）：按乡镇的比较和“乡镇 × 类别”热力图从略。"
        "在有多个乡镇的文件夹上运行（如 `make notebooks PROCESSED=...`）即可看到。",
    )

# %%
order = townships.sort_values(["county", "township"])["township_id"].tolist()
for key in viz.LISTS if several else []:
    df = items[key]
    if df.empty:
        viz.reading(
            f"No township has a {viz.LISTS[key]} list here: no heatmap for it.",
            zh=f"这里没有乡镇有{viz.LISTS[key]}：不画它的热力图。",
        )
        continue
    grid = pd.crosstab(df["township_id"], df["category"]).reindex(order, fill_value=0)
    grid = grid[grid.sum().sort_values(ascending=False, kind="stable").index]
    share = grid.div(grid.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
    fig, ax = plt.subplots(figsize=(2.5 + 0.55 * grid.shape[1], 3.2 + 0.36 * grid.shape[0]))
    # Square-root colour scale: the one dominant category does not wash out all the others.
    norm = mcolors.PowerNorm(0.5, vmin=0, vmax=100 * share.to_numpy().max())
    im = ax.imshow(100 * share.to_numpy(), cmap="Blues", aspect="auto", norm=norm)
    for (r, c), n in np.ndenumerate(grid.to_numpy()):
        if n:
            dark = norm(100 * share.iat[r, c]) > 0.6
            ax.text(c, r, n, ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.set_xticks(range(grid.shape[1]), grid.columns, fontsize=9, rotation=45, ha="right")
    ax.tick_params(axis="x", pad=2)
    ax.set_yticks(range(grid.shape[0]), [labels[t] for t in grid.index], fontsize=9)
    viz.county_separators(ax, townships.set_index("township_id").loc[grid.index, "county"], linewidth=1)
    ax.set_xlabel("事项类别")
    ax.set_ylabel("乡镇（按县排列）")
    ax.set_title(f"{viz.LISTS[key]}：各乡镇的类别构成（数字为事项数，颜色为占比）")
    fig.colorbar(im, ax=ax, label="占比（%，平方根色阶：浅色差别也看得出）", shrink=0.8)
    fig.tight_layout()
    viz.save_figure(fig, f"01_township_category_{key}")
    plt.show()

    leader = share.idxmax(axis=1)
    common = leader.value_counts()
    spread = (share.max() - share.min()).sort_values(ascending=False)
    cat = spread.index[0]
    viz.reading(
        f"**Reading ({viz.LISTS[key]}).** The largest category of a township's list is {common.index[0]} "
        f"in {common.iloc[0]} of {len(share)} townships. The category whose share varies most between "
        f"townships is {cat}: from {viz.pct(share[cat].min(), 1)} ({labels[share[cat].idxmin()]}) to "
        f"{viz.pct(share[cat].max(), 1)} ({labels[share[cat].idxmax()]}). Townships list between "
        f"{int(grid.sum(axis=1).min())} and {int(grid.sum(axis=1).max())} such items.",
        zh=f"**解读（{viz.LISTS[key]}）。** {len(share)} 个乡镇中有 {common.iloc[0]} 个的最大类别是{common.index[0]}。"
        f"各乡镇占比差别最大的类别是{cat}：从 {viz.pct(share[cat].min(), 1)}（{labels[share[cat].idxmin()]}）"
        f"到 {viz.pct(share[cat].max(), 1)}（{labels[share[cat].idxmax()]}）。各乡镇此清单有 "
        f"{int(grid.sum(axis=1).min())} 至 {int(grid.sum(axis=1).max())} 条事项。",
    )

# %%
viz.save_summary("summary_01", summary)
