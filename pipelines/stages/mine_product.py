"""Mine one product's (attribute, value) facts: its structured fields, then its title and description.

Part of the mine stage (`mine.py`, which holds what needs the whole catalog: open values' canonical
spellings, title brands with evidence, photo twins). Field values are mapped onto the vocabulary
with rapidfuzz; titles are matched phrase by phrase against each attribute's surface forms. One
value per attribute, by source priority field > title > description.
"""

from __future__ import annotations

import hashlib
import re

from pipelines.config import MineConfig
from pipelines.results import RejectLog
from pipelines.stages import brands, quantity_facts, value_lists, values
from pipelines.stages.field_names import FieldNames
from pipelines.vocab.vocabulary import Vocabulary, norm_text

_TOKEN = re.compile(r"[a-z0-9][a-z0-9'/&.+-]*")
_GENDER_WORDS = {"men", "women", "unisex", "boys", "girls", "kids", "mens", "womens", "man", "woman", "boy", "girl"}
_MAX_NGRAM = 3


def fact(product: dict, attribute: str, value: str, source: str, evidence: str, score: float) -> dict:
    return {"product_id": product["product_id"], "category": product["category"], "attribute": attribute,
            "value": value, "source": source, "evidence": evidence, "score": score}


def field_facts(product: dict, params, names: FieldNames, rejects: RejectLog) -> dict[str, dict]:
    vocab, found = params.vocabulary, {}
    for item in product["attributes"] or []:
        attribute = names.attribute(product["category"], item["name"])  # "Screen Size", "screen-size": screen_size
        if attribute is None or attribute in found:
            continue
        raw = item["value"] if attribute in vocab.open_attributes else _pinned(params.cfg, attribute, item["value"])
        listed = _listed(vocab, product["category"], attribute, raw)
        if listed is not None and listed.value is None:
            rejects.add("several_values", f"{attribute}={item['value']!r} lists {', '.join(listed.parts)}, and no "
                        f"{attribute} value means all of them (also_meets)", record_id=product["product_id"],
                        field=f"attributes.{attribute}", raw=item["value"])
            continue
        match = (listed.value, 100.0) if listed else vocab.normalise(product["category"], attribute, raw, params.cfg.min_score)
        if match is None:
            if attribute == "type" and vocab.resolve_category(item["value"]) == product["category"]:
                continue  # the category's own name ("Laptops" from ingest's raw category) names no finer type
            rejects.add("value_not_in_vocabulary", f"{attribute}={item['value']!r} matches no {product['category']} value",
                        record_id=product["product_id"], field=f"attributes.{attribute}", raw=item["value"])
            continue
        found[attribute] = fact(product, attribute, match[0], "field", item["value"], match[1])
    return found


def _listed(vocab: Vocabulary, category: str, attribute: str, raw: str) -> value_lists.ListedValue | None:
    """A closed value that lists several of its vocabulary values ("Men, Women"), read by value_lists."""
    # open and quantity attributes have no surface forms: no list
    return value_lists.listed_among(raw, vocab.surface_forms(category, attribute), vocab.also_meets(attribute), norm_text)


def _pinned(cfg: MineConfig, attribute: str, raw: str) -> str:
    """A closed attribute's raw field value through the config's pinned aliases (by spelling key)."""
    pinned = cfg.aliases.get(attribute)
    if not pinned:  # most configs pin nothing: no spelling key to derive per field value
        return raw
    pins = {values.value_key(k): v for k, v in pinned.items()}
    return pins.get(values.value_key(raw), raw)


class QuantitySpecs:
    """A category's quantity attributes (quantity_facts.specs_of), derived once per category, not per product."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab, self.by_category = vocab, {}

    def __call__(self, category: str) -> list:
        if category not in self.by_category:
            self.by_category[category] = quantity_facts.specs_of(self.vocab.data["attributes"],
                                                                 self.vocab.attributes_for(category))
        return self.by_category[category]


def text_facts(product: dict, vocab: Vocabulary, found: dict[str, dict], quantity_specs: list) -> str | None:
    """Add title/description phrase and quantity facts (`quantity_specs`: the category's quantity
    attributes); return the title's brand candidate (judged globally)."""
    candidate = None
    category = product["category"]
    known = brands.known_brand(product["title"] or "", vocab.brands_for(category)) if "brand" not in found else None
    if known:
        found["brand"] = fact(product, "brand", known, "title", product["title"], 100.0)
    for source in ("title", "description"):
        text = product[source] or ""
        if not text:
            continue
        # "<Brand> <Gender> <description>" is how fashion titles read; elsewhere a gender word ("Ring for
        # Women") ends nothing, so the whole text is mined and brands come from the vocabulary's `brands`.
        fashion = vocab.domain(category) == "fashion"
        brand, rest = _split_brand(text) if fashion else (None, text)
        matches = list(_phrase_matches(rest, category, vocab, every=not fashion))
        if known and source == "title":  # the brand's words may say the type ("Coca-Cola"), never another value
            matches = [m for m in matches if m[0] == "type"] + [
                m for m in _phrase_matches(brands.after_brand(text, known), category, vocab, every=True) if m[0] != "type"]
        if brand and source == "title":
            candidate = brand
        for attribute, value, evidence in _in_priority(matches, head_final=not fashion):
            if attribute not in found:
                found[attribute] = fact(product, attribute, value, source, evidence, 100.0)
        for attribute, (value, evidence) in quantity_facts.mine(text, quantity_specs).items():
            if attribute not in found:
                found[attribute] = fact(product, attribute, value, source, evidence, 100.0)
        if source == "title" and "gender" not in found and (brand is not None or not fashion):
            gender = vocab.normalise(product["category"], "gender", _gender_word(text), 100.0)
            if gender:
                found["gender"] = fact(product, "gender", gender[0], "title", text, 100.0)
    return candidate


def _split_brand(title: str) -> tuple[str | None, str]:
    """Catalog titles read "<Brand> <Gender> <description>": the words before the gender word are the brand."""
    words = title.split()
    for i, word in enumerate(words):
        if word.lower().strip(".,") in _GENDER_WORDS:
            return (" ".join(words[:i]) or None), " ".join(words[i + 1:])
    return None, title


def _gender_word(title: str) -> str:
    for word in title.split():
        if word.lower().strip(".,") in _GENDER_WORDS:
            return word.strip(".,")
    return ""


def _in_priority(matches, head_final: bool) -> list[tuple[str, str, str]]:
    """Phrase matches in the order that decides each attribute (the first wins). With `head_final`, the
    type is the longest, then rightmost type phrase: an English noun phrase ends in its head ("Chocolate
    Biscuit Sticks" are biscuits, "Coffee Table Lamp" a lamp). Fashion titles keep the first match."""
    matches = list(matches)
    types = [m for m in matches if m[0] == "type"]
    if not head_final or not types:
        return matches
    longest = max(len(m[2].split()) for m in types)
    head = [m for m in types if len(m[2].split()) == longest][-1]
    # The head's words are the type; a type word before it is a modifier that may say another value ("Chocolate").
    return [head, *(m for m in matches if m[0] != "type" and m[2] != head[2])]


def _phrase_matches(text: str, category: str, vocab: Vocabulary, every: bool = False):
    """Longest-first phrase matches of the text against every attribute's surface forms: the first attribute
    whose forms hold a phrase, or with `every` each of them (the caller picks, `_in_priority`)."""
    tokens = _TOKEN.findall(text.lower())
    used = [False] * len(tokens)
    tables = [(a, vocab.surface_forms(category, a)) for a in vocab.attributes_for(category) if a != "gender"]
    for n in range(_MAX_NGRAM, 0, -1):
        for i in range(len(tokens) - n + 1):
            if any(used[i:i + n]):
                continue
            phrase = " ".join(tokens[i:i + n])
            for attribute, forms in tables:
                value = forms.get(phrase)
                if value is not None:
                    used[i:i + n] = [True] * n
                    yield attribute, value, phrase
                    if not every:
                        break


def family(product: dict, found: dict[str, dict], vocab: Vocabulary) -> dict:
    if product["family_id"]:
        return {"product_id": product["product_id"], "family_id": product["family_id"], "source": "catalog"}
    colour_words = set(vocab.surface_forms(product["category"], "color"))
    words = [w for w in _TOKEN.findall(product["title"].lower()) if w not in colour_words]
    key = "|".join([product["category"], *words])
    return {"product_id": product["product_id"], "family_id": "fam-" + hashlib.sha1(key.encode()).hexdigest()[:12],
            "source": "title"}
