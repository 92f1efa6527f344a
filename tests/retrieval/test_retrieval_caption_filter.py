"""Caption-substitutability filter: captions, the two text variants, and the drop rule."""

from retrieval_tables import attributes, hits, products, queries, query

from pipelines.retrieval import BM25Index, search_table
from pipelines.stages.caption_filter import (
    FALLBACK_CAPTIONER,
    CaptionFilterConfig,
    caption_variants,
    fallback_captions,
    filter_caption_substitutable,
)

PRODUCTS = products()
CAPTIONS = fallback_captions(PRODUCTS, attributes()).outputs["captions"]
# q-sub shows the positive itself: its caption is the positive's title, so text alone finds it.
# q-vis shows a linen shirt and asks for another fabric: the caption points at the wrong product.
QUERIES = queries(
    query("q-sub", text="Find <image_1> for me", images=("p1",), positives=("p1",)),
    query("q-vis", text="<image_1> in another fabric", images=("p3",), positives=("p1",)),
)


def test_fallback_caption_is_title_and_attributes():
    row = next(r for r in CAPTIONS.to_pylist() if r["image_id"] == "img-p3")
    assert row["caption"] == "Red linen shirt (color: red; material: linen)"
    assert row["captioner"] == FALLBACK_CAPTIONER


def test_variants_substitute_or_remove_placeholders():
    rows = {r["query_id"]: r for r in caption_variants(QUERIES, CAPTIONS).outputs["variants"].to_pylist()}
    assert rows["q-vis"]["text_captioned"] == "Red linen shirt (color: red; material: linen) in another fabric"
    assert rows["q-vis"]["text_no_images"] == "in another fabric"
    assert rows["q-sub"]["text_no_images"] == "Find for me"
    assert rows["q-sub"]["captioners"] == [FALLBACK_CAPTIONER]


def test_missing_caption_leaves_the_slot_empty_and_is_counted():
    result = caption_variants(queries(query("q", images=("zzz",))), CAPTIONS)
    assert result.counters["captions_missing"] == 1
    assert result.outputs["variants"].column("captioners")[0].as_py() == []


def test_rule_on_hand_made_hits():
    caption_hits = hits({"q-sub": ["p1", "p2"], "q-vis": ["p3", "p1"]})
    blind_hits = hits({"q-sub": ["p1"], "q-vis": ["p2", "p4"]})
    variants = caption_variants(QUERIES, CAPTIONS).outputs["variants"]
    result = filter_caption_substitutable(QUERIES, variants, caption_hits, blind_hits, CaptionFilterConfig())
    assert result.outputs["queries"].column("query_id").to_pylist() == ["q-vis"]
    assert result.rejects.to_pylist()[0]["reason"] == "caption_substitutable"
    assert result.rejects.to_pylist()[0]["record_id"] == "q-sub"
    assert result.counters["substitutable_rate"] == 0.5 and result.counters["image_blind_rate"] == 0.5
    checks = {c["query_id"]: c for c in result.outputs["caption_checks"].to_pylist()}
    assert checks["q-vis"]["captioned_rank"] == 2 and checks["q-vis"]["blind_rank"] is None
    # with top_k=2 the rank-2 positive counts as substitutable too
    wider = filter_caption_substitutable(QUERIES, variants, caption_hits, blind_hits, CaptionFilterConfig(top_k=2))
    assert wider.outputs["queries"].num_rows == 0


def test_end_to_end_with_bm25_drops_substitutable_keeps_vision_needing():
    index = BM25Index()
    index.build(PRODUCTS.column("product_id").to_pylist(), PRODUCTS.column("title").to_pylist())
    variants = caption_variants(QUERIES, CAPTIONS).outputs["variants"]
    qids = variants.column("query_id").to_pylist()
    caption_hits = search_table(index, qids, variants.column("text_captioned").to_pylist(), k=5)
    blind_hits = search_table(index, qids, variants.column("text_no_images").to_pylist(), k=5)
    result = filter_caption_substitutable(QUERIES, variants, caption_hits, blind_hits, CaptionFilterConfig())
    assert result.outputs["queries"].column("query_id").to_pylist() == ["q-vis"]
    assert result.counters["rejected_caption_substitutable"] == 1


def test_query_without_hits_is_rejected_not_silently_kept():
    variants = caption_variants(QUERIES, CAPTIONS).outputs["variants"]
    result = filter_caption_substitutable(QUERIES, variants, hits({"q-vis": ["p3"]}), hits({}), CaptionFilterConfig())
    assert result.outputs["queries"].column("query_id").to_pylist() == ["q-vis"]
    assert result.counters["rejected_missing_hits"] == 1 and result.counters["blind_unchecked"] == 1


def test_image_blind_query_is_dropped_by_default_and_kept_flagged_on_request():
    # q-vis's positive p1 ranks 2nd from captions (not substitutable) but 1st with its image removed.
    caption_hits = hits({"q-sub": ["p2", "p3"], "q-vis": ["p3", "p1"]})
    blind_hits = hits({"q-sub": ["p2"], "q-vis": ["p1", "p4"]})
    variants = caption_variants(QUERIES, CAPTIONS).outputs["variants"]
    result = filter_caption_substitutable(QUERIES, variants, caption_hits, blind_hits, CaptionFilterConfig())
    assert result.outputs["queries"].column("query_id").to_pylist() == ["q-sub"]
    assert [(r["reason"], r["record_id"]) for r in result.rejects.to_pylist()] == [("image_blind", "q-vis")]
    c = result.counters
    assert c["before_image_blind_rate"] == 0.5 and c["after_image_blind_rate"] == 0.0 and c["kept"] == 1
    assert c["before_images_removed_r1"] == 0.5 and c["after_images_removed_r1"] == 0.0
    kept = filter_caption_substitutable(QUERIES, variants, caption_hits, blind_hits,
                                        CaptionFilterConfig(keep_image_blind=True))
    assert kept.outputs["queries"].num_rows == 2 and kept.rejects.num_rows == 0
    flags = {r["query_id"]: r["image_blind"] for r in kept.outputs["caption_checks"].to_pylist()}
    assert flags == {"q-sub": False, "q-vis": True}
    assert kept.counters["after_image_blind_rate"] == 0.5
