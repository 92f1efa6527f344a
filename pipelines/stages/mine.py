"""Mine (product, attribute, value) facts from structured fields and from title/description.

Field values are mapped onto the vocabulary with rapidfuzz; titles are matched phrase by
phrase against each attribute's surface forms. One value per attribute and product, by
source priority field > title > description. Families (SPUs) come from the catalog or are
derived from titles with colour words removed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pyarrow as pa

from pipelines import schemas
from pipelines.config import MineConfig
from pipelines.results import RejectLog, StageResult
from pipelines.vocabulary import Vocabulary, norm_text

STAGE = "mine"
VERSION = "1"
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'/&.+-]*")
_GENDER_WORDS = {"men", "women", "unisex", "boys", "girls", "kids", "mens", "womens", "man", "woman", "boy", "girl"}
_MAX_NGRAM = 3


@dataclass(frozen=True)
class MineParams:
    cfg: MineConfig
    vocabulary: Vocabulary


def mine_attributes(products: pa.Table, params: MineParams) -> StageResult:
    """Mine attributes for every product.

    Input columns: product_id, category, title, description, attributes, family_id.
    Output: attributes (schemas/v1/attribute.json), families (schemas/v1/family.json), rejects
    for field values that do not map onto the vocabulary.
    """
    rejects = RejectLog(STAGE)
    facts, families = [], []
    for product in products.select(["product_id", "category", "title", "description", "attributes", "family_id"]).to_pylist():
        found = _field_facts(product, params, rejects)
        if params.cfg.mine_text:
            _text_facts(product, params.vocabulary, found)
        facts.extend(found.values())
        families.append(_family(product, found, params.vocabulary))
    counters = {"products": products.num_rows, "facts": len(facts), **rejects.counters()}
    for source in ("field", "title", "description"):
        counters[f"facts_from_{source}"] = sum(f["source"] == source for f in facts)
    return StageResult(
        outputs={"attributes": schemas.from_rows(facts, "attribute"), "families": schemas.from_rows(families, "family")},
        rejects=rejects.table(),
        counters=counters,
    )


def _fact(product: dict, attribute: str, value: str, source: str, evidence: str, score: float) -> dict:
    return {"product_id": product["product_id"], "category": product["category"], "attribute": attribute,
            "value": value, "source": source, "evidence": evidence, "score": score}


def _field_facts(product: dict, params: MineParams, rejects: RejectLog) -> dict[str, dict]:
    vocab, found = params.vocabulary, {}
    allowed = set(vocab.attributes_for(product["category"]))
    for item in product["attributes"] or []:
        attribute = norm_text(item["name"])
        if attribute not in allowed or attribute in found:
            continue
        match = vocab.normalise(product["category"], attribute, item["value"], params.cfg.min_score)
        if match is None:
            rejects.add("value_not_in_vocabulary", f"{attribute}={item['value']!r} matches no {product['category']} value",
                        record_id=product["product_id"], field=f"attributes.{attribute}", raw=item["value"])
            continue
        found[attribute] = _fact(product, attribute, match[0], "field", item["value"], match[1])
    return found


def _text_facts(product: dict, vocab: Vocabulary, found: dict[str, dict]) -> None:
    for source in ("title", "description"):
        text = product[source] or ""
        if not text:
            continue
        brand, rest = _split_brand(text)
        if brand and "brand" not in found and source == "title":
            found["brand"] = _fact(product, "brand", brand, "title", text, 100.0)
        for attribute, value, evidence in _phrase_matches(rest, product["category"], vocab):
            if attribute not in found:
                found[attribute] = _fact(product, attribute, value, source, evidence, 100.0)
        if source == "title" and "gender" not in found and brand is not None:
            gender = vocab.normalise(product["category"], "gender", _gender_word(text), 100.0)
            if gender:
                found["gender"] = _fact(product, "gender", gender[0], "title", text, 100.0)


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


def _phrase_matches(text: str, category: str, vocab: Vocabulary):
    """Longest-first phrase matches of the text against every attribute's surface forms."""
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
                    break


def _family(product: dict, found: dict[str, dict], vocab: Vocabulary) -> dict:
    if product["family_id"]:
        return {"product_id": product["product_id"], "family_id": product["family_id"], "source": "catalog"}
    colour_words = set(vocab.surface_forms(product["category"], "color"))
    words = [w for w in _TOKEN.findall(product["title"].lower()) if w not in colour_words]
    key = "|".join([product["category"], *words])
    return {"product_id": product["product_id"], "family_id": "fam-" + hashlib.sha1(key.encode()).hexdigest()[:12],
            "source": "title"}
