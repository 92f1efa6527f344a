"""The card's retrieval sections (pure): the caption-substitutability filter's effect and the
text-only baselines' difficulty on the test split, from the run's counters and difficulty report.
"""

from __future__ import annotations

import pyarrow as pa

from pipelines.card.parts import md_table


def retrieval_sections(report: dict, difficulty: pa.Table | None, conditions: list[dict] | None = None) -> list[str]:
    """The caption-substitutability filter and the baselines' difficulty table, when they ran, with the
    BM25 baseline's per-condition table (`conditions`: pipelines/evaluate/card.py rows) when given."""
    from pipelines.stages.difficulty import render_markdown

    c = next((s["counters"] for s in report.get("steps", []) if s["name"] == "caption_filter"), None)
    out = []
    if c is not None:
        out += ["## Caption-substitutability filter",
                "Every query image was replaced by a caption (captioner: "
                f"{'product title + attributes (offline fallback)' if c.get('captioner_fallback') else 'VLM'}), and "
                "separately simply removed. A query whose positive the filter's text-only retriever ranks first from "
                "the captions is dropped as caption-substitutable; one it ranks first from the text alone is "
                "image-blind, dropped unless `retrieval.keep_image_blind` keeps it (flagged in caption_checks).",
                md_table(["what", "before filter", "after filter"], [
                    ["base queries", c.get("before_n", c.get("checked", 0)), c.get("after_n", c.get("kept", 0))],
                    ["caption-substitutable", _rate(c, "substitutable"), _rate(c, "substitutable", "after")],
                    ["image-blind (positive found with images simply removed)", _rate(c, "image_blind"),
                     _rate(c, "image_blind", "after")]]),
                md_table(["what", "value"], [
                    ["dropped as caption-substitutable", c.get("rejected_caption_substitutable", 0)],
                    ["dropped as image-blind", c.get("rejected_image_blind", 0)],
                    ["queries kept (all languages)", c.get("queries_kept", 0)]]),
                *filter_effect_section(c)]
    if difficulty is not None and difficulty.num_rows:
        out += ["## Difficulty of the test split for text-only baselines",
                "R@k and MRR (%) of the test queries left after the filter, retrieving from the test split's own "
                f"product pool ({_test_pool(report)} products), with images replaced by captions or simply removed. "
                f"The filter ranked {_filter_scope(c or {})}, so the same text ranks a positive differently in "
                "this pool. " + _difficulty_sentence(difficulty, c or {}),
                render_markdown(difficulty), *condition_section(conditions or [])]
    return out


def condition_section(rows: list[dict]) -> list[str]:
    """Which conditions BM25 on the text ignores: the per-condition report of `meritgen eval --baseline bm25`."""
    from pipelines.evaluate.report import condition_markdown

    if not rows:
        return []
    return ["Per condition (`meritgen eval RUN --baseline bm25`, README \"Evaluating a retriever\"): BM25 on the query "
            "text with images ignored, ranking the split's own pool. `share` is how often the best positive ranks above "
            "the best-ranked minimal-pair negative (a hard negative violating only that condition); near 100% the text "
            "tells them apart, near 50% or below it does not. `tested`: conditions with such a negative exported.",
            condition_markdown(rows)]


def _filter_scope(c: dict) -> str:
    """Where the caption filter searched (retrieval.category_local), as the card's sentences say it."""
    return ("within each query's category across the whole catalog" if c.get("category_local")
            else "against the whole catalog")


def _test_pool(report: dict) -> str:
    c = next((s["counters"] for s in report.get("steps", []) if s["name"] == "split"), {})
    return f"{c['products_test']:,}" if "products_test" in c else "all"


def _rate(c: dict, key: str, when: str = "before") -> str:
    """A share of the checked base queries from integer counters (Beam keeps no floats)."""
    n, count = c.get(f"{when}_n"), c.get(f"{when}_{key}")
    if n is None or count is None:
        return "n/a"
    return f"{count / n:.1%}" if n else f"{0:.1%}"


def filter_effect_section(c: dict) -> list[str]:
    """R@k/MRR of the filter's retriever on all checked base queries, before vs after the filter,
    from the integer hit counters (the same on every runner)."""
    if "before_captions_hits1" not in c:
        return []

    def pct(when: str, variant: str, metric: str) -> str:
        n = c[f"{when}_n"]
        value = c[f"{when}_{variant}_rr_micros"] / 1e6 if metric == "mrr" else c[f"{when}_{variant}_hits{metric[1:]}"]
        return f"{100 * value / n:.1f}" if n else "0.0"

    rows = [[variant] + [pct(w, variant, m) for m in ("r1", "r5", "r10", "mrr") for w in ("before", "after")]
            for variant in ("captions", "images_removed")]
    header = ["variant"] + [f"{m} {w}" for m in ("R@1", "R@5", "R@10", "MRR") for w in ("before", "after")]
    return ["Text-only retrieval of the filter's retriever on every checked base query (English, all splits), "
            "before and after the filter (%):", md_table(header, rows)]


def _difficulty_sentence(difficulty: pa.Table, c: dict) -> str:
    """Say what the numbers show, including a zero that is there only because the filter made it so."""
    overall = {(r["baseline"], r["variant"]): r for r in difficulty.to_pylist() if r["group_kind"] == "all"}
    text = "Overall: " + "; ".join(f"{b} {v.replace('_', ' ')} R@1 {100 * r['r1']:.1f}, R@10 {100 * r['r10']:.1f}"
                                    for (b, v), r in sorted(overall.items())) + "."
    if c:
        text += (" For the filter's retriever, captions R@1 is low by construction, not as a measure of difficulty: "
                 "the filter dropped every query whose positive it ranked first from captions (and, unless "
                 f"image-blind queries are kept, from the text with images removed) {_filter_scope(c)}; read "
                 "R@5/R@10 here and the before/after table above.")
    else:
        text += " The lower these are, the less often text alone finds a positive."
    return text
