"""Write each query plan as natural text in every configured language, from templates.

This is the offline default; LLM rewrite and translation stages refine its output. Image
conditions become `<image_k>` placeholders numbered in reading order, and the same text is
also emitted as interleaved segments.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import pyarrow as pa

from pipelines import __version__, schemas
from pipelines.config import RenderConfig
from pipelines.results import StageResult
from pipelines.templates import LanguagePack, Templates

STAGE = "render"
VERSION = "1"
PLACEHOLDER = re.compile(r"<image_(\d+)>")


@dataclass(frozen=True)
class RenderParams:
    cfg: RenderConfig
    templates: Templates
    seed: int


def render_queries(plans: pa.Table, params: RenderParams) -> StageResult:
    """One query row per (plan, language).

    Input columns: schemas/v1/query_plan.json.
    Output: queries (schemas/v1/query.json) with empty hard negatives and split "unassigned".
    """
    rows = []
    for plan in plans.to_pylist():
        ordered = _reading_order(plan["conditions"])
        english = render_text(plan, ordered, params.templates.pack("en"), params.seed)
        for lang in params.cfg.languages:
            pack = params.templates.pack(lang)
            text = english if lang == "en" else render_text(plan, ordered, pack, params.seed)
            rows.append(_query_row(plan, ordered, lang, text, english, pack, params.seed))
    counters = {"plans": plans.num_rows, "queries": len(rows)}
    for lang in params.cfg.languages:
        counters[f"queries_{lang}"] = sum(r["language"] == lang for r in rows)
    return StageResult(outputs={"queries": schemas.from_rows(rows, "query")}, counters=counters)


def _reading_order(conditions: list[dict]) -> list[dict]:
    """A text-carried product type becomes the head noun, so it leads; the rest keep plan order."""
    return sorted(conditions, key=lambda c: not (c["attribute"] == "type" and c["carried_by"] == "text"))


def render_text(plan: dict, conditions: list[dict], pack: LanguagePack, seed: int) -> str:
    """The query sentence in one language; image conditions numbered <image_1>.. in order."""
    tpl, lex = pack.template, pack.lexicon
    noun = lex["nouns"]["category"][plan["category"]]
    phrases, image_k = [], 0
    for cond in conditions:
        attr, value = cond["attribute"], cond["value"]
        if cond["carried_by"] == "image":
            image_k += 1
            pattern = tpl["image_phrases"].get(attr, tpl["image_phrases"]["_default"])
            phrases.append(pattern.format(image=f"<image_{image_k}>", attribute=lex["attributes"].get(attr, attr)))
        elif attr == "type" and value in lex["nouns"]["type"] and not phrases:
            noun = lex["nouns"]["type"][value]
        else:
            phrases.append(_text_phrase(attr, value, tpl, lex))
    rng = random.Random(f"{seed}:{plan['base_query_id']}:{pack.language}")
    frame = rng.choice(tpl["frames"])
    return frame.format(noun=noun, conditions=_join(phrases, tpl)).strip()


def _text_phrase(attr: str, value: str, tpl: dict, lex: dict) -> str:
    override = lex.get("phrases", {}).get(attr, {}).get(value)
    if override:
        return override
    surface = lex["values"].get(attr, {}).get(value, value)  # open attributes (brand) pass through
    pattern = tpl["text_phrases"].get(attr, tpl["text_phrases"]["_default"])
    return pattern.format(value=surface, attribute=lex["attributes"].get(attr, attr))


def _join(phrases: list[str], tpl: dict) -> str:
    if len(phrases) <= 1:
        return "".join(phrases)
    return tpl["joiner"].join(phrases[:-1]) + tpl["last_joiner"] + phrases[-1]


def segments_of(text: str, image_ids: list[str]) -> list[dict]:
    """Split flat text at <image_k> placeholders into interleaved text/image segments."""
    segments, pos = [], 0
    for match in PLACEHOLDER.finditer(text):
        if match.start() > pos:
            segments.append({"kind": "text", "text": text[pos:match.start()], "image_id": None, "image_index": None})
        k = int(match.group(1))
        segments.append({"kind": "image", "text": None, "image_id": image_ids[k - 1], "image_index": k})
        pos = match.end()
    if pos < len(text):
        segments.append({"kind": "text", "text": text[pos:], "image_id": None, "image_index": None})
    return segments


def _query_row(plan, ordered, lang, text, english, pack: LanguagePack, seed) -> dict:
    image_conds = [c for c in ordered if c["carried_by"] == "image"]
    images = [{"image_id": c["image_id"], "product_id": c["source_product_id"]} for c in image_conds]
    return {
        "query_id": f"{plan['base_query_id']}-{lang}", "base_query_id": plan["base_query_id"], "language": lang,
        "category": plan["category"], "n_conditions": plan["n_conditions"], "strategy": plan["strategy"],
        "segments": segments_of(text, [i["image_id"] for i in images]), "text": text, "source_text_en": english,
        "images": images,
        "conditions": [{k: c[k] for k in ("attribute", "value", "carried_by", "source_product_id")} for c in ordered],
        "positive_ids": plan["positive_ids"], "personalized_from": plan.get("personalized_from"),
        "n_unverified": plan.get("n_unverified") or 0,
        "hard_negative_ids": [], "hard_negatives": [], "split": "unassigned",
        "provenance": {"pipeline_version": __version__, "seed": seed, "template_id": pack.template_id,
                       "prompt_ids": [], "stage_versions": []},
    }
