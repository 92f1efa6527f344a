"""Request-cache keys are pinned: a refactor of the LLM layer or of its tasks must keep every key,
so the answers already in users' caches (`<out>/llm_cache.sqlite`) are still found."""

from __future__ import annotations

import pytest

from pipelines.llm.cache import request_key
from pipelines.stages.llm_tasks import task as llm_task

JPEG = b"\xff\xd8\xff\xe0golden-jpeg"
SHOE_OPTIONS = {"color": {"black": "black", "jet black": "black", "navy": "navy"}, "brand": None}
ROWS = {
    "translate": {"record_id": "q1", "text": "I want shoes like <image_1> in black.", "target_language": "th"},
    "rewrite": {"record_id": "q1", "text": "Find me jeans with a slim fit in black like <image_1>.",
                "condition_values": ["slim fit", "black"]},
    "mine_attributes": {"record_id": "p1", "title": "Nike Black Shoes", "category": "shoes", "images": [JPEG],
                        "options": SHOE_OPTIONS, "max_value_chars": 512},
    "judge": {"record_id": "b1", "query_text": "Shoes like <image_1>", "query_images": [JPEG], "positive_image": JPEG,
              "positive_attributes": {"color": "black"}},
    "personalize": {"record_id": "b1", "query_text": "Shoes like <image_1>", "query_images": [JPEG],
                    "positive_image": JPEG, "options": {"color": {"black": "black", "navy": "navy"}}},
    "translate_lexicon": {"record_id": "ms|nouns|dog bed", "text": "dog bed", "kind": "noun", "context": "pet supplies",
                          "target_language": "ms"},
}
RETRY = {"previous_error": "placeholders missing from the output: <image_1>", "previous_reason": "placeholder_lost"}

# Computed on main before issue #27 moved each task into one module; a change here re-asks every user's cache.
GOLDEN = {
    "judge": "4c5e777a1970cb33173ed34426cbd158678820a552b8f6f491dbd06549f4dcc1",
    "judge+strict": "daf8cbf1c91e9610d26a7e12a7615a1ac5d433760bd33ecddb820ab6eab9c802",
    "mine_attributes": "98036b3d4770ed8f1f3a65a5949250adeae7e266b9ad7ea7aa923d264a99bca3",
    "mine_attributes+strict": "d0ee1d5511efff1cc281c5f1a8ad1b2a66de43c5707bed9d3b6688cfd836d7ec",
    "personalize": "840560cd7f09942726b3c04aa64732b22d8dcb05d74afc234df9080e6d903310",
    "personalize+strict": "8beba54bbb50290488737810fc9355b804a7d6144fcb2d0e02019384c348c66f",
    "rewrite": "60b2003d4be545840ad429967d7e366d3ab47c3bf716f1bcaf59129aa21f0823",
    "rewrite+strict": "18e90d2006da373c3ae818acc1073bc2d4c623e28b83684116074630a6df0239",
    "translate": "357c3306bd6f77fa22f29713a7ef3a1771f82e9ec5cc8b4a2bdee5ce49007faf",
    "translate+strict": "c4f5350be389721d0fb17077a71fdf28d233e56f8277295ef28be4f652c3238e",
    "translate_lexicon": "ebf95676c82845f1af05687a5a0e3268c1500281abd107245198683ab248ec95",
    "translate_lexicon+strict": "0b09b0c79a82ed12f0b7fbbf84af676e8858bea7b70fd4ed6ffc532e9825faf6",
}


def _request(name: str, row: dict, strict: bool):
    task = llm_task(name)
    prompt = task.prompt()
    return task.format_input({**row, **(RETRY if strict else {})}, prompt.as_strict() if strict else prompt)


@pytest.mark.parametrize("task", sorted(ROWS))
@pytest.mark.parametrize("strict", [False, True], ids=["first", "strict"])
def test_request_keys_are_those_of_existing_caches(task, strict):
    key = request_key("Qwen/Qwen2.5-VL-7B-Instruct", _request(task, ROWS[task], strict))
    assert key == GOLDEN[f"{task}{'+strict' if strict else ''}"]
