"""Compose 2-4-condition queries whose positive set is exact and small (MERIT's construction).

Each attempt picks a target product and conditions it meets, by one of MERIT's strategies:
`random` (conditions shared with randomly drawn products), `key_pool` (keys drawn from a
weighted pool that leans away from colour) or `variant` (two SKUs of one family: the
attribute that differs becomes a condition). Image-carried conditions are shown by an image
of *another* product with the target's value, never by a positive. The positive set is every
product of the category meeting every condition; the query is kept only if that set is a
small enough share of the catalog. Only attributes the vocabulary allows as a condition in
the category are used (`condition_categories`, opt-in attributes such as season). Products
unknown on a condition are neither positive nor negative (stages/matching.py): their count is
the plan's `n_unverified`, and a plan whose unverified share is above the bound is dropped.
Every condition is testable (stages/minimal_pairs.py): vacuous values are never picked, and the
picked set is repaired so each condition has a minimal pair in the catalog, then narrowed with more
testable conditions while its positive set is over the bound.
Each attempt has its own seeded RNG, so results do not
depend on how attempts are batched or sharded.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa

from pipelines import progress, schemas
from pipelines.config import ComposeConfig
from pipelines.results import RejectLog, StageResult
from pipelines.stages.catalog_index import CatalogIndex, build_index
from pipelines.stages.compose_picks import PICKERS, AttemptFailed, draw_keys, weighted_choice
from pipelines.stages.matching import Matcher, unverified_share
from pipelines.stages.minimal_pairs import PairSet, vacuous
from pipelines.stages.twins import SharedPhoto
from pipelines.vocab.vocabulary import Vocabulary

STAGE = "compose"
# A plan whose condition set (base_query_id) an earlier attempt produced; Beam's global dedupe uses it too.
DUPLICATE_QUERY = ("duplicate_query", "the same conditions were composed before")
REQUIRED_MISSING = ("required_condition_missing", "the target lacks a value its category's queries must ask for")
VERSION = "4"  # 2: no image source shares a photo with a positive; 3: every condition testable (#22); 4: kinds
KIND = "type"  # the attribute whose values name what a product is: phrasing's head noun


@dataclass(frozen=True)
class ComposeParams:
    cfg: ComposeConfig
    vocabulary: Vocabulary
    seed: int

    @cached_property
    def matcher(self) -> Matcher:
        return Matcher.from_vocabulary(self.vocabulary)

    @cached_property
    def _condition_attributes(self) -> dict[str, frozenset[str]]:
        return {c: self.vocabulary.condition_attributes(c, self.cfg.opt_in_conditions) for c in self.vocabulary.categories}

    @cached_property
    def _label_only(self) -> frozenset[tuple[str, str]]:
        return frozenset((a, v) for a in self.vocabulary.data["attributes"] for v in self.vocabulary.label_only(a))

    @cached_property
    def _required(self) -> dict[str, tuple[str, ...]]:
        return {c: self.vocabulary.required_conditions(c) for c in self.vocabulary.categories}

    def required(self, category: str) -> tuple[str, ...]:
        """Attributes every query of the category asks for (vocabulary `required_conditions`)."""
        return self._required.get(category, ())

    def may_condition(self, category: str, attribute: str, value: str) -> bool:
        """`attribute` may be a condition in `category`, and `value` may be asked for (not `label_only`)."""
        return attribute in self._condition_attributes.get(category, frozenset()) and (attribute, value) not in self._label_only


def compose_queries(products: pa.Table, attributes: pa.Table, families: pa.Table, params: ComposeParams) -> StageResult:
    """Compose verified query plans.

    Input columns: products (product_id, category, image_ids); attributes (product_id,
    attribute, value); families (product_id, family_id).
    Output: plans (schemas/v1/query_plan.json); rejects for attempts that found no valid query.
    """
    index = build_index(products, attributes, families, params.matcher)
    return compose_from_index(index, range(attempt_count(index.size, params.cfg)), params)


def attempt_count(n_products: int, cfg: ComposeConfig) -> int:
    n = round(n_products * cfg.queries_per_product)
    return min(n, cfg.max_queries) if cfg.max_queries else n


def compose_from_index(index: CatalogIndex, attempts, params: ComposeParams) -> StageResult:
    """Run the given attempt numbers against a prebuilt index and collect the plans."""
    return collect_plans(index.ids, compose_attempts(index, attempts, params))


def compose_attempts(index: CatalogIndex, attempts, params: ComposeParams) -> list[tuple]:
    """(attempt, target, plan | None, reason, message) per attempt. Attempts are independent,
    so any partition of them (processes, Beam workers) gives the same outcomes."""
    order = random.Random(params.seed).sample(range(index.size), index.size)
    outcomes = []
    for attempt in progress.each(attempts):
        target = order[attempt % index.size]
        try:
            outcomes.append((attempt, target, _attempt(index, target, attempt, params), None, None))
        except AttemptFailed as exc:
            outcomes.append((attempt, target, None, exc.reason, exc.message))
    return outcomes


def collect_plans(ids: list[str], outcomes: list[tuple]) -> StageResult:
    """Keep the first plan per condition set (in attempt order), reject the rest, count. `ids`: the
    index's product ids (`CatalogIndex.ids`), which name a failed attempt's target."""
    rejects = RejectLog(STAGE)
    plans, seen = [], set()
    for _, target, plan, reason, message in sorted(outcomes, key=lambda o: o[0]):
        if plan is None:
            rejects.add(reason, message, record_id=ids[target])
        elif plan["base_query_id"] in seen:
            rejects.add(*DUPLICATE_QUERY, record_id=ids[target])
        else:
            seen.add(plan["base_query_id"])
            plans.append(plan)
    plans.sort(key=lambda p: p["base_query_id"])
    counters = {"attempts": len(outcomes), "plans": len(plans), **rejects.counters()}
    for n in (2, 3, 4):
        counters[f"plans_{n}_conditions"] = sum(p["n_conditions"] == n for p in plans)
    return StageResult(outputs={"plans": schemas.from_rows(plans, "query_plan")}, rejects=rejects.table(), counters=counters)


def _attempt(index: CatalogIndex, target: int, attempt: int, params: ComposeParams) -> dict:
    cfg = params.cfg
    rng = random.Random(f"{params.seed}:{attempt}")
    strategy = weighted_choice(rng, cfg.strategy_weights)
    last = AttemptFailed("no_conditions", "target has too few mined attributes")
    mine = _usable(index, target, params)  # the same for every try: computed once
    required = params.required(index.category[target])
    if any(a not in mine for a in required):
        raise AttemptFailed(*REQUIRED_MISSING)
    for _ in range(cfg.tries_per_query):
        n = rng.choice(cfg.condition_counts)
        try:
            picked = _with_required(PICKERS[strategy](index, target, mine, n, rng, params), required, mine, n)
            picked, spares, pairs = _testable(index, target, mine, picked, n, rng, params)
            picked = _narrow(index, picked, spares, pairs, cfg)  # a required value, first and never vacuous, stays
            return _finish(index, target, picked, pairs, strategy, rng, params)
        except AttemptFailed as exc:
            last = exc
            if exc.reason == "no_family_variant":  # a product without siblings still deserves a query
                strategy = "key_pool"
    raise last


def _with_required(picked: list, required: tuple[str, ...], mine: dict[str, str], n: int) -> list:
    """The picked conditions with the category's required ones first, so the testability repair keeps them
    (no draw: the RNG state is the same either way), cut back to `n` from the end."""
    if not required:
        return picked
    first = [next((p for p in picked if p[0] == a), (a, mine[a], None)) for a in required]
    return (first + [p for p in picked if p[0] not in required])[:max(n, len(first))]


def _usable(index: CatalogIndex, product: int, params: ComposeParams) -> dict[str, str]:
    """The product's values on attributes that may be a condition in its category, except vacuous
    ones (no known product of the category violates them: the category already says it) and those
    the vocabulary keeps for labels only."""
    category = index.category[product]
    return {k: v for k, v in index.values[product].items()
            if params.may_condition(category, k, v) and not vacuous(index, category, k, v)}


def _finish(index: CatalogIndex, target: int, picked, pairs: PairSet, strategy: str, rng: random.Random,
            params: ComposeParams) -> dict:
    """`pairs`: the picked conditions' PairSet (`all_meet`: the products meeting every one, already ANDed)."""
    cfg, category, bits = params.cfg, index.category[target], pairs.all_meet
    count = bits.bit_count()
    share = count / index.size
    if count == 0:
        raise AttemptFailed("no_positive", "no product meets every condition")
    if share > cfg.max_positive_share or count > cfg.max_positives:
        raise AttemptFailed("too_many_positives", f"{count} positives ({share:.1%} of the catalog) exceed the bound")
    unverified = index.unverified(category, [(a, v) for a, v, _ in picked], bits).bit_count()
    if unverified_share(count, unverified) > cfg.max_unverified_share:
        raise AttemptFailed("too_many_unverified",
                            f"{unverified} products lack a value to check against {count} positives")
    positions = index.to_global(category, bits)
    conditions = _assign_carriers(index, target, picked, set(positions), rng, params)
    return {**_plan(index, target, strategy, conditions, positions, share), "n_unverified": unverified,
            "kinds": _kinds(index, category, picked, pairs)}


def _kinds(index: CatalogIndex, category: str, picked, pairs: PairSet) -> list[str] | None:
    """The kinds (`type` values) of every positive and every minimal pair, when each has one and no condition
    asks for a type. Render may then name the kind they share ("top") instead of the category's noun ("top or
    dress"): the noun is true of each positive and keeps each pair a pair, so the labels and testability hold.
    Plans a step derives from this one (personalisation) keep subsets of both sets, so the kinds stay true."""
    if any(attribute == KIND for attribute, _, _ in picked):
        return None
    scope = pairs.all_meet
    for pair in pairs.pairs:
        scope |= pair
    return index.own_values(category, KIND, scope)


def _testable(index: CatalogIndex, target: int, mine: dict[str, str], picked: list, n: int, rng: random.Random,
              params: ComposeParams) -> tuple[list, list, PairSet]:
    """The picked conditions, repaired so that each has a minimal pair in the catalog (stages/minimal_pairs.py).

    Conditions are kept in pick order while the kept set stays testable (a new condition must not
    take the others' pairs away: a pair has to meet it too); the target's other usable values, in
    the key pool's weighted order, then top the set up to `n` on the same rule. Too few testable
    conditions fail the attempt. Returns (conditions, the values not tried yet in order, their PairSet)."""
    pairs, kept = PairSet(index, index.category[target]), []

    def take(condition) -> None:
        if pairs.admits(condition[0], condition[1]):
            pairs.add(condition[0], condition[1])
            kept.append(condition)

    for condition in picked:
        take(condition)
    used = {a for a, _, _ in picked}
    spares = [(key, mine[key], None) for key in draw_keys(sorted(k for k in mine if k not in used), len(mine), rng, params.cfg)]
    while spares and len(kept) < n:
        take(spares.pop(0))
    if len(kept) < min(params.cfg.condition_counts):
        names = ", ".join(a for a, _, _ in picked if all(a != k for k, _, _ in kept))
        raise AttemptFailed("untestable_condition", f"no product meets the other conditions and violates {names}")
    return kept, spares, pairs


def _narrow(index: CatalogIndex, picked: list, spares: list, pairs: PairSet, cfg: ComposeConfig) -> list:
    """While the positive set is over the bound and fewer than the most conditions are picked, add the
    next spare value that keeps every condition testable (a too-broad query narrowed, not lost)."""
    picked = list(picked)

    def too_broad() -> bool:
        count = pairs.all_meet.bit_count()
        return count / index.size > cfg.max_positive_share or count > cfg.max_positives

    for attribute, value, hint in spares:
        if len(picked) >= max(cfg.condition_counts) or not too_broad():
            break
        if pairs.admits(attribute, value):
            pairs.add(attribute, value)
            picked.append((attribute, value, hint))
    return picked


def _assign_carriers(index, target, picked, positives: set[int], rng, params) -> list[dict]:
    """Choose which conditions an image carries, and whose image (never a positive's)."""
    cfg, vocab, category = params.cfg, params.vocabulary, index.category[target]
    visual = [i for i, (a, _, _) in enumerate(picked) if vocab.is_visual(a)]
    if len(visual) < cfg.min_image_conditions:
        raise AttemptFailed("no_visual_condition", "too few conditions can be shown by an image")
    k = rng.randint(cfg.min_image_conditions, min(cfg.max_image_conditions, len(visual)))
    by_image = set(rng.sample(visual, k))
    # Identical photos can sit on several listings (stages/twins.py): no positive, nor any listing
    # sharing a photo with one, may show a condition, or the query would show the positive.
    blocked = SharedPhoto(index.twins, (index.ids[p] for p in positives))
    used_sources: set[int] = set()
    conditions = []
    for i, (attribute, value, hint) in enumerate(picked):
        source = None
        if i in by_image:
            source = _image_source(index, category, attribute, value, hint, blocked, used_sources, rng)
            used_sources.add(source)
        conditions.append({"attribute": attribute, "value": value, "carried_by": "image" if source is not None else "text",
                           "source_product_id": None if source is None else index.ids[source],
                           "image_id": None if source is None else index.image[source]})
    return conditions


def _image_source(index, category, attribute, value, hint, blocked: SharedPhoto, used, rng) -> int:
    def usable(p: int) -> bool:
        return p not in used and index.image[p] is not None and index.ids[p] not in blocked

    if hint is not None and usable(hint):
        return hint
    candidates = index.matching(category, attribute, value)
    for _ in range(min(len(candidates), 32)):
        p = rng.choice(candidates)
        if usable(p):
            return p
    usable_all = [p for p in candidates if usable(p)]
    if not usable_all:
        raise AttemptFailed("no_image_source", f"no non-positive product shows {attribute}={value}")
    return rng.choice(usable_all)


def _plan(index, target, strategy, conditions, positive_positions, share) -> dict:
    category = index.category[target]
    key = "|".join([category] + sorted(f"{c['attribute']}={c['value']}@{c['carried_by']}" for c in conditions))
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return {
        "base_query_id": f"q{digest}", "category": category, "target_id": index.ids[target], "strategy": strategy,
        "n_conditions": len(conditions), "conditions": conditions,
        "positive_ids": [index.ids[p] for p in positive_positions], "positive_share": share,
    }
