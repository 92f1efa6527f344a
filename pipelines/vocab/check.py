"""Your own vocabulary and lexicons checked before any stage runs: one actionable line per problem.

Two kinds of check. `document_problems`: a vocabulary, lexicon or template file against its JSON
Schema (`schemas/vocabulary/v1.json`, `schemas/lexicon/v1.json`, `schemas/templates/v1.json`) and,
for a vocabulary, its cross-references (a category naming an attribute nobody defines, an alias
claimed by two categories, a category's `values` outside its attributes or their values, a `range`
or `cues` without a `quantity`). `lexicon_gaps`: what one language's lexicon lacks for the vocabulary
(a category without a head noun would end the render stage; a value without a translation would
put an English word into a Thai query; `verbatim` values and codes like '24K' are written alike
everywhere), so a plan can refuse or skip that language up front.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import jsonschema

from pipelines.errors import ConfigError
from pipelines.resources import SCHEMAS_DIR
from pipelines.stages.field_names import alias_problems

KINDS = ("vocabulary", "lexicon", "templates")
SHOWN = 3  # problems spelled out in one error line; the rest are counted


@cache
def _validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads((SCHEMAS_DIR / kind / "v1.json").read_text(encoding="utf-8")))


def read_document(path: Path, kind: str) -> dict:
    """A vocabulary / lexicon / templates file, parsed and checked: ConfigError naming the file otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {kind} file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from exc
    raise_problems(document_problems(data, kind), path)
    return data


def raise_problems(problems: list[str], path: Path | str) -> None:
    if problems:
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise ConfigError(f"{path}: " + "; ".join(problems[:SHOWN]) + more)


def document_problems(data, kind: str) -> list[str]:
    """Schema violations as `key: what is wrong`, then (vocabulary) cross-reference problems."""
    errors = sorted(_validator(kind).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{_key(e.absolute_path)}: {_message(e)}" for e in errors]
    if kind == "vocabulary" and not problems:
        problems += list(_vocabulary_references(data))
    return problems


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        return f"{error.message}{f'; known keys: {known}' if known else ''}"
    if error.validator == "pattern":
        if "_" in error.validator_value:  # attribute names: mine reads the field "Screen Size" as screen_size
            return f"{error.instance!r} must be lower case letters, digits, spaces or & ' + . / - _ (no leading '_')"
        return f"{error.instance!r} must be lower case letters, digits, spaces or & ' + . / - (no '_')"
    return error.message


def _vocabulary_references(data: dict) -> Iterator[str]:
    defined = set(data["attributes"]) | {"type"}  # type: each category's `types`
    for name in data["common_attributes"]:
        if name not in defined:
            yield f"common_attributes: attribute {name!r} is not defined under 'attributes'"
    owner: dict[str, str] = {}
    for category, spec in data["categories"].items():
        for name in spec["attributes"]:
            if name not in defined:
                yield f"categories.{category}.attributes: attribute {name!r} is not defined under 'attributes'"
        for alias in [category, *spec.get("aliases", [])]:
            key = " ".join(alias.lower().split())
            if owner.setdefault(key, category) != category:
                yield f"categories.{category}.aliases: {alias!r} is already a name or alias of category {owner[key]!r}"
    yield from _category_values(data)
    yield from alias_problems(data)  # attribute aliases: other names of an attribute as catalog fields
    for name, spec in data["attributes"].items():
        yield from _quantity_references(name, spec)
        for category in spec.get("condition_categories", []):
            if category not in data["categories"]:
                yield f"attributes.{name}.condition_categories: {category!r} is not a category"
        for value, meets in spec.get("also_meets", {}).items():
            for v in [value, *meets]:
                if v not in spec["values"]:
                    yield f"attributes.{name}.also_meets: {v!r} is not one of its values"
        for v in spec.get("label_only", []):
            if v not in spec["values"]:
                yield f"attributes.{name}.label_only: {v!r} is not one of its values"
        if spec.get("open") and spec["values"]:
            yield f"attributes.{name}: an open attribute takes any value; leave 'values' empty"


def _category_values(data: dict) -> Iterator[str]:
    """A category's `values` scopes attributes it has to values they define (else mining would crash or mine nothing)."""
    for category, spec in data["categories"].items():
        has = {*data["common_attributes"], *spec["attributes"]}
        for name in spec.get("required_conditions", []):
            if name not in has:
                yield f"categories.{category}.required_conditions: category {category!r} has no attribute {name!r}"
        for name, allowed in spec.get("values", {}).items():
            key = f"categories.{category}.values.{name}"
            if name not in has:
                yield f"{key}: category {category!r} has no attribute {name!r} (add it to its 'attributes')"
                continue
            known = spec.get("types", {}) if name == "type" else data["attributes"].get(name, {}).get("values", {})
            for value in allowed:
                if value not in known:
                    yield f"{key}: {value!r} is not one of {name!r}'s values"


def _quantity_references(name: str, spec: dict) -> Iterator[str]:
    key = f"attributes.{name}"
    if "quantity" not in spec:
        for extra in ("range", "cues"):
            if extra in spec:
                yield f"{key}.{extra}: only a quantity attribute has one; add 'quantity' (data, length_in, ...) or remove it"
        return
    if spec["values"]:
        yield f"{key}: a quantity attribute's values are its numbers with units; leave 'values' empty"
    low, high = spec.get("range", (0, 0))
    if low > high:
        yield f"{key}.range: [{low}, {high}] must be [low, high]"


def lexicon_gaps(vocab, template: dict, lexicon: dict, english: dict | None) -> list[str]:
    """What a language's phrasing lacks for `vocab` (a `Vocabulary`): one line each.

    English may write a value or attribute as its vocabulary name (both are English); every other
    language needs its own word, and a word equal to the English one must be listed in `loanwords`."""
    language = template.get("language", lexicon.get("language", "?"))
    nouns, values = lexicon.get("nouns", {}), lexicon.get("values", {})
    gaps = []
    for category in vocab.categories:
        if category not in nouns.get("category", {}):
            gaps.append(f"category {category!r} has no noun in language {language!r} (nouns.category.{category})")
    gaps += alike_gaps(vocab, lexicon, language)
    if english is None:  # English: the rest falls back on the vocabulary's own (English) names
        return gaps + _joined_name_gaps(vocab, template, lexicon, language)
    loanwords = {w.casefold() for w in lexicon.get("loanwords", [])}
    for category in vocab.categories:
        for value in vocab.values("type", category) if "type" in vocab.attributes_for(category) else ():
            word = nouns.get("type", {}).get(value, {}).get("head") or values.get("type", {}).get(value)
            gaps += _word_gap(word, f"type {value!r} of category {category!r}", "nouns.type", value, language,
                              _english_word(english, "type", value), loanwords)
    for attribute in _closed_attributes(vocab):
        for value in vocab.data["attributes"][attribute]["values"]:
            gaps += _word_gap(values.get(attribute, {}).get(value), f"value {value!r} of {attribute!r}",
                              f"values.{attribute}", value, language,
                              english.get("values", {}).get(attribute, {}).get(value, value), loanwords)
        if vocab.is_visual(attribute) and attribute not in template.get("image_items", {}):
            gaps += _word_gap(lexicon.get("attributes", {}).get(attribute), f"attribute {attribute!r}", "attributes",
                              attribute, language, english.get("attributes", {}).get(attribute, attribute), loanwords)
    return sorted(set(gaps), key=gaps.index)


def _english_word(english: dict, attribute: str, value: str) -> str:
    noun = english.get("nouns", {}).get(attribute, {}).get(value, {})
    return noun.get("head") or english.get("values", {}).get(attribute, {}).get(value, value)


def _word_gap(word, what: str, key: str, name: str, language: str, english: str, loanwords: set[str]) -> list[str]:
    if not word:
        return [f"{what} has no word in language {language!r} ({key}.{name})"]
    if word.casefold() == english.casefold() and word.casefold() not in loanwords and not _is_code(word):
        return [f"{what} is still English ({word!r}) in language {language!r} ({key}.{name}): "
                f"translate it or list it in loanwords"]
    return []


def _is_code(word: str) -> bool:
    """'24K', '5G': a number with a unit letter is written alike in every language, not an English slip."""
    return any(c.isdigit() for c in word) and re.search(r"[a-z]{2}", word.casefold()) is None


def _joined_name_gaps(vocab, template: dict, lexicon: dict, language: str) -> list[str]:
    """An image condition names its attribute ('the same {attribute} as'): English falls back on the name,
    which must not be written 'screen_size' in a query."""
    used = {a for c in vocab.categories for a in vocab.attributes_for(c)}
    return [f"attribute {a!r} has no word in language {language!r} (attributes.{a}): its name has '_'"
            for a in sorted(used) if "_" in a and vocab.is_visual(a)
            and a not in template.get("image_items", {}) and not lexicon.get("attributes", {}).get(a)]


def _closed_attributes(vocab) -> list[str]:
    """Attributes with a fixed value list that some category uses and whose values each language words
    itself: open ones (brand) pass through, and so do `verbatim` proper names ("Intel Core i5", "5G") and
    `quantity` numbers ("16 GB", written with the lexicon's `units`)."""
    used = {a for c in vocab.categories for a in vocab.attributes_for(c)}
    specs = vocab.data["attributes"]
    return sorted(a for a in used if a != "type" and a in specs and not vocab.is_open(a)
                  and not specs[a].get("verbatim") and not specs[a].get("quantity"))


def alike_gaps(vocab, lexicon: dict, language: str) -> list[str]:
    """Two values one category may be asked for that the language writes alike ("navy" and "blue" both "xanh", a
    type "vinyl" and "vinyl sticker" both "vinyl sticker"), or two categories (a query's first condition): a query
    for one would name the other's products, which its labels count as violating it. Words compare without
    case; a value with no word writes its name (`_english_word` reads any language's lexicon)."""
    gaps = [f"categories {first!r} and {later!r} read alike ({word!r}) in language {language!r}: a query for one "
            "would name the other's products; give each its own noun"
            for first, later, word in _alike(vocab.categories, "category", lexicon)]
    for category in vocab.categories:
        for attribute in vocab.attributes_for(category):
            if (attribute not in vocab.data["attributes"] and attribute != "type") or vocab.is_open(attribute):
                continue
            gaps += [f"{attribute} values {first!r} and {later!r} of category {category!r} read alike ({word!r}) in "
                     f"language {language!r}: a query for one would name the other; give each its own word"
                     for first, later, word in _alike(vocab.values(attribute, category), attribute, lexicon)]
    return gaps


def _alike(names, attribute: str, lexicon: dict) -> list[tuple[str, str, str]]:
    """(the first name, a later one, their word) for each name written like an earlier one."""
    first: dict[str, str] = {}
    out = []
    for name in names:
        word = _english_word(lexicon, attribute, name)
        if word.casefold() in first:
            out.append((first[word.casefold()], name, word))
        first.setdefault(word.casefold(), name)
    return out
