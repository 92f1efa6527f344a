"""Which vocabulary attribute a catalog's structured field fills, whatever the catalog calls it.

Catalogs spell field names their own way ("Screen Size", "screen-size", "SCREEN_SIZE", "Screen size:"),
and some use another word ("Colour", "Storage Capacity"). A field name is compared by its key (ASCII
letters and digits only, lower case: `values.value_key`) with the keys of the category's attribute names
and of each attribute's `aliases` (schemas/vocabulary/v1.json). A real attribute name always wins over
another attribute's alias. When the whole name matches nothing, it is tried without a bracketed unit
("Screen Size (inches)", "Weight [g]") and then without a plural "s" ("Colours"). A name that fills
nothing stays unmapped (stages/unmapped.py counts it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

from pipelines.stages.values import value_key


class Vocabulary(Protocol):
    """What field names read of `pipelines.vocab.vocabulary.Vocabulary`, named here rather than imported:
    vocab/check.py (which the vocabulary's loader imports) checks aliases with this module, so an import
    of the vocabulary here, even for typing only, would close an import circle."""

    data: dict

    def attributes_for(self, category: str) -> list[str]: ...

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")


def attribute_keys(vocab: Vocabulary, category: str) -> dict[str, str]:
    """{name key: attribute} for the attributes of `category`."""
    return name_table(vocab.data["attributes"], vocab.attributes_for(category))


def name_table(specs: dict[str, dict], attributes: Iterable[str]) -> dict[str, str]:
    """{name key: attribute} for `attributes` (their `specs` give aliases): names first, then aliases."""
    attributes = list(attributes)
    table: dict[str, str] = {}
    for attribute in attributes:
        table.setdefault(value_key(attribute), attribute)
    for attribute in attributes:
        for alias in specs.get(attribute, {}).get("aliases", []):
            table.setdefault(value_key(alias), attribute)
    table.pop("", None)  # a name with no ASCII letter or digit names nothing
    return table


def lookup(table: dict[str, str], name: str) -> str | None:
    """The attribute of a `name_table` that the field `name` fills, or None."""
    for key in name_keys(name):
        if key in table:
            return table[key]
    return None


_UNSEEN = object()  # FieldNames' cache: a name not looked up yet (None is an answer: it fills nothing)


class FieldNames:
    """Field name -> attribute per category, each category's table built once (a stage makes one per run).

    Each (category, field name) is looked up once: a catalog repeats a few dozen field names on every
    product, and deriving a name's keys was the mine stage's costliest call."""

    def __init__(self, vocab: Vocabulary):
        self._vocab = vocab
        self._tables: dict[str, dict[str, str]] = {}
        self._found: dict[tuple[str, str], str | None] = {}

    def attribute(self, category: str, name: str) -> str | None:
        """The attribute of `category` that the field `name` fills, or None."""
        found = self._found.get((category, name), _UNSEEN)
        if found is _UNSEEN:
            table = self._tables.get(category)
            if table is None:
                table = self._tables[category] = attribute_keys(self._vocab, category)
            found = self._found[(category, name)] = lookup(table, name)
        return found



def name_keys(name: str) -> list[str]:
    """The keys a field name is looked up by, best first: whole, without bracketed parts, without a plural "s"."""
    keys = [value_key(name), value_key(_BRACKETED.sub(" ", name))]
    keys += [k[:-1] for k in keys if len(k) > 3 and k.endswith("s")]
    return [k for k in dict.fromkeys(keys) if k]


def alias_problems(data: dict) -> Iterator[str]:
    """A vocabulary document's attribute aliases that could fill two attributes, or none (vocab_check)."""
    owner = {value_key(name): name for name in data["attributes"]}
    for name, spec in data["attributes"].items():
        for alias in spec.get("aliases", []):
            key = value_key(alias)
            if not key:
                yield (f"attributes.{name}.aliases: {alias!r} has no ASCII letter or digit, and field names are "
                       "matched by them; write it as the catalog's field is spelled in Latin letters")
            elif owner.setdefault(key, name) != name:
                yield f"attributes.{name}.aliases: {alias!r} is already a name or alias of attribute {owner[key]!r}"
