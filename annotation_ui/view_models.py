"""Shape round rows into what the templates display (pure; no request or database access)."""

from __future__ import annotations

from annotation_ui.decisions import REASONS
from pipelines.langid.languages import LANGUAGE_NAMES
from pipelines.text.placeholders import image_token, segments_of

REASON_KEYS = {reason: str(i) for i, reason in enumerate(REASONS, start=1)}  # keyboard: 1..5
REASON_TEXT = {
    "condition_not_visible": "Condition not visible",
    "positive_wrong_or_not_unique": "Positive wrong / not unique",
    "bad_translation": "Bad translation",
    "needs_no_image": "Needs no image",
    "other": "Other (note)",
}


def product_view(product: dict | None, product_id: str, violates: list[str] = ()) -> dict:
    """A product card: title, attributes, first image; a placeholder when the product is unknown."""
    if product is None:
        return {"product_id": product_id, "title": "(product not in this round's snapshot)", "category": "",
                "attributes": [], "image_id": None, "n_images": 0, "violates": list(violates)}
    ids = product["image_ids"] or []
    return {"product_id": product_id, "title": product["title"], "category": product["category"],
            "attributes": [(a["name"], a["value"]) for a in product["attributes"]],
            "image_id": ids[0] if ids else None, "n_images": len(ids), "violates": list(violates)}


def _safe_segments(text: str, image_ids: list[str]) -> list[dict]:
    """Segments of `text`; a placeholder with no image (a broken row) stays visible as text."""
    try:
        return segments_of(text, image_ids)
    except IndexError:
        return [{"kind": "text", "text": text, "image_id": None, "image_index": None}]


def conditions_view(query: dict) -> list[dict]:
    """Conditions with their carrier spelled out: `<image_k>` for image-carried ones, else "text"."""
    out, k = [], 0
    for cond in query["conditions"]:
        carrier = "text"
        if cond["carried_by"] == "image":
            k += 1
            carrier = image_token(k)
        out.append({"attribute": cond["attribute"], "value": cond["value"], "carrier": carrier})
    return out


def item_view(query: dict, products: dict[str, dict]) -> dict:
    """Everything the item page shows about one query."""
    image_ids = [i["image_id"] for i in query["images"]]
    return {
        "query_id": query["query_id"], "language": query["language"],
        "language_name": LANGUAGE_NAMES.get(query["language"], query["language"]),
        "category": query["category"], "n_conditions": query["n_conditions"], "strategy": query["strategy"],
        "split": query["split"], "text": query["text"],
        "segments": query["segments"] or _safe_segments(query["text"], image_ids),
        "source_segments": _safe_segments(query["source_text_en"], image_ids),
        "show_source": query["language"] != "en",
        "conditions": conditions_view(query),
        "positives": [product_view(products.get(p), p) for p in query["positive_ids"]],
        "negatives": [product_view(products.get(n["product_id"]), n["product_id"], n["violates"])
                      for n in query["hard_negatives"]],
    }


def decision_label(decision: dict | None) -> str:
    """One line describing a decision, for the page header and the adjudication view."""
    if decision is None:
        return "not decided yet"
    if decision["action"] == "reject":
        note = f" ({decision['note']})" if decision.get("note") else ""
        return f"rejected: {REASON_TEXT.get(decision['reason'], decision['reason'])}{note}"
    if decision["action"] == "edit":
        return f"edited: {decision['text']}"
    return "accepted"
