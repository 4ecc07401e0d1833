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
# # 3. 上级部门收回事项（Reclaimed-item patterns）
#
# 上级部门从乡镇收回的事项（上级部门收回事项清单）：按类别、按承接部门、取消还是移交，以及按权力类型——其中多少是行政处罚。最后，用下文说明的简单文字相似度，看哪些收回事项仍与本乡镇基本履职事项清单中的
# 职责相似。数据来源：`reclaimed_items`（`disposition`：承接方式写明取消该事项时为“取消”，否则为“移交”；`power_type`
# 由名称中的关键词判断）、`reclaimed_departments`、`departments`、`basic_items`。部门名称按原文完整显示。
#
# The duties higher departments took back from the township (上级部门收回事项清单): by category, by
# the department that takes them over, cancelled (取消) or transferred, and by kind of power — how
# many are penalties (行政处罚). Last, which reclaimed duties still resemble a duty the township holds
# in its own basic list (基本履职事项清单), by a simple text similarity explained below.
#
# Sources: `reclaimed_items` (`disposition`: cancelled when the handling says the duty is abolished,
# else transferred; `power_type` from keywords in the name), `reclaimed_departments` (one row per
# item and receiving department), `departments`, `basic_items`. Department labels are the names as
# printed, as in notebook 2.

# %%
from IPython.display import display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from pipeline.analysis import similarity, viz

viz.setup()
PROCESSED = viz.processed_dir()
read = viz.read_table
TOP = 25  # receiving departments shown
viz.stop_if_empty(read("townships"))
PENALTY = viz.power_type_for("处罚")  # the power_type of penalties, from pipeline/rules/power_types.toml
OTHER = viz.power_type_fallback()  # items whose name holds no power keyword


reclaimed = read("reclaimed_items")
reclaimed["category"] = reclaimed["category"].fillna("（未标类别）")
receivers = read("reclaimed_departments")
departments = read("departments").set_index("department_id")
basic = read("basic_items")
townships = read("townships")

tagged = departments.loc[receivers["department_id"].unique(), "belongs_to"].nunique() > 1
departments["label"] = viz.department_labels(departments, tagged)
n = len(reclaimed)
disposition = reclaimed["disposition"].value_counts()
summary = {"n_reclaimed": n, "disposition": disposition.to_dict()}
viz.reading(
    f"{n} reclaimed items in {reclaimed['township_id'].nunique()} township(s): "
    + ", ".join(f"{viz.DISPOSITIONS.get(k, k)} {v} ({viz.pct(v, n)})" for k, v in disposition.items())
    + ".",
    zh=f"{reclaimed['township_id'].nunique()} 个乡镇共有收回事项 {n} 条："
    + "，".join(f"{viz.DISPOSITIONS.get(k, k)} {v} 条（{viz.pct(v, n)}）" for k, v in disposition.items())
    + "。",
)

# %% [markdown]
# ## 按类别：取消还是移交（By category, cancelled vs transferred）
#
# 每个类别的收回事项中，取消与移交上级部门承接各多少。

# %%
by_cat = pd.crosstab(reclaimed["category"], reclaimed["disposition"])
by_cat = by_cat.reindex(columns=[d for d in viz.DISPOSITIONS if d in by_cat.columns])
by_cat = by_cat.loc[by_cat.sum(axis=1).sort_values(ascending=False, kind="stable").index]
colors = {"transferred": "#55A868", "cancelled": "#C44E52"}
fig, ax = plt.subplots(figsize=(9, 1.5 + 0.42 * len(by_cat)))
left = np.zeros(len(by_cat))
for key in by_cat.columns:
    values = by_cat[key].to_numpy()
    ax.barh(range(len(by_cat)), values, left=left, color=colors[key], label=viz.DISPOSITIONS[key])
    left += values
for y, total in enumerate(left):
    ax.text(total, y, f" {int(total)}", va="center", fontsize=8)
ax.set_yticks(range(len(by_cat)), by_cat.index)
viz.top_down(ax, len(by_cat))
ax.set_xlabel("收回事项数（条）")
ax.set_ylabel("事项类别")
ax.set_title("上级部门收回事项：按类别，移交与取消")
ax.legend(loc="lower right", frameon=False)
ax.grid(axis="x", alpha=0.3)
fig.tight_layout()
viz.save_figure(fig, "03_category_disposition")
plt.show()

totals = by_cat.sum(axis=1)
cancelled = by_cat["cancelled"] if "cancelled" in by_cat else pd.Series(0, index=by_cat.index)
viz.reading(
    f"**Reading.** {totals.index[0]} is the largest category ({totals.iloc[0]} items, "
    f"{viz.pct(totals.iloc[0], n)}), followed by "
    + ", ".join(f"{c} ({v})" for c, v in totals.iloc[1:3].items())
    + ". "
    + (
        f"Cancelled duties ({cancelled.sum()}) are found in {(cancelled > 0).sum()} categories, most in "
        f"{cancelled.idxmax()} ({cancelled.max()})."
        if cancelled.sum()
        else "No duty was cancelled: every reclaimed item is transferred."
    ),
    zh=f"**解读。** 最大的类别是{totals.index[0]}（{totals.iloc[0]} 条，{viz.pct(totals.iloc[0], n)}），其次是"
    + "、".join(f"{c}（{v} 条）" for c, v in totals.iloc[1:3].items())
    + "。"
    + (
        f"取消的事项（{cancelled.sum()} 条）分布在 {(cancelled > 0).sum()} 个类别，最多的是{cancelled.idxmax()}"
        f"（{cancelled.max()} 条）。"
        if cancelled.sum()
        else "没有取消的事项：每条收回事项都移交上级部门承接。"
    ),
)
summary["categories"] = totals.to_dict()

# %% [markdown]
# ## 按承接部门（By receiving department）
#
# 各部门承接的收回事项数（一个事项交给两个部门，两个都计）。
#
# Reclaimed items each department takes over (an item handed to two departments counts for both).

# %%
per_dept = receivers.groupby("department_id")["item_id"].nunique().sort_values(ascending=False, kind="stable")
n_receivers = reclaimed["item_id"].map(receivers.groupby("item_id").size()).fillna(0).astype(int)
shown = per_dept.head(TOP)
if len(shown):
    kinds = departments.loc[shown.index, "kind"]
    kind_color = dict(zip(kinds.value_counts().index, plt.get_cmap("tab10").colors, strict=False))
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.34 * len(shown)))
    viz.ranked_bars(
        ax,
        shown.to_numpy(),
        departments.loc[shown.index, "label"],
        [kind_color[k] for k in kinds],
        legend=kind_color,
    )
    ax.set_xlabel("承接的收回事项数（条）")
    ax.set_ylabel("承接部门")
    more = f"（前 {len(shown)} 个，共 {len(per_dept)} 个）" if len(per_dept) > len(shown) else ""
    ax.set_title(f"收回事项的承接部门{more}")
    fig.tight_layout()
    viz.save_figure(fig, "03_receiving_departments")
    plt.show()
    viz.reading(
        f"**Reading.** {len(per_dept)} departments take over reclaimed duties; "
        f"{departments.at[per_dept.index[0], 'name']} takes the most ({per_dept.iloc[0]} items, "
        f"{viz.pct(per_dept.iloc[0], n)} of all reclaimed items). {(n_receivers >= 2).sum()} items go to "
        f"two or more departments; {(n_receivers == 0).sum()} name no receiving department "
        f"({(n_receivers[reclaimed['disposition'] == 'cancelled'] == 0).sum()} of them cancelled).",
        zh=f"**解读。** {len(per_dept)} 个部门承接收回事项；承接最多的是{departments.at[per_dept.index[0], 'name']}"
        f"（{per_dept.iloc[0]} 条，占全部收回事项的 {viz.pct(per_dept.iloc[0], n)}）。{(n_receivers >= 2).sum()} 条事项交给"
        f"两个或更多部门；{(n_receivers == 0).sum()} 条没有写明承接部门（其中 "
        f"{(n_receivers[reclaimed['disposition'] == 'cancelled'] == 0).sum()} 条为取消）。",
    )
else:
    viz.reading(
        "No reclaimed item names a receiving department in this folder: no chart.",
        zh="本文件夹中没有收回事项写明承接部门：不画图。",
    )
summary["receiving_departments"] = per_dept.to_dict()
summary["items_without_receiver"] = int((n_receivers == 0).sum())

# %% [markdown]
# ## 按权力类型：多少是行政处罚？（By kind of power）
#
# `power_type`
# 由事项名称中的关键词判断。作为对照，列出基本履职事项清单（乡镇保留的职责）的同样划分。基本履职事项多为服务和组织工作，不是行政权力：其“其他”条用本清单颜色的浅色斜纹表示，使各类权力更醒目。
#
# `power_type` comes from keywords in the item's name. For comparison, the same split of the basic
# list (duties the township keeps). Most basic duties are services and organising work, not an
# administrative power: their bar 其他 is pale and hatched (in its list's colour), so the kinds of
# power stand out.

# %%
power = pd.DataFrame(
    {
        "收回事项": reclaimed["power_type"].value_counts(),
        "基本履职事项": basic["power_type"].value_counts(),
    }
).fillna(0)
power = power.astype(int).sort_values("收回事项", ascending=False, kind="stable")
display(power.assign(收回占比=(power["收回事项"] / max(n, 1)).map("{:.0%}".format)))

power_share = 100 * power / power.sum().replace(0, np.nan)
fig, ax = plt.subplots(figsize=(9, 1.5 + 0.55 * len(power)))
y = np.arange(len(power))
for offset, key, column in ((-0.2, "reclaimed", "收回事项"), (0.2, "basic", "基本履职事项")):
    bars = ax.barh(
        y + offset,
        power_share[column].fillna(0),
        height=0.4,
        color=viz.LIST_COLORS[key],
        label=viz.LISTS[key],
    )
    for kind, bar in zip(power.index, bars, strict=True):
        if kind == OTHER:  # pale and hatched, in its list's colour: the lists stay apart
            viz.pale(bar, viz.LIST_COLORS[key])
    for yy, share, count in zip(y, power_share[column].fillna(0), power[column], strict=True):
        ax.text(share, yy + offset, f" {count}", va="center", fontsize=8)
ax.set_yticks(y, [f"{k}（名称无权力关键词）" if k == OTHER else k for k in power.index])
if PENALTY in power.index:
    ax.get_yticklabels()[power.index.get_loc(PENALTY)].set_color("#C44E52")
viz.top_down(ax, len(power))
ax.set_xlabel("占本清单事项的比例（%），条末数字为事项数")
ax.set_ylabel("权力类型（按名称关键词）")
ax.set_title("收回事项的权力类型（对照：基本履职事项）")
ax.legend(loc="lower right", frameon=False)
ax.grid(axis="x", alpha=0.3)
fig.tight_layout()
viz.save_figure(fig, "03_power_types")
plt.show()

n_penalty = int(power.at[PENALTY, "收回事项"]) if PENALTY in power.index else 0
n_basic_penalty = int(power.at[PENALTY, "基本履职事项"]) if PENALTY in power.index else 0
n_basic_other = int(power.at[OTHER, "基本履职事项"]) if OTHER in power.index else 0
viz.reading(
    f"**Reading.** {n_penalty} of the {n} reclaimed items ({viz.pct(n_penalty, n)}) are penalties "
    f"({PENALTY}); the basic lists keep {n_basic_penalty} penalty items of {len(basic)} "
    f"({viz.pct(n_basic_penalty, len(basic))}). The most common kind among reclaimed items is "
    f"{power.index[0]} ({power['收回事项'].iloc[0]}). {n_basic_other} of the {len(basic)} basic items "
    f"({viz.pct(n_basic_other, len(basic))}) name no kind of power ({OTHER}): they are services and "
    "organising work the township keeps.",
    zh=f"**解读。** {n} 条收回事项中有 {n_penalty} 条（{viz.pct(n_penalty, n)}）是行政处罚（{PENALTY}）；"
    f"基本履职事项清单保留了 {len(basic)} 条中的 {n_basic_penalty} 条处罚事项（{viz.pct(n_basic_penalty, len(basic))}）。"
    f"收回事项中最常见的权力类型是{power.index[0]}（{power['收回事项'].iloc[0]} 条）。{len(basic)} 条基本事项中有 "
    f"{n_basic_other} 条（{viz.pct(n_basic_other, len(basic))}）名称中没有权力类型（{OTHER}）：它们是乡镇保留的服务和组织工作。",
)
summary["power_types"] = power["收回事项"][power["收回事项"] > 0].to_dict()
summary["n_penalty"] = n_penalty

# %% [markdown]
# ## 与乡镇仍承担的职责相似的收回事项（Reclaimed duties that resemble a basic duty）
#
# **方法。** 把每个名称切成相互重叠的二字片段（去掉标点：收养登记 → 收养、养登、登记）。在本文件夹全部事项名称中出现超过 5% 的片段（负责、工作、处罚……）视为套话，去掉。对同一乡镇的收回事项
# R 和基本事项 B，得分为 R 的片段中也出现在 B 中的比例：|R ∩ B| / |R|；这种包含度比 Jaccard 更适合简短的收回事项名称（Jaccard 也列出）。得分至少 0.3
# 且共有至少两个片段时视为相似。每个收回事项与得分最高的基本事项配对。
#
# **Method.** Each name is cut into overlapping two-character pieces (character bigrams, punctuation
# removed: 收养登记 → 收养, 养登, 登记). Bigrams found in more than 5% of all item names of this
# folder (basic and reclaimed) are boilerplate (负责, 工作, 处罚, ...) and are dropped. For a reclaimed
# item R and a basic item B of the **same township**, the score is the share of R's bigrams that also
# occur in B: |R ∩ B| / |R|. This containment score suits the short reclaimed names better than
# Jaccard |R ∩ B| / |R ∪ B| (shown too), which long basic-list sentences push towards zero. A pair
# *resembles* when the score is at least 0.3 and the two share at least two bigrams. Each reclaimed
# item is paired with its best-scoring basic item. Identical pairs from several townships are shown
# once, with the number of townships; the table lists the resembling pairs first, then the next
# best-scoring ones.

# %%
BOILERPLATE_SHARE = 0.05
THRESHOLD = 0.3
MIN_SHARED = 2


rows, boilerplate = similarity.resembling_pairs(
    list(zip(reclaimed["township_id"], reclaimed["name"], strict=True)),
    list(zip(basic["township_id"], basic["name"], strict=True)),
    threshold=THRESHOLD,
    min_shared=MIN_SHARED,
    boilerplate_share=BOILERPLATE_SHARE,
)
pairs = pd.DataFrame(rows, columns=similarity.PAIR_COLUMNS)
similar = pairs[pairs["resembles"]]

fig, ax = plt.subplots(figsize=(8, 4.5))
bins = np.linspace(0, 1, 21)
ax.hist(pairs["score"], bins=bins, color="#8172B3", edgecolor="white")
ax.axvline(THRESHOLD, color="#C44E52", ls="--", lw=1.2)
ax.annotate(
    f"相似阈值 {THRESHOLD:g}",
    (THRESHOLD, ax.get_ylim()[1] * 0.92),
    xytext=(4, 0),
    textcoords="offset points",
    color="#C44E52",
    fontsize=9,
)
ax.set_xlim(0, 1)
ax.set_xlabel("与本乡镇最相似基本履职事项的得分（共同二元组 / 收回事项二元组）")
ax.set_ylabel("收回事项数（条）")
ax.set_title("收回事项与本乡镇基本履职事项的文字相似度")
ax.grid(axis="y", alpha=0.3)
fig.tight_layout()
viz.save_figure(fig, "03_similarity")
plt.show()

if len(pairs):
    best = pairs.loc[pairs["score"].idxmax()]
    share = len(similar) / len(pairs)
    viz.reading(
        f"**Reading.** {len(boilerplate)} boilerplate bigrams were dropped. {len(similar)} of {len(pairs)} "
        f"reclaimed items ({viz.pct(len(similar), len(pairs))}) resemble a basic duty of their own "
        f"township (score ≥ {THRESHOLD:g}, at least {MIN_SHARED} shared bigrams); the median best score "
        f"is {pairs['score'].median():.2f}, the highest {best['score']:.2f} ({best['reclaimed']} ↔ "
        f"{best['basic']}). "
        + (
            "So most reclaimed duties have no close counterpart left in the basic list; the pairs "
            "below are the closest ones, to be read by hand."
            if share < 0.5
            else "So many reclaimed duties still have a close counterpart in the basic list: the "
            "pairs below show where the township may still be doing part of a reclaimed duty."
        ),
        zh=f"**解读。** 去掉了 {len(boilerplate)} 个套话片段。{len(pairs)} 条收回事项中有 {len(similar)} 条"
        f"（{viz.pct(len(similar), len(pairs))}）与本乡镇的某条基本职责相似（得分 ≥ {THRESHOLD:g}，至少共有 {MIN_SHARED} "
        f"个片段）；最高得分的中位数为 {pairs['score'].median():.2f}，最高为 {best['score']:.2f}（{best['reclaimed']} ↔ "
        f"{best['basic']}）。"
        + (
            "可见大多数收回事项在基本清单中已没有相近的职责；下表是最接近的几对，需逐一阅读。"
            if share < 0.5
            else "可见许多收回事项在基本清单中仍有相近的职责：下表显示乡镇可能仍在承担收回事项的一部分。"
        ),
    )
else:
    viz.reading(
        "No township has both a basic and a reclaimed list here: nothing to compare.",
        zh="这里没有乡镇同时有基本清单和收回清单：无可比较。",
    )

# %%
top_pairs = (
    pairs.groupby(["reclaimed", "basic"], sort=False)
    .agg(
        score=("score", "max"),
        jaccard=("jaccard", "max"),
        shared=("shared", "first"),
        townships=("township_id", "nunique"),
        resembles=("resembles", "max"),
    )
    .reset_index()
    .sort_values(["resembles", "score", "jaccard", "townships"], ascending=False, kind="stable")
    .head(15)
)
top_pairs["resembles"] = top_pairs["resembles"].map({True: "是", False: "否"})
display(
    viz.styled(
        top_pairs.rename(
            columns={
                "reclaimed": "收回事项",
                "basic": "最相似的基本履职事项",
                "score": "得分",
                "jaccard": "Jaccard",
                "shared": "共同二元组",
                "townships": "乡镇数",
                "resembles": "相似",
            }
        ),
        {"得分": "{:.2f}", "Jaccard": "{:.2f}"},
    ).hide(axis="index")
)
summary["similarity"] = {
    "threshold": THRESHOLD,
    "n_resembling": len(similar),
    "n_compared": len(pairs),
    "top_score": float(pairs["score"].max()) if len(pairs) else None,
}

# %%
viz.save_summary("summary_03", summary)
