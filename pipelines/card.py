"""Generate the dataset card (a Hugging Face README.md) from counters, config and versions.

Pure: everything shown comes from the build report, the config and the exported tables, so
the card can never disagree with the data it describes.
"""

from __future__ import annotations

import json
from collections import Counter

import pyarrow as pa

from pipelines import __version__
from pipelines.config import BuildConfig

LANGUAGE_NAMES = {"en": "English", "ms": "Malay", "id": "Indonesian", "vi": "Vietnamese", "th": "Thai"}


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _yaml_header(cfg: BuildConfig, splits: list[str], n_queries: int) -> str:
    size = "n<1K" if n_queries < 1000 else "1K<n<10K" if n_queries < 10_000 else "10K<n<100K" if n_queries < 100_000 else "100K<n<1M"
    lines = ["---", "language:"] + [f"- {lang}" for lang in cfg.render.languages]
    lines += ["license: other", "task_categories:", "- text-retrieval", "- image-text-to-text", "tags:",
              "- multimodal-retrieval", "- interleaved", "- multilingual", "- merit", f"size_categories:\n- {size}",
              "configs:", "- config_name: queries", "  default: true", "  data_files:"]
    lines += [f"  - split: {s}\n    path: data/queries/{s}-*.parquet" for s in splits]
    lines += ["- config_name: products", "  data_files:", "  - split: catalog", "    path: data/products/*.parquet", "---"]
    return "\n".join(lines)


def _rejects(report: dict) -> list[list]:
    rows = []
    for step in report.get("steps", []):
        for key, n in sorted(step.get("counters", {}).items()):
            if key.startswith("rejected_"):
                rows.append([step["name"], key.removeprefix("rejected_"), n])
    return rows


def _funnel(report: dict) -> list[list]:
    rows = []
    for step in report.get("steps", []):
        outs = ", ".join(f"{k}={v}" for k, v in step.get("rows_out", {}).items() if k != "rejects")
        rows.append([step["name"], step.get("rows_in", 0), outs, step.get("rejects", 0)])
    return rows


def render_card(report: dict, cfg: BuildConfig, queries: pa.Table, products: pa.Table) -> str:
    q = queries.select(["language", "category", "n_conditions", "split", "strategy", "conditions", "provenance"]).to_pylist()
    by_lang, by_cat = Counter(r["language"] for r in q), Counter(r["category"] for r in q)
    by_n, by_split = Counter(r["n_conditions"] for r in q), Counter(r["split"] for r in q)
    by_attr = Counter((c["attribute"], c["carried_by"]) for r in q if r["language"] == "en" for c in r["conditions"])
    templates = sorted({r["provenance"]["template_id"] for r in q})
    parts = [
        _yaml_header(cfg, sorted(by_split) or ["train"], len(q)),
        "# meritgen dataset",
        "Multilingual, multi-condition interleaved image+text product retrieval queries built by "
        f"[meritgen](https://example.invalid/meritgen) {__version__}. Each query mixes text and product images "
        "(`<image_k>` placeholders; `segments` gives the interleaved order); its positive set is verified "
        "to be exactly the products meeting every condition.",
        "## Summary",
        _table(["what", "count"], [["products", products.num_rows], ["queries", len(q)],
                                   ["base queries (before translation)", by_lang.get("en", 0)]]
               + [[f"split {k}", v] for k, v in sorted(by_split.items())]),
        "## Queries by language",
        _table(["language", "queries"], [[f"{LANGUAGE_NAMES.get(k, k)} ({k})", v] for k, v in sorted(by_lang.items())]),
        "## Queries by category",
        _table(["category", "queries"], sorted(by_cat.items())),
        "## Queries by number of conditions",
        _table(["conditions", "queries"], sorted(by_n.items())),
        "## Conditions by attribute and carrier (English queries)",
        _table(["attribute", "carried by", "conditions"], [[a, c, n] for (a, c), n in sorted(by_attr.items())]),
        "## Build funnel",
        _table(["stage", "rows in", "rows out", "rejects"], _funnel(report)),
        "## Rejects by reason",
        _table(["stage", "reason", "rows"], _rejects(report)) if _rejects(report) else "No rejects.",
        "## How it was built",
        f"- Pipeline version: {__version__}; query templates: {', '.join(templates)} (offline, no LLM)",
        f"- Seed: {cfg.seed}; max positive share: {cfg.compose.max_positive_share:.0%}; "
        f"strategies: {json.dumps(cfg.compose.strategy_weights)}",
        "- Configuration:\n\n```json\n" + json.dumps(cfg.to_dict(), indent=1, sort_keys=True, default=list) + "\n```",
        "## Source data and licence",
        "The bundled demo catalog is a few hundred products sampled from the public *Fashion Product Images* "
        "catalog (Myntra listings, collected by Param Aggarwal and published on Kaggle). **Its licence was not "
        "verified**: use the demo for development and tests only. For your own catalog, set the licence here.",
    ]
    return "\n\n".join(parts) + "\n"
