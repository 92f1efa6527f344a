"""The induced vocabulary's words: the English lexicon, template additions, and what other languages lack.

English comes from the vocabulary itself (category names as nouns, values and attribute names as
written). Another language's shipped lexicon already has the values of shipped attributes (colours,
patterns, materials); `needed` lists the rest (category nouns, new values, new attribute names),
which the LLM translates (`translation_rows` -> `translated_lexicon`) or the build skips the language.
"""

from __future__ import annotations

from pipelines.induce.compounds import joined
from pipelines.induce.type_nouns import AREA_WORDS, MASS_ENDINGS, noun
from pipelines.vocab.templates import Templates

_CONJUNCTIONS = (" and ", " & ")


def category_noun(category: str, written_plural: bool = False) -> tuple[dict, str | None]:
    """(the English noun of an induced category, a review note or None; `written_plural`: the catalog spells it
    plural, "Flats", which makes a word sold in pairs only then a pair: type_nouns.PAIRED_WHEN_PLURAL).

    A shop area is "<name> product"; two countable things joined ("Combos and Kits", "Salwar and Dupatta") are one
    or the other ("a combo or kit"); an audience before the joined head ("Baby & Kids Gifts") leaves it one
    countable noun; a mass name ("infant wear", "furniture & furnishing") takes no article. A shop's "&" is
    written "and", as a shopper types it ("a feeding and nursing product")."""
    written, note = _category_noun(category, written_plural)
    return {**written, "head": written["head"].replace(" & ", " and ")}, note


def _category_noun(category: str, written_plural: bool) -> tuple[dict, str | None]:
    if category.split(" ")[-1] in AREA_WORDS:
        return {"det": "a", "head": f"{category} product"}, None
    parts = next((category.split(c) for c in _CONJUNCTIONS if c in category), None)
    mass = category.endswith(MASS_ENDINGS) or any(p.endswith(MASS_ENDINGS) for p in parts or [])
    if parts and len(parts) == 2 and not mass:
        return (noun(category) if parts[0] in AREA_WORDS else {"det": "a", "head": " or ".join(parts)}), None
    if mass or parts:
        return {"det": "", "head": category}, (f"category {category!r}: used as a noun without an article; rename it "
                                              "in lexicon/en.json (nouns.category) if shoppers say it otherwise")
    return noun(category, written_plural), None


def written_plural(name: str, spellings: list[str]) -> bool:
    """Whether a catalog spelling of `name` writes its last word plural ("Flats" of "flat")."""
    last = name.split(" ")[-1]
    return any(s.split()[-1].casefold() in (f"{last}s", f"{last}es") for s in spellings if s.split())


def english_lexicon(doc: dict, shipped: Templates, type_nouns: dict[str, dict] | None = None,
                    surfaces: dict[str, dict[str, str]] | None = None,
                    compounds: dict[str, dict[str, tuple[str, ...]]] | None = None) -> tuple[dict, list[str]]:
    """(the English lexicon additions, review notes); `type_nouns`: each type's noun read from titles
    (type_nouns.py), else the type's name with "a"; `surfaces`: values written as names ("HEMNES");
    `compounds`: values read from lists, written as their parts are ("boys' and girls'")."""
    base, notes = shipped.pack("en").lexicon, []
    nouns: dict = {"category": {}}
    for category in doc["categories"]:
        nouns["category"][category], note = category_noun(
            category, written_plural(category, doc["categories"][category].get("aliases", [])))
        notes += [note] if note else []
    types = {t for spec in doc["categories"].values() for t in spec.get("types", {})}
    if types:
        nouns["type"] = {t: (type_nouns or {}).get(t, {"det": "a", "head": t}) for t in sorted(types)
                         if t not in base["nouns"].get("type", {})}
    def english(a: str, v: str) -> str:
        parts = (compounds or {}).get(a, {}).get(v)
        if parts:
            return joined(tuple(english(a, p) for p in parts))
        return base["values"].get(a, {}).get(v) or (surfaces or {}).get(a, {}).get(v, v)
    values = {a: {v: english(a, v) for v in spec["values"] if v not in base["values"].get(a, {})}
              for a, spec in doc["attributes"].items() if not spec.get("open")}
    attributes = {a: a for a in doc["attributes"] if a not in base.get("attributes", {})}
    return {"language": "en", "nouns": nouns, "attributes": attributes,
            "values": {a: v for a, v in values.items() if v}}, notes


def template_additions(doc: dict, shipped: Templates) -> dict[str, dict]:
    """New attributes' place in each language's order: before the noun in English, before the brand elsewhere."""
    out = {}
    for lang, pack in shipped.packs.items():
        placed = {*pack.template["pre"], *pack.template["post"]}
        new = [a for a in doc["attributes"] if a not in placed and a != "brand"]
        if not new:
            continue
        if lang == "en":
            out[lang] = {"pre": [*new, *pack.template["pre"]]}
        else:
            post = pack.template["post"]
            at = post.index("brand") if "brand" in post else len(post)
            out[lang] = {"post": [*post[:at], *new, *post[at:]]}
    return out


def needed(doc: dict, english: dict, shipped: Templates, lang: str) -> list[dict]:
    """The entries `lang` lacks: {key, text, kind, context} (key: a dotted path into the lexicon)."""
    pack = shipped.pack(lang)
    base, items = pack.lexicon, pack.template.get("image_items", {})
    out = [{"key": ("nouns", "category", c), "text": english["nouns"]["category"][c]["head"], "kind": "product noun",
            "context": f"a product category of the shop, {c!r}"} for c in doc["categories"]]
    types = {t for spec in doc["categories"].values() for t in spec.get("types", {})}
    out += [{"key": ("nouns", "type", t), "text": english["nouns"]["type"][t]["head"], "kind": "product noun",
             "context": "a product type"} for t in sorted(types) if t not in base["nouns"].get("type", {})]
    for attribute, spec in doc["attributes"].items():
        if spec.get("open"):
            continue
        out += [{"key": ("values", attribute, v), "text": english["values"].get(attribute, {}).get(v, v),
                 "kind": "attribute value", "context": f"a value of the product's {attribute}"}
                for v in spec["values"] if v not in base["values"].get(attribute, {})]
        if spec.get("visual") and attribute not in items and attribute not in base.get("attributes", {}):
            out.append({"key": ("attributes", attribute), "text": attribute, "kind": "attribute name",
                        "context": "the name of a product attribute"})
    return out


def translation_rows(entries: list[dict], lang: str) -> list[dict]:
    return [{"record_id": f"{lang}|{'|'.join(e['key'])}", "text": e["text"], "kind": e["kind"],
             "context": e["context"], "target_language": lang} for e in entries]


def translated_lexicon(entries: list[dict], answers: dict[str, dict], lang: str) -> tuple[dict, list[dict]]:
    """(the lexicon additions for `lang` from accepted answers, entries left without one)."""
    lexicon: dict = {"language": lang, "review": "translated by an LLM (meritgen vocab induce): review before use",
                     "loanwords": [], "nouns": {}, "attributes": {}, "values": {}}
    missing = []
    for entry in entries:
        answer = answers.get(f"{lang}|{'|'.join(entry['key'])}")
        if answer is None:
            missing.append(entry)
            continue
        word, key = answer["translation"], entry["key"]
        if answer.get("loanword"):
            lexicon["loanwords"].append(word)
        if key[0] == "nouns":
            lexicon["nouns"].setdefault(key[1], {})[key[2]] = {"det": "", "head": word}
        elif key[0] == "values":
            lexicon["values"].setdefault(key[1], {})[key[2]] = word
        else:
            lexicon["attributes"][key[1]] = word
    lexicon["loanwords"] = sorted(set(lexicon["loanwords"]))
    return lexicon, missing
