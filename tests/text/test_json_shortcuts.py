"""Ingest's shortcuts over a record's JSON text never skip a walk that would change or reject the record.

`json_may_hold_controls` False must mean stripping changes nothing; both False must mean no structural
markup anywhere. Checked on hostile strings (as values and as keys, JSON written both ways) and,
end to end, on the red-team catalogs: ingest with the shortcuts gives the products and rejects of
ingest without them.
"""

import json
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.config import CatalogConfig, load_config
from pipelines.io.catalog_reader import read_catalog
from pipelines.stages import ingest
from pipelines.text.controls import json_may_hold_controls, strip_controls_in
from pipelines.text.structure import first_structural_field, json_may_hold_structure
from pipelines.vocab.vocabulary import load_vocabulary

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
HOSTILE = ["<image_1>", "< IMAGE 3 >", "&lt;image_1&gt;", "&amp;lt;product 2&amp;gt;", "\uff1cimage_1\uff1e",
           "\u2039image_1\u203a", "<ima\u200bge_1>", "[INST]", "[ / inst ]", "[TOOL_CALLS]", "[SYSTEM_PROMPT]",
           "<|im_start|>", "<<SYS>>", "<start_of_turn>", "<bos>", "[IN\x7fST]", "<ima\x00ge_1>", "[INS\u202eT]",
           "line\rbreak", "tab\tand\nnewline", "bell\x07", "\x85next", "\u2066isolate\u2069", "plain cotton shirt",
           "install instructions", "[size] M", "50% off", "caf\u00e9", "\u0e40\u0e2a\u0e37\u0e49\u0e2d"]


def _implications_hold(record: dict) -> None:
    for ensure_ascii in (False, True):
        raw = json.dumps(record, ensure_ascii=ensure_ascii)
        if not json_may_hold_controls(raw):
            assert strip_controls_in(record) == record, raw
            if not json_may_hold_structure(raw):
                assert first_structural_field(record, skip=()) is None, raw


@pytest.mark.parametrize("text", HOSTILE)
def test_shortcuts_never_hide_a_hostile_string(text):
    _implications_hold({"title": text, "attributes": [{"name": "note", "value": f"x {text} y"}]})
    _implications_hold({"attributes": {text: "v"}})  # keys are walked too


def test_a_control_that_joins_a_marker_is_walked():
    raw = json.dumps({"title": "[IN\x7fST]"}, ensure_ascii=False)
    assert json_may_hold_controls(raw)  # so the record is stripped first, and "[INST]" is then found
    assert first_structural_field(strip_controls_in({"title": "[IN\x7fST]"})) is not None


def test_clean_ascii_records_take_the_shortcut():
    raw = json.dumps({"product_id": "p1", "title": "Blue cotton shirt", "attributes": [{"name": "size", "value": "M"}]})
    assert not json_may_hold_controls(raw) and not json_may_hold_structure(raw)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(HOSTILE + ["<", ">", "[", "]", "&", "#60;", "image", "INST", "\x7f", "\r", "\\"]),
                max_size=6).map("".join))
def test_shortcuts_hold_for_random_mixtures(text):
    _implications_hold({"title": text, "attributes": [{"name": text[:5], "value": text[::-1]}]})


def test_ingest_with_shortcuts_equals_ingest_walking_every_record(monkeypatch):
    cfg = load_config()
    params = ingest.IngestParams(cfg.ingest, load_vocabulary(cfg.mine.vocabulary))
    raw = pa.concat_tables([read_catalog(BAD / name, CatalogConfig()) for name in (
        "control_characters.jsonl", "placeholder_injection.jsonl", "role_injection.jsonl", "wrong_types.jsonl",
        "duplicate_ids.jsonl", "unknown_category.jsonl", "id_variants.jsonl")])
    walks = [json_may_hold_controls(r) or json_may_hold_structure(r) for r in raw.column("record_json").to_pylist()]
    assert any(walks) and not all(walks)  # both paths are taken: the comparison below means something
    fast_rejects, walked_rejects = ingest.RejectLog(ingest.STAGE), ingest.RejectLog(ingest.STAGE)
    fast = ingest.validate_rows(raw.to_pylist(), params, fast_rejects)
    monkeypatch.setattr(ingest, "json_may_hold_controls", lambda raw_json: True)
    monkeypatch.setattr(ingest, "json_may_hold_structure", lambda raw_json: True)
    walked = ingest.validate_rows(raw.to_pylist(), params, walked_rejects)
    assert fast == walked
    assert fast_rejects.rows == walked_rejects.rows and walked_rejects.rows
