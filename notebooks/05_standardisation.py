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
# # 5. 标准化程度（How standard are the lists?）
#
# 县里下发模板，乡镇据此调整。本笔记本看每个乡镇的清单有多少与其他乡镇共有、与谁共有：每个事项带有
# `duty_id`，表述同一职责的其他乡镇事项共用它（措辞相同，或只差地名、本乡/本镇、部门简称或一个分句；见 `pipeline/normalize/duties.py`）。事项分为：**跨县共有*
# *（另一个县的乡镇也有）、**本县共有**（只有本县其他乡镇有）、**本乡镇独有**（没有其他乡镇有）。然后看两个乡镇清单的相似度、每个乡镇按部门类型的配合工作量，以及修订改了什么。
#
# Counties issue a template and townships adapt it. This notebook asks how much of each township's
# lists is shared, and with whom: every item carries a `duty_id`, shared with the items of other
# townships that state the same duty (worded alike, or differing by a place name, 本乡/本镇, a
# department's short name or a clause; see `pipeline/normalize/duties.py`). An item is
#
# - **common** when its duty is also stated in a township of **another county**;
# - **county-specific** when other townships state it, but **only in its own county**;
# - **unique** when **no other township** states it.
#
# Then: how alike two townships' lists are, within and across counties; the coordination workload
# **per township** by department type (伊吾县民政局 and 巴里坤哈萨克自治县民政局 are both 民政局), so
# that a county with many townships does not dominate; and what revisions changed, when the raw
# folder holds two versions of a township's lists.
#
# Sources: the three item tables (`duty_id`, `county`), `townships`, `duties`, `departments`
# (`department_type`), `coordination_departments`, `changes`.

# %%
from IPython.display import display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pipeline.analysis import viz

viz.setup()
PROCESSED = viz.processed_dir()
read = viz.read_table

townships = read("townships")
viz.stop_if_empty(townships)
items = pd.concat([read(f"{key}_items").assign(list=key) for key in viz.LISTS], ignore_index=True)
items["category"] = items["category"].fillna("（未标类别）")
duties = read("duties")
labels = viz.township_labels(townships)
CLASSES = {"common": "跨县共有", "county": "本县共有", "unique": "本乡镇独有"}
CLASS_COLORS = {"common": "#4C72B0", "county": "#DD8452", "unique": "#C44E52"}

# Who states each duty: how many townships, how many counties (from the items themselves).
spread = items.groupby("duty_id").agg(
    n_townships=("township_id", "nunique"), n_counties=("county", "nunique")
)
items = items.join(spread, on="duty_id")
items["class"] = np.select(
    [items["n_counties"] > 1, items["n_townships"] > 1], ["common", "county"], default="unique"
)
n_town, n_county = len(townships), townships["county"].nunique()
summary = {
    "n_townships": n_town,
    "n_counties": int(n_county),
    "n_items": len(items),
    "n_duties": int(items["duty_id"].nunique()),
    "classes": items["class"].value_counts().reindex(list(CLASSES), fill_value=0).to_dict(),
}
reworded = duties[duties["n_wordings"] > 1]
viz.reading(
    f"{len(items)} items of {n_town} township(s) in {n_county} county(ies) state "
    f"{items['duty_id'].nunique()} distinct duties; {len(reworded)} duties are printed in more than one "
    f"wording. "
    + (
        "With one township nothing can be shared: the comparisons below need at least two."
        if n_town < 2
        else f"Of all items, {viz.pct(summary['classes']['common'], len(items))} are common across "
        f"counties, {viz.pct(summary['classes']['county'], len(items))} county-specific and "
        f"{viz.pct(summary['classes']['unique'], len(items))} unique to their township."
    ),
    zh=f"{n_county} 个县（区）{n_town} 个乡镇的 {len(items)} 条事项表述了 {items['duty_id'].nunique()} 项不同职责；"
    f"其中 {len(reworded)} 项职责有不止一种表述。"
    + (
        "只有一个乡镇，无所谓共有：下面的比较至少需要两个乡镇。"
        if n_town < 2
        else f"全部事项中，跨县共有 {viz.pct(summary['classes']['common'], len(items))}，本县共有 "
        f"{viz.pct(summary['classes']['county'], len(items))}，本乡镇独有 {viz.pct(summary['classes']['unique'], len(items))}。"
    ),
)

# %% [markdown]
# ## 各乡镇事项中跨县共有、本县共有和独有的比例（Shares per township）
#
# 三张清单合计；乡镇按县分组（以横线分隔），县内最标准的在前。旁边为该乡镇覆盖本县清单的程度：它表述的职责占本县全部乡镇不同职责的比例。
#
# All three lists together; townships grouped by county (separated by a line), the most standard
# first within a county (then the most complete). Beside it, how much of its county's lists a township covers: the duties it
# states over the distinct duties of all townships of its county.

# %%
share = pd.crosstab(items["township_id"], items["class"], normalize="index").reindex(
    columns=list(CLASSES), fill_value=0.0
)
share = share.reindex(townships["township_id"]).fillna(0.0)
county_of = townships.set_index("township_id")["county"]
# Coverage: the share of its county's duties (all townships of the county together) a township states.
county_duties = items.groupby("county")["duty_id"].nunique()
coverage = items.groupby("township_id")["duty_id"].nunique() / county_of.map(county_duties)
coverage = coverage.reindex(townships["township_id"]).fillna(0.0)
order = (
    share.assign(county=county_of, key=-(share["common"] + share["county"]), cover=-coverage)
    .sort_values(["county", "key", "cover"], kind="stable")
    .index.tolist()
)
if n_town < 2:
    viz.reading(
        "One township: every item is its own, so there is no share to chart.",
        zh="只有一个乡镇：每条事项都是它自己的，没有比例可画。",
    )
else:
    table = share.loc[order]
    fig, (ax, ax2) = plt.subplots(
        1, 2, figsize=(12, 2.4 + 0.34 * len(table)), sharey=True, gridspec_kw={"width_ratios": [3, 1.2]}
    )
    left = np.zeros(len(table))
    for cls, name in CLASSES.items():
        values = 100 * table[cls].to_numpy()
        ax.barh(range(len(table)), values, left=left, color=CLASS_COLORS[cls], label=name)
        for y, (x0, v) in enumerate(zip(left, values, strict=True)):
            if v >= 6:
                ax.text(x0 + v / 2, y, f"{v:.0f}", ha="center", va="center", fontsize=8, color="white")
        left += values
    cover = 100 * coverage.loc[order].to_numpy()
    ax2.barh(range(len(table)), cover, color="#8C8C8C")
    for y, v in enumerate(cover):
        ax2.text(v, y, f" {v:.0f}", va="center", fontsize=8)
    county = county_of.loc[order].to_numpy()
    for r in np.flatnonzero(county[1:] != county[:-1]):
        ax.axhline(r + 0.5, color="black", linewidth=0.8)
        ax2.axhline(r + 0.5, color="black", linewidth=0.8)
    ax.set_yticks(range(len(table)), [labels[t] for t in order], fontsize=9)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(0, 100)
    ax2.set_xlim(0, 115)
    ax.set_xlabel("占本乡镇事项的比例（%）")
    ax2.set_xlabel("占本县全部事项（去重）的比例（%）")
    ax.set_ylabel("乡镇（按县排列）")
    ax.set_title("事项是否与其他乡镇共有", pad=28)
    ax2.set_title("覆盖本县事项的程度", pad=28)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, frameon=False)
    fig.suptitle("各乡镇清单的标准化程度")
    fig.tight_layout()
    viz.save_figure(fig, "05_standardisation")
    plt.show()

    standard = share["common"] + share["county"]
    viz.reading(
        f"**Reading.** The most standard township is {labels[standard.idxmax()]} "
        f"({viz.pct(standard.max(), 1)} of its items shared with another township), the least "
        f"{labels[standard.idxmin()]} ({viz.pct(standard.min(), 1)}). "
        f"{int((share['unique'] > 0).sum())} of {n_town} townships have at least one item no other "
        f"township states. Townships state {viz.pct(coverage.min(), 1)} to {viz.pct(coverage.max(), 1)} "
        f"of their county's duties ({labels[coverage.idxmin()]} the fewest, {labels[coverage.idxmax()]} "
        "the most)"
        + (
            ": here townships adapt the template by leaving duties out, not by adding their own."
            if share["unique"].sum() == 0
            else "."
        ),
        zh=f"**解读。** 最标准的乡镇是{labels[standard.idxmax()]}（{viz.pct(standard.max(), 1)} 的事项与其他乡镇共有），"
        f"最不标准的是{labels[standard.idxmin()]}（{viz.pct(standard.min(), 1)}）。{n_town} 个乡镇中有 "
        f"{int((share['unique'] > 0).sum())} 个至少有一条其他乡镇没有的事项。各乡镇表述了本县职责的 "
        f"{viz.pct(coverage.min(), 1)} 至 {viz.pct(coverage.max(), 1)}（{labels[coverage.idxmin()]}最少，"
        f"{labels[coverage.idxmax()]}最多）"
        + ("：这里乡镇调整模板的方式是删去职责，而不是增加自己的。" if share["unique"].sum() == 0 else "。"),
    )
summary["coverage"] = {t: round(float(coverage[t]), 4) for t in coverage.index}
summary["per_township"] = {t: {c: round(float(share.at[t, c]), 4) for c in CLASSES} for t in share.index}

# %% [markdown]
# ## 按清单和类别（Per list and category）
#
# 每张清单每个类别的同样三种比例（全部乡镇合计），可以看出乡镇最常调整清单的哪些部分。少于 5 个事项的类别不列。
#
# The same three shares for each category of each list (all townships together), so the parts of
# the lists that townships adapt most stand out. Categories with fewer than 5 items are left out.

# %%
by_cat = (
    items.groupby(["list", "category"])["class"]
    .value_counts(normalize=True)
    .unstack(fill_value=0.0)
    .reindex(columns=list(CLASSES), fill_value=0.0)
)
size = items.groupby(["list", "category"]).size()
by_cat = by_cat[size.reindex(by_cat.index) >= 5]
if n_town < 2 or by_cat.empty:
    viz.reading(
        "Nothing to compare per category with fewer than two townships.",
        zh="少于两个乡镇，没有可按类别比较的。",
    )
else:
    fig, axes = plt.subplots(
        1,
        by_cat.index.get_level_values(0).nunique(),
        figsize=(13, 1.6 + 0.38 * by_cat.groupby(level=0).size().max()),
        squeeze=False,
    )
    for ax, (kind, part) in zip(axes[0], by_cat.groupby(level=0, sort=False), strict=True):
        part = part.droplevel(0).sort_values("unique")
        left = np.zeros(len(part))
        for cls, name in CLASSES.items():
            values = 100 * part[cls].to_numpy()
            ax.barh(range(len(part)), values, left=left, color=CLASS_COLORS[cls], label=name)
            left += values
        ax.set_yticks(range(len(part)), [viz.wrap(c, 8, 2) for c in part.index], fontsize=8)
        ax.set_ylim(len(part) - 0.5, -0.5)
        ax.set_xlim(0, 100)
        ax.set_title(viz.LISTS[kind], fontsize=10)
        ax.set_xlabel("占该类别事项的比例（%）")
    axes[0][0].set_ylabel("事项类别")
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.suptitle("各清单各类别事项的标准化程度")
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.955), ncols=3, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    viz.save_figure(fig, "05_standardisation_by_category")
    plt.show()
    worst = by_cat["unique"].idxmax()
    viz.reading(
        f"**Reading.** The category whose items are most often unique to one township is "
        f"{worst[1]} ({viz.LISTS[worst[0]]}: {viz.pct(by_cat['unique'].max(), 1)} of its items); "
        f"{int((by_cat['unique'] == 0).sum())} of {len(by_cat)} categories have no unique item.",
        zh=f"**解读。** 事项最常为某一乡镇独有的类别是{worst[1]}（{viz.LISTS[worst[0]]}：其事项的 "
        f"{viz.pct(by_cat['unique'].max(), 1)}）；{len(by_cat)} 个类别中有 {int((by_cat['unique'] == 0).sum())} 个没有独有事项。",
    )
summary["by_category"] = {
    f"{k}|{c}": {x: round(float(v[x]), 4) for x in CLASSES} for (k, c), v in by_cat.iterrows()
}

# %% [markdown]
# ## 两个乡镇的清单有多相似？县内与跨县（How alike are two townships' lists?）
#
# 每两个乡镇共有职责的比例：两者 duty_id 集合的 |A ∩ B| / |A ∪ B|（Jaccard），三张清单合计。乡镇按县排列，对角线上的方块是同一县内的乡镇对；每格标出数值。
#
# For each pair of townships, the share of duties they have in common: |A ∩ B| / |A ∪ B| over
# their sets of duty_ids (Jaccard), all lists together. Townships are ordered by county; the
# blocks on the diagonal are pairs within one county.

# %%
sets = items.groupby("township_id")["duty_id"].agg(set).reindex(order)
ids = [t for t in order if isinstance(sets.get(t), set)]
sim = pd.DataFrame(
    [[len(sets[a] & sets[b]) / len(sets[a] | sets[b]) for b in ids] for a in ids], index=ids, columns=ids
)
pairs = [(a, b, sim.at[a, b], county_of[a] == county_of[b]) for i, a in enumerate(ids) for b in ids[i + 1 :]]
within = [s for _, _, s, same in pairs if same]
across = [s for _, _, s, same in pairs if not same]
if len(ids) < 2:
    viz.reading("One township: no pair to compare.", zh="只有一个乡镇：没有可比较的乡镇对。")
else:
    fig, ax = plt.subplots(figsize=(3 + 0.36 * len(ids), 2.4 + 0.36 * len(ids)))
    image = ax.imshow(sim.to_numpy(), cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(ids)), [labels[t] for t in ids], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(ids)), [labels[t] for t in ids], fontsize=8)
    values = sim.to_numpy()
    for (r, c), v in np.ndenumerate(values):  # the value in each cell, light on dark
        ax.text(
            c,
            r,
            f"{v:.2f}",
            ha="center",
            va="center",
            fontsize=7 if len(ids) <= 12 else 5,
            color="white" if v < 0.6 else "black",
        )
    county = county_of.loc[ids].to_numpy()
    for r in np.flatnonzero(county[1:] != county[:-1]):
        ax.axhline(r + 0.5, color="white", linewidth=1.2)
        ax.axvline(r + 0.5, color="white", linewidth=1.2)
    fig.colorbar(image, ax=ax, fraction=0.04, label="共同事项占比（Jaccard）")
    ax.set_xlabel("乡镇（按县排列）")
    ax.set_ylabel("乡镇（按县排列）")
    ax.set_title("乡镇两两之间清单的相似度")
    fig.tight_layout()
    viz.save_figure(fig, "05_township_similarity")
    plt.show()
    a, b, best, _ = max(pairs, key=lambda p: (p[2], p[0], p[1]))
    viz.reading(
        "**Reading.** "
        + (
            f"Within a county two townships share {np.mean(within):.2f} of their duties on average"
            if within
            else "No county has two townships"
        )
        + (f"; across counties {np.mean(across):.2f}. " if across else " (one county only). ")
        + f"The most alike pair is {labels[a]} and {labels[b]} ({best:.2f}).",
        zh="**解读。** "
        + (f"同一县内两个乡镇平均共有 {np.mean(within):.2f} 的职责" if within else "没有哪个县有两个乡镇")
        + (f"；跨县为 {np.mean(across):.2f}。" if across else "（只有一个县）。")
        + f"最相似的一对是{labels[a]}和{labels[b]}（{best:.2f}）。",
    )
summary["similarity"] = {
    "within_county_mean": round(float(np.mean(within)), 4) if within else None,
    "across_counties_mean": round(float(np.mean(across)), 4) if across else None,
    "n_pairs": len(pairs),
}

# %% [markdown]
# ## 每个乡镇按部门类型的配合工作量（Coordination workload per township）
#
# 每个乡镇点名各类部门的配合事项数（每个事项每种类型计一次），在每个县内对乡镇取平均：乡镇多的县不因此占优。列出每个乡镇平均事项最多的 12 种部门类型。
#
# Coordination items per township that name a department of each type (one count per item and
# type), averaged over the townships of each county: a county with many townships weighs no more
# than one with few. The 12 types with the most items per township (over all townships) are shown.

# %%
bridge = read("coordination_departments").merge(
    read("departments")[["department_id", "department_type"]], on="department_id"
)
coordination = items[items["list"] == "coordination"][["item_id", "township_id", "county"]]
named = bridge.merge(coordination, on="item_id").drop_duplicates(["item_id", "department_type"])
per_township = (
    named.groupby(["township_id", "department_type"])
    .size()
    .unstack(fill_value=0)
    .reindex(townships["township_id"], fill_value=0)
)
per_county = per_township.groupby(county_of.reindex(per_township.index)).mean()
top = per_township.mean().sort_values(ascending=False).head(12).index.tolist()
if per_township.empty or not top:
    viz.reading(
        "No coordination item names a department: no workload to show.",
        zh="没有配合事项点名部门：没有工作量可显示。",
    )
else:
    counties = per_county.index.tolist()
    fig, ax = plt.subplots(figsize=(10, 2.4 + 0.42 * len(top) * max(1, len(counties)) ** 0.5))
    height = 0.8 / len(counties)
    colors = plt.get_cmap("tab10").colors
    for i, county in enumerate(counties):
        values = per_county.loc[county, top].to_numpy()
        ys = np.arange(len(top)) - 0.4 + height * (i + 0.5)
        n = int((county_of == county).sum())
        ax.barh(ys, values, height=height, color=colors[i % 10], label=f"{county}（{n}个乡镇）")
        if len(counties) <= 4:  # the value at each bar's end while the bars are thick enough
            for yy, v in zip(ys, values, strict=True):
                ax.text(v, yy, f" {v:.1f}", va="center", fontsize=7)
    ax.set_yticks(range(len(top)), top, fontsize=9)
    ax.set_ylim(len(top) - 0.5, -0.5)
    ax.set_xlabel("每个乡镇涉及该类部门的配合事项数（条，县内平均）")
    ax.set_ylabel("部门类型")
    ax.set_title("各类部门的配合事项：每个乡镇平均", pad=10)
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    viz.save_figure(fig, "05_workload_per_township")
    plt.show()
    lead = top[0]
    viz.reading(
        f"**Reading.** {lead} has the most coordination items per township "
        f"({per_township[lead].mean():.1f} on average over {len(per_township)} township(s); by county "
        + ", ".join(f"{c} {per_county.at[c, lead]:.1f}" for c in counties)
        + f"). {per_township.shape[1]} department types are named in all.",
        zh=f"**解读。** 每个乡镇配合事项最多的部门类型是{lead}（{len(per_township)} 个乡镇平均 "
        f"{per_township[lead].mean():.1f} 条；按县："
        + "，".join(f"{c} {per_county.at[c, lead]:.1f}" for c in counties)
        + f"）。共点名 {per_township.shape[1]} 种部门类型。",
    )
summary["workload_per_township"] = {t: round(float(per_township[t].mean()), 3) for t in top}

# %% [markdown]
# ## 修订（Revisions）
#
# 原始文件夹中有同一乡镇清单的几个注明日期的版本时（文中印发日期，否则文件名中的日期），日期最晚的为现行版本，`changes` 表列出它新增、删除和修改了什么（每个事项一行，或每个修改字段一行）；没有日期可判断的不同版本记为 `conflicting_versions` 问题。
#
# When the raw folder holds dated versions of a township's list (a printed date, else a date in the
# file name), the one dated latest is current and `changes` says what it added, removed and changed
# (one row per item, or per changed field). Undated differing versions are `conflicting_versions`
# problems instead (README, "Several files with one township's list").

# %%
changes = read("changes")
summary["revisions"] = {
    "n_lists": int(changes[["township_id", "list"]].drop_duplicates().shape[0]),
    "changes": changes["change"].value_counts().to_dict(),
}
if changes.empty:
    viz.reading(
        "No township's list is given by two files here: there are no revisions to show.",
        zh="这里没有乡镇的清单出现在两个文件中：没有修订可显示。",
    )
else:
    counts = (
        changes.assign(乡镇=changes["township_id"].map(labels), 清单=changes["list"].map(viz.LISTS))
        .groupby(["乡镇", "清单", "old_file", "new_file"])["change"]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=["added", "removed", "changed"], fill_value=0)
        .rename(columns={"added": "新增", "removed": "删除", "changed": "修改（字段）"})
    )
    display(counts)
    shown = changes.assign(
        乡镇=changes["township_id"].map(labels),
        清单=changes["list"].map(viz.LISTS),
        原序号=changes["old_seq"].astype("Int64"),
        新序号=changes["new_seq"].astype("Int64"),
    )
    columns = {"change": "变动", "field": "字段", "old_value": "原内容", "new_value": "新内容"}
    shown = shown.rename(columns=columns)[
        ["乡镇", "清单", "变动", "字段", "原序号", "新序号", "原内容", "新内容"]
    ]
    display(shown.fillna("").head(30))
    viz.reading(
        f"**Reading.** {summary['revisions']['n_lists']} list(s) were revised: "
        + ", ".join(f"{n} {k}" for k, n in summary["revisions"]["changes"].items())
        + " (changed counts one row per field).",
        zh=f"**解读。** {summary['revisions']['n_lists']} 张清单有修订："
        + "，".join(
            f"{ {'added': '新增', 'removed': '删除', 'changed': '修改'}.get(k, k) } {n}"
            for k, n in summary["revisions"]["changes"].items()
        )
        + "（修改按字段计，每个字段一行）。",
    )

# %%
viz.save_summary("summary_05", summary)
