"""Write each query plan as natural text in every configured language, from templates.

This is the offline default; LLM rewrite and translation stages refine its output. Image
conditions become `<image_k>` placeholders numbered in reading order, and the same text is
also emitted as interleaved segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from pipelines import __version__, progress, schemas
from pipelines.config import RenderConfig
from pipelines.results import RejectLog, StageResult
from pipelines.stages.phrasing import Phrase, compose
from pipelines.stages.value_words import ValueWords
from pipelines.vocab.templates import LanguagePack, Templates

STAGE = "render"
VERSION = "5"  # 2: shopper phrasing, structural placeholders; 3: a plan whose text names an image-carried value is refused;
# 4: a text value the head noun already says, plural and possessive aside, is not written again; 5: the plan's kinds' noun


@dataclass(frozen=True)
class RenderParams:
    cfg: RenderConfig
    templates: Templates
    seed: int
    value_words: ValueWords = field(default_factory=ValueWords)  # empty: no refusal (tests of phrasing alone)
    # language -> the noun heads a plan's kinds may take (phrasing.kind_nouns); none: the category's noun
    kind_nouns: dict[str, frozenset[str]] = field(default_factory=dict)


# Plans rendered per Arrow batch: Python rows exist for one batch at a time, so memory is bounded
# by this, not by the catalog (five languages of MERIT-size query rows as dicts took gigabytes).
BATCH_PLANS = 4_096


def render_queries(plans: pa.Table, params: RenderParams) -> StageResult:
    """One query row per (plan, language).

    Input columns: schemas/v1/query_plan.json.
    Output: queries (schemas/v1/query.json) with empty hard negatives and split "unassigned".
    """
    batches = [render_batch(plans.slice(start, BATCH_PLANS).to_pylist(), params)
               for start in range(0, plans.num_rows, BATCH_PLANS)]
    return collect_queries(plans.num_rows, batches, params)


def collect_queries(n_plans: int, batches: list[tuple[pa.Table, pa.Table]], params: RenderParams) -> StageResult:
    """The stage's result from its rendered (queries, rejects) batches, in plan order (also used by
    runners/parallel.py)."""
    queries = pa.concat_tables([q for q, _ in batches]) if batches else schemas.empty("query")
    rejects = pa.concat_tables([r for _, r in batches]) if batches else schemas.empty("reject")
    counters = {"plans": n_plans, "queries": queries.num_rows}
    for reason, n in zip(*rejects.group_by("reason").aggregate([("reason", "count")]).select(
            ["reason", "reason_count"]).to_pydict().values()):
        counters[f"rejected_{reason}"] = n
    per_language = dict(zip(*queries.group_by("language").aggregate([("language", "count")]).select(
        ["language", "language_count"]).to_pydict().values()))
    for lang in params.cfg.languages:
        counters[f"queries_{lang}"] = per_language.get(lang, 0)
    return StageResult(outputs={"queries": queries}, rejects=rejects, counters=counters)


def render_batch(plans: list[dict], params: RenderParams) -> tuple[pa.Table, pa.Table]:
    """The query rows of `plans` (dicts), all languages, and the rejects: a plan whose text in any language
    names a value one of its images carries is refused whole (`names_image_value`), every language with it.
    A plan whose kinds' noun names one ("sports shoes" beside a picture of sports wear) is first written
    with its category's noun instead."""
    rows, rejects = [], RejectLog(STAGE)
    for plan in progress.each(plans):
        ordered = _reading_order(plan["conditions"])
        nouns = params.kind_nouns
        phrases, named = _phrases(plan, ordered, params, nouns)
        if named and plan.get("kinds"):
            nouns = {}
            phrases, named = _phrases(plan, ordered, params, nouns)
        if named:
            lang, words = next(iter(named.items()))
            rejects.add("names_image_value", f"the {lang} text names what an image carries: {words}",
                        record_id=plan["base_query_id"], field="text", raw=phrases[lang].text)
            continue
        english = phrases.get("en") or _phrase(plan, ordered, "en", params, nouns)
        rows += [_query_row(plan, ordered, lang, phrase, english.text, params.seed) for lang, phrase in phrases.items()]
    return schemas.from_rows(rows, "query"), rejects.table()


def _phrases(plan: dict, ordered: list[dict], params: RenderParams,
             kind_nouns: dict[str, frozenset[str]]) -> tuple[dict[str, Phrase], dict[str, str]]:
    """The plan's phrase per language, and the image-carried values each names (languages naming none left out)."""
    phrases = {lang: _phrase(plan, ordered, lang, params, kind_nouns) for lang in params.cfg.languages}
    named = {lang: words for lang, phrase in phrases.items()
             if (words := params.value_words.named_image_values(lang, phrase.text, ordered))}
    return phrases, named


def _phrase(plan: dict, ordered: list[dict], lang: str, params: RenderParams,
            kind_nouns: dict[str, frozenset[str]]) -> Phrase:
    return render_phrase(plan, ordered, params.templates.pack(lang), params.seed, kind_nouns.get(lang, frozenset()))


def render_rows(plans: list[dict], params: RenderParams) -> pa.Table:
    """The query rows of `plans` (dicts), all languages, as a table (refused plans left out)."""
    return render_batch(plans, params)[0]


def _reading_order(conditions: list[dict]) -> list[dict]:
    """A text-carried product type becomes the head noun, so it leads; an image-carried type is the first
    image read (its phrase follows the noun), so image conditions here are in <image_k> order; the rest
    keep plan order."""
    rank = {"text": 0, "image": 1}
    return sorted(conditions, key=lambda c: rank.get(c["carried_by"], 2) if c["attribute"] == "type" else 3)


def render_phrase(plan: dict, conditions: list[dict], pack: LanguagePack, seed: int,
                  kind_nouns: frozenset[str] = frozenset()) -> Phrase:
    """The query sentence in one language as parts; image conditions become <image_1>.. in reading order."""
    return compose(plan, conditions, pack.template, pack.lexicon, seed, kind_nouns)


def render_text(plan: dict, conditions: list[dict], pack: LanguagePack, seed: int) -> str:
    return render_phrase(plan, conditions, pack, seed).text


def _query_row(plan, ordered, lang, phrase: Phrase, english, seed) -> dict:
    images = [{"image_id": c["image_id"], "product_id": c["source_product_id"]} for c in phrase.images]
    return {
        "query_id": f"{plan['base_query_id']}-{lang}", "base_query_id": plan["base_query_id"], "language": lang,
        "category": plan["category"], "n_conditions": plan["n_conditions"], "strategy": plan["strategy"],
        "segments": phrase.segments, "text": phrase.text, "source_text_en": english,
        "images": images,
        "conditions": [{k: c[k] for k in ("attribute", "value", "carried_by", "source_product_id")} for c in ordered],
        "positive_ids": plan["positive_ids"], "personalized_from": plan.get("personalized_from"),
        "n_unverified": plan.get("n_unverified") or 0,
        "hard_negative_ids": [], "hard_negatives": [], "split": "unassigned",
        "provenance": {"pipeline_version": __version__, "seed": seed, "template_id": phrase.template_id,
                       "prompt_ids": [], "stage_versions": []},
    }
