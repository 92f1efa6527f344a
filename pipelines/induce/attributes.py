"""Which catalog fields become attributes, with which values, in which categories, shown by a photo or not.

Rules (each decision it cannot make is a line of the report, never a guess):
- `brand` is open (any value); `type` becomes each category's product types;
- values are clustered (names.cluster); a value seen in fewer than MIN_VALUE_COUNT products is left out;
  numbers with units get one spelling (units.py); numbers without a unit (prices, ids) are left out; an attribute with one value for every product (a department) says nothing;
- a value listing other values ("Men, Women") is the value meaning all of them (`also_meets`: unisex) or left
  out (stages/value_lists.py, as mine reads it);
- an attribute the shipped vocabulary knows (color, pattern, material, gender...) reuses its values, so
  the shipped lexicons already translate them; the shipped title-minable attributes are proposed when
  titles carry their values;
- `visual` is proposed from the attribute's name (a photo shows colour, pattern, material, shape...)
  and marked for review.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from pipelines.induce.compounds import MOST_PARTS_ASKED, compound_parts, joined, label_only
from pipelines.induce.names import ascii_lower, cluster, spelling_key
from pipelines.induce.units import unit_value
from pipelines.stages.field_names import lookup, name_table
from pipelines.stages.value_lists import covering_value, has_separator, listed_value
from pipelines.vocab.vocabulary import Vocabulary, norm_text

MIN_VALUE_COUNT = 2  # products a value needs to become a vocabulary value
MIN_SCOPE_PRODUCTS = 2  # products of a category that need a value for the attribute to be scoped there
GROUPING_SHARE = 0.95  # products having their category's most common value, from which a field is a grouping
TITLE_SHARE = 0.05  # share of titles that must show a shipped attribute's value for it to be proposed from titles
VISUAL_WORDS = ("colour", "color", "pattern", "print", "material", "fabric", "shape", "finish", "texture",
                "style", "design", "sleeve", "neck", "collar", "fit", "strap", "frame", "dial", "handle", "heel")
TITLE_ATTRIBUTES = ("color", "pattern", "material")  # shipped attributes worth reading from titles
_NAME = re.compile(r"^[a-z0-9][a-z0-9 &'+./-]*$")
SKIPPED_NAMES = {"product id", "id", "sku", "url", "image", "images", "title", "description"}


@dataclass
class Attribute:
    name: str
    values: dict[str, list[str]]  # canonical value -> synonyms
    counts: Counter  # canonical value -> products
    scope: list[str]  # categories
    visual: bool
    open: bool = False
    shipped: bool = False  # values come from the shipped vocabulary (translated by its lexicons)
    source: str = "field"  # field | title
    review: list[str] = field(default_factory=list)
    by_category: dict[str, set[str]] = field(default_factory=dict)  # category -> its kept values (types)
    surface: dict[str, str] = field(default_factory=dict)  # value -> the catalog's spelling English writes (names)
    parts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a list's value -> the values it lists (compounds.py)


def category_of(record: dict, categories: dict[str, str]) -> str | None:
    return categories.get(str(record.get("category", "")).strip())


def column_attribute(column: str) -> str:
    """The attribute name a flat column is read as (`catalog.attribute_columns`): any column name made valid."""
    return " ".join(re.sub(r"[^a-z0-9 &'+./-]+", " ", ascii_lower(column)).split()).strip(" &'+./-")


def shipped_names(shipped: Vocabulary) -> dict[str, str]:
    """{name key: attribute} of the shipped attributes a field may be named after ("Colour" is color, "Brand
    Name" brand), so that it reuses their values and translations. Quantities (screen_size, ram) are left
    out: the shipped phrasing of a quantity needs its `quantity` spec, which an induced attribute has not."""
    specs = shipped.data["attributes"]
    return name_table(specs, [name for name, spec in specs.items() if "quantity" not in spec])


def field_attribute(name: str, shipped: dict[str, str]) -> str:
    """The attribute a catalog field is proposed as: the shipped one it names (`shipped_names`), else its name."""
    return lookup(shipped, name) or norm_text(name)


def fields_by_name(records: list[dict], categories: dict[str, str],
                   shipped: dict[str, str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """{attribute name: [(category, raw value)]} over the catalog's attribute fields and its unmapped flat
    columns (`columns`, read as `column_attribute(column)`); names as `field_attribute` with `shipped`."""
    out: dict[str, list[tuple[str, str]]] = {}
    for record in records:
        category = category_of(record, categories)
        attrs = record.get("attributes") or {}
        items = attrs.items() if isinstance(attrs, dict) else [(a.get("name"), a.get("value")) for a in attrs
                                                                  if isinstance(a, dict)]
        items = [*items, *((column_attribute(c), v) for c, v in (record.get("columns") or {}).items())]
        for name, value in items:
            if category and isinstance(name, str) and isinstance(value, (str, int, float)) and str(value).strip():
                out.setdefault(field_attribute(name, shipped or {}), []).append((category, str(value).strip()))
    return out


def propose_field(name: str, pairs: list[tuple[str, str]], shipped: Vocabulary, threshold: float,
                  undecided: list[str]) -> Attribute | None:
    """One catalog field as an attribute, or None with the reason in `undecided`."""
    n = len(pairs)
    if name in SKIPPED_NAMES:
        return None
    if not _NAME.match(name):
        undecided.append(f"field {name!r} ({n} products): a vocabulary name holds only lower-case letters, digits, "
                         "spaces and & ' + . / -; map the column to another name with catalog.attribute_columns")
        return None
    if name == "brand":
        return Attribute("brand", {}, Counter(v for _, v in pairs), sorted({c for c, _ in pairs}), False, open=True)
    raw = Counter(v for _, v in pairs)
    if len(raw) == 1:
        undecided.append(f"field {name!r}: one value ({next(iter(raw))!r}) for all {n} products says nothing; left out")
        return None
    canonical, values, mapped_shipped, compounds = _canonical_values(name, raw, shipped, threshold, undecided)
    if canonical is None:
        undecided.append(f"field {name!r}: {len(raw)} distinct numbers without a unit (a price, an id, a rating?); "
                         "left out")
        return None
    counts = Counter()
    for _, value in pairs:
        if value in canonical:
            counts[canonical[value]] += 1
    rare = sorted(v for v, c in counts.items() if c < MIN_VALUE_COUNT)
    kept = {v: values[v] for v in sorted(values) if counts[v] >= MIN_VALUE_COUNT}
    if rare:
        undecided.append(f"field {name!r}: {len(rare)} value(s) seen in one product left out "
                         f"(e.g. {', '.join(repr(v) for v in rare[:3])}); add them if they matter")
    if len(kept) < 2:
        undecided.append(f"field {name!r}: fewer than 2 values seen in {MIN_VALUE_COUNT}+ products; left out")
        return None
    counted: dict[str, Counter] = {}  # category -> its kept values' product counts
    for category, value in pairs:
        if canonical.get(value) in kept:
            counted.setdefault(category, Counter())[canonical[value]] += 1
    per_category = {category: set(values_) for category, values_ in counted.items()}
    share = _category_share(counted)
    if name != "type" and share >= GROUPING_SHARE:
        undecided.append(f"field {name!r}: one value within each category for {share:.0%} of its products (a "
                         "grouping above the category, like a department) tells no product of a category from "
                         "another; left out")
        return None
    scope = Counter(c for c, v in pairs if canonical.get(v) in kept)
    spec = shipped.data["attributes"].get(name)
    visual = bool(spec.get("visual")) if spec else name == "type" or any(w in name for w in VISUAL_WORDS)
    attribute = Attribute(name, kept, Counter({v: counts[v] for v in kept}),
                          sorted(c for c, k in scope.items() if k >= MIN_SCOPE_PRODUCTS), visual, shipped=mapped_shipped)
    attribute.by_category = per_category
    attribute.parts = {v: parts for v, parts in compounds.items() if v in kept}
    attribute.surface = name_spellings(raw, canonical, kept)
    if visual and name != "type" and not spec:
        attribute.review.append("visual proposed from the name: check that a product photo shows it")
    return attribute


def _category_share(counted: dict[str, Counter]) -> float:
    """Share of the products whose value is their category's most common one: 1.0 for a department."""
    total = sum(sum(c.values()) for c in counted.values())
    return sum(c.most_common(1)[0][1] for c in counted.values()) / total if total else 0.0


def name_spellings(raw: Counter, canonical: dict[str, str], kept) -> dict[str, str]:
    """{value: its most frequent spelling} for values the catalog writes as names or codes (all capitals, or
    letters beyond ASCII: "HEMNES", "POÄNG", "XL", "S"), which English keeps as written; others read lower-case."""
    out: dict[str, str] = {}
    for spelling, _ in raw.most_common():
        value = canonical.get(spelling)
        if value in kept and value not in out:
            out[value] = " ".join(spelling.split())
    return {v: s for v, s in out.items() if _name_like(s)}


def _name_like(spelling: str) -> bool:
    letters = [c for c in spelling if c.isalpha()]
    return bool(letters) and (all(c.isupper() for c in letters) or any(not c.isascii() for c in letters))


def _canonical_values(name: str, raw: Counter, shipped: Vocabulary, threshold: float, undecided: list[str]):
    """({raw: canonical}, {canonical: synonyms}, reuses shipped values, {list value: its parts}), or None
    for the first two for bare numbers."""
    units = {v: unit_value(v) for v in raw}
    if all(u is not None for u in units.values()):
        if all(" " not in u for u in units.values()):  # no unit: a price, an id, a rating, not a shopper's word
            return None, None, False, {}
        values: dict[str, list[str]] = {}
        for v, u in units.items():
            if norm_text(v) != u:
                values.setdefault(u, []).append(v)
            values.setdefault(u, [])
        return units, {k: sorted(set(s)) for k, s in values.items()}, False, {}
    forms = shipped_forms(name, shipped)
    also = shipped.also_meets(name)
    lists = _lists(raw, forms)
    canonical, values = {}, {}
    rest = Counter()
    for v, n in raw.items():
        if v in lists:
            continue
        if norm_text(v) in forms:
            canonical[v] = forms[norm_text(v)]
            values.setdefault(canonical[v], set()).add(v)
        else:
            rest[v] = n
    for group in cluster(rest, threshold, singular_nouns=name == "type"):  # a type is a noun, a value as written
        if not group.name:
            continue
        for spelling in group.spellings:
            canonical[spelling] = group.name
        values.setdefault(group.name, set()).update(group.spellings)
    by_key = {**{spelling_key(s): c for s, c in canonical.items()}, **{v: v for v in forms.values()}}
    named = {v: tuple(dict.fromkeys(by_key.get(p, p) for p in parts)) for v, parts in lists.items()}
    for v, parts in named.items():
        cover = covering_value(parts, also)
        if cover is not None:
            canonical[v] = cover
            values.setdefault(cover, set()).add(v)
    uncovered = {v: parts for v, parts in named.items() if v not in canonical}
    parts = {}  # a list's new value -> its parts, only where a list means "each of" (compounds.py)
    for v, ordered in (compound_parts(uncovered, raw) if also else {}).items():
        canonical[v] = joined(ordered)
        values.setdefault(canonical[v], set()).add(v)
        parts[canonical[v]] = ordered
    _list_notes(name, raw, lists, canonical, undecided, parts)
    synonyms = {k: sorted(s for s in spellings if norm_text(s) != k) for k, spellings in values.items()}
    return canonical, synonyms, bool(forms) and all(k in _shipped_values(name, shipped) for k in synonyms), parts


def _lists(raw: Counter, forms: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """{raw value: its parts} for values that list other values (stages/value_lists.py): shipped values,
    or the spelling keys of values seen on their own ("Baby Boy's, Baby Girl's" when "Baby Girl's" is one)."""
    alone = {spelling_key(v) for v in raw if not has_separator(v)}

    def known(part: str) -> str | None:
        return forms.get(norm_text(part)) or (key if (key := spelling_key(part)) in alone else None)
    return {v: listed.parts for v in raw if (listed := listed_value(v, known)) is not None}


def _list_notes(name: str, raw: Counter, lists: dict, canonical: dict, undecided: list[str],
                compounds: dict[str, tuple[str, ...]]) -> None:
    read = sorted((v, canonical[v]) for v in lists if v in canonical and canonical[v] not in compounds)
    new = sorted({canonical[v] for v in lists if canonical.get(v) in compounds})
    unknown = sorted((-raw[v], v) for v in lists if v not in canonical)
    if read:
        undecided.append(f"field {name!r}: lists read as the value meaning all their parts (also_meets): "
                         + ", ".join(f"{v!r} -> {c!r}" for v, c in read[:4]))
    if new:
        undecided.append(f"field {name!r}: lists no value meant became new values meeting each of their parts "
                         f"(also_meets; those seen in {MIN_VALUE_COUNT}+ products are kept): "
                         + ", ".join(repr(v) for v in new[:4]) + "; rename them in lexicon/en.json if shoppers say "
                         "them otherwise")
    kept = [c for c in new if sum(n for v, n in raw.items() if canonical.get(v) == c) >= MIN_VALUE_COUNT]
    if labels := label_only({v: compounds[v] for v in kept}):  # only those the vocabulary keeps
        undecided.append(f"field {name!r}: values listing more than {MOST_PARTS_ASKED} parts are labels only "
                         "(label_only: their products meet each part's query; no query asks for them): "
                         + ", ".join(repr(v) for v in labels[:4]))
    if unknown:
        undecided.append(f"field {name!r}: {sum(-n for n, _ in unknown)} product(s) list several values that no one "
                         f"value means (e.g. {', '.join(repr(v) for _, v in unknown[:3])}); their {name} is left "
                         "unknown (add a value with also_meets if one fits)")


def _shipped_values(name: str, shipped: Vocabulary) -> dict:
    return shipped.data["attributes"].get(name, {}).get("values", {})


def shipped_forms(name: str, shipped: Vocabulary) -> dict[str, str]:
    return {norm_text(s): value for value, synonyms in _shipped_values(name, shipped).items()
            for s in [value, *synonyms]}


def title_attributes(records: list[dict], categories: dict[str, str], shipped: Vocabulary,
                     known: set[str]) -> list[Attribute]:
    """Shipped attributes (colour, pattern, material) proposed when titles carry their values."""
    out = []
    for name in TITLE_ATTRIBUTES:
        forms = shipped_forms(name, shipped)
        if name in known or not forms:
            continue
        found = [(category_of(r, categories), value) for r in records
                 if (value := _title_value(str(r.get("title", "")), forms))]
        found = [(c, v) for c, v in found if c]
        if len(found) < TITLE_SHARE * len(records):
            continue
        counts = Counter(v for _, v in found)
        kept = {v: [] for v in sorted(counts) if counts[v] >= MIN_VALUE_COUNT}
        scope = Counter(c for c, v in found if v in kept)
        if len(kept) >= 2:
            spec = shipped.data["attributes"][name]
            out.append(Attribute(name, {v: spec["values"][v] for v in kept}, Counter({v: counts[v] for v in kept}),
                                 sorted(c for c, k in scope.items() if k >= MIN_SCOPE_PRODUCTS),
                                 bool(spec.get("visual")), shipped=True, source="title"))
    return out


def _title_value(title: str, forms: dict[str, str]) -> str | None:
    words = re.findall(r"[a-z0-9][a-z0-9'-]*", title.casefold())
    for n in (3, 2, 1):
        for i in range(len(words) - n + 1):
            value = forms.get(" ".join(words[i:i + n]))
            if value:
                return value
    return None

