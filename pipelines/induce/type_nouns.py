"""How English names each induced product type: a noun ("a romper", "leggings"), or a word that modifies the
noun titles write after it ("a gathered dress").

A catalog's type field holds the shop's labels, and some are not nouns: "Gathered", "A-line", "Round Neck"
name the cut of a dress or a T-shirt, and titles write that noun after them ("Baby Girl's Gathered Dress").
Used as a noun they give "I'd like a gathered". The titles of the type's categories tell which: when most
titles that hold the type go on with one same word, the type modifies it and the noun is "<type> <word>".
Words that are values of other attributes are passed over ("Gathered Pink Dress": dress; "Blanket Blue": the
end), and the type's own last word repeated ("Vinyl Sticker Sticker") is not such a noun. A plural head
(clothes, leggings) takes no article and is marked plural. A type no title shows stays a noun, and the report
asks for a review. A category's plural name gets the singular its titles write (`title_singular`: "Tunics"
is a tunic, "Scarves" a scarf, "Sunglasses" stay sunglasses), where spelling rules alone cannot tell.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from pipelines.induce.names import PLURAL_ONLY, ascii_lower, singular

# Category nouns shoppers do not count ("a makeup"): no article. Reviewed in the report.
MASS_ENDINGS = ("care", "wear", "bedding", "makeup", "gear", "furniture", "clothing", "equipment", "jewellery",
                "jewelry", "luggage", "food", "hygiene", "grooming", "furnishing", "decor", "supplies",
                "lighting", "ware", "footwear", "linen")
# Last words naming a shop's area, a room or an audience, not a thing one buys ("Hair Care", "Feeding &
# Nursing", "Kitchen", "Outdoor", "Electronics"): the noun is "a hair care product", "a kitchen product".
AREA_WORDS = ("care", "hygiene", "grooming", "training", "nursing", "feeding", "spa", "skin", "health", "beauty",
              "wellness", "fitness", "cleaning", "cooking", "baking", "gardening", "diapering", "bathing",
              "kitchen", "bathroom", "bedroom", "room", "office", "garden", "outdoor", "home", "storage",
              "organisation", "organization", "baby", "kid", "kids", "pet", "party", "travel", "sport", "sports",
              "school", "craft", "hobby", "automotive", "electronics", "computing", "gaming", "audio", "photo")
# Things sold in pairs, as a category's or type's last word ("Heels", "Casual Shoes", "Socks").
PAIRED = ("shoe", "sneaker", "heel", "sandal", "slipper", "boot", "flop", "sock", "glove", "earring", "trainer",
          "loafer", "moccasin", "clog", "cufflink", "mitten", "espadrille", "stiletto", "chappal")
# Pairs only when the catalog writes them plural: "Flats" are shoes, a "Flat" is a flat sheet; "Pumps", a pump.
PAIRED_WHEN_PLURAL = ("flat", "pump", "wedge")
MIN_TITLES = 2  # titles holding a type needed to read anything from them
FOLLOWER_SHARE = 0.6  # share of those titles going on with one same word for the type to modify it
_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")


def words(text: str) -> list[str]:
    """Title words as a type's name holds them: lower-case ASCII, singular, no possessive."""
    return [singular(w.removesuffix("'s").rstrip("'")) for w in _WORD.findall(ascii_lower(text).replace("&", " and "))]


def english_nouns(types: dict[str, set[str]], titles: dict[str, list[str]], value_words: set[str],
                  category_nouns: dict[str, dict] | None = None) -> tuple[dict[str, dict], list[str]]:
    """({type: {"det", "head"}}, review notes) for `types` ({type: its categories}) from `titles`
    ({category: titles}); `value_words`: words of other attributes' values, never a head; `category_nouns`:
    each category's English noun, which a type titles write before varying words modifies."""
    nouns, notes = {}, []
    by_category = {c: _TitleIndex([words(t) for t in ts]) for c, ts in titles.items()}  # built once, not per type
    for name in sorted(types):
        key = words(name)
        held = [w for c in sorted(types[name]) if c in by_category for w in by_category[c].after(key, value_words)]
        follower = _follower(held, name, value_words)
        nouns[name] = noun(f"{name} {follower}") if follower else _unnamed(name, held, types[name], category_nouns or {})
        if len(held) < MIN_TITLES:
            notes.append(f"type {name!r}: no title of its categories shows it, so it is used as a noun "
                         f"({_shown(nouns[name])!r}); rename it in lexicon/en.json (nouns.type) if shoppers say it otherwise")
        elif follower:
            notes.append(f"type {name!r}: titles write it before {follower!r}, so the noun is {_shown(nouns[name])!r}")
        elif nouns[name]["head"] != name:
            notes.append(f"type {name!r}: titles write it before varying words ({', '.join(sorted(set(held))[:3])}), "
                         f"so the noun is {_shown(nouns[name])!r}")
    return nouns, notes


def _unnamed(name: str, held: list[str], categories: set[str], category_nouns: dict[str, dict]) -> dict:
    """The noun of a type titles give no one following word for: a shop area ("Face Care") is "a face care
    product"; in a category named by a mass noun ("makeup"), a one-word label that no title ends with ("Eye",
    written before "Liner", "Shadow", or never) is a kind of it ("eye makeup"); else the type itself. A
    countable category's label stays a noun: "Deodorant Combo Set" still sells a deodorant."""
    if name.split(" ")[-1] in AREA_WORDS:
        return {"det": "a", "head": f"{name} product"}
    category = category_nouns.get(next(iter(categories))) if len(categories) == 1 else None
    if " " not in name and all(held) and category and category["det"] == "" and not category.get("plural"):
        return {"det": "", "head": f"{name} {category['head']}"}
    return noun(name)


def noun(head: str, written_plural: bool = False) -> dict:
    """An English noun entry: "a pair of" before what is sold in pairs ("a pair of heels", as the shipped
    lexicon writes footwear; a word that is a pair only in the plural when the catalog writes it so:
    `written_plural`), "a" before a countable head, none and `plural` before a plural one."""
    last = head.split(" ")[-1]
    if last in PAIRED or (written_plural and last in PAIRED_WHEN_PLURAL):
        return {"det": "a pair of", "head": f"{head}s"}
    return {"det": "", "head": head, "plural": True} if is_plural(head) else {"det": "a", "head": head}


def title_singular(name: str, spelling: str, titles: list[str]) -> str:
    """`name` with its last word as the category's titles write it, when the catalog's `spelling` ends in a plural
    the spelling rules left alone or got wrong ("Tunics": tunic, "Kurtis": kurti, "Scarves": scarf); the most
    frequent of the candidates among the titles' words wins, and `name` stays when titles show none of them."""
    words_ = _WORD.findall(ascii_lower(spelling))
    last = words_[-1] if words_ else ""
    if not last.endswith("s") or len(last) <= 3:
        return name
    # The plural itself is no candidate: titles that repeat the category's name ("Acme Red Toasters") say nothing.
    candidates = [name.split(" ")[-1], last[:-1]] + ([last[:-3] + "f", last[:-3] + "fe"] if last.endswith("ves") else [])
    counts = Counter(w for t in titles for w in _WORD.findall(ascii_lower(t)) if w in candidates)
    if not counts:
        return name
    best = max(candidates, key=lambda c: (counts[c], c == candidates[0]))
    return " ".join([*name.split(" ")[:-1], best]) if counts[best] else name


def is_plural(head: str) -> bool:
    last = head.split(" ")[-1]
    return last.endswith(PLURAL_ONLY) or singular(last) != last


class _TitleIndex:
    """A category's title words with where each word stands, so a type finds the titles holding it without
    reading every title (a catalog has thousands of types and titles)."""

    def __init__(self, titles: list[list[str]]) -> None:
        self.titles, self.at = titles, defaultdict(list)
        for t, title in enumerate(titles):
            for i, word in enumerate(title):
                self.at[word].append((t, i))

    def after(self, name: list[str], value_words: set[str]) -> list[str]:
        """Per title holding `name` (its first place), the first word after it that is no other attribute's value
        ("Gathered Pink Dress": dress; "" at the end)."""
        out, done, n = [], set(), len(name)
        for t, i in self.at.get(name[0], ()) if name else ():
            title = self.titles[t]
            if t not in done and title[i:i + n] == name:
                done.add(t)
                out.append(next((w for w in title[i + n:] if w not in value_words), ""))
        return out


def _follower(held: list[str], name: str, value_words: set[str]) -> str | None:
    """The one word most titles holding `name` go on with, when it reads as the noun `name` modifies."""
    if len(held) < MIN_TITLES:
        return None
    word, count = Counter(held).most_common(1)[0]
    if not word or word == words(name)[-1] or not word[0].isalpha():
        return None
    return word if count >= FOLLOWER_SHARE * len(held) else None


def _shown(noun: dict) -> str:
    det = "an" if noun["det"] == "a" and noun["head"][:1] in "aeiou" else noun["det"]
    return f"{det} {noun['head']}".strip()
