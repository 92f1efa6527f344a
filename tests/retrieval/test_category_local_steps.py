"""The retrieval wiring with category-local search and one shared caption/negatives search
against the straightforward path (whole-catalog search, one search per step), on the demo run."""

import dataclasses
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipelines.config import load_config
from pipelines.plan import retrieval as wiring
from pipelines.plan.retrieval_params import index_params, retrieval_params
from pipelines.store import RunStore
from pipelines.vocab.vocabulary import load_vocabulary

pytestmark = pytest.mark.slow  # reads the session's demo build


@pytest.fixture(scope="module")
def run(demo_build):
    store = RunStore(demo_build.run_dir)
    return {name: store.read(*src) for name, src in {
        "queries": ("negatives", "queries"), "products": ("ingest", "products"), "attributes": ("mine", "attributes"),
        "bm25": ("index", "bm25"), "dense": ("index", "dense"), "corpus": ("index", "corpus")}.items()}


def _cfg(local: bool):
    """The retrieval steps' params (what their calls read) of the default config, category_local set."""
    cfg = load_config()
    cfg = dataclasses.replace(cfg, retrieval=dataclasses.replace(cfg.retrieval, category_local=local))
    return retrieval_params(cfg, load_vocabulary(cfg.mine.vocabulary))


def _three_steps(t: dict, cfg, share: bool = True) -> dict[str, pa.Table]:
    passages = wiring.make_passages(t["queries"], t["products"], t["corpus"], t["bm25"], t["dense"], cfg)
    captions = wiring.filter_captions(passages.outputs["queries"], t["products"], t["attributes"], t["bm25"], t["dense"], cfg)
    negatives = wiring.add_negatives(captions.outputs["queries"], t["products"], t["attributes"],
                                     captions.outputs["variants"], t["bm25"], t["dense"], cfg,
                                     shared_hits=captions.outputs["shared_hits"] if share else None)
    return {"passages": passages.outputs["passages"], "caption_checks": captions.outputs["caption_checks"],
            "queries": negatives.outputs["queries"]}


def _one_category(t: dict, category: str) -> dict:
    """The run cut to one category, with the index rebuilt over that category's products only."""
    products = t["products"].filter(pc.equal(t["products"].column("category"), category))
    index = wiring.build_indexes(products, index_params(load_config())).outputs
    keep = pc.is_in(t["attributes"].column("product_id"), value_set=products.column("product_id"))
    return {**t, "products": products, "attributes": t["attributes"].filter(keep), "bm25": index["bm25"],
            "corpus": index["corpus"], "queries": t["queries"].filter(pc.equal(t["queries"].column("category"), category))}


def test_category_local_equals_whole_catalog_search_where_the_catalog_is_one_category(run):
    category = Counter(run["queries"].column("category").to_pylist()).most_common(1)[0][0]
    one = _one_category(run, category)
    assert one["queries"].num_rows > 20
    local, whole = _three_steps(one, _cfg(True)), _three_steps(one, _cfg(False))
    for name in local:
        assert local[name].equals(whole[name]), name


def test_the_shared_caption_search_gives_the_negatives_a_separate_search_gives(run):
    for local in (True, False):
        shared, separate = _three_steps(run, _cfg(local)), _three_steps(run, _cfg(local), share=False)
        assert shared["queries"].equals(separate["queries"])


def test_category_local_search_only_tightens_the_filter_and_keeps_negatives_in_the_category(run):
    local, whole = _three_steps(run, _cfg(True)), _three_steps(run, _cfg(False))
    kept = {name: {c["query_id"] for c in out["caption_checks"].to_pylist() if not (c["substitutable"] or c["image_blind"])}
            for name, out in (("local", local), ("whole", whole))}
    assert kept["local"] <= kept["whole"]  # a positive ranks no lower among its category than among all products
    category = dict(zip(run["products"].column("product_id").to_pylist(), run["products"].column("category").to_pylist()))
    rows = local["queries"].to_pylist()
    assert all(category[n["product_id"]] == q["category"] for q in rows for n in q["hard_negatives"] if n["source"] != "overlap")
    positives = {q["query_id"]: q["positive_ids"] for q in whole["queries"].to_pylist()}
    assert all(positives[q["query_id"]] == q["positive_ids"] for q in rows)  # positives never change
