"""The `judge` task: MERIT's VLM compliance check of each English query against its first positive;
base queries it refuses leave the build (in every language) as reject rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from pipelines.llm.parsers import Parsed, load_json_object, reject
from pipelines.llm.task import LLMTask
from pipelines.results import RejectLog


def parse(text: str, row: Mapping[str, Any]) -> Parsed:
    """Answer: {"verdict": "yes"|"no", "reason": str}."""
    doc = load_json_object(text)
    if isinstance(doc, Parsed):
        return doc
    verdict = str(doc.get("verdict", "")).strip(" .!").lower()
    if verdict not in ("yes", "no"):
        return reject("invalid_verdict", f"verdict must be yes or no, got {doc.get('verdict')!r}")
    return Parsed({"verdict": verdict, "reason": str(doc.get("reason") or "")})


# A judge's reason may name a query's `<image_k>`.
TASK = LLMTask("judge", 1, parse, placeholders=True)


def rows(queries: pa.Table, images: pa.Table, products: pa.Table, attributes: pa.Table) -> list[dict]:
    """English rows: query text, its images, the first positive's image and attributes."""
    image_bytes = dict(zip(images.column("image_id").to_pylist(), images.column("bytes").to_pylist()))
    first_image = {p: ids[0] for p, ids in zip(products.column("product_id").to_pylist(),
                                                products.column("image_ids").to_pylist())}
    facts = defaultdict(dict)
    for p, a, v in zip(*(attributes.column(c).to_pylist() for c in ("product_id", "attribute", "value"))):
        facts[p][a] = v
    out = []
    for q in queries.select(["base_query_id", "language", "text", "images", "positive_ids"]).to_pylist():
        if q["language"] == "en":
            positive = q["positive_ids"][0]
            out.append({"record_id": q["base_query_id"], "query_text": q["text"],
                        "query_images": [image_bytes[i["image_id"]] for i in q["images"]],
                        "positive_image": image_bytes[first_image[positive]], "positive_attributes": facts[positive]})
    return out


def apply(queries: pa.Table, parsed: list[dict]) -> tuple[pa.Table, list[dict]]:
    """Keep only base queries the judge said "yes" to (in every language).

    A query the judge refused becomes a reject row with the model's reason; one it could not
    assess (request or parse failure) is already a reject of the LLM runner and is not kept.
    """
    approved = {p["record_id"] for p in parsed if p["value"]["verdict"] == "yes"}
    refused = {p["record_id"]: p for p in parsed if p["value"]["verdict"] == "no"}
    keep = [b in approved for b in queries.column("base_query_id").to_pylist()]
    log = RejectLog(stage="judge")
    for b, p in sorted(refused.items()):
        log.add("judge_no", p["value"]["reason"] or "the judge answered no", record_id=b, raw=p["raw"])
    return queries.filter(pa.array(keep, pa.bool_())), log.rows
