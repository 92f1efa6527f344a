"""LLM text (rewrite, translation) binds each `<image_k>` to the right image and reads 1..k in order."""

from __future__ import annotations

from pipelines import schemas
from pipelines.stages.llm_tasks.rewrite import apply as apply_rewrites
from pipelines.stages.llm_tasks.translate import apply as apply_translations
from pipelines.text.placeholders import in_reading_order

A = {"image_id": "img-a", "product_id": "pa"}
B = {"image_id": "img-b", "product_id": "pb"}


def _row(lang: str, text: str, images: list[dict]) -> dict:
    return {
        "query_id": f"q1-{lang}", "base_query_id": "q1", "language": lang, "category": "tops", "n_conditions": 2,
        "strategy": "t", "segments": [], "text": text, "source_text_en": "the colour of <image_1> and the pattern of <image_2>",
        "images": images, "conditions": [], "positive_ids": ["p0"], "personalized_from": None, "n_unverified": 0,
        "hard_negative_ids": [], "hard_negatives": [], "split": "unassigned",
        "provenance": {"pipeline_version": "x", "seed": 0, "template_id": "t", "prompt_ids": [], "stage_versions": []},
    }


def _answer(query_id: str, text: str) -> dict:
    return {"record_id": query_id, "value": {"text": text}, "raw": text, "prompt_id": "translate@v2"}


def _images_in_reading_order(row: dict) -> list[str]:
    return [s["image_id"] for s in row["segments"] if s["kind"] == "image"]


def test_reordered_placeholders_are_renumbered_with_their_images():
    text, images = in_reading_order("pattern of <image_2>, colour of <image_1>", [A, B])
    assert text == "pattern of <image_1>, colour of <image_2>"
    assert images == [B, A]


def test_in_order_or_broken_text_is_left_alone():
    assert in_reading_order("<image_1> then <image_2>", [A, B]) == ("<image_1> then <image_2>", [A, B])
    assert in_reading_order("<image_3> only", [A, B]) == ("<image_3> only", [A, B])
    assert in_reading_order("<image_2> <image_2>", [A, B]) == ("<image_2> <image_2>", [A, B])


def test_translation_numbers_the_english_images_not_the_template_order():
    # The Thai template read the two images in the other order; the model translated the English source.
    table = schemas.from_rows([_row("en", "the colour of <image_1> and the pattern of <image_2>", [A, B]),
                               _row("th", "ลายของ <image_1> สีของ <image_2>", [B, A])], "query")
    out = apply_translations(table, [_answer("q1-th", "สีของ <image_1> และลายของ <image_2>")]).to_pylist()
    thai = out[1]
    assert thai["text"] == "สีของ <image_1> และลายของ <image_2>"
    assert thai["images"] == [A, B]  # <image_1> is the colour image of the English source
    assert _images_in_reading_order(thai) == ["img-a", "img-b"]


def test_translation_that_moves_a_placeholder_is_renumbered_in_reading_order():
    table = schemas.from_rows([_row("en", "the colour of <image_1> and the pattern of <image_2>", [A, B]),
                               _row("vi", "template", [A, B])], "query")
    out = apply_translations(table, [_answer("q1-vi", "họa tiết của <image_2>, màu của <image_1>")]).to_pylist()
    assert out[1]["text"] == "họa tiết của <image_1>, màu của <image_2>"
    assert out[1]["images"] == [B, A]  # the pattern image (English <image_2>) is read first
    assert _images_in_reading_order(out[1]) == ["img-b", "img-a"]


def test_translation_without_its_english_row_keeps_the_template():
    table = schemas.from_rows([_row("ms", "templat <image_1> <image_2>", [B, A])], "query")
    out = apply_translations(table, [_answer("q1-ms", "warna <image_1> corak <image_2>")]).to_pylist()
    assert out[0]["text"] == "templat <image_1> <image_2>" and out[0]["images"] == [B, A]


def test_rewrite_that_moves_a_placeholder_renumbers_and_feeds_the_new_source():
    table = schemas.from_rows([_row("en", "the colour of <image_1> and the pattern of <image_2>", [A, B]),
                               _row("id", "warna <image_1> motif <image_2>", [A, B])], "query")
    out = apply_rewrites(table, [_answer("q1-en", "A top patterned like <image_2> in the colour of <image_1>")]).to_pylist()
    assert out[0]["text"] == "A top patterned like <image_1> in the colour of <image_2>"
    assert out[0]["images"] == [B, A]
    assert _images_in_reading_order(out[0]) == ["img-b", "img-a"]
    assert out[1]["source_text_en"] == out[0]["text"]
    assert out[1]["images"] == [A, B]  # the Indonesian row keeps its own template until translated
