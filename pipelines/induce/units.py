"""Numbers with units in one spelling: 5 L = 5l = 5 litre, 16 GB = 16gb, 15.6" = 15.6 inch."""

from __future__ import annotations

import re

_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-zA-Z\"']+\.?)?\s*$")
UNITS = {
    "l": "l", "lt": "l", "ltr": "l", "litre": "l", "liter": "l", "litres": "l", "liters": "l",
    "ml": "ml", "millilitre": "ml", "milliliter": "ml", "cl": "cl",
    "g": "g", "gm": "g", "gms": "g", "gram": "g", "grams": "g", "kg": "kg", "kgs": "kg", "mg": "mg",
    "mm": "mm", "cm": "cm", "m": "m", "in": "inch", "inch": "inch", "inches": "inch", '"': "inch", "ft": "ft",
    "gb": "gb", "tb": "tb", "mb": "mb", "mah": "mah", "w": "w", "watt": "w", "watts": "w", "v": "v", "volt": "v",
    "oz": "oz", "lb": "lb", "lbs": "lb", "pc": "pc", "pcs": "pc", "pieces": "pc", "piece": "pc",
}


def number_unit(raw: str) -> tuple[str, str] | None:
    """(number, canonical unit or "") for a value that is a number with an optional unit, else None."""
    match = _NUMBER_UNIT.match(raw)
    if not match:
        return None
    number = match.group(1).replace(",", ".")
    number = number.rstrip("0").rstrip(".") if "." in number else number
    unit = (match.group(2) or "").rstrip(".").casefold()
    if unit and unit not in UNITS:
        return None
    return number, UNITS.get(unit, "")


def unit_value(raw: str) -> str | None:
    """The canonical spelling ("5 l", "15.6 inch", "12"), or None when `raw` is not a number (with a unit)."""
    found = number_unit(raw)
    return None if found is None else " ".join(p for p in found if p)
