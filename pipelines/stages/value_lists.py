"""A field value that lists several values ("Men, Women", "Boys and Girls"): one value meaning all of them, or none.

Catalogs give a product that suits several values a list in one field. Reading such a list as one
of its parts (fuzzily, or as a new value "men women") labels the product wrongly: a product for men
and women labelled "men" would be judged to violate a query for women. The value that stands for a
list is one whose `also_meets` covers every part ("unisex" meets men and women); when no value
does, the product's value is unknown (mine rejects it as `several_values`, induce leaves it out).

A list is split at `,` `;` `|` when at least two parts are known values, and at `/` `&` `+` `and`
only when every part is a known value: "Top & Pyjama Set" or "Fit and Flare" stay one value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_HARD = re.compile(r"\s*[,;|]\s*")
_SOFT = re.compile(r"\s*(?:/|&|\+|\band\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ListedValue:
    parts: tuple[str, ...]  # the distinct known values the list names, in order
    value: str | None  # the one value meaning all of them (`also_meets`), or None: unknown


def listed_value(raw: str, known: Callable[[str], str | None],
                 also_meets: Mapping[str, list[str]] | None = None) -> ListedValue | None:
    """The list `raw` names, or None when it is not a list of known values (`known`: a part's value or None)."""
    parts = _known_parts(raw, known)
    if parts is None:
        return None
    return ListedValue(parts, covering_value(parts, also_meets or {}))


def listed_among(raw: str, forms: Mapping[str, str], also_meets: Mapping[str, list[str]],
                 key: Callable[[str], str]) -> ListedValue | None:
    """The list `raw` names among `forms` ({key(surface form): value}), or None: no forms (open values), `raw` is
    itself a form (a listed synonym wins: "Men, Women" may be unisex's), or it lists no known values."""
    if not forms or key(raw) in forms:
        return None
    return listed_value(raw, lambda part: forms.get(key(part)), also_meets)


def has_separator(raw: str) -> bool:
    """Whether `raw` could be a list at all: it holds a separator between two words."""
    return len([p for p in _HARD.split(raw) if p.strip()]) > 1 or len([p for p in _SOFT.split(raw) if p.strip()]) > 1


def covering_value(parts: tuple[str, ...], also_meets: Mapping[str, list[str]]) -> str | None:
    """The value that meets every part: the part itself when there is one, a part that also meets the others,
    or a value whose `also_meets` holds them all. The one meeting the fewest extra values wins; ties by name."""
    wanted = set(parts)
    if len(wanted) == 1:
        return parts[0]
    covers = sorted((len(meets), value) for value, meets in also_meets.items() if wanted <= {value, *meets})
    return covers[0][1] if covers else None


def _known_parts(raw: str, known: Callable[[str], str | None]) -> tuple[str, ...] | None:
    """The distinct values of a list with two or more known parts, or None."""
    hard = [p for p in _HARD.split(raw) if p.strip()]
    if len(hard) < 2:
        return _every_part(raw, known)
    values: list[str] = []
    for part in hard:
        value = known(part)
        values.extend((value,) if value else _every_part(part, known) or ())
    return tuple(dict.fromkeys(values)) if len(values) >= 2 else None


def _every_part(text: str, known: Callable[[str], str | None]) -> tuple[str, ...] | None:
    """Every soft-separated part of `text` as a known value, or None when one is not known."""
    parts = [p for p in _SOFT.split(text) if p.strip()]
    if len(parts) < 2:
        return None
    values = [known(p) for p in parts]
    return tuple(dict.fromkeys(values)) if all(values) else None
