"""Numbers with units, as shops write them, to one canonical spelling (pure; no I/O).

"16 GB" = "16GB" = "16 gb" = "16-GB"; '15.6"' = "15.6 inch" = "15.6-inch" = "15.6 in"; "5000 mAh" =
"5,000mAh"; "330 ml" = "0.33 L" = "33cl"; "1,5 L" (decimal comma) = "1.5 L". Data sizes keep the unit
they were written in (1 TB and 1024 GB are different listings' words, both canonical); volume and
weight are one quantity in two units, so they convert: under 1000 ml is ml, from 1 L up is L.

A quantity attribute of the vocabulary names its dimension (`"quantity": "data"`); `canonical`
parses one field value of that dimension, `quantities` finds every quantity in a title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# unit spelling (lower case) -> (dimension, canonical unit, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, str, Decimal]] = {}


def _add(dimension: str, canonical: str, factor: str, *spellings: str) -> None:
    for spelling in (canonical.lower(), *spellings):
        _UNITS[spelling] = (dimension, canonical, Decimal(factor))


_add("data", "GB", "1", "gb", "gig", "gigabyte", "gigabytes")
_add("data", "TB", "1024", "tb", "terabyte", "terabytes")
_add("data", "MB", "0.0009765625", "mb", "megabyte", "megabytes")
_add("length_in", "inch", "1", "in", "inches", "inch", '"', "''", "\u201d", "\u2033", "inci")
_add("charge", "mAh", "1", "mah")
_add("volume", "ml", "1", "ml", "mls", "millilitre", "milliliter", "millilitres", "milliliters")
_add("volume", "L", "1000", "l", "ltr", "ltrs", "litre", "liter", "litres", "liters", "lt")
_add("volume", "cl", "10", "cl")
_add("weight", "g", "1", "g", "gr", "gm", "gms", "gram", "grams", "gramme", "grammes")
_add("weight", "kg", "1000", "kg", "kgs", "kilo", "kilos", "kilogram", "kilograms")

# The largest canonical unit first, with the amount (in base units) it starts at.
_SCALE = {"volume": (("L", Decimal(1000)), ("ml", Decimal(1))), "weight": (("kg", Decimal(1000)), ("g", Decimal(1)))}

_UNIT_ALT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
# A number (thousands or decimal separators), an optional space or hyphen, a unit not followed by a letter.
_QUANTITY = re.compile(
    rf"(?<![\w.,])(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:[.,]\d+)?)\s?-?\s?(?P<unit>{_UNIT_ALT})(?![a-z0-9])",
    re.IGNORECASE)


_NETWORK_GENERATIONS = {"2", "3", "4", "5", "6"}


@dataclass(frozen=True)
class Quantity:
    value: str  # canonical spelling, "16 GB"
    dimension: str
    amount: Decimal  # in the dimension's base unit (GB, inch, mAh, ml, g)
    start: int  # where it was written in the text
    end: int


def number(text: str) -> Decimal | None:
    """'5,000' -> 5000; '1,5' -> 1.5 (a comma before exactly three digits groups thousands)."""
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _spell(amount: Decimal) -> str:
    return format(amount.normalize(), "f")


def _canonical(num: Decimal, unit: str) -> tuple[str, str, Decimal] | None:
    dimension, canonical_unit, factor = _UNITS[unit.lower()]
    base = num * factor
    if base <= 0:
        return None
    if dimension in _SCALE:  # one quantity, two units: the larger unit from its threshold up
        unit_name, scale = next((u, s) for u, s in _SCALE[dimension] if base >= s or s == 1)
        return f"{_spell(base / scale)} {unit_name}", dimension, base
    return f"{_spell(num)} {canonical_unit}", dimension, base


def quantities(text: str) -> list[Quantity]:
    """Every number-with-unit written in `text`, in reading order."""
    found = []
    for match in _QUANTITY.finditer(text or ""):
        if match["unit"] == "G" and match["num"] in _NETWORK_GENERATIONS:
            continue  # "5G" is a network generation, not five grams
        num = number(match["num"])
        spelled = _canonical(num, match["unit"]) if num is not None else None
        if spelled:
            found.append(Quantity(spelled[0], spelled[1], spelled[2], match.start(), match.end()))
    return found


def canonical(raw: str, dimension: str) -> str | None:
    """A field value of one dimension in canonical spelling ("16gb" -> "16 GB"), None if it is not one."""
    found = [q for q in quantities(str(raw).strip()) if q.dimension == dimension]
    if len(found) == 1:
        return found[0].value
    if dimension == "length_in" and (num := number(str(raw).strip())) is not None and 0 < num < 100:
        return _canonical(num, "inch")[0]  # a screen-size field often holds the bare number
    return None
