"""MERIT's personalisation, pure halves: which plans to ask about, and what an answer changes.

A plan with several positives is shown to a VLM with one positive (its target); the VLM names
one visible attribute value that singles the target out. The value becomes a text condition,
the target the only positive; former positives with a known value that does not meet it become
hard negatives, those without a value for it are unverified (stages/matching.py: unknown is not
"violates"). An answer is refused when it contradicts a mined value, when another former
positive meets it, or when the unverified share of the new plan is above the bound.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from pipelines import schemas
from pipelines.results import RejectLog
from pipelines.stages.matching import UNVERIFIED, Matcher, unverified_share

STAGE = "personalize"
VERSION = "1"


def personalize_rows(plans: pa.Table, images: pa.Table, products: pa.Table, text_of, options_of) -> list[dict]:
    """Rows for plans with 2+ positives and room for one more condition (at most 4)."""
    image_bytes = dict(zip(images.column("image_id").to_pylist(), images.column("bytes").to_pylist()))
    first_image = dict(zip(products.column("product_id").to_pylist(), (ids[0] for ids in products.column("image_ids").to_pylist())))
    rows = []
    for plan in plans.to_pylist():
        if len(plan["positive_ids"]) < 2 or plan["n_conditions"] >= 4:
            continue
        used = {c["attribute"] for c in plan["conditions"]}
        options = {a: f for a, f in options_of(plan["category"]).items() if a not in used}
        if options:
            shown = [c for c in plan["conditions"] if c["carried_by"] == "image"]
            rows.append({"record_id": plan["base_query_id"], "query_text": text_of(plan),
                         "query_images": [image_bytes[c["image_id"]] for c in shown],
                         "positive_image": image_bytes[first_image[plan["target_id"]]], "options": options})
    return rows


def apply_personalization(plans: pa.Table, attributes: pa.Table, parsed: list[dict], n_products: int,
                          matcher: Matcher | None = None, products: pa.Table | None = None,
                          max_unverified_share: float = 1.0):
    """Updated plans and attributes (the target gains the fact), plus reject rows for refused answers.

    Answers are applied one by one in plan order, each against the facts added before it, and an
    answer is refused when its new fact would change the target's label in any other plan (it
    was unknown there on that attribute): every exported positive set stays exact. `products`
    (product_id, category) names the products without any fact, which are unverified everywhere.
    """
    matcher = matcher or Matcher()
    values, members = defaultdict(dict), defaultdict(set)
    for p, c, a, v in zip(*(attributes.column(k).to_pylist() for k in ("product_id", "category", "attribute", "value"))):
        values[p][a] = v
        members[c].add(p)
    if products is not None:
        for p, c in zip(products.column("product_id").to_pylist(), products.column("category").to_pylist()):
            members[c].add(p)
    rows = plans.to_pylist()
    using = defaultdict(list)  # (category, attribute) -> plans with a condition on it
    for plan in rows:
        for c in plan["conditions"]:
            using[(plan["category"], c["attribute"])].append(plan)
    answers = {p["record_id"]: p for p in parsed}
    log, new_facts = RejectLog(STAGE), []
    for i, plan in enumerate(rows):
        answer = answers.get(plan["base_query_id"])
        fact = answer and _check(plan, answer["value"], values, using, log, answer["raw"], matcher)
        if not fact:
            continue
        updated = _personalized(plan, fact, n_products, values, members[plan["category"]], matcher)
        share = unverified_share(1, updated["n_unverified"])
        if share > max_unverified_share:
            log.add("too_many_unverified", f"{updated['n_unverified']} products lack a value to check",
                    record_id=plan["base_query_id"], raw=answer["raw"])
            continue
        values[fact["product_id"]][fact["attribute"]] = fact["value"]
        new_facts.append(fact)
        rows[i] = updated
        using[(plan["category"], fact["attribute"])].append(rows[i])
    table = schemas.from_rows(attributes.to_pylist() + new_facts, "attribute")
    return schemas.from_rows(rows, "query_plan"), table, log


def _conditions(plan: dict) -> list[tuple[str, str]]:
    return [(c["attribute"], c["value"]) for c in plan["conditions"]]


def _check(plan: dict, value: dict, values, using, log: RejectLog, raw: str, matcher: Matcher) -> dict | None:
    attribute, val, target = value["attribute"], value["value"], plan["target_id"]
    mined = values[target].get(attribute)
    if mined is not None and mined != val:
        log.add("contradicts_mined_value", f"{attribute}={val!r} but {target} has {attribute}={mined!r}",
                record_id=plan["base_query_id"], raw=raw)
        return None
    twins = [p for p in plan["positive_ids"] if p != target and matcher.judge(attribute, val, values[p].get(attribute)) == "meets"]
    if twins:
        log.add("does_not_single_out", f"{attribute}={val!r} is shared by {twins[:3]}", record_id=plan["base_query_id"], raw=raw)
        return None
    if mined is None:  # the target is unverified in plans where it violates nothing: a value would relabel it
        changed = [other["base_query_id"] for other in using[(plan["category"], attribute)]
                   if matcher.label(_conditions(other), values[target]) == UNVERIFIED]
        if changed:
            log.add("would_change_other_queries", f"giving {target} {attribute}={val!r} would relabel it in {changed[:3]}",
                    record_id=plan["base_query_id"], raw=raw)
            return None
    return {"product_id": target, "category": plan["category"], "attribute": attribute, "value": val,
            "source": "llm", "evidence": "personalize", "score": 100.0}


def _personalized(plan: dict, fact: dict, n_products: int, values, members: set[str], matcher: Matcher) -> dict:
    condition = {"attribute": fact["attribute"], "value": fact["value"], "carried_by": "text",
                 "source_product_id": None, "image_id": None}
    conditions = plan["conditions"] + [condition]
    target, wanted = plan["target_id"], _conditions({"conditions": conditions})
    target_values = {**values[target], fact["attribute"]: fact["value"]}
    labels = {p: matcher.label(wanted, target_values if p == target else values[p])
              for p in members | set(plan["positive_ids"])}
    return {**plan, "conditions": conditions, "n_conditions": plan["n_conditions"] + 1,
            "positive_ids": [target], "positive_share": 1 / n_products,
            "n_unverified": sum(label == UNVERIFIED for label in labels.values()),
            # all former positives; overlap negatives demote only those with a known, non-meeting value
            "personalized_from": [p for p in plan["positive_ids"] if p != target]}
