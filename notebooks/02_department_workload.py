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
# # 2. 上级部门的配合事项工作量（Department workload）
#
# 配合履职事项清单点名了哪些上级部门（按类型和层级）；一个事项的工作如何分成上级部门的步骤（上级部门职责）和乡镇的步骤（乡镇配合职责）；各部门涉及哪些事项类别。数据来源：`coordination_it
# ems`、`coordination_departments`（每个事项与其“对应上级部门”栏中的每个部门一行）、`departments`、`duty_steps`。**部门名称**按清单原文的规范
# 名称完整显示（含县、市名），过长的名称折成两行。
#
# Which higher departments the coordination list (配合履职事项清单) names, by kind and level; how the
# work of an item splits into steps the department does (上级部门职责) and steps the township does
# (乡镇配合职责); and which categories each department works in.
#
# Sources: `coordination_items`, `coordination_departments` (one row per item and department named
# in its 对应上级部门 cell), `departments`, `duty_steps` (a step is a paragraph with
# `is_heading = false`; `side` upper or township; an upper step's `department_id` is the department
# doing it, empty when the text does not say which of several departments).
#
# **Department labels** are the departments' names as the lists print them (their canonical form,
# county or city included: X县农业农村局), so departments of several places stay apart; labels
# longer than 14 characters wrap onto two lines of balanced length.

# %%
from IPython.display import display
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np
import pandas as pd

from pipeline.analysis import viz

viz.setup()
PROCESSED = viz.processed_dir()
read = viz.read_table
TOP = 25  # departments shown in the bar charts and the matrix (the most items first)
viz.stop_if_empty(read("townships"))


items = read("coordination_items")
links = read("coordination_departments")
departments = read("departments").set_index("department_id")
steps = read("duty_steps")
steps = steps[(steps["list"] == "coordination") & ~steps["is_heading"]]

links = links.join(departments[["level", "kind", "belongs_to"]], on="department_id")
tagged = links["belongs_to"].nunique() > 1
departments["label"] = viz.department_labels(departments, tagged)
per_department = (
    links.groupby("department_id")["item_id"].nunique().sort_values(ascending=False, kind="stable")
)
summary = {
    "n_items": len(items),
    "n_links": len(links),
    "n_departments": len(per_department),
    "items_per_department": per_department.to_dict(),
}
viz.reading(
    f"{len(items)} coordination items name {len(links)} department links, i.e. "
    f"{len(links) / max(len(items), 1):.1f} departments per item on average; "
    f"{len(per_department)} different departments are named.",
    zh=f"{len(items)} 条配合事项共点名 {len(links)} 次部门，即平均每条事项 "
    f"{len(links) / max(len(items), 1):.1f} 个部门；共点名 {len(per_department)} 个不同部门。",
)

# %% [markdown]
# ## 各部门对应的配合事项（Coordination items per department）
#
# “对应上级部门”栏点名该部门的配合事项数，按该部门所属县（市）的**每个乡镇**平均：县级部门只会被本县乡镇点名，直接计数会让乡镇多的县的部门排在前面。条末数字为合计，颜色为部门类型。
#
# Coordination items whose 对应上级部门 cell names the department, **per township** of the county (or
# city) the department belongs to: a county department can only be named by its county's townships,
# so raw counts would rank the departments of the county with most townships first. The number at
# the end of a bar is the total; colour = kind of body.

# %%
item_township = items.set_index("item_id")["township_id"]
links["township_id"] = links["item_id"].map(item_township)
# Townships whose lists name any department of that county or city: the ones that could name it.
n_places = links.groupby("belongs_to")["township_id"].nunique()
n_towns = departments.loc[per_department.index, "belongs_to"].map(n_places).to_numpy()
per_town = (per_department / n_towns).sort_values(ascending=False, kind="stable")
kinds = links["kind"].value_counts().index.tolist()
kind_color = dict(zip(kinds, plt.get_cmap("tab10").colors, strict=False))
shown = per_town.head(TOP)
several = links["township_id"].nunique() > 1
shown_kinds = [k for k in kinds if k in set(departments.loc[shown.index, "kind"])]
fig, ax = plt.subplots(figsize=(9, 1.4 + 0.34 * len(shown)))
viz.ranked_bars(
    ax,
    shown.to_numpy(),
    departments.loc[shown.index, "label"],
    [kind_color[departments.at[d, "kind"]] for d in shown.index],
    legend={k: kind_color[k] for k in shown_kinds},
    texts=[
        f"{shown[d]:.1f}（共 {per_department[d]} 条）" if several else f"{per_department[d]}"
        for d in shown.index
    ],
)
ax.set_xlabel("平均每个乡镇的配合事项数（条）" if several else "配合事项数（条）")
ax.set_ylabel("上级部门")
more = f"（前 {len(shown)} 个，共 {len(per_department)} 个）" if len(per_department) > len(shown) else ""
ax.set_title(f"各上级部门对应的配合事项数{'（每个乡镇平均）' if several else ''}{more}")
fig.tight_layout()
viz.save_figure(fig, "02_items_per_department")
plt.show()

top_id = per_town.index[0]
top5 = per_department[per_town.index[:5]].sum()
viz.reading(
    f"**Reading.** The department named on most coordination items per township is "
    f"{departments.at[top_id, 'name']} ({per_town.iloc[0]:.1f} items per township of "
    f"{departments.at[top_id, 'belongs_to']}, {per_department[top_id]} in all, "
    f"{viz.pct(per_department[top_id], len(items))} of the list). The five busiest departments "
    f"account for {top5} of {len(links)} department links ({viz.pct(top5, len(links))}); "
    f"{(per_department == 1).sum()} of {len(per_department)} departments are named on a single item.",
    zh=f"**解读。** 按乡镇平均点名配合事项最多的部门是{departments.at[top_id, 'name']}（"
    f"{departments.at[top_id, 'belongs_to']}每个乡镇 {per_town.iloc[0]:.1f} 条，共 {per_department[top_id]} 条，"
    f"占清单的 {viz.pct(per_department[top_id], len(items))}）。最忙的五个部门占 {len(links)} 次部门点名中的 {top5} 次"
    f"（{viz.pct(top5, len(links))}）；{len(per_department)} 个部门中有 {(per_department == 1).sum()} 个只在一条事项中被点名。",
)
summary["top_department"] = {
    "department_id": top_id,
    "n_items": int(per_department[top_id]),
    "per_township": round(float(per_town.iloc[0]), 2),
}

# %% [markdown]
# ## 按部门类型与层级（By kind and level of department）
#
# 部门关联数（一个事项点名两个部门，两个都计）按部门类型和行政层级，以及每组中不同部门的个数。
#
# Department links (an item naming two departments counts for both) by kind of body and
# administrative level, and the number of different departments in each group.

# %%
by_kind = pd.crosstab(links["kind"], links["level"])
by_kind = by_kind.loc[by_kind.sum(axis=1).sort_values(ascending=False).index]
by_kind = by_kind[by_kind.sum().sort_values(ascending=False).index]
n_depts = links.groupby(["kind", "level"])["department_id"].nunique().unstack(fill_value=0)
display(
    pd.concat(
        {"部门-事项关联数": by_kind, "部门数": n_depts.reindex_like(by_kind).fillna(0).astype(int)}, axis=1
    )
)

fig, ax = plt.subplots(figsize=(9, 1.6 + 0.5 * len(by_kind)))
left = np.zeros(len(by_kind))
level_colors = plt.get_cmap("Set2").colors
for i, level in enumerate(by_kind.columns):
    values = by_kind[level].to_numpy()
    ax.barh(range(len(by_kind)), values, left=left, color=level_colors[i % len(level_colors)], label=level)
    for y, (x0, v) in enumerate(zip(left, values, strict=True)):
        if v >= 0.04 * by_kind.to_numpy().sum():
            ax.text(x0 + v / 2, y, v, ha="center", va="center", fontsize=8)
    left += values
ax.set_yticks(range(len(by_kind)), by_kind.index)
viz.top_down(ax, len(by_kind))
ax.set_xlabel("部门-事项关联数（一个事项列出几个部门就计几次）")
ax.set_ylabel("部门类型")
ax.set_title("配合事项按部门类型与层级")
ax.legend(title="层级", loc="lower right", frameon=False)
ax.grid(axis="x", alpha=0.3)
fig.tight_layout()
viz.save_figure(fig, "02_kind_level")
plt.show()

kind_totals = by_kind.sum(axis=1)
level_totals = by_kind.sum()
viz.reading(
    f"**Reading.** Of the {len(links)} department links, by kind of body: "
    + ", ".join(f"{k} {n} ({viz.pct(n, len(links))})" for k, n in kind_totals.items())
    + "; by level: "
    + ", ".join(f"{k} {n} ({viz.pct(n, len(links))})" for k, n in level_totals.items())
    + ".",
    zh=f"**解读。** {len(links)} 次部门点名，按部门类型："
    + "，".join(f"{k} {n} 次（{viz.pct(n, len(links))}）" for k, n in kind_totals.items())
    + "；按层级："
    + "，".join(f"{k} {n} 次（{viz.pct(n, len(links))}）" for k, n in level_totals.items())
    + "。",
)
summary["links_by_kind"] = kind_totals.to_dict()
summary["links_by_level"] = level_totals.to_dict()

# %% [markdown]
# ## 职责步骤：部门与乡镇，按事项（Steps per item）
#
# 每个配合事项“上级部门职责”的步骤数与“乡镇配合职责”的步骤数。格中为具有这对步骤数的事项数；虚线对角线以上的格是乡镇步骤多于部门步骤的事项。
#
# For each coordination item: the number of steps in 上级部门职责 (upper side) and in 乡镇配合职责
# (township side). A cell counts the items with that pair of numbers; cells above the dashed
# diagonal are items where the township has more steps than the departments.

# %%
per_item = (
    steps.pivot_table(index="item_id", columns="side", values="paragraph", aggfunc="size", fill_value=0)
    .reindex(columns=["upper", "township"], fill_value=0)
    .reindex(items["item_id"], fill_value=0)
)
size = int(per_item.to_numpy().max()) + 1
grid = np.zeros((size, size), dtype=int)
np.add.at(grid, (per_item["township"].to_numpy(), per_item["upper"].to_numpy()), 1)
fig, ax = plt.subplots(figsize=(2 + 0.5 * size, 1.6 + 0.45 * size))
norm = mcolors.PowerNorm(0.5, vmin=0, vmax=max(grid.max(), 1))
im = ax.imshow(np.ma.masked_equal(grid, 0), cmap="Blues", norm=norm, origin="lower")
for (r, c), n in np.ndenumerate(grid):
    if n:
        ax.text(c, r, n, ha="center", va="center", fontsize=8, color="white" if norm(n) > 0.6 else "black")
ax.plot([-0.5, size - 0.5], [-0.5, size - 0.5], ls="--", color="grey", lw=1)
ax.set_xticks(range(size))
ax.set_yticks(range(size))
ax.set_xlabel("上级部门职责的步骤数（每个事项）")
ax.set_ylabel("乡镇配合职责的步骤数（每个事项）")
ax.set_title("每个配合事项：部门做几步，乡镇做几步")
ax.spines[["top", "right"]].set_visible(True)
fig.colorbar(im, ax=ax, label="事项数（条，平方根色阶）", shrink=0.8).ax.yaxis.set_major_locator(
    MaxNLocator(integer=True)
)
fig.tight_layout()
viz.save_figure(fig, "02_steps_per_item")
plt.show()

more_township = (per_item["township"] > per_item["upper"]).sum()
equal = (per_item["township"] == per_item["upper"]).sum()
viz.reading(
    f"**Reading.** Over {len(per_item)} items the departments have {per_item['upper'].sum()} steps and "
    f"the township {per_item['township'].sum()} (median per item: {per_item['upper'].median():g} vs "
    f"{per_item['township'].median():g}). The township has more steps than the departments on "
    f"{more_township} items ({viz.pct(more_township, len(per_item))}), as many on {equal}, fewer on "
    f"{len(per_item) - more_township - equal}.",
    zh=f"**解读。** {len(per_item)} 条事项中，上级部门共有 {per_item['upper'].sum()} 个步骤，乡镇 "
    f"{per_item['township'].sum()} 个（每条事项的中位数：{per_item['upper'].median():g} 对 "
    f"{per_item['township'].median():g}）。乡镇步骤多于部门的事项 {more_township} 条"
    f"（{viz.pct(more_township, len(per_item))}），相等的 {equal} 条，少于部门的 "
    f"{len(per_item) - more_township - equal} 条。",
)
summary["steps"] = {
    "upper": int(per_item["upper"].sum()),
    "township": int(per_item["township"].sum()),
    "items_township_more": int(more_township),
}

# %% [markdown]
# ## 职责步骤：部门与乡镇，按部门（Steps per department）
#
# 部门步骤 = `department_id` 为该部门的上级部门职责步骤；乡镇步骤 = 点名该部门的每个事项的乡镇配合职责步骤（事项点名几个部门，就为每个部门各计一次）。未指明单一部门的上级步骤另计。
#
# Department steps = upper-side steps whose `department_id` is the department. Township steps = the
# township-side steps of every item that names the department (counted in full for each department
# the item names). Upper-side steps that name no single department (several departments, no
# heading) are counted apart.

# %%
upper = steps[steps["side"] == "upper"]
dept_steps = upper.groupby("department_id").size()
town_per_item = per_item["township"]
town_steps = links.assign(n=links["item_id"].map(town_per_item)).groupby("department_id")["n"].sum()
workload = pd.DataFrame({"部门步骤": dept_steps, "乡镇步骤": town_steps}).fillna(0).astype(int)
workload = workload.reindex(per_department.index, fill_value=0)
unassigned = int(upper["department_id"].isna().sum())
shown = workload.head(TOP)
fig, ax = plt.subplots(figsize=(9, 1.6 + 0.42 * len(shown)))
y = np.arange(len(shown))
ax.barh(y - 0.2, shown["部门步骤"], height=0.4, color="#DD8452", label="部门做的步骤（上级部门职责）")
ax.barh(y + 0.2, shown["乡镇步骤"], height=0.4, color="#4C72B0", label="乡镇做的步骤（乡镇配合职责）")
ax.set_yticks(y, departments.loc[shown.index, "label"], fontsize=9)
viz.top_down(ax, len(shown))
ax.set_xlabel("步骤数")
ax.set_ylabel("上级部门（按配合事项数排列）")
ax.set_title("各部门的配合事项：部门步骤与乡镇步骤")
ax.legend(loc="lower right", frameon=False)
ax.grid(axis="x", alpha=0.3)
fig.tight_layout()
viz.save_figure(fig, "02_steps_per_department")
plt.show()

heavier = workload[workload["乡镇步骤"] > workload["部门步骤"]]
ratio = (workload["乡镇步骤"] / workload["部门步骤"].replace(0, np.nan)).dropna()
viz.reading(
    f"**Reading.** On the items of {len(heavier)} of {len(workload)} departments the township has more "
    f"steps than the department itself"
    + (
        f"; the largest ratio is {departments.at[ratio.idxmax(), 'name']} "
        f"({workload.at[ratio.idxmax(), '乡镇步骤']} township steps vs "
        f"{workload.at[ratio.idxmax(), '部门步骤']} of its own)"
        if len(ratio)
        else ""
    )
    + f". {unassigned} of {len(upper)} upper-side steps ({viz.pct(unassigned, len(upper))}) name no single "
    "department and are not counted for any.",
    zh=f"**解读。** {len(workload)} 个部门中，有 {len(heavier)} 个部门的事项里乡镇步骤多于部门自己的步骤"
    + (
        f"；比例最高的是{departments.at[ratio.idxmax(), 'name']}（乡镇 "
        f"{workload.at[ratio.idxmax(), '乡镇步骤']} 步，部门自己 {workload.at[ratio.idxmax(), '部门步骤']} 步）"
        if len(ratio)
        else ""
    )
    + f"。{len(upper)} 个上级步骤中有 {unassigned} 个（{viz.pct(unassigned, len(upper))}）未指明单一部门，不计入任何部门。",
)
summary["steps"]["upper_unassigned"] = unassigned
summary["steps_per_department"] = workload["部门步骤"].to_dict()

# %% [markdown]
# ## 部门 × 事项类别（Department × category）
#
# 各部门（行，最忙的在前）在各事项类别（列）中的配合事项数。
#
# Coordination items per department (rows, the busiest first) and category (columns).

# %%
matrix = pd.crosstab(links["department_id"], links["item_id"].map(items.set_index("item_id")["category"]))
matrix = matrix.loc[per_department.index[:TOP]]
matrix = matrix.loc[:, matrix.sum() > 0]
matrix = matrix[matrix.sum().sort_values(ascending=False, kind="stable").index]
fig, ax = plt.subplots(figsize=(3.2 + 0.55 * matrix.shape[1], 3.2 + 0.36 * matrix.shape[0]))
norm = mcolors.PowerNorm(0.5, vmin=0, vmax=max(matrix.to_numpy().max(), 1))
im = ax.imshow(matrix.to_numpy(), cmap="Oranges", aspect="auto", norm=norm)
for (r, c), n in np.ndenumerate(matrix.to_numpy()):
    if n:
        ax.text(c, r, n, ha="center", va="center", fontsize=8, color="white" if norm(n) > 0.6 else "black")
ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=45, ha="right", fontsize=9)
ax.set_yticks(range(matrix.shape[0]), departments.loc[matrix.index, "label"], fontsize=9)
ax.set_xlabel("事项类别")
ax.set_ylabel("上级部门")
more = f"（前 {len(matrix)} 个部门）" if len(per_department) > len(matrix) else ""
ax.set_title(f"部门 × 类别：配合事项数{more}")
fig.colorbar(im, ax=ax, label="配合事项数（条，平方根色阶）", shrink=0.8).ax.yaxis.set_major_locator(
    MaxNLocator(integer=True)
)
fig.tight_layout()
viz.save_figure(fig, "02_department_category")
plt.show()

spread = (matrix > 0).sum(axis=1)
focus = matrix.max(axis=1) / matrix.sum(axis=1)
focused = focus[focus == 1].index
viz.reading(
    f"**Reading.** Of the {len(matrix)} departments shown, {len(focused)} work in a single category; "
    f"the widest is {departments.at[spread.idxmax(), 'name']} with items in {spread.max()} categories. "
    f"The busiest cell is {departments.at[matrix.stack().idxmax()[0], 'name']} × "
    f"{matrix.stack().idxmax()[1]} ({matrix.to_numpy().max()} items).",
    zh=f"**解读。** 图中 {len(matrix)} 个部门里有 {len(focused)} 个只涉及一个类别；涉及最广的是"
    f"{departments.at[spread.idxmax(), 'name']}，事项分属 {spread.max()} 个类别。事项最多的格是"
    f"{departments.at[matrix.stack().idxmax()[0], 'name']} × {matrix.stack().idxmax()[1]}"
    f"（{matrix.to_numpy().max()} 条）。",
)
summary["matrix_total"] = int(matrix.to_numpy().sum())

# %%
viz.save_summary("summary_02", summary)
