"""Applying resolutions to a tiny inline query table, and the card's QA section."""

from annotation_ui.apply_logic import apply_plan, plan_changes, summarize
from annotation_ui.decisions import Agreement, Resolution
from pipelines import schemas
from pipelines.card.qa import qa_section
from pipelines.text.placeholders import segments_of


def row(base: str, lang: str, text: str, category: str = "shoes") -> dict:
    images = [{"image_id": f"{base}01", "product_id": "p1"}]
    return {"query_id": f"{base}-{lang}", "base_query_id": base, "language": lang, "category": category,
            "n_conditions": 2, "strategy": "random", "segments": segments_of(text, [f"{base}01"]), "text": text,
            "source_text_en": f"EN {base} <image_1>", "images": images,
            "conditions": [{"attribute": "color", "value": "red", "carried_by": "image", "source_product_id": "p1"}],
            "positive_ids": ["p2"], "n_unverified": 0, "hard_negative_ids": [], "hard_negatives": [], "split": "train",
            "provenance": {"pipeline_version": "0", "seed": 1, "template_id": "t", "prompt_ids": [], "stage_versions": []}}


TABLE = schemas.from_rows([row(b, lang, f"{b} {lang} <image_1>") for b in ("qa", "qb", "qc", "qd")
                           for lang in ("en", "th")], "query")
ITEMS = [{"query_id": f"{b}-{lang}", "base_query_id": b, "language": lang, "category": "shoes"}
         for b, lang in [("qa", "th"), ("qb", "en"), ("qc", "en"), ("qd", "th"), ("qa", "en")]]
RESOLUTIONS = {
    "qa-th": Resolution("agreed", "reject", ("bad_translation",), None, "language"),  # only qa-th goes
    "qb-en": Resolution("adjudicated", "reject", ("condition_not_visible",), None, "base"),  # qb in every language
    "qc-en": Resolution("agreed", "edit", (), "better qc <image_1>"),  # text + qc-th's source_text_en
    "qd-th": Resolution("disagreement"),  # unresolved: untouched
    "qa-en": Resolution("agreed", "accept"),
}


def test_plan_and_apply_follow_the_rejection_policy_and_rebuild_edits():
    out, counts = apply_plan(TABLE, plan_changes(ITEMS, RESOLUTIONS))
    ids = out["query_id"].to_pylist()
    assert ids == ["qa-en", "qc-en", "qc-th", "qd-en", "qd-th"]  # original order kept
    assert counts == {"queries_before": 8, "queries_after": 5, "removed": 3, "edited": 1}
    rows = {r["query_id"]: r for r in out.to_pylist()}
    assert rows["qc-en"]["text"] == "better qc <image_1>"
    assert [s["text"] or s["image_id"] for s in rows["qc-en"]["segments"]] == ["better qc ", "qc01"]
    assert rows["qc-th"]["source_text_en"] == "better qc <image_1>" and rows["qc-th"]["text"] == "qc th <image_1>"
    assert rows["qd-th"] == TABLE.to_pylist()[7]
    assert out.schema.equals(schemas.schema("query"), check_metadata=False)


def test_summary_and_card_section():
    summary = summarize("r1", ITEMS, RESOLUTIONS, Agreement(4, 0.75, 0.5))
    assert (summary["reviewed"], summary["accepted"], summary["edited"], summary["disagreements"]) == (4, 2, 1, 1)
    assert summary["by_language"] == {"en": {"reviewed": 3, "accepted": 2}, "th": {"reviewed": 1, "accepted": 0}}
    assert summary["reasons"] == {"bad_translation": 1, "condition_not_visible": 1}
    text = qa_section(summary)
    assert text.startswith("## Human QA: round `r1`")
    assert "| en | 3 | 2 | 67% |" in text and "| th | 1 | 0 | 0% |" in text
    assert "| bad translation (only that language removed) | 1 | 25% |" in text
    assert "kappa" in text and "**0.50**" in text and "1 unresolved disagreements" in text


def test_card_section_without_double_annotation_or_rejections():
    summary = summarize("r2", ITEMS[:1], {"qa-th": Resolution("agreed", "accept")}, Agreement(0, None, None))
    text = qa_section(summary)
    assert "No query was rejected." in text and "agreement was not measured" in text
