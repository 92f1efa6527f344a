"""Catalog attributes that map onto nothing in the vocabulary, counted per attribute name (never dropped silently).

A structured field (series, size, room, capacity, price) that no attribute of the product's category
takes is not mined; the mine stage reports how many products carried each such field, so the run
report and the card show what a vocabulary of your own (README "Your own categories and attributes",
`meritgen vocab induce`) could add.
"""

from __future__ import annotations

from collections import Counter

from pipelines.stages.field_names import FieldNames
from pipelines.vocab.vocabulary import Vocabulary, norm_text

PREFIX = "unmapped_attribute."  # counter key prefix: unmapped_attribute.<name> = products carrying it


def unmapped_attribute_counts(rows: list[dict], vocab: Vocabulary, fields: FieldNames | None = None) -> dict[str, int]:
    """{unmapped_attribute.<name>: products whose field <name> no attribute of their category takes}
    (field names matched as mine matches them, stages/field_names.py)."""
    fields = fields or FieldNames(vocab)
    counts: Counter = Counter()
    for product in rows:
        category = product["category"]
        # ingest names a fine raw category ("Dog Beds") as the product's type: not a catalog field
        names = {norm_text(item["name"]) for item in product["attributes"] or []
                 if not (item["name"] == "type" and vocab.resolve_category(item["value"]) == category)
                 and fields.attribute(category, item["name"]) is None}
        counts.update(names)
    return {f"{PREFIX}{name}": n for name, n in sorted(counts.items())}
