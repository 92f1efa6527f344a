"""Render never writes a text naming a value one of its images carries (#23), checked by the audit's own reading.

Property-style: many seeded random plans over the whole vocabulary (every category, attribute, carrier
mix, genders, brands); every row render keeps passes the audit's `no_image_value_in_text` rule, and
every plan it refuses is one the audit would fail.
"""

from __future__ import annotations

import dataclasses
import json
import random

import pytest

from pipelines.audit.image_words import ImageWordsCheck, image_value_failure
from pipelines.config import RenderConfig
from pipelines.resources import PROMPTS_DIR
from pipelines.stages.phrasing import kind_nouns
from pipelines.stages.render import RenderParams, render_batch
from pipelines.stages.value_words import ValueWords, value_words
from pipelines.vocab.templates import load_templates
from pipelines.vocab.vocabulary import load_vocabulary

LANGUAGES = ("en", "ms", "id", "vi", "th")
BRANDS = ["Puma", "U.S. Polo Assn.", "HRX", "Levi's", "Red Tape", "Black Coffee", "Polo Club"]


@pytest.fixture(scope="module")
def vocabulary() -> dict:
    return json.loads((PROMPTS_DIR / "vocabulary" / "v1.json").read_text(encoding="utf-8"))


def _params(version: str, vocabulary: dict) -> RenderParams:
    templates = load_templates(version, LANGUAGES)
    lexicons = {lang: templates.pack(lang).lexicon for lang in LANGUAGES}
    return RenderParams(RenderConfig(languages=LANGUAGES), templates, 5, value_words(lexicons, vocabulary),
                        kind_nouns(lexicons, load_vocabulary("v1").categories_of_types()))


@pytest.fixture(scope="module", params=["v4", "v3"])
def params(request, vocabulary) -> RenderParams:
    return _params(request.param, vocabulary)


def _random_plan(rng: random.Random, vocabulary: dict, k: int) -> dict:
    category = rng.choice(sorted(vocabulary["categories"]))
    spec = vocabulary["categories"][category]
    attrs = {a: sorted(vocabulary["attributes"][a]["values"]) for a in [*spec["attributes"], "color", "gender", "occasion"]}
    attrs["type"] = sorted(spec["types"])
    chosen = rng.sample(sorted(attrs), min(len(attrs), rng.randint(2, 4)))
    conditions, n_image = [], 0
    for attr in chosen:
        visual = attr == "type" or vocabulary["attributes"][attr].get("visual")
        image = bool(visual) and rng.random() < 0.6
        n_image += image
        conditions.append({"attribute": attr, "value": rng.choice(attrs[attr]), "carried_by": "image" if image else "text",
                           "source_product_id": f"p{n_image}" if image else None,
                           "image_id": f"img{n_image}" if image else None})
    if rng.random() < 0.4:
        conditions.append({"attribute": "brand", "value": rng.choice(BRANDS), "carried_by": "text",
                           "source_product_id": None, "image_id": None})
    kinds = sorted(rng.sample(attrs["type"], rng.randint(1, min(3, len(attrs["type"]))))) if rng.random() < 0.5 else None
    return {"base_query_id": f"q{k}", "category": category, "target_id": "t", "strategy": "random",
            "n_conditions": len(conditions), "conditions": conditions, "positive_ids": ["t"], "n_unverified": 0,
            "kinds": None if "type" in chosen else kinds}


@pytest.mark.slow
def test_render_never_names_an_image_carried_value(params, vocabulary):
    rng = random.Random(23)
    plans = [_random_plan(rng, vocabulary, k) for k in range(800)]
    queries, rejects = render_batch(plans, params)
    audit = ImageWordsCheck(vocabulary)
    named = [q for q in queries.to_pylist() if image_value_failure(
        q["text"], q["language"], q["conditions"], audit.namers.get(q["language"]), audit.open_attrs)]
    assert not named, named[:3]
    refused = rejects.to_pylist()
    assert {r["reason"] for r in refused} <= {"names_image_value"}
    by_id = {p["base_query_id"]: p for p in plans}
    kept = set(queries.column("base_query_id").to_pylist())
    assert kept | {r["record_id"] for r in refused} == set(by_id)
    for r in refused:  # the audit agrees the refused text names what an image carries
        lang = r["message"].split()[1]
        assert image_value_failure(r["raw"], lang, by_id[r["record_id"]]["conditions"], audit.namers[lang],
                                   audit.open_attrs), r


def test_a_plan_naming_an_image_value_is_refused_in_every_language(vocabulary):
    """Malay "kasut sukan" (occasion sports + shoes) is the name of the sports shoes <image_1> shows: the plan
    is refused whole, with a reason, not rendered in the other languages either."""
    templates = load_templates("v4", LANGUAGES)
    words = value_words({lang: templates.pack(lang).lexicon for lang in LANGUAGES}, vocabulary)
    params = RenderParams(RenderConfig(languages=LANGUAGES), templates, 5, words)
    plan = {"base_query_id": "qshoe", "category": "shoes", "target_id": "t", "strategy": "random", "n_conditions": 2,
            "positive_ids": ["t"], "n_unverified": 0,
            "conditions": [{"attribute": "occasion", "value": "sports", "carried_by": "text", "source_product_id": None,
                            "image_id": None},
                           {"attribute": "type", "value": "sports shoes", "carried_by": "image", "source_product_id": "p1",
                            "image_id": "img1"}]}
    queries, rejects = render_batch([plan], params)
    assert queries.num_rows == 0
    [reject] = rejects.to_pylist()
    assert reject["reason"] == "names_image_value" and reject["record_id"] == "qshoe" and "kasut sukan" in reject["raw"]
    unrefused, _ = render_batch([plan], RenderParams(RenderConfig(languages=LANGUAGES), templates, 5))
    assert unrefused.num_rows == len(LANGUAGES)  # without the words nothing is refused: the refusal is the guard's


def test_a_kinds_noun_naming_an_image_value_gives_way_to_the_categorys_noun(vocabulary):
    """Every positive and pair is a pair of sports shoes and <image_1> carries the sports occasion. With words
    that read "sports" as that occasion (a lexicon without "sports shoes" as a type word), the kinds' noun
    would name it: the plan is written with the category's noun ("footwear") and kept, not refused."""
    plan = {"base_query_id": "qkind", "category": "shoes", "target_id": "t", "strategy": "random", "n_conditions": 2,
            "positive_ids": ["t"], "n_unverified": 0, "kinds": ["sports shoes"],
            "conditions": [{"attribute": "brand", "value": "Puma", "carried_by": "text", "source_product_id": None,
                            "image_id": None},
                           {"attribute": "occasion", "value": "sports", "carried_by": "image", "source_product_id": "p1",
                            "image_id": "img1"}]}
    words = ValueWords({"en": (("sports", "occasion", "sports"),)}, by_value={"en": {("occasion", "sports"): ("sports",)}})
    params = dataclasses.replace(_params("v4", vocabulary), value_words=words)
    queries, rejects = render_batch([plan], params)
    assert rejects.num_rows == 0 and queries.num_rows == len(LANGUAGES)
    english = next(q for q in queries.to_pylist() if q["language"] == "en")
    assert "footwear" in english["text"] and "sports" not in english["text"], english["text"]
    assert {q["source_text_en"] for q in queries.to_pylist()} == {english["text"]}
    other = {**plan, "base_query_id": "qkind2", "conditions": [plan["conditions"][0], {
        **plan["conditions"][1], "attribute": "color", "value": "black"}]}
    [kept] = [q["text"] for q in render_batch([other], params)[0].to_pylist() if q["language"] == "en"]
    assert "sports shoes" in kept  # nothing named: the kinds' noun stays
