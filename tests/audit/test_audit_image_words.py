"""`meritgen audit` fails a row whose text names a value one of its images carries (#23): one planted per language."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.audit.image_words import image_value_failure, namers
from pipelines.audit.run import audit_run
from pipelines.resources import PROMPTS_DIR

LANGUAGES = ("en", "ms", "id", "vi", "th")
# A word naming colour black in each language's lexicon
BLACK = {"en": "black", "ms": "hitam", "id": "hitam", "vi": "màu đen", "th": "สีดำ"}


def _failed(result: dict, name: str) -> int:
    return next(c["failed"] for c in result["checks"] if c["name"] == name)


def test_planted_image_value_words_fail_the_audit(demo_run_copy):
    run = demo_run_copy
    assert _failed(audit_run(run), "no_image_value_in_text") == 0
    planted: dict[str, str] = {}
    for path in sorted((run / "export" / "data" / "queries").glob("*.parquet")):
        table = pq.read_table(path)
        rows = table.to_pylist()
        for q in rows:
            image = [c for c in q["conditions"] if c["carried_by"] == "image" and c["attribute"] == "color"]
            if q["language"] in planted or not image:
                continue
            lexicon = json.loads((PROMPTS_DIR / "lexicon" / "v4" / f"{q['language']}.json").read_text(encoding="utf-8"))
            word = lexicon["values"]["color"][image[0]["value"]]
            q["text"] = f"{q['text']} {word}"
            planted[q["language"]] = q["query_id"]
        pq.write_table(pa.Table.from_pylist(rows, schema=table.schema), path)
    assert set(planted) == set(LANGUAGES)
    result = audit_run(run)
    assert not result["passed"] and _failed(result, "no_image_value_in_text") == len(LANGUAGES)
    check = next(c for c in result["checks"] if c["name"] == "no_image_value_in_text")
    assert {e["query_id"] for e in check["examples"]} == set(planted.values())


def test_longer_words_and_brands_are_not_the_value():
    vocabulary = json.loads((PROMPTS_DIR / "vocabulary" / "v1.json").read_text(encoding="utf-8"))
    by_language = namers(vocabulary)

    def cond(attr, value, carried):
        return {"attribute": attr, "value": value, "carried_by": carried}

    # vi "kim" (analogue dial) inside "dây kim loại" (metal strap) names the strap
    text = "Tôi đang tìm đồng hồ đeo tay dây kim loại có mặt số giống <image_1>."
    assert image_value_failure(text, "vi", [cond("strap", "metal strap", "text"), cond("dial", "analogue", "image")],
                               by_language["vi"], {"brand"}) is None
    # a brand is a name: "U.S. Polo Assn." does not name the polo collar <image_1> shows
    text = "Show me a U.S. Polo Assn. men's T-shirt with the same neckline as <image_1>."
    conditions = [cond("brand", "U.S. Polo Assn.", "text"), cond("neckline", "polo collar", "image")]
    assert image_value_failure(text, "en", conditions, by_language["en"], {"brand"}) is None
    # ... but the word itself does
    failure = image_value_failure(text.replace("T-shirt", "polo T-shirt"), "en", conditions, by_language["en"], {"brand"})
    assert failure == {"language": "en", "named": {"neckline=polo collar": "polo"}}
    for lang, word in BLACK.items():
        assert image_value_failure(f"x {word} <image_1>", lang, [cond("color", "black", "image")], by_language[lang],
                                   set()), lang


def test_a_value_word_in_any_case_is_found_and_a_brand_in_any_case_is_masked():
    """The quick look for an image value's words (before the leftmost-longest match) reads the text casefolded,
    as the match does: capitals never hide a word, and a brand written in other capitals is still a name."""
    by_language = namers(json.loads((PROMPTS_DIR / "vocabulary" / "v1.json").read_text(encoding="utf-8")))
    colour = [{"attribute": "color", "value": "black", "carried_by": "image"}]
    assert image_value_failure("Show me a BLACK shirt like <image_1>.", "en", colour, by_language["en"], set()) == \
        {"language": "en", "named": {"color=black": "black"}}
    assert image_value_failure("Show me a shirt like <image_1>.", "en", colour, by_language["en"], set()) is None
    polo = [{"attribute": "brand", "value": "U.S. Polo Assn.", "carried_by": "text"},
            {"attribute": "neckline", "value": "polo collar", "carried_by": "image"}]
    assert image_value_failure("A u.s. POLO assn. T-shirt like <image_1>.", "en", polo, by_language["en"], {"brand"}) is None
