"""Tiny inline tables for the retrieval-stage tests (a 6-product shirt catalog)."""

from pipelines import schemas
from pipelines.retrieval import hits_table

# product_id: (category, title, {attribute: value})
CATALOG = {
    "p1": ("shirt", "Red cotton shirt long sleeve", {"color": "red", "material": "cotton"}),
    "p2": ("shirt", "Blue cotton shirt", {"color": "blue", "material": "cotton"}),
    "p3": ("shirt", "Red linen shirt", {"color": "red", "material": "linen"}),
    "p4": ("shirt", "Crimson cotton tee", {"color": "red", "material": "cotton"}),  # meets all: a hidden positive
    "p5": ("shirt", "Plain shirt", {"color": "red"}),  # material unknown: unverifiable
    "p6": ("shoes", "Red cotton sneaker", {"color": "red", "material": "cotton"}),
}


def products(catalog=CATALOG):
    rows = [
        {"product_id": pid, "category": cat, "title": title, "description": None, "language": "en", "family_id": None,
         "attributes": [{"name": k, "value": v} for k, v in facts.items()], "image_ids": [f"img-{pid}"],
         "source_file": "inline", "source_row": i + 1}
        for i, (pid, (cat, title, facts)) in enumerate(catalog.items())
    ]
    return schemas.from_rows(rows, "product")


def attributes(catalog=CATALOG):
    rows = [
        {"product_id": pid, "category": cat, "attribute": k, "value": v, "source": "field", "evidence": v, "score": 100.0}
        for pid, (cat, _, facts) in catalog.items()
        for k, v in facts.items()
    ]
    return schemas.from_rows(rows, "attribute")


def query(qid="q1", *, text="A shirt like <image_1> in cotton", images=("p3",), positives=("p1",),
          conditions=(("color", "red"), ("material", "cotton")), negatives=(), language="en", split="test"):
    return {
        "query_id": qid, "base_query_id": qid.split("-")[0], "language": language, "category": "shirt",
        "n_conditions": len(conditions), "strategy": "random", "segments": [], "text": text, "source_text_en": text,
        "images": [{"image_id": f"img-{p}", "product_id": p} for p in images],
        "conditions": [{"attribute": a, "value": v, "carried_by": "text", "source_product_id": None} for a, v in conditions],
        "positive_ids": list(positives), "n_unverified": 0,
        "hard_negative_ids": [n["product_id"] for n in negatives],
        "hard_negatives": list(negatives),
        "split": split,
        "provenance": {"pipeline_version": "test", "seed": 1, "template_id": "t", "prompt_ids": [], "stage_versions": []},
    }


def queries(*rows):
    return schemas.from_rows(list(rows), "query")


def hits(ranked: dict[str, list[str]], scores: dict[str, list[float]] | None = None):
    """hits({"q1": ["p1", "p2"]}) with descending default scores."""
    qids = list(ranked)
    ids = [ranked[q] for q in qids]
    sc = [scores[q] if scores else [float(len(r) - i) for i in range(len(r))] for q, r in zip(qids, ids)]
    return hits_table(qids, ids, sc)
