"""The `rows` and `apply` halves of each LLM step (pipelines/llm/step.py), bound to what they read.

Each half is a frozen value whose fields are exactly the resources and config values it reads, so
the step's parameter digest is derived from them (`plan.step.planned`): a function or closure
would be refused by `digest`, and nothing is listed by hand. Frozen dataclasses pickle, so Beam
ships them to its workers as they are (`pipelines/beam/llm_step.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.llm.step import Applied
from pipelines.stages.llm_tasks import judge as judge_task
from pipelines.stages.llm_tasks import mine_attributes as mine_task
from pipelines.stages.llm_tasks import personalize as personalize_task
from pipelines.stages.llm_tasks import rewrite as rewrite_task
from pipelines.stages.llm_tasks import translate as translate_task
from pipelines.stages.llm_tasks.options import vocabulary_options
from pipelines.stages.matching import Matcher
from pipelines.stages.render import render_text


@dataclass(frozen=True)
class MineRows:
    vocab: object  # a Vocabulary: digested by its content
    max_attribute_chars: int  # ingest's bound on an open value, applied to mined ones too

    def __call__(self, products, images, attributes) -> list[dict]:
        return mine_task.rows(products, images, lambda category: vocabulary_options(self.vocab, category),
                              self.max_attribute_chars, {a: self.vocab.also_meets(a) for a in self.vocab.data["attributes"]})


@dataclass(frozen=True)
class MineApply:
    def __call__(self, parsed, products, images, attributes) -> Applied:
        return Applied({"attributes": mine_task.apply(attributes, products, parsed)})


@dataclass(frozen=True)
class RewriteRows:
    templates: object  # the build's Templates: the English pack's value surfaces are stated to the model

    def __call__(self, queries) -> list[dict]:
        return rewrite_task.rows(queries, self.templates.pack("en").lexicon["values"])


@dataclass(frozen=True)
class RewriteApply:
    def __call__(self, parsed, queries) -> Applied:
        return Applied({"queries": rewrite_task.apply(queries, parsed)})


@dataclass(frozen=True)
class TranslateRows:
    languages: tuple[str, ...]  # render.languages: the rows asked

    def __call__(self, queries) -> list[dict]:
        return translate_task.rows(queries, self.languages)


@dataclass(frozen=True)
class TranslateApply:
    def __call__(self, parsed, queries) -> Applied:
        return Applied({"queries": translate_task.apply(queries, parsed)})


@dataclass(frozen=True)
class PersonalizeRows:
    vocab: object
    templates: object  # the English pack renders the query text the model personalises
    opt_in_conditions: tuple[str, ...]  # compose's: which attributes a category's conditions may use
    seed: int  # render_text's template choice

    def options_of(self, category: str) -> dict:
        allowed = self.vocab.condition_attributes(category, self.opt_in_conditions)
        return {a: f for a, f in vocabulary_options(self.vocab, category).items()
                if self.vocab.is_visual(a) and f and a in allowed}

    def __call__(self, plans, images, products, attributes) -> list[dict]:
        english = self.templates.pack("en")
        text_of = lambda plan: render_text(plan, plan["conditions"], english, self.seed)  # noqa: E731
        return personalize_task.rows(plans, images, products, text_of, self.options_of, attributes,
                                     Matcher.from_vocabulary(self.vocab))


@dataclass(frozen=True)
class PersonalizeApply:
    vocab: object
    max_unverified_share: float  # compose's bound on personalised values no catalog fact confirms

    def __call__(self, parsed, plans, images, products, attributes) -> Applied:
        plans, attributes, log = personalize_task.apply(
            plans, attributes, parsed, products.num_rows, Matcher.from_vocabulary(self.vocab),
            products.select(["product_id", "category"]), self.max_unverified_share)
        personalized = sum(bool(p) for p in plans.column("personalized_from").to_pylist())
        return Applied({"plans": plans, "attributes": attributes}, log.rows, {"personalized": personalized})


@dataclass(frozen=True)
class JudgeRows:
    def __call__(self, queries, images, products, attributes) -> list[dict]:
        return judge_task.rows(queries, images, products, attributes)


@dataclass(frozen=True)
class JudgeApply:
    def __call__(self, parsed, queries, images, products, attributes) -> Applied:
        kept, refused = judge_task.apply(queries, parsed)
        return Applied({"queries": kept}, refused, {"judged_no": len(refused), "queries_kept": kept.num_rows})
