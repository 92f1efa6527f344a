"""Technical values (RAM, storage, screen size, battery, volume, weight) mined from a title or description.

Pure. Each quantity attribute of the vocabulary names its dimension, the range its values live in
and the cue words that name it ("ram", "ssd"). A quantity in the text goes to the attribute
that a cue right next to it names ("16GB RAM", "512GB SSD", "RAM 8GB"), else to the one attribute
of its dimension whose range holds it ("256GB" in a phone is storage, "8GB" its RAM); a phone's
"8GB+256GB" / "8/256GB" is RAM then storage. What fits two attributes, or an attribute twice with
different values, is left unknown rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from pipelines.stages import units

_PAIR = re.compile(r"(?<![\w.])(\d{1,2})\s?(?:gb)?\s?[+/]\s?(\d{2,4})\s?(gb|tb)(?![a-z])", re.IGNORECASE)
_CUE_REACH = 14  # characters either side of a quantity where a cue word counts


@dataclass(frozen=True)
class QuantitySpec:
    attribute: str
    dimension: str
    low: Decimal
    high: Decimal
    cues: tuple[str, ...]


def specs_of(attribute_specs: dict[str, dict], attributes: list[str]) -> list[QuantitySpec]:
    """The quantity attributes among `attributes` (a category's), from their vocabulary specs."""
    out = []
    for name in attributes:
        spec = attribute_specs.get(name, {})
        if "quantity" in spec:
            low, high = spec.get("range", [0, 10 ** 9])
            out.append(QuantitySpec(name, spec["quantity"], Decimal(str(low)), Decimal(str(high)),
                                    tuple(c.lower() for c in spec.get("cues", []))))
    return out


def mine(text: str, specs: list[QuantitySpec]) -> dict[str, tuple[str, str]]:
    """attribute -> (canonical value, evidence as written) for the quantities `text` states unambiguously."""
    if not specs or not text:
        return {}
    found: dict[str, set[str]] = {}
    evidence: dict[str, str] = {}
    for attribute, value, written in [*_pairs(text, specs), *_singles(text, specs)]:
        found.setdefault(attribute, set()).add(value)
        evidence.setdefault(attribute, written)
    return {a: (next(iter(vs)), evidence[a]) for a, vs in found.items() if len(vs) == 1}


def _pairs(text: str, specs: list[QuantitySpec]):
    """'8GB+256GB': the first is RAM-like (a cue 'ram' attribute), the second storage-like."""
    data = [s for s in specs if s.dimension == "data"]
    if len(data) != 2:
        return
    small, large = sorted(data, key=lambda s: s.high)
    for match in _PAIR.finditer(text):
        unit = match[3]
        first, second = units.canonical(f"{match[1]} GB", "data"), units.canonical(f"{match[2]} {unit}", "data")
        yield small.attribute, first, match[0]
        yield large.attribute, second, match[0]


def _singles(text: str, specs: list[QuantitySpec]):
    paired = [m.span() for m in _PAIR.finditer(text)]
    found = [q for q in units.quantities(text) if not any(a <= q.start < b for a, b in paired)]
    lower = text.lower()
    for k, q in enumerate(found):
        candidates = [s for s in specs if s.dimension == q.dimension]
        following = next((f for f in found[k + 1:] if f.dimension == q.dimension), None)
        cue = _cue(lower, q, following, {c for s in candidates for c in s.cues})
        cued = [s for s in candidates if cue in s.cues]
        fitting = cued or [s for s in candidates if s.low <= q.amount <= s.high]
        if len(fitting) == 1:
            yield fitting[0].attribute, q.value, text[q.start:q.end]


def _cue(lower: str, q: units.Quantity, following: units.Quantity | None, cues: set[str]) -> str | None:
    """The word naming this quantity: the one right after it ("8GB RAM"), else the one right before it
    ("RAM 8GB"); a word that sits between two quantities names the one it touches with no comma
    ("8GB RAM 128GB ROM": RAM is the 8GB's, ROM the 128GB's; "RAM 8GB ROM 128GB": the other way)."""
    after = _WORD_AFTER.match(lower, q.end)
    before = _WORD_BEFORE.search(lower[:q.start])
    after_cue = after[1] if after and after[1] in cues else None
    before_cue = before[1] if before and before[1] in cues else None
    if after_cue and before_cue:
        # The word after also starts the next quantity's phrase ("ROM 128GB") when nothing but spaces follow it.
        if following is not None and lower[after.end():following.start].strip() == "":
            return before_cue
        return after_cue
    return after_cue or before_cue


_WORD_AFTER = re.compile(r"\s*([a-z][a-z0-9]*)")
_WORD_BEFORE = re.compile(r"([a-z][a-z0-9]*)\s*$")
