"""The per-category attribute vocabulary (prompts/vocabulary/<version>.json) as a frozen lookup.

Loading reads a file, so adapters load it and hand the object to stages; the object itself is
pure lookup. `digest` is part of every stage fingerprint that reads the vocabulary.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property

from rapidfuzz import fuzz, process

from pipelines.errors import ConfigError
from pipelines.stages import units
from pipelines.vocab.check import read_document
from pipelines.vocab.paths import is_path, vocabulary_file

_SPACES = re.compile(r"[\s_]+")


def norm_text(text: str) -> str:
    """Lower-case, collapse spaces: the form every lookup key is stored in."""
    return _SPACES.sub(" ", text.strip().lower())


@dataclass(frozen=True)
class Vocabulary:
    version: str
    data: dict = field(repr=False, hash=False, compare=False)
    digest: str = ""

    @property
    def categories(self) -> list[str]:
        return sorted(self.data["categories"])

    @cached_property
    def _category_aliases(self) -> dict[str, str]:
        aliases = {}
        for name, spec in self.data["categories"].items():
            for alias in [name, *spec.get("aliases", [])]:
                aliases[norm_text(alias)] = name
        return aliases

    def resolve_category(self, raw: str) -> str | None:
        """Canonical category for a raw category name or alias, or None when unknown."""
        return self._category_aliases.get(norm_text(raw))

    def attributes_for(self, category: str) -> list[str]:
        spec = self.data["categories"][category]
        return [*self.data["common_attributes"], *spec["attributes"]]

    def required_conditions(self, category: str) -> tuple[str, ...]:
        """Attributes every query of `category` asks for (v2's accessories: the kind, never 'a belt, cap, tie ...')."""
        return tuple(self.data["categories"][category].get("required_conditions", ()))

    def domain(self, category: str) -> str:
        """The category's group (fashion, electronics, ...; v2's `domain`), "fashion" where the vocabulary names none."""
        return self.data["categories"][category].get("domain", "fashion")

    def brands_for(self, category: str) -> list[str]:
        """Well-known makers of the category (v2's `brands`): a title starting with one names that brand."""
        return list(self.data["categories"][category].get("brands", []))

    def quantity(self, attribute: str) -> str | None:
        """The dimension of a quantity attribute (data, length_in, charge, volume, weight), else None."""
        return self.data["attributes"].get(attribute, {}).get("quantity")

    def also_meets(self, attribute: str) -> dict[str, list[str]]:
        """{value: the other values a product with it meets} ("unisex" meets men and women)."""
        return self.data["attributes"].get(attribute, {}).get("also_meets", {})

    def label_only(self, attribute: str) -> frozenset[str]:
        """Values a product is labelled with but no query asks for: "men, women, boys and girls" still makes
        a towel a positive for "girls" (also_meets), yet no shopper asks for that list."""
        return frozenset(self.data["attributes"].get(attribute, {}).get("label_only", ()))

    def is_visual(self, attribute: str) -> bool:
        return bool(self.data["attributes"].get(attribute, {}).get("visual", False) or attribute == "type")

    def condition_attributes(self, category: str, opt_in: tuple[str, ...] = ()) -> frozenset[str]:
        """Attributes that may be a query condition in `category` (plausibility rules as data).

        An attribute spec may limit its categories (`condition_categories`) and may be off unless
        opted in (`"condition": "opt_in"`, e.g. the listing season: "a clutch for winter")."""
        allowed = set()
        for attribute in self.attributes_for(category):
            spec = self.data["attributes"].get(attribute, {})
            if category not in spec.get("condition_categories", [category]):
                continue
            if spec.get("condition") == "opt_in" and attribute not in opt_in:
                continue
            allowed.add(attribute)
        return frozenset(allowed)

    @cached_property
    def open_attributes(self) -> list[str]:
        """Attributes that accept any value (brand): their spellings are clustered at mining."""
        return sorted(a for a in self.data["attributes"] if self.is_open(a))

    def is_open(self, attribute: str) -> bool:
        return bool(self.data["attributes"].get(attribute, {}).get("open", False))

    def categories_of_types(self) -> dict[str, frozenset[str]]:
        """type value -> the categories that list it (a type may serve several: a backpack bag and a backpack
        suitcase)."""
        found: dict[str, set[str]] = {}
        for category, spec in self.data["categories"].items():
            for kind in spec.get("types", {}):
                found.setdefault(kind, set()).add(category)
        return {kind: frozenset(categories) for kind, categories in found.items()}

    def values(self, attribute: str, category: str) -> dict[str, list[str]]:
        """Allowed values of `attribute` in `category`, each with its synonyms: a category's `values` scopes
        a shared attribute (a table's material is wood or glass, never denim, so "denim" mines nothing there)."""
        if attribute == "type":
            return self.data["categories"][category].get("types", {})
        values = self.data["attributes"][attribute]["values"]
        scoped = self.data["categories"][category].get("values", {}).get(attribute)
        return values if scoped is None else {v: values[v] for v in scoped}

    @cached_property
    def _surface_forms(self) -> dict[tuple[str, str], dict[str, str]]:
        """(category, attribute) -> {surface form: canonical value}."""
        forms: dict[tuple[str, str], dict[str, str]] = {}
        for category in self.categories:
            for attribute in self.attributes_for(category):
                if self.is_open(attribute) or self.quantity(attribute):
                    continue
                table = forms.setdefault((category, attribute), {})
                for value, synonyms in self.values(attribute, category).items():
                    for surface in [value, *synonyms]:
                        table.setdefault(norm_text(surface), value)
        return forms

    def surface_forms(self, category: str, attribute: str) -> dict[str, str]:
        return self._surface_forms.get((category, attribute), {})

    def normalise(self, category: str, attribute: str, raw: str, min_score: float) -> tuple[str, float] | None:
        """Map a raw value onto the vocabulary: exact surface form first, then rapidfuzz, then its head words
        (`head_value`: "Aurora Blue" is blue)."""
        text = norm_text(raw)
        if not text:
            return None
        if self.is_open(attribute):
            return raw.strip(), 100.0
        if dimension := self.quantity(attribute):
            value = units.canonical(raw, dimension)
            return (value, 100.0) if value else None
        forms = self.surface_forms(category, attribute)
        if text in forms:
            return forms[text], 100.0
        match = process.extractOne(text, forms.keys(), scorer=fuzz.ratio, score_cutoff=min_score)
        if match is not None:
            return forms[match[0]], float(match[1])
        head = head_value(text, forms)
        return None if head is None else (head, HEAD_SCORE)


HEAD_SCORE = 90.0  # the score a value read from its head words carries (above mine.min_score's default)
HEAD_MAX_WORDS = 6  # a value name ("Prism Crush Black") is short; a longer text is no value, and reading every
# part of a hostile 512-character field would cost time per row


def head_value(text: str, forms: dict[str, str]) -> str | None:
    """The value the last words of `text` name when the words before them name none: "aurora blue" is blue,
    "genuine leather" leather (an English noun phrase is a kind of its head); "black green" names two colours,
    so it is none (never the last one). The longest such ending wins."""
    words = text.split(" ")
    if len(words) > HEAD_MAX_WORDS:
        return None
    for k in range(1, len(words)):
        value = forms.get(" ".join(words[k:]))
        if value is not None:
            before = words[:k]
            named = any(" ".join(before[i:j]) in forms for i in range(len(before)) for j in range(i + 1, len(before) + 1))
            return None if named else value
    return None


def load_vocabulary(version: str = "v2") -> Vocabulary:
    """A shipped version (`v2`, `v1`) or your own vocabulary file/folder (`pipelines/vocab/paths.py`); your own
    is checked against schemas/vocabulary/v1.json first, so a typo is one line naming file and key."""
    path = vocabulary_file(version)
    if not path.exists():
        hint = "" if is_path(version) else "; your own vocabulary is a path (e.g. './my-vocabulary/'), a JSON file or a folder"
        raise ConfigError(f"mine.vocabulary: vocabulary {version!r} not found at {path}{hint}")
    raw = path.read_bytes()
    data = read_document(path, "vocabulary") if is_path(version) else json.loads(raw)
    return Vocabulary(version=version, data=data, digest=hashlib.sha256(raw).hexdigest()[:16])
