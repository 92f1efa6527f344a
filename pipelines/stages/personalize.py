"""MERIT's personalisation, pure halves: which plans to ask about, and what an answer changes.

A plan with several positives is shown to a VLM with one positive (its target); the VLM names
one visible attribute value that singles the target out. The value becomes a text condition,
the target the only positive; former positives with a known value that does not meet it become
hard negatives, those without a value for it are unverified (stages/matching.py: unknown is not
"violates"). An answer is refused when it contradicts a mined value, when another former
positive meets it, when the unverified share of the new plan is above the bound, or when a
condition of the new plan would have no minimal pair in the catalog (stages/minimal_pairs.py,
#22: a product meeting every other condition and violating it, on known values); compose
guarantees that for its plans, and the added condition must keep it (else the query is
one-sided or untestable and the audit fails).
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from pipelines import schemas
from pipelines.results import RejectLog
from pipelines.stages.matching import UNVERIFIED, Matcher, unverified_share

STAGE = "personalize"
VERSION = "2"


def personalize_rows(plans: pa.Table, images: pa.Table, products: pa.Table, text_of, options_of,
                     attributes: pa.Table | None = None, matcher: Matcher | None = None) -> list[dict]:
    """Rows for plans with 2+ positives and room for one more condition (at most 4).

    With `attributes`, the closed options offered are only the values that keep every condition
    of the plan testable (_testable_options); the answer is checked again when applied."""
    values, members = _facts(attributes, products) if attributes is not None else (None, None)
    matcher = matcher or Matcher()
    image_bytes = dict(zip(images.column("image_id").to_pylist(), images.column("bytes").to_pylist()))
    first_image = dict(zip(products.column("product_id").to_pylist(), (ids[0] for ids in products.column("image_ids").to_pylist())))
    rows = []
    for plan in plans.to_pylist():
        if len(plan["positive_ids"]) < 2 or plan["n_conditions"] >= 4:
            continue
        used = {c["attribute"] for c in plan["conditions"]}
        options = {a: f for a, f in options_of(plan["category"]).items() if a not in used}
        if values is not None:
            options = _testable_options(plan, options, values, members[plan["category"]], matcher)
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
    values, members = _facts(attributes, products)
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
        untestable = _without_pair(updated, fact, values, members[plan["category"]], matcher)
        if untestable:
            log.add("untestable_condition", f"no product meets the other conditions and violates {untestable}",
                    record_id=plan["base_query_id"], raw=answer["raw"])
            continue
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


def _facts(attributes: pa.Table, products: pa.Table | None):
    """{product: {attribute: value}} and {category: product ids} (products without facts included)."""
    values, members = defaultdict(dict), defaultdict(set)
    for p, c, a, v in zip(*(attributes.column(k).to_pylist() for k in ("product_id", "category", "attribute", "value"))):
        values[p][a] = v
        members[c].add(p)
    if products is not None:
        for p, c in zip(products.column("product_id").to_pylist(), products.column("category").to_pylist()):
            members[c].add(p)
    return values, members


def _known(value) -> frozenset:
    return frozenset([value] if isinstance(value, str) else value or ())


def _testable_options(plan: dict, options: dict, values, members: set[str], matcher: Matcher) -> dict:
    """The closed options whose value keeps a minimal pair for every condition (#22): for each
    present condition a product violating only it (on known values) meets the new value, and a
    product meeting them all (not the target) violates it. Open attributes are kept as they are."""
    judge = matcher.judge_all_for(_conditions(plan))
    only, all_meet = defaultdict(list), []
    for p in members:
        if p == plan["target_id"]:
            continue
        violated, unknown = judge(values[p])
        if not unknown and not violated:
            all_meet.append(values[p])
        elif not unknown and len(violated) == 1:
            only[violated[0]].append(values[p])
    kept = {}
    for attribute, forms in options.items():
        if forms is None:
            kept[attribute] = forms
            continue
        pairs = [[_known(v.get(attribute)) for v in only[c["attribute"]]] for c in plan["conditions"]]
        meeting_all = [_known(v.get(attribute)) for v in all_meet]
        forms = {surface: value for surface, value in forms.items()
                 if _keeps_pairs(frozenset(matcher.meeting_values(attribute, value)), pairs, meeting_all)}
        if forms:
            kept[attribute] = forms
    return kept


def _keeps_pairs(meets: frozenset, pairs: list[list[frozenset]], meeting_all: list[frozenset]) -> bool:
    """Each condition's pair group holds a product meeting the new value; one meeting all violates it."""
    return all(any(k & meets for k in group) for group in pairs) and any(k and not k & meets for k in meeting_all)


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


def _without_pair(plan: dict, fact: dict, values, members: set[str], matcher: Matcher) -> list[str]:
    """Attributes of the plan's conditions that no product of the category pairs minimally: it
    meets every other condition and violates this one, all on known values (the target, with its
    new fact, meets them all)."""
    judge = matcher.judge_all_for(_conditions(plan))
    paired = set()
    for p in members:
        violated, unknown = judge({**values[p], fact["attribute"]: fact["value"]} if p == fact["product_id"] else values[p])
        if len(violated) == 1 and not unknown:
            paired.add(violated[0])
    return [c["attribute"] for c in plan["conditions"] if c["attribute"] not in paired]


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
