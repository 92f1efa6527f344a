"""Every reject reason a stage or runner writes into a rejects table, with one line each: what it
means, and what a user can do about it.

The card's "Rejects by reason" table (`card/parts.rejects_table`) and the README's "Reject reasons"
section are rendered from here (`python -m pipelines.reject_reasons` prints the README section).
`tests/test_reject_reasons.py` reads the code and fails on a reason written anywhere that is missing here, and on a line here
that nothing writes. A reason may be written by more than one stage; its line covers each.
"""

from __future__ import annotations

REASONS: dict[str, str] = {
    # ingest: catalog rows and their images
    "unreadable_row": "The reader could not parse this catalog row (bad CSV quoting, broken JSON line); fix the row in the file.",
    "invalid_row": "A catalog row failed validation in an unforeseen way (the message names the error); check the row's raw JSON.",
    "missing_field": "A required field (product_id, title, category, an image) is missing or blank; fill it in the catalog.",
    "wrong_type": "A field has the wrong type (e.g. a number where text is expected, attributes not name/value pairs); fix the catalog's value.",
    "invalid_value": "A field's value is not usable (a language that is not an ISO 639 code, an id that is a missing-value marker); fix it.",
    "field_too_long": "A catalog field or an LLM answer's value is longer than its limit; shorten it, or raise the limit the message names.",
    "duplicate_id": "A product_id seen before (the first row is kept); give each product its own id.",
    "unknown_category": "The vocabulary has no such category; map it in your vocabulary (`meritgen vocab induce` proposes one).",
    "placeholder_text": "Text reads as an image placeholder (`<image_1>`, `<product 2>`); remove it from the catalog (ingest), or rerun (LLM answer).",
    "role_marker_text": "Text reads as a chat role marker (`[INST]`, `<<system>>`, ChatML tokens); remove it from the catalog (ingest), or rerun (LLM answer).",
    "image_unavailable": "The image could not be fetched or read (missing file, refused URL, timeout); fix the image reference.",
    "image_empty": "The image file is empty (0 bytes); replace it.",
    "image_too_large": "The image has more pixels than `ingest.max_pixels` (or is a decompression bomb); resize it or raise the limit.",
    "image_truncated": "The image file is cut short; replace it with a complete copy.",
    "image_unreadable": "The image cannot be decoded (unknown or corrupt format); convert it to JPEG or PNG.",
    # mine: attribute values
    "value_not_in_vocabulary": "A catalog or LLM value matches none of the vocabulary's values; add it or an alias to your vocabulary.",
    "several_values": "A field lists several values (\"Boys, Girls\") and no one value means all of them, so it is unknown; add one with `also_meets`.",
    "twin_conflict": "Listings sharing a photo disagree on a visual value, so it is dropped; fix the listing that is wrong.",
    "brand_candidate_not_a_name": "A word from a title looked like a brand but is not a name (a common word); nothing to do, or list the brand.",
    "brand_without_evidence": "A brand taken from a title is seen nowhere else in the catalog; list it in the category's `brands` if it is real.",
    # compose and personalize: one attempt at a query
    "no_conditions": "No attempt found enough mined attributes for a query; mine more attributes (vocabulary, LLM mining).",
    "too_few_attributes": "The target product has fewer mined attributes than the query needs; normal for sparse products.",
    "too_few_shared_values": "Random products shared too few values with the target; normal, other attempts try other products.",
    "no_family_variant": "The target has no sibling SKU (same family_id) differing in an attribute; give variants a family_id.",
    "no_positive": "No product meets every condition (compose), or a query lost its positive (passages); normal in small numbers.",
    "too_many_positives": "The conditions match too many products; a small catalog: raise compose.max_positive_share / compose.max_positives.",
    "too_many_unverified": "Too many products lack a value to check a condition against; mine more values, or accept fewer queries.",
    "untestable_condition": "A condition has no minimal pair (no product meets the others and violates it); normal, it would test nothing.",
    "no_visual_condition": "Too few conditions can be shown by an image for an interleaved query; map more visual attributes.",
    "required_condition_missing": "The target lacks a value its category's queries must ask for (vocabulary `required_conditions`); mine that attribute.",
    "no_image_source": "No non-positive product shows the value an image should carry; normal for rare values.",
    "duplicate_query": "The same conditions were composed before; normal, each query is kept once.",
    "contradicts_mined_value": "A personalised condition contradicts the target's mined value; normal, the condition is dropped.",
    "does_not_single_out": "A personalised condition is shared by the target's photo twins, so it picks no one out; normal.",
    "would_change_other_queries": "A personalised value would relabel the target in other queries; normal, it is dropped.",
    # render
    "names_image_value": "The rendered text names a value an image carries, which would give it away; normal, another phrasing is used.",
    # LLM answers (rewrite, translate, judge, mining, vocab induce)
    "llm_request_failed": "The LLM server gave no usable answer after retries; check the server and rerun (only these are asked again).",
    "llm_deadline": "The step's LLM deadline passed before an answer; raise `llm.step_deadline_s` or rerun (only these are asked again).",
    "llm_no_outcome": "Beam's inference returned no outcome for this row; rerun, and check the workers' logs if it persists.",
    "render_failed": "The prompt template could not be rendered for this row; check the prompt file the message names.",
    "truncated": "The answer was cut off at max_tokens and is not used; raise the task's max_tokens.",
    "unparseable_answer": "The answer could not be parsed, even after one strict retry, and is not used; check the model and prompt.",
    "invalid_json": "The answer is not the JSON object the task asks for, even after one strict retry; use a model that follows the format.",
    "empty_output": "The model returned no text, even after one strict retry; check the model.",
    "runaway_output": "The answer is far longer than its source (or than a vocabulary entry) and is not used; check the model and prompt.",
    "wrong_language": "The answer is not in the requested language (or variety), even after one strict retry; try a stronger model.",
    "placeholder_lost": "The answer dropped an `<image_k>` the source has and is not used; check the model and prompt.",
    "placeholder_extra": "The answer has an `<image_k>` the source lacks and is not used; check the model and prompt.",
    "placeholder_duplicated": "The answer repeats an `<image_k>` and is not used; check the model and prompt.",
    "condition_lost": "The rewrite dropped a condition's value and is not used; check the model and prompt.",
    "unknown_attribute": "The model named an attribute the task did not offer; check the model and prompt.",
    "invalid_verdict": "The judge answered neither yes nor no; check the model and prompt.",
    "judge_no": "The LLM judge found the query's text wrong (its reason is the message); the base query is dropped.",
    "control_character": "The answer holds a control or bidi-override character and is not used (nor cached); rerun to ask again.",
    # retrieval
    "missing_hits": "The retriever returned no hits for this query; check the index step (an empty catalog or corpus).",
    "unknown_positive": "A query's positive is not in the products table; a bug upstream, report it.",
    "caption_substitutable": "A text-only retriever finds the positive when images become captions: the images are not needed; normal.",
    "image_blind": "The positive ranks first from the text alone with the images removed; `retrieval.keep_image_blind` keeps it.",
    # split
    "split_straddle": "The query's products fall on both sides of a split of a giant component; normal, raise split.max_component_share to keep more.",
    "held_out_language_in_train": "A held-out language's row fell in train, where it is dropped (test only); normal.",
    "no_minimal_pair": "A condition lost its minimal pair in its split's own product pool; normal, the query would test nothing there.",
    # runners
    "unexpected_error": "A Beam batch failed (an unforeseen error, or a vLLM server still down after its restarts); the message names it: check the workers' logs.",
}

HEADER = "| reason | what it means, what to do |\n|---|---|"


def line(reason: str) -> str:
    """The reason's line, or "" for a reason this version does not know (an older run's)."""
    return REASONS.get(reason, "")


def readme_section() -> str:
    """The README's "Reject reasons" section, rendered from `REASONS` (a test keeps them equal)."""
    rows = "\n".join(f"| `{reason}` | {text} |" for reason, text in REASONS.items())
    return ("### Reject reasons\n\nEvery reason a rejects table can hold (`meritgen inspect`, the card's "
            "\"Rejects by reason\"), from `pipelines/reject_reasons.py`:\n\n" + HEADER + "\n" + rows + "\n")


if __name__ == "__main__":
    print(readme_section(), end="")
