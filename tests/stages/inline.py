"""Tiny inline catalogs for stage unit tests."""

from pipelines import schemas


def products(rows):
    """rows: (product_id, category) or (product_id, category, family_id)."""
    out = []
    for i, r in enumerate(rows):
        pid, cat, fam = (*r, None)[:3]
        out.append({"product_id": pid, "category": cat, "title": f"t {pid}", "description": None, "language": "en",
                    "family_id": fam, "attributes": [], "image_ids": [f"img-{pid}"], "source_file": "inline",
                    "source_row": i + 1})
    return schemas.from_rows(out, "product")


def attributes(facts):
    """facts: {product_id: {attribute: value}} with category taken from `category` key."""
    out = []
    for pid, values in facts.items():
        cat = values["_category"]
        for attr, value in values.items():
            if attr != "_category":
                out.append({"product_id": pid, "category": cat, "attribute": attr, "value": value,
                            "source": "field", "evidence": value, "score": 100.0})
    return schemas.from_rows(out, "attribute")


def families(pairs):
    return schemas.from_rows([{"product_id": p, "family_id": f, "source": "catalog"} for p, f in pairs], "family")
