"""Generate the dataset card (a Hugging Face README.md) from counters, config and versions.

Pure: everything shown comes from the build report, the config and the exported tables, so
the card can never disagree with the data it describes. Plots are drawn by
pipelines/card/plots.py and only linked here.
"""

from __future__ import annotations

import json
from collections import Counter

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from pipelines import __version__
from pipelines.card import llm_fallback
from pipelines.card.counts import condition_counts, english, image_condition_counts, value_counts
from pipelines.card.hub import load_section, reference_sections
from pipelines.card.parts import langid_rows, md_table, reject_rows, rejects_table, source_note
from pipelines.card.retrieval import retrieval_sections
from pipelines.card.vocabulary import vocabulary_sections
from pipelines.config import BuildConfig
from pipelines.langid.languages import LANGUAGE_NAMES
from pipelines.vocab.vocabulary import load_vocabulary

_SIZES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]


def _features(schema: pa.Schema, image_columns: dict[str, str]) -> list[dict]:
    features = datasets.Features.from_arrow_schema(schema)
    for column, kind in image_columns.items():
        features[column] = datasets.Image() if kind == "image" else datasets.List(datasets.Image())
    return features._to_yaml_list()


_IMAGES = pa.field("images", pa.list_(pa.struct([("bytes", pa.binary()), ("path", pa.string())])))


def yaml_header(cfg: BuildConfig, queries: pa.Table, products: pa.Table, sizes: dict | None = None,
                query_schema: pa.Schema | None = None) -> str:
    """HF card metadata; `products` may come without its heavy `images` column. `sizes` gives each
    split's num_bytes ({"queries": {split: n}, "products": {"catalog": n}}), which `datasets` needs
    to accept the splits; without it they are estimated from the tables in memory. query_schema: the
    exported queries' schema when `queries` holds only the columns the card counts."""
    sizes = sizes or {"queries": {s: _nbytes(queries, s) for s in set(queries.column("split").to_pylist())},
                      "products": {"catalog": products.nbytes}}
    product_schema = products.schema if "images" in products.schema.names else products.schema.append(_IMAGES)
    splits = value_counts(queries.column("split")) or Counter({"train": 0})
    size = next((label for bound, label in _SIZES if queries.num_rows < bound), "1M<n<10M")
    meta = {
        "language": list(cfg.render.languages), "license": cfg.export.license,
        **({"license_name": cfg.export.license_name} if cfg.export.license == "other" else {}),
        "task_categories": ["text-retrieval", "image-text-to-text"],
        "tags": ["multimodal-retrieval", "interleaved", "multilingual", "merit", "meritgen"],
        "size_categories": [size], "pretty_name": cfg.export.pretty_name,
        "configs": [
            {"config_name": "queries", "default": True,
             "data_files": [{"split": s, "path": f"data/queries/{s}-*.parquet"} for s in split_order(splits)]},
            {"config_name": "products", "data_files": [{"split": "catalog", "path": "data/products/*.parquet"}]},
            *merit_configs(cfg, split_order(splits)),
        ],
        "dataset_info": [
            {"config_name": "queries", "features": _features(query_schema or queries.schema, {}),
             "splits": [{"name": s, "num_bytes": sizes["queries"].get(s, 0), "num_examples": n}
                        for s, n in ((s, splits[s]) for s in split_order(splits))]},
            {"config_name": "products", "features": _features(product_schema, {"images": "images"}),
             "splits": [{"name": "catalog", "num_bytes": sizes["products"]["catalog"],
                         "num_examples": products.num_rows}]},
        ],
    }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---"


def split_order(splits) -> list[str]:
    """train, then test, then any other split (the order the Hub's viewer and `datasets` users expect)."""
    rank = {"train": 0, "test": 1}
    return sorted(splits, key=lambda s: (rank.get(s, 2), s))


def merit_configs(cfg: BuildConfig, splits: list[str]) -> list[dict]:
    """The `merit` config: MERIT's product pools (merit/products/<split>-*.parquet). The Hub reads only
    the root card's YAML, so merit/README.md's own header does not apply there."""
    if not cfg.export.merit_layout:
        return []
    return [{"config_name": "merit",
             "data_files": [{"split": s, "path": f"merit/products/{s}-*.parquet"} for s in splits if s in ("train", "test")]}]


def _nbytes(queries: pa.Table, split: str) -> int:
    return queries.filter(pc.equal(queries.column("split"), split)).combine_chunks().nbytes


def rejects_rows(report: dict) -> list[list]:
    return [[s["name"], key.removeprefix("rejected_"), n] for s in report.get("steps", [])
            for key, n in sorted(s.get("counters", {}).items()) if key.startswith("rejected_")]


def funnel_rows(report: dict) -> list[list]:
    rows = []
    for step in report.get("steps", []):
        if step["name"] == "export":  # its counts are the Summary's; the local card is written during it
            continue
        # zero-row outputs are left out: Beam reports no counter that was never incremented
        outs = ", ".join(f"{k}={v:,}" for k, v in sorted(step.get("rows_out", {}).items()) if k != "rejects" and v)
        rows.append([step["name"], f"{step.get('rows_in', 0):,}", outs, step.get("rejects", 0)])
    return rows


def _counts_sections(queries: pa.Table) -> list[str]:
    by_lang, by_cat = value_counts(queries.column("language")), value_counts(queries.column("category"))
    by_n, by_split = value_counts(queries.column("n_conditions")), value_counts(queries.column("split"))
    images = image_condition_counts(english(queries))
    return [
        "## Queries by language",
        md_table(["language", "queries"], [[f"{LANGUAGE_NAMES.get(k, k)} ({k})", v] for k, v in sorted(by_lang.items())]),
        "## Queries by category", md_table(["category", "queries"], sorted(by_cat.items())),
        "## Queries by number of conditions", md_table(["conditions", "queries"], sorted(by_n.items())),
        "## Images per query (English)", md_table(["images", "queries"], sorted(images.items())),
        "## Queries by split", md_table(["split", "queries"], sorted(by_split.items())),
    ]  # conditions by attribute and carrier: label_sections, with modality and unverified counts


def label_sections(queries: pa.Table, cfg: BuildConfig) -> list[str]:
    """Conditions by attribute, carrier and modality (visual: a photo can show it), and unverified products."""
    vocab = load_vocabulary(cfg.mine.vocabulary)
    en = english(queries)
    by = Counter({(attribute, carried_by, "visual" if vocab.is_visual(attribute) else "textual"): n
                  for (attribute, carried_by), n in condition_counts(en).items()})
    unverified = (pc.fill_null(en.column("n_unverified"), 0).to_numpy() if "n_unverified" in en.schema.names
                  else np.zeros(en.num_rows, np.int64))
    return ["## Conditions by attribute, carrier and modality (English queries)",
            "Only visual attributes are carried by an image. A product that violates no condition but lacks a "
            f"value for one is *unverified*: never a positive nor a hard negative. {int((unverified > 0).sum()):,} "
            f"of {en.num_rows:,} base queries have unverified products ({int(unverified.sum()):,} in all; bound "
            f"{cfg.compose.max_unverified_share:.0%} of positives + unverified).",
            md_table(["attribute", "carried by", "modality", "conditions"], [[*k, n] for k, n in sorted(by.items())])]


def split_sections(report: dict) -> list[str]:
    """What the leak-free split did: queries per side, what it dropped (stages/split.py)."""
    c = next((s["counters"] for s in report.get("steps", []) if s["name"] == "split"), None)
    if c is None:
        return []
    rows = [["queries train / test", f"{c.get('train', 0):,} / {c.get('test', 0):,}"],
            ["products train / test (candidate pools)", f"{c.get('products_train', 0):,} / {c.get('products_test', 0):,}"],
            ["query components (queries linked by shared products)", c.get("components", 0)],
            ["components split by product", c.get("split_by_product_components", 0)],
            ["base queries dropped as straddling the split", c.get("rejected_split_straddle", 0)],
            ["held-out-language rows dropped from train", c.get("rejected_held_out_language_in_train", 0)],
            ["hard negatives dropped (from the other side's pool)", f"{c.get('negatives_dropped_other_split', 0):,}"],
            ["queries left without a hard negative", f"{c.get('queries_without_negatives', 0):,}"]]
    return ["## Split", "Queries that share a product (positive or query image) are on the same side, and a query's "
            "hard negatives come from its own side's product pool, so no product crosses from train to test.",
            md_table(["what", "value"], rows)]


def audit_section(audit: dict) -> str:
    """The "Audit" section: `meritgen audit`'s checks of this export and its split-leakage figures."""
    rows = [[c["name"], c["status"], f"{c['checked']:,}", f"{c['failed']:,}", c["description"]] for c in audit["checks"]]
    leaks = [[k, "n/a" if v is None else v] for k, v in audit["figures"].items()
             if k.startswith("shared_") or k == "outside_own_pool"]
    verdict = "passed" if audit["passed"] else "**FAILED**"
    return "\n\n".join([
        "## Audit", f"`meritgen audit` re-checked the exported files independently of the build code: {verdict}.",
        md_table(["check", "status", "checked", "failed", "what it checks"], rows),
        "Split leakage (products used by both train and test; all must be 0):",
        md_table(["figure", "value"], leaks)])


LLM_STEPS = ("llm_mine", "personalize", "rewrite", "translate", "judge")


def llm_sections(report: dict, langid: pa.Table | None = None, langid_sample: int = 0) -> list[str]:
    """Requests, cache hits, tokens and outcomes of each LLM step, and language-ID agreement
    (on the exported texts when `langid` is given, else the build's language_check counters)."""
    steps = {s["name"]: s["counters"] for s in report.get("steps", [])}
    out = []
    rows = [[name, c.get("model", ""), c.get("rows", 0), c.get("parsed", 0), c.get("rejected", 0),
             c.get("strict_recovered", 0), c.get("llm_requests", 0), c.get("llm_cache_hits", 0),
             c.get("llm_prompt_tokens", 0), c.get("llm_completion_tokens", 0)]
            for name, c in steps.items() if name in LLM_STEPS]
    if rows:
        out += ["## LLM stages", md_table(["stage", "model", "rows", "accepted", "rejected", "saved by strict retry",
                                           "requests", "cache hits", "prompt tokens", "completion tokens"], rows),
                *llm_fallback.card_lines(report)]
    if langid is not None and langid.num_rows:
        rows = [[f"{LANGUAGE_NAMES.get(r[0], r[0])} ({r[0]})", *r[1:]] for r in langid_rows(langid.to_pylist())]
        return out + ["## Language-ID agreement",
                      "Share of the exported query texts (per language, the first "
                      f"{langid_sample:,} by query id, i.e. a hash-random sample, or all when fewer) that the "
                      "language check (lingua, with Malay vs Indonesian decided by `pipelines/langid/msid.py`; accuracy in benchmarks/RESULTS.md) assigns to their declared language.",
                      md_table(["language", "texts checked", "agreement"], rows)]
    agreement = {k.removeprefix("langid_agreement_"): v for k, v in steps.get("language_check", {}).items()
                 if k.startswith("langid_agreement_")}
    if agreement:
        out += ["## Language-ID agreement",
                "Share of (a sample of) final query texts that the language detector (lingua, with a Malay/Indonesian "
                "word list) assigns to their declared language.",
                md_table(["language", "agreement"], [[f"{LANGUAGE_NAMES.get(k, k)} ({k})", f"{v:.1%}"]
                                                     for k, v in sorted(agreement.items())])]
    return out


def _no_prompts(report: dict) -> str:
    """What the card says when no exported row carries an LLM prompt id."""
    ran = sorted(llm_fallback.llm_steps(report))
    return f"none in the exported rows (LLM steps ran: {', '.join(ran)}; see LLM stages)" if ran else "none (offline build)"


def _template_versions(template_ids) -> list[str]:
    """offline/v3/en/f3c1 -> "offline/v3/en (N phrasings)": the card names versions, not every frame."""
    phrasings: dict[str, set[str]] = {}
    for tid in template_ids:
        version, _, frame = tid.rpartition("/") if tid.count("/") >= 3 else (tid, "", "")
        phrasings.setdefault(version, set()).add(frame)
    return [f"{v} ({len(f)} phrasings)" if any(f) else v for v, f in sorted(phrasings.items())]


def render_card(report: dict, cfg: BuildConfig, queries: pa.Table, products: pa.Table,
                plots: list[tuple[str, str]] = (), extra_sections: list[str] = (),
                difficulty: pa.Table | None = None, langid: pa.Table | None = None, langid_sample: int = 0,
                rejects: list[list] | None = None, sizes: dict | None = None,
                query_schema: pa.Schema | None = None, conditions: list[dict] | None = None) -> str:
    """The card's markdown. plots: (title, relative PNG path); extra_sections: ready markdown blocks;
    langid: language agreement on the exported texts; rejects: [stage, reason, rows] counted from the
    reject tables; sizes: {config: {split: num_bytes}} for the YAML header; query_schema: see yaml_header;
    conditions: the BM25 baseline's per-condition rows (pipelines/evaluate/card.py)."""
    reasons = reject_rows(rejects, rejects_rows(report))
    # Counted on columns (pipelines/card/counts.py): Python rows of every query made most of the
    # card's time and memory at MERIT scale. Only provenance's two fields are read.
    provenance = queries.column("provenance")
    templates = _template_versions(pc.unique(pc.struct_field(provenance, "template_id")).to_pylist())
    prompts = sorted(pc.unique(pc.list_flatten(pc.struct_field(provenance, "prompt_ids"))).to_pylist())
    parts = [
        yaml_header(cfg, queries, products, sizes, query_schema),
        f"# {cfg.export.pretty_name}",
        "Multilingual, multi-condition interleaved image+text product retrieval queries built by meritgen "
        f"{__version__}. Each query mixes text and product images (`<image_k>` placeholders; `segments` gives the "
        "interleaved order); its positive set is verified to be exactly the products meeting every condition.",
        load_section(cfg.export.merit_layout),
        "## Summary",
        md_table(["what", "count"], [["products", f"{products.num_rows:,}"], ["queries", f"{queries.num_rows:,}"],
                                     ["base queries", f"{english(queries).num_rows:,}"]]),
        *[f"![{title}]({path})" for title, path in plots],
        *_counts_sections(queries),
        *label_sections(queries, cfg),
        "## Build funnel", md_table(["stage", "rows in", "rows out", "rejects"], funnel_rows(report)),
        *llm_sections(report, langid, langid_sample),
        *retrieval_sections(report, difficulty, conditions),
        *split_sections(report),
        *vocabulary_sections(report),
        "## Rejects by reason",
        rejects_table(reasons) if reasons else "No rejects.",
        *extra_sections,
        "## How it was built",
        f"- meritgen {__version__}; offline templates: {', '.join(templates) or 'none'}; "
        f"LLM prompts: {', '.join(prompts) or _no_prompts(report)}",
        f"- Seed {cfg.seed}; max positive share {cfg.compose.max_positive_share:.0%}; "
        f"strategies {json.dumps(cfg.compose.strategy_weights, sort_keys=True)}; non-colour key forced {cfg.compose.force_non_color:.0%}",
        "- Configuration:\n\n```json\n" + json.dumps(cfg.to_dict(), indent=1, sort_keys=True, default=list) + "\n```",
        f"- Bounds that reject queries: positives at most {cfg.compose.max_positives} products "
        f"(compose.max_positives) and under {cfg.compose.max_positive_share:.0%} of the catalog "
        "(compose.max_positive_share); see README, Configuration",
        "## Source data and licence", source_note(cfg.export.source_note, report, products.num_rows),
        *reference_sections(),
    ]
    return "\n\n".join(parts) + "\n"
