"""Spellings of one name merged: case, plural, punctuation, then rapidfuzz spelling clusters."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from rapidfuzz import fuzz

_NOT_NAME = re.compile(r"[^a-z0-9 &'+./-]+")
_NOT_KEY = re.compile(r"[^a-z0-9]+")
# Nouns with no singular (a pair of shorts): a name keeps them plural, and they take no article.
PLURAL_ONLY = ("clothes", "shorts", "pants", "trousers", "jeans", "leggings", "tights", "pyjamas", "pajamas",
               "briefs", "scissors", "tongs", "pliers", "glasses", "spectacles", "goggles", "binoculars", "headphones",
               "earphones", "capris", "jeggings", "boxers", "stockings", "suspenders", "overalls", "dungarees")
# Plurals of nouns ending in -ie, which the -ies -> -y rule would get wrong ("booties" is no "booty").
_IE_PLURALS = ("hoodies", "beanies", "cookies", "booties", "brownies", "smoothies", "movies", "onesies", "nighties",
               "selfies", "neckties", "bowties", "zombies", "calories", "goalies", "rookies", "veggies", "lingeries")
_INVARIANT = ("ss", "us", "is", "ics", "ous", "wear", "series", "news", *PLURAL_ONLY)  # glass, cactus, electronics
MIN_FUZZY_CHARS = 6  # shorter names never fuzz-merge (as mine.alias_threshold's rule: "bag" vs "bat")


def ascii_lower(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def singular(word: str) -> str:
    """English plural to singular, for the rules catalog category names need (beds, boxes, batteries)."""
    if len(word) <= 3 or word.endswith(_INVARIANT) or not word.endswith("s"):
        return word
    if word.endswith(_IE_PLURALS) or word in ("ties", "pies"):
        return word[:-1]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    return word[:-1]


def vocab_name(text: str, singular_nouns: bool = True) -> str:
    """The form a vocabulary name takes (schemas/vocabulary: lower-case ASCII, spaces, & ' + . / -); a noun
    (category, type) singular, a value as written ("HEMNES" is hemnes, never "hemne")."""
    words = " ".join(_NOT_NAME.sub(" ", ascii_lower(text).replace("_", " ")).split()).split(" ")
    words[-1] = words[-1].removesuffix("'s").rstrip("'")  # a possessive names its owner: "Baby Boy's" is baby boy
    for i, word in enumerate(words):  # the last word, and the last of each conjunct ("combos and kits")
        if singular_nouns and (i == len(words) - 1 or words[i + 1] in ("and", "&", "or")):
            words[i] = singular(word)
    name = " ".join(w for w in words if w).strip(" &'+./-")
    return name


def spelling_key(text: str) -> str:
    """Equal for spellings that differ in case, plural, punctuation or '&' vs 'and'."""
    return " ".join(_NOT_KEY.sub(" ", vocab_name(text).replace("&", " and ")).split())


@dataclass
class Cluster:
    name: str
    spellings: Counter = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.spellings.values())


def _name(key: str, spellings: Counter, singular_nouns: bool) -> str:
    """The cluster's name: a spelling that is its plain key ("dog bed", not "dog-bed") when there is one,
    else the most frequent spelling's."""
    names = [vocab_name(s, singular_nouns) for s, _ in spellings.most_common()]
    return next((n for n in names if n == key), names[0])


def cluster(counts: Counter, threshold: float, singular_nouns: bool = True) -> list[Cluster]:
    """Spellings grouped by key, then keys merged by rapidfuzz ratio (most frequent first); each
    cluster named by its most frequent spelling's `vocab_name` (values: `singular_nouns=False`). Largest first."""
    by_key: dict[str, Counter] = {}
    for spelling, n in counts.items():
        key = spelling_key(spelling)
        if key:
            by_key.setdefault(key, Counter())[spelling] += n
    merged: list[tuple[str, Counter]] = []
    for key, spellings in sorted(by_key.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])):
        home = next((m for m in merged if len(key) >= MIN_FUZZY_CHARS and len(m[0]) >= MIN_FUZZY_CHARS
                     and fuzz.ratio(key, m[0]) >= threshold), None)
        if home is None:
            merged.append((key, Counter(spellings)))
        else:
            home[1].update(spellings)
    clusters = [Cluster(_name(key, spellings, singular_nouns), spellings) for key, spellings in merged]
    return sorted(clusters, key=lambda c: (-c.count, c.name))
