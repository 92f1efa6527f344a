"""The proposed vocabulary document (schemas/vocabulary/v1.json) and what could not be decided."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pipelines.induce.attributes import (
    TITLE_ATTRIBUTES,
    Attribute,
    column_attribute,
    field_attribute,
    fields_by_name,
    propose_field,
    shipped_forms,
    shipped_names,
    title_attributes,
)
from pipelines.induce.brand_types import brand_led_types
from pipelines.induce.compounds import compound_meets, label_only
from pipelines.induce.lexicon import category_noun
from pipelines.induce.names import cluster
from pipelines.induce.same_noun import merge_same_noun_types
from pipelines.induce.type_nouns import english_nouns, title_singular, words
from pipelines.vocab.vocabulary import Vocabulary


@dataclass
class Proposal:
    vocabulary: dict
    categories: dict[str, Counter]  # category -> raw spellings with counts
    attributes: list[Attribute]
    undecided: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # flat column -> attribute (catalog.attribute_columns)
    type_nouns: dict[str, dict] = field(default_factory=dict)  # type -> its English {det, head} (type_nouns.py)

    @property
    def surfaces(self) -> dict[str, dict[str, str]]:
        """{attribute: {value: the catalog's spelling}} of values written as names ("HEMNES")."""
        return {a.name: a.surface for a in self.attributes if a.surface}

    @property
    def compounds(self) -> dict[str, dict[str, tuple[str, ...]]]:
        """{attribute: {value: the values it lists}} of values read from lists ("boys and girls", compounds.py)."""
        return {a.name: a.parts for a in self.attributes if a.parts}


def propose(records: list[dict], shipped: Vocabulary, threshold: float) -> Proposal:
    """Categories from the category column, attributes from fields and titles, for `records` (catalog rows)."""
    undecided: list[str] = []
    raw_categories = Counter(str(r.get("category", "")).strip() for r in records if str(r.get("category", "")).strip())
    titled = [(str(r.get("category", "")).strip(), str(r.get("title", ""))) for r in records]  # (spelling, title)
    groups = _title_named([g for g in cluster(raw_categories, threshold) if g.name], titled)
    category_of = {spelling: g.name for g in groups for spelling in g.spellings}
    unnamed = [s for s in raw_categories if s not in category_of]
    if unnamed:
        undecided.append(f"{len(unnamed)} category spelling(s) with no letter or digit left out: {unnamed[:3]}")
    attributes = []
    names = shipped_names(shipped)
    for name, pairs in sorted(fields_by_name(records, category_of, names).items()):
        attribute = propose_field(name, pairs, shipped, threshold, undecided)
        if attribute is not None:
            attributes.append(attribute)
    attributes += title_attributes(records, category_of, shipped, {a.name for a in attributes})
    if not any(a.name == "brand" for a in attributes):
        attributes.append(Attribute("brand", {}, Counter(), [g.name for g in groups], False, open=True,
                                    review=["no brand field: brands are read from titles (mine.brand_min_titles)"]))
    _same_head_notes(groups, undecided)
    titles = _titles_by_category(titled, category_of)  # read by the type checks and the type nouns
    _drop_brand_led_types(attributes, titles, undecided)
    by_name = {g.name: g.spellings for g in groups}
    kept = {a.name for a in attributes}
    columns = {c: attribute for r in records for c in (r.get("columns") or {})
               if (attribute := field_attribute(column_attribute(c), names)) in kept}
    type_nouns = _type_nouns(titles, attributes, shipped, undecided)
    if type_nouns:
        merge_same_noun_types(next(a for a in attributes if a.name == "type"), type_nouns, undecided)
    proposal = Proposal(_document(groups, attributes, shipped), by_name, attributes, undecided, columns)
    proposal.type_nouns = type_nouns
    _scope_notes(proposal)
    return proposal


def _drop_brand_led_types(attributes: list[Attribute], titles: dict[str, list[str]], undecided: list[str]) -> None:
    """Types that are a maker's name and the category's ("Oxyglow Combos and Kits"; brand_types.py)."""
    types = next((a for a in attributes if a.name == "type"), None)
    if types is None:
        return
    brand = next(a for a in attributes if a.name == "brand")
    brand_led_types(types, brand.counts, titles, undecided)


def _titles_by_category(titled: list[tuple[str, str]], category_of: dict[str, str]) -> dict[str, list[str]]:
    titles: dict[str, list[str]] = {}
    for spelling, title in titled:
        if category := category_of.get(spelling):
            titles.setdefault(category, []).append(title)
    return titles


def _title_named(groups: list, titled: list[tuple[str, str]]) -> list:
    """Each category named with the singular its titles write ("Tunics": tunic, not "tunics"; type_nouns.py)."""
    titles: dict[str, list[str]] = {}
    for spelling, title in titled:
        titles.setdefault(spelling, []).append(title)
    taken = {g.name for g in groups}
    for group in groups:
        spelling = group.spellings.most_common(1)[0][0]
        name = title_singular(group.name, spelling, [t for s in group.spellings for t in titles.get(s, [])])
        if name != group.name and name not in taken:
            taken.add(name)
            group.name = name
    return groups


def _type_nouns(titles: dict[str, list[str]], attributes: list[Attribute], shipped: Vocabulary,
                undecided: list[str]) -> dict[str, dict]:
    """Each type's English noun, read from its categories' titles (`titles`: category -> its titles; type_nouns.py)."""
    types = next((a for a in attributes if a.name == "type"), None)
    if types is None:
        return {}
    spellings = [s for a in attributes if a.name != "type" for v, synonyms in a.values.items() for s in [v, *synonyms]]
    spellings += [s for name in TITLE_ATTRIBUTES for s in shipped_forms(name, shipped)]
    by_type = {t: {c for c, found in types.by_category.items() if t in found} for t in types.values}
    category_nouns = {c: category_noun(c)[0] for c in titles}
    nouns, notes = english_nouns(by_type, titles, {w for s in spellings for w in words(s)}, category_nouns)
    undecided += notes
    return nouns


def _same_head_notes(groups, undecided: list[str]) -> None:
    """Categories named by one head noun ("dog leash", "leash") may be one: a merge the report proposes, never makes."""
    heads: dict[str, list[str]] = {}
    for group in groups:
        heads.setdefault(group.name.split(" ")[-1], []).append(group.name)
    for head, names in sorted(heads.items()):
        if len(names) > 1:
            undecided.append(f"categories {', '.join(repr(n) for n in names)} share the noun {head!r}: if they are "
                             "one category, move the others' aliases into one and delete them")


def _document(groups, attributes: list[Attribute], shipped: Vocabulary) -> dict:
    types = next((a for a in attributes if a.name == "type"), None)
    common = ["brand"] + (["type"] if types else [])
    categories = {}
    for group in groups:
        aliases = sorted({s for s in group.spellings if " ".join(s.lower().split()) != group.name})
        spec = {"aliases": aliases,
                "attributes": [a.name for a in attributes if a.name not in common and group.name in a.scope]}
        if types:
            spec["types"] = {v: syn for v, syn in types.values.items() if v in types.by_category.get(group.name, ())}
        categories[group.name] = spec
    specs = {}
    for a in attributes:
        if a.name == "type":
            continue
        spec: dict = {"visual": a.visual, "values": a.values}
        if a.open:
            spec = {"visual": False, "open": True, "values": {}}
        shipped_spec = shipped.data["attributes"].get(a.name, {})
        spec.update({k: shipped_spec[k] for k in ("condition",) if k in shipped_spec})  # season stays opt-in
        also = shipped_spec.get("also_meets", {})
        kept = {v: [m for m in meets if m in a.values] for v, meets in also.items() if v in a.values}
        kept.update(compound_meets(a.values, a.parts, also))  # values read from lists ("boys and girls")
        if any(kept.values()):
            spec["also_meets"] = {v: m for v, m in kept.items() if m}
        if asked_never := label_only({v: p for v, p in a.parts.items() if v in a.values}):
            spec["label_only"] = asked_never
        if a.review:
            spec["review"] = a.review
        specs[a.name] = spec
    return {"version": "induced-1",
            "doc": "Proposed by `meritgen vocab induce` from the catalog; review it (report.md) before relying on it.",
            "common_attributes": common, "attributes": specs, "categories": categories}


def _scope_notes(proposal: Proposal) -> None:
    """Categories no visual attribute describes get few queries (an image must carry a condition)."""
    visual = {c for a in proposal.attributes if a.visual for c in a.scope}
    has_types = "type" in proposal.vocabulary["common_attributes"]
    for category in proposal.vocabulary["categories"]:
        if category not in visual and not has_types:
            proposal.undecided.append(f"category {category!r} has no visual attribute: its queries need one "
                                      "(an image carries a condition); add one if its photos show something")
