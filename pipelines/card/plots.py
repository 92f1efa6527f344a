"""Draw the data card's plots as PNG files (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: cards are built on servers and in CI
import matplotlib.pyplot as plt  # noqa: E402
import pyarrow as pa  # noqa: E402

from pipelines.card.counts import english, image_condition_counts, pair_counts, value_counts  # noqa: E402
from pipelines.langid.languages import LANGUAGES  # noqa: E402

LANG_ORDER = list(LANGUAGES)


def _save(fig, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_nothing(title: str, path: Path) -> None:
    """An honest empty chart for a build that exported no query (rather than no file)."""
    fig, ax = plt.subplots(figsize=(5, 1.6))
    ax.text(0.5, 0.5, "no queries exported", ha="center", va="center")
    ax.set_axis_off()
    ax.set_title(title)
    _save(fig, path)


def plot_language_by_category(queries: pa.Table, path: Path) -> None:
    if queries.num_rows == 0:
        return plot_nothing("Queries by language and category", path)
    counts = pair_counts(queries, "language", "category")
    langs = [lang for lang in LANG_ORDER if any(lang == k[0] for k in counts)] or sorted({k[0] for k in counts})
    cats = sorted({k[1] for k in counts})
    fig, ax = plt.subplots(figsize=(max(5, len(cats) * 0.9), 3.2))
    grid = [[counts.get((lang, c), 0) for c in cats] for lang in langs]
    im = ax.imshow(grid, cmap="Blues", aspect="auto")
    ax.set_xticks(range(len(cats)), cats, rotation=30, ha="right")
    ax.set_yticks(range(len(langs)), langs)
    top = max((v for row in grid for v in row), default=0)
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            ax.text(j, i, f"{v:,}", ha="center", va="center", fontsize=8, color="white" if v > top * 0.6 else "black")
    ax.set_title("Queries by language and category")
    fig.colorbar(im, ax=ax, shrink=0.8)
    _save(fig, path)


def plot_condition_histogram(queries: pa.Table, path: Path) -> None:
    if queries.num_rows == 0:
        return plot_nothing("Conditions and images per query", path)
    en = english(queries)
    n_cond = value_counts(en.column("n_conditions"))
    n_img = image_condition_counts(en)
    fig, axes = plt.subplots(1, 2, figsize=(7, 2.8))
    for ax, data, title in ((axes[0], n_cond, "conditions per query"), (axes[1], n_img, "images per query")):
        keys = sorted(data)
        ax.bar([str(k) for k in keys], [data[k] for k in keys], color="#4C72B0")
        ax.set_title(title)
        ax.set_ylabel("base queries")
    _save(fig, path)


def plot_funnel(stages: list[tuple[str, int]], path: Path) -> None:
    """Horizontal bars from catalog rows to exported base queries (one unit per bar label)."""
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(stages) + 1))
    labels = [s for s, _ in stages][::-1]
    values = [v for _, v in stages][::-1]
    ax.barh(labels, values, color="#55A868")
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:,}", va="center", fontsize=8)
    ax.set_title("Filter funnel: catalog to exported base queries")
    ax.set_xlim(0, max(values or [1]) * 1.2)
    _save(fig, path)


def funnel_stages(report: dict, queries: pa.Table) -> list[tuple[str, int]]:
    """Catalog rows, products, attempts, plans, then each later drop of base queries by its reason
    (caption_filter's image_blind, split's split_straddle, ...), ending at the exported base queries.
    Language rows are not base queries: they are left out (the card's tables count them)."""
    steps = report.get("steps", [])
    by_name = {s["name"]: s for s in steps}
    out = []
    if "ingest" in by_name:
        c = by_name["ingest"]["counters"]
        out += [("catalog rows", c.get("rows_in", 0)), ("valid products", c.get("products", 0))]
    if "compose" in by_name:
        c = by_name["compose"]["counters"]
        out += [("composition attempts", c.get("attempts", 0)), ("verified query plans", c.get("plans", 0))]
        left = c.get("plans", 0)
        after_compose = [s for s in steps[[s["name"] for s in steps].index("compose") + 1:] if s["name"] != "export"]
        for step in after_compose:
            for key, n in sorted(step.get("counters", {}).items()):
                if key.startswith("rejected_") and n:
                    left -= n
                    out.append((f"after {step['name']}: -{n:,} {key.removeprefix('rejected_')}", max(left, 0)))
    out.append(("exported base queries", english(queries).num_rows))
    return out


def write_card_plots(folder: Path, queries: pa.Table, report: dict) -> list[tuple[str, str]]:
    """Draw every plot into `folder`; returns (title, path relative to the card) pairs."""
    folder.mkdir(parents=True, exist_ok=True)
    plots = [("Queries by language and category", "language_by_category.png",
              lambda p: plot_language_by_category(queries, p)),
             ("Conditions and images per query", "conditions.png", lambda p: plot_condition_histogram(queries, p)),
             ("Filter funnel", "funnel.png", lambda p: plot_funnel(funnel_stages(report, queries), p))]
    for _, name, draw in plots:
        draw(folder / name)
    return [(title, f"{folder.name}/{name}") for title, name, _ in plots]
