"""MERIT's personalisation, pure halves: which plans to ask about, and what an answer changes.

A plan with several positives is shown to a VLM with one positive (its target); the VLM names
one visible attribute value that singles the target out. The value becomes a text condition,
the target the only positive, and the other former positives hard negatives. An answer is
refused when it contradicts a mined value or when another former positive has the same value.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa

from pipelines import schemas
from pipelines.results import RejectLog

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


def apply_personalization(plans: pa.Table, attributes: pa.Table, parsed: list[dict], n_products: int):
    """Updated plans and attributes (the target gains the fact), plus reject rows for refused answers.

    Answers are applied one by one in plan order, each against the facts added before it, and an
    answer is refused when its new fact would make its target a positive of any other plan: every
    exported positive set stays exact.
    """
    values = defaultdict(dict)
    for p, a, v in zip(*(attributes.column(c).to_pylist() for c in ("product_id", "attribute", "value"))):
        values[p][a] = v
    rows = plans.to_pylist()
    using = defaultdict(list)  # (category, attribute, value) -> plans with that condition
    for plan in rows:
        for c in plan["conditions"]:
            using[(plan["category"], c["attribute"], c["value"])].append(plan)
    answers = {p["record_id"]: p for p in parsed}
    log, new_facts = RejectLog(STAGE), []
    for i, plan in enumerate(rows):
        answer = answers.get(plan["base_query_id"])
        fact = answer and _check(plan, answer["value"], values, using, log, answer["raw"])
        if fact:
            values[fact["product_id"]][fact["attribute"]] = fact["value"]
            new_facts.append(fact)
            rows[i] = _personalized(plan, fact, n_products)
            using[(plan["category"], fact["attribute"], fact["value"])].append(rows[i])
    table = schemas.from_rows(attributes.to_pylist() + new_facts, "attribute")
    return schemas.from_rows(rows, "query_plan"), table, log


def _meets(product_values: dict, plan: dict, skip: tuple[str, str]) -> bool:
    return all(product_values.get(c["attribute"]) == c["value"] for c in plan["conditions"]
               if (c["attribute"], c["value"]) != skip)


def _check(plan: dict, value: dict, values, using, log: RejectLog, raw: str) -> dict | None:
    attribute, val, target = value["attribute"], value["value"], plan["target_id"]
    mined = values[target].get(attribute)
    if mined is not None and mined != val:
        log.add("contradicts_mined_value", f"{attribute}={val!r} but {target} has {attribute}={mined!r}",
                record_id=plan["base_query_id"], raw=raw)
        return None
    twins = [p for p in plan["positive_ids"] if p != target and values[p].get(attribute) == val]
    if twins:
        log.add("does_not_single_out", f"{attribute}={val!r} is shared by {twins[:3]}", record_id=plan["base_query_id"], raw=raw)
        return None
    if mined is None:
        changed = [other["base_query_id"] for other in using[(plan["category"], attribute, val)]
                   if target not in other["positive_ids"] and _meets(values[target], other, (attribute, val))]
        if changed:
            log.add("would_change_other_queries", f"giving {target} {attribute}={val!r} would add it to {changed[:3]}",
                    record_id=plan["base_query_id"], raw=raw)
            return None
    return {"product_id": target, "category": plan["category"], "attribute": attribute, "value": val,
            "source": "llm", "evidence": "personalize", "score": 100.0}


def _personalized(plan: dict, fact: dict, n_products: int) -> dict:
    condition = {"attribute": fact["attribute"], "value": fact["value"], "carried_by": "text",
                 "source_product_id": None, "image_id": None}
    return {**plan, "conditions": plan["conditions"] + [condition], "n_conditions": plan["n_conditions"] + 1,
            "positive_ids": [plan["target_id"]], "positive_share": 1 / n_products,
            "personalized_from": [p for p in plan["positive_ids"] if p != plan["target_id"]]}
