"""Brands from titles, accepted only with evidence.

Catalog titles read "<Brand> <Gender> <description>", so the words before the gender word are
a brand *candidate*. Titles also read "<Brand> <Colour> <Gender> ..." ("Kiara Black Women
Handbag"), which makes "Kiara Black" a candidate, so a candidate is refused when:
- it ends in a vocabulary word (a colour, pattern, garment/type, material, ... word, or a
  category name): brands named after a colour start with it ("Red Tape"), a descriptor
  trails; the candidate without its trailing vocabulary words ("Kiara") is tried instead;
- it has no word of 3+ letters or digits ("Mr."): too short to name anything from titles
  alone (a structured field or a pin still counts);
- its spelling cluster (stages/values.py) has no evidence: a structured brand field, a pinned
  alias, or `min_titles` distinct products whose titles start with it (after trimming).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.vocab.vocabulary import Vocabulary

_WORD = re.compile(r"[0-9a-z]+")
_APOSTROPHES = re.compile(r"['\u2019`]")
_WORD_WITH_APOSTROPHES = re.compile(r"[0-9a-z]+(?:['\u2019`][0-9a-z]+)*")  # one of _tokens' words, as written


@dataclass(frozen=True)
class Candidate:
    product_id: str
    text: str  # the leading words, as written
    clean: str | None  # text without trailing vocabulary words; None when nothing usable is left


def vocabulary_words(vocab: Vocabulary, domain: str | None = None) -> frozenset[str]:
    """Surface forms (one to three words) that describe a product rather than name its maker; with a
    `domain`, only its categories' ("Apple" is a fruit, not a word that trails a phone brand)."""
    forms: set[str] = set()
    for category in vocab.categories:
        if domain is not None and vocab.domain(category) != domain:
            continue
        forms.update(_key_words(name) for name in [category, *vocab.data["categories"][category].get("aliases", [])])
        for attribute in vocab.attributes_for(category):
            if attribute in vocab.open_attributes:
                continue
            for value, synonyms in vocab.values(attribute, category).items():
                forms.update(_key_words(form) for form in (value, *synonyms))
    return frozenset(f for f in forms if len(f) >= 2)  # a stray letter names nothing


def _key_words(text: str) -> str:
    return " ".join(_tokens(text))


def _tokens(text: str) -> list[str]:
    return _WORD.findall(_APOSTROPHES.sub("", text.lower()))  # "Levi's" is one token, not "levi" + "s"


def clean_candidate(text: str, vocab_forms: frozenset[str]) -> str | None:
    """The candidate without trailing vocabulary forms ("Kiara Black" -> "Kiara"), None if nothing is left.

    Only whole trailing forms are cut: "Black Coffee" keeps its name ("coffee brown" is a
    colour, "coffee" alone is not)."""
    words = text.split()
    while words:
        tail = next((n for n in (3, 2, 1) if n <= len(words) and _key_words(" ".join(words[-n:])) in vocab_forms), 0)
        if not _tokens(words[-1]):
            tail = 1
        if not tail:
            break
        del words[-tail:]
    return " ".join(words) or None


def known_brand(title: str, names: list[str]) -> str | None:
    """The longest well-known maker (the vocabulary's `brands` of the category) the title starts with, as
    written in the list ("APPLE iPhone 15" -> "Apple"); a name must end at a word boundary ("Oppo" is
    not the start of "Opposite")."""
    key = _key_words(title)
    hits = [name for name in names if (k := _key_words(name)) and (key == k or key.startswith(k + " "))]
    return max(hits, key=len) if hits else None


def after_brand(title: str, name: str) -> str:
    """The title without the leading brand `known_brand` found ("Lazo Diamond 18K Ring" -> "18K Ring"), so a
    brand's own words ("Diamond", "Apple") are not mined as the product's values."""
    words = len(_tokens(name))
    for match in _WORD_WITH_APOSTROPHES.finditer(title.lower()):
        words -= 1
        if words == 0:
            return title[match.end():]
    return ""


def name_like(name: str) -> bool:
    """At least one word of 3+ letters or digits: "Mr." or "W" alone needs a field or a pin."""
    return any(len(t) >= 3 for t in _tokens(name))


def accepted_brands(candidates: list[Candidate], field_values: list[str], pinned: dict[str, str],
                    canonical: dict[str, tuple[str, str]], min_titles: int) -> set[str]:
    """Canonical brands with evidence: a field value, a pin, or min_titles products' titles."""
    accepted = {canonical[v][0] for v in field_values if v in canonical} | set(pinned.values())
    products: dict[str, set[str]] = {}
    for c in candidates:
        if c.clean is not None and c.clean in canonical and name_like(c.clean):
            products.setdefault(canonical[c.clean][0], set()).add(c.product_id)
    accepted |= {brand for brand, ids in products.items() if len(ids) >= min_titles}
    return accepted


def resolve(candidate: Candidate, canonical: dict[str, tuple[str, str]], accepted: set[str]) -> tuple[str | None, str]:
    """(canonical brand or None, why) for one product's candidate."""
    brand = canonical.get(candidate.clean or "", (None, ""))[0]
    if brand is not None and brand in accepted:
        return brand, "ok"
    if candidate.clean is None or not name_like(candidate.clean):
        return None, "brand_candidate_not_a_name"
    return None, "brand_without_evidence"
