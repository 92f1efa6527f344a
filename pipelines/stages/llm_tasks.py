"""Pure halves of the LLM stages: build each task's input rows, fold parsed answers back in.

The network half (render, send, parse, strict retry) is pipelines/llm/runner.py, called by
pipelines/plan/llm.py between the two functions of each pair here.
Parsed answers are rows {row_index, record_id, value, raw, prompt_id, ...}; rejects are
reject.json rows.
"""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pyarrow.compute as pc

from pipelines import progress, schemas
from pipelines.langid.identify import detect_language
from pipelines.text.placeholders import in_reading_order, segments_of

VERSION = "2"  # 2: LLM text renumbered in reading order; translations bound to the English images


def _by_id(parsed: list[dict]) -> dict[str, dict]:
    return {p["record_id"]: p for p in parsed}


def _with_prompt(provenance: dict, prompt_id: str) -> dict:
    ids = list(provenance["prompt_ids"])
    return {**provenance, "prompt_ids": ids if prompt_id in ids else ids + [prompt_id]}


def _set_llm_text(q: dict, text: str, images: list[dict], prompt_id: str) -> None:
    """Give row `q` the model's text, whose `<image_k>` is `images[k-1]`, renumbered in reading order."""
    q["text"], q["images"] = in_reading_order(text, images)
    q["segments"] = segments_of(q["text"], [i["image_id"] for i in q["images"]])
    q["provenance"] = _with_prompt(q["provenance"], prompt_id)


# ---- VLM attribute mining -------------------------------------------------------------------

def mine_rows(products: pa.Table, images: pa.Table, options_of, max_value_chars: int = 512) -> list[dict]:
    """One row per product: title, category, its image bytes, the category's vocabulary options, and
    the longest open value (brand) accepted, ingest's `max_attribute_chars` (not in the prompt)."""
    image_bytes = dict(zip(images.column("image_id").to_pylist(), images.column("bytes").to_pylist()))
    rows = []
    for p in products.select(["product_id", "category", "title", "image_ids"]).to_pylist():
        rows.append({"record_id": p["product_id"], "title": p["title"], "category": p["category"],
                     "images": [image_bytes[i] for i in p["image_ids"][:2]], "options": options_of(p["category"]),
                     "max_value_chars": max_value_chars})
    return rows


def merge_mined(attributes: pa.Table, products: pa.Table, parsed: list[dict]) -> pa.Table:
    """Add VLM facts for attributes fields and titles did not give (those stay authoritative)."""
    have = {(p, a) for p, a in zip(attributes.column("product_id").to_pylist(), attributes.column("attribute").to_pylist())}
    category = dict(zip(products.column("product_id").to_pylist(), products.column("category").to_pylist()))
    rows = attributes.to_pylist()
    for answer in parsed:
        pid = answer["record_id"]
        for fact in answer["value"]["attributes"]:
            if (pid, fact["attribute"]) not in have:
                rows.append({"product_id": pid, "category": category[pid], "attribute": fact["attribute"],
                             "value": fact["value"], "source": "llm", "evidence": fact["evidence"], "score": fact["score"]})
    return schemas.from_rows(sorted(rows, key=lambda r: (r["product_id"], r["attribute"])), "attribute")


# ---- fluent rewrite and translation ---------------------------------------------------------

def rewrite_rows(queries: pa.Table, surfaces: dict[str, dict[str, str]]) -> list[dict]:
    """English rows: the template text and the text-carried condition values it states."""
    rows = []
    for q in queries.select(["query_id", "language", "text", "conditions"]).to_pylist():
        if q["language"] != "en":
            continue
        said = q["text"].lower()
        values = []
        for c in q["conditions"]:
            if c["carried_by"] != "text":
                continue
            forms = [surfaces.get(c["attribute"], {}).get(c["value"], c["value"]), c["value"]]
            stated = next((f for f in forms if f.lower() in said), None)  # phrases may paraphrase a value away
            if stated:
                values.append(stated)
        rows.append({"record_id": q["query_id"], "text": q["text"], "condition_values": values})
    return rows


def apply_rewrites(queries: pa.Table, parsed: list[dict]) -> pa.Table:
    """New English text (and segments); every language row's source_text_en follows it."""
    found = _by_id(parsed)
    rows = queries.to_pylist()
    new_source = {}
    for q in rows:
        answer = found.get(q["query_id"])
        if answer:
            _set_llm_text(q, answer["value"]["text"], q["images"], answer["prompt_id"])
            new_source[q["base_query_id"]] = q["text"]
    for q in rows:
        if q["base_query_id"] in new_source:
            q["source_text_en"] = new_source[q["base_query_id"]]
    return schemas.from_rows(rows, "query")


def translate_rows(queries: pa.Table, languages: tuple[str, ...]) -> list[dict]:
    """One row per non-English query: its English source text and the target language."""
    return [{"record_id": q["query_id"], "text": q["source_text_en"], "target_language": q["language"]}
            for q in queries.select(["query_id", "language", "source_text_en"]).to_pylist()
            if q["language"] in languages and q["language"] != "en"]


def apply_translations(queries: pa.Table, parsed: list[dict]) -> pa.Table:
    """Replace a row's template translation by the model's; rows without an answer keep theirs.

    The model translated the English source, so its `<image_k>` numbers the ENGLISH row's images;
    a language's template may order them differently, so the row takes the English image list
    (then renumbered in reading order). Without its English row in the table, a row keeps its
    template text rather than guess which image each placeholder meant.
    """
    found = _by_id(parsed)
    rows = queries.to_pylist()
    english_images = {q["base_query_id"]: q["images"] for q in rows if q["language"] == "en"}
    for q in rows:
        answer = found.get(q["query_id"])
        if answer and q["base_query_id"] in english_images:
            _set_llm_text(q, answer["value"]["text"], english_images[q["base_query_id"]], answer["prompt_id"])
    return schemas.from_rows(rows, "query")


# ---- compliance judge -----------------------------------------------------------------------

def judge_rows(queries: pa.Table, images: pa.Table, products: pa.Table, attributes: pa.Table) -> list[dict]:
    """English rows: query text, its images, the first positive's image and attributes."""
    image_bytes = dict(zip(images.column("image_id").to_pylist(), images.column("bytes").to_pylist()))
    first_image = {p: ids[0] for p, ids in zip(products.column("product_id").to_pylist(),
                                                products.column("image_ids").to_pylist())}
    facts = defaultdict(dict)
    for p, a, v in zip(*(attributes.column(c).to_pylist() for c in ("product_id", "attribute", "value"))):
        facts[p][a] = v
    rows = []
    for q in queries.select(["base_query_id", "language", "text", "images", "positive_ids"]).to_pylist():
        if q["language"] == "en":
            positive = q["positive_ids"][0]
            rows.append({"record_id": q["base_query_id"], "query_text": q["text"],
                         "query_images": [image_bytes[i["image_id"]] for i in q["images"]],
                         "positive_image": image_bytes[first_image[positive]], "positive_attributes": facts[positive]})
    return rows


def apply_verdicts(queries: pa.Table, parsed: list[dict]) -> tuple[pa.Table, list[dict]]:
    """Keep only base queries the judge said "yes" to (in every language).

    A query the judge refused becomes a reject row with the model's reason; one it could not
    assess (request or parse failure) is already a reject of the LLM runner and is not kept.
    """
    approved = {p["record_id"] for p in parsed if p["value"]["verdict"] == "yes"}
    refused = {p["record_id"]: p for p in parsed if p["value"]["verdict"] == "no"}
    keep = [b in approved for b in queries.column("base_query_id").to_pylist()]
    rejects = [{"stage": "judge", "reason": "judge_no", "record_id": b, "source_file": None, "source_row": None,
                "field": None, "message": p["value"]["reason"] or "the judge answered no", "raw": p["raw"]}
               for b, p in sorted(refused.items())]
    return queries.filter(pa.array(keep, pa.bool_())), rejects


# ---- language-ID agreement ------------------------------------------------------------------

AGREEMENT_COLUMNS = ["query_id", "language", "text"]  # what language_agreement reads


def language_agreement(queries: pa.Table, sample_per_language: int) -> pa.Table:
    """Per language: how many of (up to) N texts the detector assigns to their declared language."""
    # The first N by (query_id, language, text), per language: sorted by Arrow (byte order of UTF-8
    # is code point order, Python's), so only the sampled texts become Python strings.
    table = queries.select(AGREEMENT_COLUMNS)
    order = pc.sort_indices(table, sort_keys=[(c, "ascending") for c in table.column_names])
    languages = pc.take(table.column("language"), order)
    rows = []
    for lang in sorted(pc.unique(languages).to_pylist()):
        picked = pc.filter(order, pc.equal(languages, lang)).slice(0, sample_per_language)
        texts = pc.take(table.column("text"), picked).to_pylist()
        agreed = sum(detect_language(t)[0] == lang for t in progress.each(texts))
        rows.append({"language": lang, "checked": len(texts), "agreed": agreed, "agreement": agreed / len(texts)})
    return pa.Table.from_pylist(rows, schema=schemas.schema("language_agreement"))
