"""A type that is a maker's name before its category's own ("Oxyglow Combos and Kits" in "Combos and Kits").

Shops fill a type field with the brand and the category when they have nothing finer to say. Kept, such a
value is a "type" only one brand's products have: a query for "an oxyglow combo and kit" names the brand
twice over and tells no product of the category from another by what it is. It is the category, so it is
left out like a type that is only the category's name.

A leading word is read as a maker's only with evidence: it is a value of the brand field, or it starts the
titles of at least half as many of the category's products as carry the type (makers write their name first).
A word that merely narrows the category ("Laptop Bags" in "Bags") starts few titles and stays a type.
"""

from __future__ import annotations

from collections import Counter

from pipelines.induce.names import spelling_key
from pipelines.induce.type_nouns import words as title_words

TITLE_SHARE = 0.5  # titles starting with the leading words, per product of the type, to read them as a maker


def brand_led_types(types, brands: Counter, titles: dict[str, list[str]], undecided: list[str]) -> None:
    """Drop from `types` (the `type` Attribute) each category's value that is a maker's name and the category's
    name (`brands`: the brand field's raw values; `titles`: category -> its titles); each drop is a report line."""
    brand_keys = {spelling_key(b) for b in brands}
    for category, values in types.by_category.items():
        for value in sorted(values):
            maker = _leading_words(value, category)
            if maker and _is_maker(maker, brand_keys, titles.get(category, []), types.counts[value]):
                values.discard(value)
                undecided.append(f"type {value!r}: the maker {maker!r} before the category {category!r} names no "
                                 f"finer type; left out of {category!r} (mine counts such field values as "
                                 "value_not_in_vocabulary)")
    for value in [v for v in types.values if not any(v in found for found in types.by_category.values())]:
        del types.values[value]
        types.counts.pop(value, None)


def _leading_words(value: str, category: str) -> str | None:
    """The words before the category's name when `value` ends with it ("oxyglow" of "oxyglow combo and kit")."""
    return value[:-len(category)].strip() if value.endswith(" " + category) else None


def _is_maker(words: str, brand_keys: set[str], titles: list[str], products: int) -> bool:
    if spelling_key(words) in brand_keys:
        return True
    lead = title_words(words)  # as type_nouns reads titles: "Wild Ferns" and "Wild Ferns Manuka ..." alike
    starting = sum(1 for t in titles if title_words(t)[:len(lead)] == lead)
    return starting >= max(1, TITLE_SHARE * products)
