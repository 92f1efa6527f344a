"""Compose one query sentence from a plan's conditions, a language's template and its lexicon.

The sentence is built as a list of parts: strings and `Image` markers. Image placeholders
(`<image_k>`) are numbered only when the parts are flattened, so catalog text that happens to look
like a placeholder (a brand "<image_9>") stays plain text and can never shift the numbering.

Shape of a sentence, in every language:
    frame( [det] [pre-modifiers] head [post-modifiers] [type-image phrase] [image clause] )
- the head is the text-carried product type's noun, else the category's noun (whose meaning is the
  category's scope, see prompts/lexicon);
- text-carried values are modifiers, ordered by the template's `pre`/`post` lists (English puts
  most before the noun, Malay/Indonesian/Vietnamese/Thai after it);
- image-carried conditions form at most one relative clause holding the only "and"-list; an
  image-carried type is a phrase of its own ("of the same kind as <image_1>").
The frame and the clause opener are picked by seed; both are named in `Phrase.template_id`.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from pipelines.text.placeholders import image_token


@dataclass(frozen=True)
class Image:
    """Stands for one image-carried condition in the parts of a sentence."""

    condition: dict


@dataclass(frozen=True)
class Phrase:
    parts: tuple  # str | Image, in reading order
    template_id: str

    @property
    def images(self) -> list[dict]:
        return [p.condition for p in self.parts if isinstance(p, Image)]

    @property
    def text(self) -> str:
        return "".join(segment["text"] if segment["kind"] == "text" else image_token(segment["image_index"])
                       for segment in self.segments)

    @cached_property  # read by `text` and by the row: built once
    def segments(self) -> list[dict]:
        """Interleaved text/image segments; adjacent strings merge, images are numbered 1.. in order."""
        out, k = [], 0
        for part in self.parts:
            if isinstance(part, Image):
                k += 1
                out.append({"kind": "image", "text": None, "image_id": part.condition.get("image_id"), "image_index": k})
            elif part and out and out[-1]["kind"] == "text":
                out[-1]["text"] += part
            elif part:
                out.append({"kind": "text", "text": part, "image_id": None, "image_index": None})
        return out


def compose(plan: dict, conditions: list[dict], template: dict, lexicon: dict, seed: int,
            kind_nouns: frozenset[str] = frozenset()) -> Phrase:
    """The query sentence for one plan in one language (conditions in reading order). `kind_nouns`: the
    heads the plan's `kinds` may be named by (`kind_nouns` below); none, the category's noun."""
    rng = random.Random(f"{seed}:{plan['base_query_id']}:{template['language']}")
    frame_k = rng.randrange(len(template["frames"]))
    text_conds = [c for c in conditions if c["carried_by"] == "text"]
    image_conds = [c for c in conditions if c["carried_by"] == "image"]
    noun = _head(plan["category"], conditions, lexicon, plan.get("kinds"), kind_nouns)
    det, head = noun["det"], noun["head"]
    in_clause = bool(template.get("type_in_clause"))  # the type is the image clause's first item, not a phrase
    type_image = [] if in_clause else [c for c in image_conds if c["attribute"] == "type"]
    clauses = _clauses(template, plural=bool(noun.get("plural")), after_type=bool(type_image))
    clause_k = rng.randrange(len(clauses))
    pre, post = _modifiers(text_conds, head, template, lexicon)
    sep = template["word_sep"]
    noun_phrase = _join_words([*pre, head, *post], sep)
    item: list = [noun_phrase]
    rest = [c for c in image_conds if c["attribute"] != "type" or in_clause]
    if type_image:
        item += [template["phrase_sep"], *_fill(_type_image(template, noun), image=Image(type_image[0]))]
    if rest:
        item += [template["clause_sep"] if type_image else template["phrase_sep"],
                 *_fill(clauses[clause_k], list=_image_list(rest, template, lexicon))]
    frame = template["frames"][frame_k]
    if "{item}" in frame:
        item = [_article(det, noun_phrase, template), *item] if det else item
        parts = _fill(frame, item=item)
    else:
        parts = _fill(frame, bare=item)
    return Phrase(tuple(parts), f"{template['template_id']}/f{frame_k + 1}c{clause_k + 1}")


def _head(category: str, conditions: list[dict], lexicon: dict, kinds: list[str] | None = None,
          kind_nouns: frozenset[str] = frozenset()) -> dict:
    """The text-carried type's noun; for an image-carried type, its group noun ("top" for a T-shirt), which
    the type phrase narrows to exactly that kind; else the noun of the plan's one kind, or a group noun all its
    `kinds` belong to (compose: the kinds of its positives and minimal pairs, so the noun is true of each);
    else the category's noun (whose meaning is the category's scope). A text-carried gender picks the
    lexicon's `by_gender` noun where it has one (v4: "men's top", never "men's top or dress")."""
    nouns = lexicon["nouns"]
    types = {c["carried_by"]: c["value"] for c in conditions if c["attribute"] == "type"}
    gender = next((c["value"] for c in conditions if c["attribute"] == "gender" and c["carried_by"] == "text"), None)
    gendered = nouns.get("by_gender", {}).get(gender, {})

    def noun_of(kind: str, key: str | None) -> dict | None:
        return gendered.get(kind, {}).get(key) or nouns.get(kind, {}).get(key)

    for kind, key in (("type", types.get("text")), ("image_kind", types.get("image"))):
        if noun := noun_of(kind, key):
            return noun
    if kinds and len(kinds) == 1 and (noun := noun_of("type", kinds[0])) and noun["head"] in kind_nouns:
        return noun  # every positive and pair is that kind: its own noun ("belt")
    for group in (noun_of("image_kind", k) for k in kinds or ()):
        # a kind is of the group when the group is its group noun or its own noun ("top" for tops and T-shirts)
        if group and group["head"] in kind_nouns and all(group in (noun_of("image_kind", k), noun_of("type", k))
                                                         for k in kinds):
            return group
    return noun_of("category", category) or nouns["category"][category]


def kind_nouns(lexicons: Mapping[str, dict], categories_of: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    """language -> heads of its type and group nouns that a plan's kinds may take (`categories_of`: type value
    -> the categories listing it). A noun must name kinds of one category only: en "accessory" names belts
    and wallets (a bag), so it would let a wallet read as a positive. A group noun must also not name a set
    of kinds that another language's lexicon names by such a broad word (th "แอคเซสซอรี่" for the kinds
    en "accessory" names): a lexicon lists only the kinds it needed a word for, so one language's gap
    must not hide what another shows."""
    heads = {lang: _kinds_by_head(lexicon) for lang, lexicon in lexicons.items()}

    def one_category(kinds: frozenset[str]) -> bool:
        return len(set().union(*(categories_of.get(k) or (None, "") for k in kinds))) == 1

    broad = [kinds for by_head in heads.values() for kinds in by_head.values() if not one_category(kinds)]
    return {lang: frozenset(head for head, kinds in by_head.items() if one_category(kinds) and
                            (len(kinds) == 1 or not any(kinds <= wider for wider in broad)))
            for lang, by_head in heads.items()}


def _kinds_by_head(lexicon: dict) -> dict[str, frozenset[str]]:
    """head -> the kinds whose type or group noun it is (plain or gendered)."""
    nouns = lexicon["nouns"]
    found: dict[str, set[str]] = {}
    for section in (nouns, *nouns.get("by_gender", {}).values()):
        for kind, noun in (*section.get("type", {}).items(), *section.get("image_kind", {}).items()):
            found.setdefault(noun["head"], set()).add(kind)
    return {head: frozenset(kinds) for head, kinds in found.items()}


def _type_image(template: dict, noun: dict) -> str:
    """The image-carried type's phrase; English "like the ones in" after a plural or "a pair of" head."""
    plural = noun.get("plural") or noun["det"] in template.get("plural_dets", ())
    return template.get("type_image_plural", template["type_image"]) if plural else template["type_image"]


def _clauses(template: dict, plural: bool, after_type: bool) -> list[str]:
    """Relative-clause openers; English needs "have" after a plural head and no second "that" after a type phrase."""
    if after_type and "clauses_after_type" in template:
        return template["clauses_after_type"]
    if plural and "clauses_plural" in template:
        return template["clauses_plural"]
    return template["clauses"]


def _modifiers(text_conds: list[dict], head: str, template: dict, lexicon: dict) -> tuple[list[str], list[str]]:
    """Text-carried values as modifiers in the language's order; one the head already says is left out."""
    by_attr: dict[str, list[str]] = {}
    for cond in text_conds:
        attr, value = cond["attribute"], cond["value"]
        if attr == "type" and value in lexicon["nouns"]["type"]:
            continue  # it is the head
        surface = lexicon["values"].get(attr, {}).get(value) or _unit_words(value, lexicon)  # open values pass through
        word = _pattern(template["value_patterns"].get(attr, "{value}"), surface)
        if attr != "brand" and _says(head, surface, template):
            continue
        by_attr.setdefault(attr, []).append(word)
    order = [*template["pre"], *template["post"]]
    unplaced = [a for a in by_attr if a not in order]  # an attribute the template does not place goes last
    pre = [w for a in template["pre"] for w in by_attr.get(a, [])]
    post = [w for a in [*template["post"], *unplaced] for w in by_attr.get(a, [])]
    return pre, post


def _pattern(pattern: str, surface: str) -> str:
    """A value in its modifier pattern ("warna {value}"), unless the value already says the pattern's words
    (ms "pelbagai warna" stays, never "warna pelbagai warna")."""
    fixed = pattern.replace("{value}", " ").split()
    if fixed and all(f" {w.casefold()} " in f" {surface.casefold().replace('-', ' ')} " for w in fixed):
        return surface
    return pattern.replace("{value}", surface)


def _unit_words(value: str, lexicon: dict) -> str:
    """A quantity in the language's unit word ("15.6 inch" -> "15.6 นิ้ว"); GB, mAh, ml, ... are written alike everywhere."""
    for suffix, word in lexicon.get("units", {}).items():
        if value.endswith(suffix):
            return value[: -len(suffix)] + word
    return value


def _says(head: str, surface: str, template: dict) -> bool:
    """The head already holds the value's words: "baby boy" in "baby boys' clothes" (plural and possessive
    aside), so "baby boy baby boys' clothes" is never written."""
    if not template["word_sep"]:
        return surface in head  # scripts without spaces between words (Thai)
    return f" {_word_keys(surface)} " in f" {_word_keys(head)} "


def _word_keys(text: str) -> str:
    """Words without case, possessive or plural ending, for `_says`."""
    return " ".join(w.removesuffix("'s").rstrip("'").removesuffix("s") or w for w in text.casefold().split())


def _image_list(conds: list[dict], template: dict, lexicon: dict) -> list:
    items = [_fill(template["image_items"].get(c["attribute"], template["image_items"]["_default"]),
                   image=Image(c), attribute=lexicon["attributes"].get(c["attribute"], c["attribute"]))
             for c in conds]
    parts: list = []
    for i, item in enumerate(items):
        if i:
            parts.append(template["last_joiner"] if i == len(items) - 1 else template["joiner"])
            if template.get("drop_repeated_lead"):
                item = _drop_lead(item, items[i - 1])
        parts += item
    return parts


def _drop_lead(item: list, previous: list) -> list:
    """English "with the same pattern as <image_1> and the same sleeves as <image_2>": an item's first word is
    left out when it repeats the previous item's (no second "with")."""
    if not (isinstance(item[0], str) and isinstance(previous[0], str)):
        return item
    lead, before = item[0].split(" ", 1), previous[0].split(" ", 1)
    return [lead[1], *item[1:]] if len(lead) == 2 and lead[0] == before[0] else item


def _fill(pattern: str, **fields) -> list:
    """Split a template pattern at its {field}s and put each field's parts in place (no re-parsing of values)."""
    parts, rest = [], pattern
    while "{" in rest:
        before, _, after = rest.partition("{")
        name, _, rest = after.partition("}")
        value = fields[name]
        parts += [before, *(value if isinstance(value, list) else [value])]
    parts.append(rest)
    return [p for p in parts if not (isinstance(p, str) and p == "")]


def _join_words(words: list[str], sep: str) -> str:
    words = [w for w in words if w]
    if sep or not words:
        return sep.join(words)
    # Scripts without spaces between words (Thai) still space a Latin word or a number off ("แหวน 18 กะรัต",
    # "256 GB แบรนด์ Samsung"), as shops write them.
    out = words[0]
    for word in words[1:]:
        spaced = _latin_or_digit(out[-1]) or _latin_or_digit(word[0])
        out += (" " if spaced and not word[0].isspace() else "") + word
    return out


def _latin_or_digit(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _article(det: str, following: str, template: dict) -> str:
    """English 'a' becomes 'an' before a vowel sound; other languages' determiners pass through."""
    rule = template.get("article")
    if rule and det == rule["a"]:
        word = following.casefold()
        vowel = word[:1] in "aeiou" and not word.startswith(tuple(rule["consonant_sound"]))
        if _spelled_out(following) and "letters_an" in rule:  # "an HRX", "a U.S. Polo Assn." (letter names)
            vowel = following[:1] in rule["letters_an"]
        det = rule["an"] if vowel or word.startswith(tuple(rule["vowel_sound"])) else det
    return det + template["word_sep"] if template["word_sep"] else det


def _spelled_out(following: str) -> bool:
    """A first word read letter by letter: initials with dots ("U.S.") or capitals without a vowel ("HRX")."""
    word = following.split(" ", 1)[0]
    letters = word.replace(".", "")
    return letters.isalpha() and letters.isupper() and ("." in word or not set(letters) & set("AEIOU"))
