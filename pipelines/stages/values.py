"""Canonical spellings of open attribute values (brand) and the alias table a user reviews.

Two raw spellings are one value when their key is equal (case, accents, punctuation, spaces
and apostrophes removed: "Levi's" = "Levis", "Red Tape" = "Redtape", "FILA" = "Fila") or when
rapidfuzz's ratio of the keys reaches the threshold ("United Colors of Benetton" =
"United Colours of Benetton"). Clusters grow greedily from the most frequent key, so the
result does not depend on input order; a cluster's canonical spelling is its most frequent
raw spelling, ties broken lexicographically. Pinned aliases (config `[mine.aliases]`) win.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping

from rapidfuzz import fuzz

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def value_key(raw: str) -> str:
    """Lower-case ASCII letters and digits only: the spelling-independent identity of a value."""
    text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().casefold()
    return _NOT_ALNUM.sub("", text)


def tidy(raw: str) -> str:
    """A raw spelling with its spaces collapsed (the form counted and shown)."""
    return " ".join(raw.split())


def canonical_values(counts: Mapping[str, int], threshold: float,
                     pinned: Mapping[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """raw spelling -> (canonical spelling, method) for every raw spelling in `counts`.

    method: "pinned" (config), "same" (already canonical), "spelling" (same key), "fuzzy".
    """
    pins = {value_key(raw): canonical for raw, canonical in (pinned or {}).items()}
    by_key: dict[str, Counter] = {}
    for raw, n in counts.items():
        by_key.setdefault(value_key(raw), Counter())[raw] += n
    heads: list[str] = []  # cluster head keys, most frequent first
    member_of: dict[str, str] = {}
    for key in sorted(by_key, key=lambda k: (-sum(by_key[k].values()), k)):
        if not key or key in pins:
            continue
        head = next((h for h in heads if fuzz.ratio(key, h) >= threshold), None)
        if head is None:
            heads.append(key)
            head = key
        member_of[key] = head
    spelled: dict[str, Counter] = {}
    for key, head in member_of.items():
        spelled.setdefault(head, Counter()).update(by_key[key])
    canonical = {head: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for head, c in spelled.items()}
    out = {}
    for raw in counts:
        key = value_key(raw)
        if key in pins:
            out[raw] = (pins[key], "pinned")
        elif key in member_of:
            head = member_of[key]
            target = canonical[head]
            method = "same" if raw == target else "spelling" if key == value_key(target) else "fuzzy"
            out[raw] = (target, method)
    return out


def alias_rows(attribute: str, counts: Mapping[str, int], mapping: Mapping[str, tuple[str, str]]) -> list[dict]:
    """Rows of the alias table (schemas/v1/alias.json) for one attribute, sorted for review."""
    rows = [{"attribute": attribute, "raw": raw, "canonical": mapping[raw][0], "method": mapping[raw][1], "count": n}
            for raw, n in counts.items() if raw in mapping]
    return sorted(rows, key=lambda r: (r["canonical"], -r["count"], r["raw"]))
