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
# # 4. 语料概览（Corpus overview across townships）
#
# 整个处理后文件夹的概况，适合乡镇很多的文件夹（一个乡镇也能运行）：来源文件、县和乡镇、各乡镇各清单的事项数、各乡镇类别构成的差异、各乡镇涉及多少部门，以及各清单的权力类型。数据来源：`source_f
# iles`、`townships`、三张事项表、`departments` 以及两张关联表。有多个县时，乡镇名前加县的简称。
#
# The whole processed folder at a glance, meant for a folder with many townships (it also runs on
# one): the source files, the counties and townships, items per township and list, how the
# category mix varies between townships, how many departments each township deals with, and the
# kinds of power per list.
#
# Sources: `source_files`, `townships`, the three item tables, `departments` and the two bridges
# (`coordination_departments`, `reclaimed_departments`). Townships are labelled as in notebook 1
# (short county name in front when there are several counties).

# %%
from IPython.display import display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pipeline.analysis import viz

viz.setup()
PROCESSED = viz.processed_dir()
read = viz.read_table

sources = read("source_files")
townships = read("townships")
viz.stop_if_empty(townships)
items = {key: read(f"{key}_items") for key in viz.LISTS}
for df in items.values():
    df["category"] = df["category"].fillna("（未标类别）")
departments = read("departments")
bridges = {"coordination": read("coordination_departments"), "reclaimed": read("reclaimed_departments")}
labels = viz.township_labels(townships)

status = sources["status"].value_counts()
summary = {
    "n_townships": len(townships),
    "n_counties": int(townships["county"].nunique()),
    "items": {key: len(df) for key, df in items.items()},
    "source_files": status.to_dict(),
    "n_departments": len(departments),
}
rejected = sources[sources["status"] != "ok"]
viz.reading(
    f"{len(sources)} raw file(s): {status.get('ok', 0)} read, {len(rejected)} rejected. They hold "
    f"{len(townships)} township(s) in {townships['county'].nunique()} county(ies) of "
    f"{townships['city'].nunique()} city(ies); {sum(len(df) for df in items.values())} items in all, "
    f"naming {len(departments)} departments.",
    zh=f"原始文件 {len(sources)} 个：读取 {status.get('ok', 0)} 个，拒绝 {len(rejected)} 个。其中有 "
    f"{townships['city'].nunique()} 个市的 {townships['county'].nunique()} 个县（区）的 {len(townships)} 个乡镇；"
    f"共 {sum(len(df) for df in items.values())} 条事项，点名 {len(departments)} 个部门。",
)
if len(rejected):
    display(rejected[["source_file", "reason"]])

# %% [markdown]
# ## 县与乡镇（Counties and townships）
#
# 读到的县（区）与乡镇，以及它们的来源文件。

# %%
n_items = pd.DataFrame({viz.LISTS[k]: df.groupby("township_id").size() for k, df in items.items()})
n_items = n_items.reindex(townships["township_id"]).fillna(0).astype(int)
by_county = (
    townships.assign(total=n_items.sum(axis=1).to_numpy())
    .groupby("county")
    .agg(乡镇数=("township_id", "size"), 事项数=("total", "sum"))
    .join(pd.crosstab(townships["county"], townships["township_kind"]))
    .sort_values("事项数", ascending=False)
)
by_county.index.name = "县（区）"
display(by_county)

# %% [markdown]
# ## 各乡镇各清单的事项数（Items per township and list）
#
# 乡镇按县分组（以横线分隔），县内事项多的在前。
#
# Townships grouped by county (separated by a line), the largest first within a county.

# %%
order = (
    townships.assign(total=n_items.sum(axis=1).to_numpy())
    .sort_values(["county", "total"], ascending=[True, False])["township_id"]
    .tolist()
)
table = n_items.loc[order]
fig, ax = plt.subplots(figsize=(10, 2.6 + 0.36 * len(table)))
left = np.zeros(len(table))
for key, column in zip(viz.LISTS, table.columns, strict=True):
    values = table[column].to_numpy()
    ax.barh(range(len(table)), values, left=left, color=viz.LIST_COLORS[key], label=column)
    for y, (x0, v) in enumerate(zip(left, values, strict=True)):
        if v:
            ax.text(x0 + v / 2, y, v, ha="center", va="center", fontsize=8, color="white")
    left += values
for y, total in enumerate(left):
    ax.text(total, y, f" {int(total)}", va="center", fontsize=8)
viz.county_separators(ax, townships.set_index("township_id").loc[order, "county"])
ax.set_yticks(range(len(table)), [labels[t] for t in order], fontsize=9)
viz.top_down(ax, len(table))
ax.set_xlabel("事项数（条）")
ax.set_ylabel("乡镇（按县排列）")
ax.set_title("各乡镇三张清单的事项数", pad=28)
ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
ax.grid(axis="x", alpha=0.3)
fig.tight_layout()
viz.save_figure(fig, "04_items_per_township")
plt.show()

totals = n_items.sum(axis=1)
ratio = (n_items[viz.LISTS["coordination"]] / n_items[viz.LISTS["basic"]].replace(0, np.nan)).dropna()
stats = ", ".join(
    f"{c} {n_items[c].min()}–{n_items[c].max()} (median {n_items[c].median():g})"
    if len(n_items) > 1
    else f"{c} {n_items[c].iloc[0]}"
    for c in n_items.columns
)
zh_stats = "，".join(
    f"{c} {n_items[c].min()}–{n_items[c].max()} 条（中位数 {n_items[c].median():g}）"
    if len(n_items) > 1
    else f"{c} {n_items[c].iloc[0]} 条"
    for c in n_items.columns
)
zh_reading = f"**解读。** 每个乡镇：{zh_stats}。" + (
    f"事项最多的乡镇是{labels[totals.idxmax()]}（{totals.max()} 条），最少的是{labels[totals.idxmin()]}（{totals.min()} 条）。"
    if len(totals) > 1
    else f"唯一的乡镇{labels[totals.index[0]]}有 {totals.iloc[0]} 条事项。"
)
if len(ratio):
    zh_reading += f"在中位乡镇，配合清单的事项数是基本清单的 {ratio.median():.2f} 倍" + (
        f"（各乡镇两者事项数的相关系数：{n_items.iloc[:, 0].corr(n_items.iloc[:, 1]):.2f}）。"
        if len(n_items) >= 3
        else "。"
    )
viz.reading(
    f"**Reading.** Per township: {stats}. "
    + (
        f"The largest township is {labels[totals.idxmax()]} ({totals.max()} items), the smallest "
        f"{labels[totals.idxmin()]} ({totals.min()}). "
        if len(totals) > 1
        else f"The one township, {labels[totals.index[0]]}, has {totals.iloc[0]} items. "
    )
    + (
        f"The coordination list is {ratio.median():.2f} times the basic list in the median township"
        + (
            f" (correlation of the two counts over townships: {n_items.iloc[:, 0].corr(n_items.iloc[:, 1]):.2f})."
            if len(n_items) >= 3
            else "."
        )
        if len(ratio)
        else ""
    ),
    zh=zh_reading,
)
summary["per_township"] = {t: {k: int(n_items.at[t, viz.LISTS[k]]) for k in viz.LISTS} for t in n_items.index}

# %% [markdown]
# ## 类别构成及其在乡镇间的差异（Composition by category）
#
# 每张清单中，每个点是一个乡镇某类别事项占其本清单事项的比例，黑线为全体的比例；类别按全体占比排列。点越分散，乡镇在该类别上差别越大。离群的乡镇（超出四分位距 1.5 倍，且与全体相差至少
# OUTLIER 个百分点）标出名称。只有一个乡镇时，图为该乡镇各类别占比的条形图。
#
# For each list, each dot is one township's share of a category (its items in that category / all
# its items on that list); the black bar is the share over the whole corpus. Categories are ordered
# by their corpus share. A wide spread of dots = townships differ on that category. Outliers are named:
# in each category, the farthest township outside the Tukey fences (more than 1.5 × the interquartile
# range beyond the quartiles) and at least OUTLIER percentage points from the corpus share, when
# there is one. With a single township the chart shows its shares as plain bars.

# %%
several = len(townships) > 1
OUTLIER = 4  # percentage points from the corpus share, at least, before a township is named
shares = {}
for key, df in items.items():
    grid = pd.crosstab(df["township_id"], df["category"])
    shares[key] = grid.div(grid.sum(axis=1), axis=0).reindex(townships["township_id"]).fillna(0)
n_rows = max(len(s.columns) for s in shares.values())
fig, axes = plt.subplots(1, len(shares), figsize=(15, 1.6 + 0.34 * n_rows))
rng = np.random.default_rng(0)  # vertical jitter only, so that dots of equal share stay visible
spread = {}
for ax, (key, share) in zip(axes, shares.items(), strict=True):
    corpus = items[key]["category"].value_counts(normalize=True)
    cats = corpus.index.tolist()
    if several:
        for y, cat in enumerate(cats):
            x = 100 * share[cat].to_numpy()
            jitter = y + rng.uniform(-0.18, 0.18, len(x))
            ax.scatter(x, jitter, s=14, alpha=0.6, color=viz.LIST_COLORS[key], lw=0)
            ax.plot([100 * corpus[cat]] * 2, [y - 0.32, y + 0.32], color="black", lw=2)
            q1, q3 = np.percentile(x, [25, 75])
            fence = 1.5 * (q3 - q1)
            away = np.abs(x - 100 * corpus[cat])
            out = (x < q1 - fence) | (x > q3 + fence)
            for i in [i for i in np.argsort(-away, kind="stable") if out[i] and away[i] >= OUTLIER][:1]:
                ax.annotate(
                    labels[share.index[i]],
                    (x[i], jitter[i]),
                    xytext=(0, 9),  # above its dot, on a white ground: clear of the other dots
                    textcoords="offset points",
                    ha="center",
                    fontsize=7,
                    color="#333333",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                    arrowprops={"arrowstyle": "-", "color": "#777777", "lw": 0.6},
                )
    else:  # one township: its shares are the corpus shares, plain bars
        ax.barh(range(len(cats)), 100 * corpus.to_numpy(), color=viz.LIST_COLORS[key], height=0.7)
    ax.set_yticks(range(len(cats)), cats, fontsize=9)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xlim(left=0)
    ax.set_xlabel("占本清单事项的比例（%）")
    ax.set_title(viz.LISTS[key])
    ax.grid(axis="x", alpha=0.3)
    spread[key] = (100 * (share.max() - share.min())).sort_values(ascending=False)
axes[0].set_ylabel("事项类别（按全体占比排列）")
fig.suptitle(
    "各清单的类别构成" + ("：点为各乡镇，黑线为全体，离群的乡镇标出名称" if several else "（只有一个乡镇）"),
    fontsize=14,
)
fig.tight_layout()
viz.save_figure(fig, "04_category_composition")
plt.show()

lead = {k: items[k]["category"].value_counts(normalize=True) for k in items}
viz.reading(
    "**Reading.** "
    + "; ".join(
        f"{viz.LISTS[k]}: {lead[k].index[0]} leads with {viz.pct(lead[k].iloc[0], 1)} of the corpus"
        + (
            f", and {spread[k].index[0]} varies most between townships "
            f"({spread[k].iloc[0]:.0f} percentage points between the lowest and the highest)"
            if several
            else ""
        )
        for k in items
        if len(lead[k])
    )
    + "."
    + ("" if several else " With one township there is no spread between townships to show: plain bars."),
    zh="**解读。** "
    + "；".join(
        f"{viz.LISTS[k]}：{lead[k].index[0]}居首，占全体的 {viz.pct(lead[k].iloc[0], 1)}"
        + (
            f"，各乡镇差别最大的是{spread[k].index[0]}（最低与最高相差 {spread[k].iloc[0]:.0f} 个百分点）"
            if several
            else ""
        )
        for k in items
        if len(lead[k])
    )
    + "。"
    + ("" if several else "只有一个乡镇，没有乡镇间的差别可画：图为条形。"),
)
summary["categories"] = {k: items[k]["category"].value_counts().to_dict() for k in items}

# %% [markdown]
# ## 各乡镇涉及的部门（Departments each township deals with）
#
# 每个乡镇点名的不同部门数：配合清单（对应上级部门）、收回清单（承接部门），以及两者合计。
#
# Different departments named per township: on its coordination list (对应上级部门), on its
# reclaimed list (receiving departments), and on either.

# %%
named = {}
for key, bridge in bridges.items():
    owner = bridge["item_id"].map(items[key].set_index("item_id")["township_id"])
    named[key] = bridge.assign(township_id=owner)[["township_id", "department_id"]]
both = pd.concat(named.values())
dept_counts = pd.DataFrame(
    {
        "配合事项所列部门": named["coordination"].groupby("township_id")["department_id"].nunique(),
        "收回事项承接部门": named["reclaimed"].groupby("township_id")["department_id"].nunique(),
        "合计（不重复）": both.groupby("township_id")["department_id"].nunique(),
    }
)
dept_counts = dept_counts.reindex(order).fillna(0).astype(int)
fig, ax = plt.subplots(figsize=(10, 2.6 + 0.42 * len(dept_counts)))
y = np.arange(len(dept_counts))
colors = [viz.LIST_COLORS["coordination"], viz.LIST_COLORS["reclaimed"], "#8C8C8C"]
for i, (column, color) in enumerate(zip(dept_counts.columns, colors, strict=True)):
    ax.barh(y + (i - 1) * 0.27, dept_counts[column], height=0.27, color=color, label=column)
    for yy, v in zip(y, dept_counts[column], strict=True):
        ax.text(v, yy + (i - 1) * 0.27, f" {v}", va="center", fontsize=7)
viz.county_separators(ax, townships.set_index("township_id").loc[dept_counts.index, "county"])
ax.set_yticks(y, [labels[t] for t in dept_counts.index], fontsize=9)
viz.top_down(ax, len(dept_counts))
ax.set_xlabel("不同部门数（个）")
ax.set_ylabel("乡镇（按县排列）")
ax.set_title("各乡镇清单中出现的上级部门数", pad=28)
ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
ax.grid(axis="x", alpha=0.3)
fig.tight_layout()
viz.save_figure(fig, "04_departments_per_township")
plt.show()

by_kind = pd.crosstab(departments["kind"], departments["level"], margins=True, margins_name="合计")
display(by_kind)
total_col = dept_counts["合计（不重复）"]
viz.reading(
    (
        f"**Reading.** A township's lists name between {total_col.min()} and {total_col.max()} different "
        f"departments (median {total_col.median():g}). "
        if len(total_col) > 1
        else f"**Reading.** The township's lists name {total_col.iloc[0]} different departments. "
    )
    + f"The departments table holds {len(departments)} "
    f"departments; the most common kind is {departments['kind'].value_counts().index[0]} "
    f"({departments['kind'].value_counts().iloc[0]}), the most common level "
    f"{departments['level'].value_counts().index[0]} ({departments['level'].value_counts().iloc[0]}). "
    f"{int((departments['n_coordination_items'] + departments['n_reclaimed_items'] == 0).sum())} "
    "departments appear on no item's department cell and take over no reclaimed item.",
    zh=(
        f"**解读。** 一个乡镇的清单点名 {total_col.min()} 至 {total_col.max()} 个不同部门（中位数 "
        f"{total_col.median():g}）。"
        if len(total_col) > 1
        else f"**解读。** 该乡镇的清单点名 {total_col.iloc[0]} 个不同部门。"
    )
    + f"部门表共 {len(departments)} 个部门；最常见的类型是"
    f"{departments['kind'].value_counts().index[0]}（{departments['kind'].value_counts().iloc[0]} 个），最常见的层级是"
    f"{departments['level'].value_counts().index[0]}（{departments['level'].value_counts().iloc[0]} 个）。有 "
    f"{int((departments['n_coordination_items'] + departments['n_reclaimed_items'] == 0).sum())} "
    "个部门既未出现在任何事项的部门栏中，也未承接收回事项。",
)
summary["departments_per_township"] = total_col.to_dict()

# %% [markdown]
# ## 各清单的权力类型（Kinds of power per list）
#
# `power_type`（由事项名称中的关键词判断）占各清单的比例。基本和配合清单的大多数职责是服务和组织工作，名称中没有权力类型：这部分（其他）用本清单颜色的浅色斜纹表示并放在最后，以便比较各类权力
# 。
#
# `power_type` (from keywords in the item's name) as shares of each list. Most duties of the basic and
# coordination lists are services and organising work that name no kind of power: that part (其他) is
# pale and hatched in its list's colour and drawn last, so the kinds of power compare.

# %%
OTHER = viz.power_type_fallback()
power = pd.DataFrame({viz.LISTS[k]: df["power_type"].value_counts() for k, df in items.items()}).fillna(0)
power = power.loc[power.sum(axis=1).sort_values(ascending=False).index].astype(int)
power = power.loc[[k for k in power.index if k != OTHER] + [k for k in power.index if k == OTHER]]
power_share = 100 * power / power.sum().replace(0, np.nan)
fig, ax = plt.subplots(figsize=(10, 3.6))
left = np.zeros(power.shape[1])
palette = [*plt.get_cmap("Set2").colors[:7], *plt.get_cmap("Pastel1").colors[:8]]  # no grey: grey is 其他
for i, kind in enumerate(power.index):
    values = power_share.loc[kind].fillna(0).to_numpy()
    color = "#CCCCCC" if kind == OTHER else palette[i % len(palette)]
    label = f"{kind}（名称无权力关键词）" if kind == OTHER else kind
    bars = ax.barh(range(power.shape[1]), values, left=left, color=color, label=label)
    if kind == OTHER:  # pale and hatched in each list's colour: the lists stay apart
        for bar, key in zip(bars, items, strict=True):
            viz.pale(bar, viz.LIST_COLORS[key])
    for y, (x0, v) in enumerate(zip(left, values, strict=True)):
        if v >= 5:
            ax.text(x0 + v / 2, y, f"{v:.0f}%", ha="center", va="center", fontsize=8)
    left += values
ax.set_yticks(range(power.shape[1]), power.columns)
ax.set_ylim(power.shape[1] - 0.5, -0.5)
ax.set_xlim(0, 100)
ax.set_xlabel("占本清单事项的比例（%）")
ax.set_ylabel("清单")
ax.set_title("各清单事项的权力类型构成")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=min(len(power.index), 5), frameon=False)
fig.tight_layout()
viz.save_figure(fig, "04_power_types")
plt.show()

ranked = {column: power[column].sort_values(ascending=False, kind="stable") for column in power.columns}
viz.reading(
    "**Reading.** "
    + "; ".join(
        f"{column}: " + ", ".join(f"{kind} {viz.pct(v, s.sum())}" for kind, v in s.head(2).items() if v)
        for column, s in ranked.items()
        if s.sum()
    )
    + ".",
    zh="**解读。** "
    + "；".join(
        f"{column}：" + "，".join(f"{kind} {viz.pct(v, s.sum())}" for kind, v in s.head(2).items() if v)
        for column, s in ranked.items()
        if s.sum()
    )
    + "。",
)
summary["power_types"] = {k: power[viz.LISTS[k]][power[viz.LISTS[k]] > 0].to_dict() for k in viz.LISTS}

# %%
viz.save_summary("summary_04", summary)
