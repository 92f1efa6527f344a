"""Each LLM task's pure halves beside its module (pipelines/stages/llm_tasks/): its parser of
answers and the per-row JSON schema of its requests; no server."""

from __future__ import annotations

import pyarrow as pa
import pytest

from pipelines import schemas
from pipelines.llm.parsers import check_placeholders
from pipelines.stages.llm_tasks import judge as judge_task
from pipelines.stages.llm_tasks import mine_attributes, personalize, rewrite, translate
from tests.llm import llm_helpers
from tests.llm.llm_helpers import JPEG, PNG, SRC


@pytest.fixture(scope="module")
def shoe_options():
    return llm_helpers.shoe_options()


def test_mine_schema_is_built_from_the_vocabulary(shoe_options):
    row = {"title": "t", "category": "shoes", "images": [JPEG], "options": shoe_options}
    schema = mine_attributes.TASK.format_input(row).json_schema
    assert schema["required"] == ["color", "material", "closure", "brand"]
    assert "black" in schema["properties"]["color"]["enum"] and "unknown" in schema["properties"]["color"]["enum"]
    assert schema["properties"]["brand"] == {"type": "string"}


def test_judge_and_personalize_render(shoe_options):
    judge = judge_task.TASK.format_input(
        {
            "query_text": SRC,
            "query_images": [JPEG, PNG],
            "positive_image": JPEG,
            "positive_attributes": {"color": "black"},
        },
    )
    assert judge.json_schema["properties"]["verdict"]["enum"] == ["yes", "no"] and len(judge.image_hashes) == 3
    personal = personalize.TASK.format_input(
        {"query_text": SRC, "query_images": [JPEG], "positive_image": PNG, "options": shoe_options},
    )
    assert {c["properties"]["attribute"]["enum"][0] for c in personal.json_schema["anyOf"]} == set(shoe_options)


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("Saya mahu beg dalam warna <image_1> dengan corak <image_2>.", ""),
        ('"Saya mahu beg dalam warna <image_1> dengan corak <image_2>."', ""),
        ("   ", "empty_output"),
        ("Saya mahu beg " * 40 + "<image_1> <image_2>", "runaway_output"),
        ("Saya mahu beg dalam warna <image_1> dengan corak yang sama.", "placeholder_lost"),
        ("Saya mahu beg <image_1> dalam warna <image_1> dengan corak <image_2>.", "placeholder_duplicated"),
        ("Saya mahu beg <image_3> dalam warna <image_1> dengan corak <image_2>.", "placeholder_extra"),
        ("I want a bag in the colour of <image_1> with the pattern of <image_2>.", "wrong_language"),
        ("Saya mau tas dengan warna <image_1> dan motif seperti <image_2> dari toko.", "wrong_language"),
    ],
)
def test_parse_translate(answer, reason):
    parsed = translate.parse(answer, {"text": SRC, "target_language": "ms"})
    assert parsed.reason == reason, parsed.message
    assert (parsed.value is None) == bool(reason)
    if not reason:
        assert parsed.value["text"].startswith("Saya mahu")


def test_check_placeholders_accepts_reordering():
    assert check_placeholders("<image_1> and <image_2>", "<image_2> dan <image_1>") is None


@pytest.mark.parametrize(
    "answer, reason",
    [
        ("Show me slim fit jeans in black, like <image_1>.", ""),
        ("Show me slim-fit jeans in Black, like <image_1>.", ""),
        ("Show me jeans in black, like <image_1>.", "condition_lost"),
        ("Show me slim fit jeans in black.", "placeholder_lost"),
        ("Saya mahu seluar slim fit black <image_1> kedai", "wrong_language"),
    ],
)
def test_parse_rewrite(answer, reason):
    row = {"text": "Find me jeans with a slim fit in black like <image_1>.", "condition_values": ["slim fit", "black"]}
    assert rewrite.parse(answer, row).reason == reason


@pytest.mark.parametrize(
    "answer, reason, facts",
    [
        (
            '{"color": "black", "material": "leather", "closure": "lace-up", "brand": "Nike"}',
            "",
            {"color": "black", "material": "leather", "closure": "lace-up", "brand": "Nike"},
        ),
        (
            '```json\n{"color": "jet black", "material": "unknown", "closure": "lace up", "brand": null}\n```',
            "",
            {"color": "black", "closure": "lace-up"},
        ),
        ('{"color": "navy blues"}', "", {"color": "navy"}),
        ('{"color": "black", "closure": "magnetic snap"}', "value_not_in_vocabulary", None),
        ('{"color": "black", "heel": "high"}', "unknown_attribute", None),
        ('{"color": "black", "material": ["leather"]}', "value_not_in_vocabulary", None),
        ("The shoes are black leather.", "invalid_json", None),
        ('["black"]', "invalid_json", None),
    ],
)
def test_parse_mine_attributes(answer, reason, facts, shoe_options):
    parsed = mine_attributes.parse(answer, {"options": shoe_options})
    assert parsed.reason == reason, parsed.message
    if facts is not None:
        assert {f["attribute"]: f["value"] for f in parsed.value["attributes"]} == facts


def test_a_listed_mine_answer_is_read_as_mine_reads_a_field():
    """A model without guided decoding may answer "Men, Women": the value meaning both (unisex, by also_meets),
    never its first part; a list no value means ("Boys, Girls" here) leaves the attribute unknown and keeps
    the answer's other facts, where a value outside the vocabulary rejects the whole answer."""
    options = {"gender": {"men": "men", "women": "women", "unisex": "unisex", "boys": "boys", "girls": "girls"},
               "color": {"red": "red", "blue": "blue"}}
    row = {"options": options, "also_meets": {"gender": {"unisex": ["men", "women"]}}}
    parsed = mine_attributes.parse('{"gender": "Men, Women", "color": "red"}', row)
    assert {f["attribute"]: f["value"] for f in parsed.value["attributes"]} == {"gender": "unisex", "color": "red"}
    parsed = mine_attributes.parse('{"gender": "Boys, Girls", "color": "blue"}', row)
    assert {f["attribute"]: f["value"] for f in parsed.value["attributes"]} == {"color": "blue"}


@pytest.mark.parametrize(
    "answer, verdict, reason",
    [
        ('{"verdict": "yes", "reason": "all conditions hold"}', "yes", ""),
        ('Here you go: {"verdict": "No", "reason": "wrong colour"}', "no", ""),
        ('{"verdict": "maybe", "reason": "?"}', None, "invalid_verdict"),
        ('{"verdict": "yes", "reason": ', None, "invalid_json"),
    ],
)
def test_parse_judge(answer, verdict, reason):
    parsed = judge_task.parse(answer, {})
    assert parsed.reason == reason
    assert (parsed.value or {}).get("verdict") == verdict


@pytest.mark.parametrize(
    "answer, reason, value",
    [
        ('{"attribute": "closure", "value": "velcro"}', "", "velcro"),
        ('{"attribute": "material", "value": "Leathers"}', "", "leather"),
        ('{"attribute": "heel", "value": "high"}', "unknown_attribute", None),
        ('{"attribute": "closure", "value": "buttons"}', "value_not_in_vocabulary", None),
        ("velcro", "invalid_json", None),
    ],
)
def test_parse_personalize(answer, reason, value, shoe_options):
    parsed = personalize.parse(answer, {"options": shoe_options})
    assert parsed.reason == reason, parsed.message
    assert (parsed.value or {}).get("value") == value


def test_judge_refusals_are_reject_rows_built_by_rejectlog():
    """Refused base queries leave the table in every language; each is one reject row (judge_no, the
    model's reason or a default message, its raw answer), the columns of the reject contract."""
    queries = pa.table({"base_query_id": ["b1", "b1", "b2", "b3"], "language": ["en", "ms", "en", "en"]})
    parsed = [{"record_id": "b1", "value": {"verdict": "no", "reason": ""}, "raw": '{"verdict": "no"}'},
              {"record_id": "b2", "value": {"verdict": "yes", "reason": "ok"}, "raw": "y"},
              {"record_id": "b3", "value": {"verdict": "no", "reason": "wrong colour"}, "raw": "n"}]
    kept, rejects = judge_task.apply(queries, parsed)
    assert kept.column("base_query_id").to_pylist() == ["b2"]
    row = {"stage": "judge", "reason": "judge_no", "source_file": None, "source_row": None, "field": None}
    assert rejects == [{**row, "record_id": "b1", "message": "the judge answered no", "raw": '{"verdict": "no"}'},
                       {**row, "record_id": "b3", "message": "wrong colour", "raw": "n"}]
    assert schemas.from_rows(rejects, "reject").num_rows == 2
