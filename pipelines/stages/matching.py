"""The one rule for judging a product against a condition: meets, violates or unknown.

A product's value for an attribute is its mined value. For a condition (attribute A, value v)
a product MEETS it when its value is v, or a value the vocabulary lists as also meeting v
(`"also_meets": {"unisex": ["men", "women"]}`: a unisex product meets gender=men); it VIOLATES
it when it has a known value for A that does not meet v; it is UNKNOWN when it has no value
for A. A missing value proves nothing, so:

- positive: meets every condition;
- hard negative: violates at least one condition on a known value (and lists only those);
- unverified: violates nothing but is unknown on some condition; never positive nor negative.

Compose (bitsets), overlap and retriever negatives, personalisation and the DuckDB
verification (io/verify.py, through `meeting_values`) all use this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

MEETS, VIOLATES, UNKNOWN = "meets", "violates", "unknown"
POSITIVE, NEGATIVE, UNVERIFIED = "positive", "negative", "unverified"
FACT_SHIFT = 32  # a coded fact is attribute_code << FACT_SHIFT | value_code (judge_codes_for)


@dataclass(frozen=True)
class Matcher:
    # attribute -> ((product value, (condition values it also meets)), ...): hashable and frozen.
    relations: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = field(default=())

    @classmethod
    def from_vocabulary(cls, vocab) -> Matcher:
        """Relations from each vocabulary attribute's `also_meets` table."""
        attributes = vocab.data.get("attributes", {})
        rel = tuple(sorted(
            (name, tuple(sorted((pv, tuple(sorted(cvs))) for pv, cvs in spec.get("also_meets", {}).items())))
            for name, spec in attributes.items() if spec.get("also_meets")))
        return cls(rel)

    @cached_property  # frozen dataclasses allow cached_property: it writes __dict__ directly
    def _also(self) -> dict[str, dict[str, tuple[str, ...]]]:
        return {a: dict(pairs) for a, pairs in self.relations}

    def also_meets(self, attribute: str, product_value: str) -> tuple[str, ...]:
        """Condition values (besides itself) that a product with this value meets."""
        return self._also.get(attribute, {}).get(product_value, ())

    def meeting_values(self, attribute: str, value: str) -> list[str]:
        """Every product value that meets the condition attribute=value (value itself first)."""
        key = (attribute, value)
        if key not in self._meeting:
            extra = sorted(pv for pv, cvs in self._also.get(attribute, {}).items() if value in cvs and pv != value)
            self._meeting[key] = [value, *extra]
        return self._meeting[key]

    @cached_property
    def _meeting(self) -> dict[tuple[str, str], list[str]]:
        return {}

    def judge(self, attribute: str, value: str, product_values: str | Iterable[str] | None) -> str:
        """MEETS / VIOLATES / UNKNOWN; with several values the product meets when any value meets."""
        have = [product_values] if isinstance(product_values, str) else list(product_values or ())
        if not have:
            return UNKNOWN
        meeting = set(self.meeting_values(attribute, value))
        return MEETS if any(v in meeting for v in have) else VIOLATES

    def judge_all(self, conditions: Iterable[tuple[str, str]],
                  values: Mapping[str, str | Iterable[str]]) -> tuple[list[str], list[str]]:
        """(attributes violated on known values, attributes unknown) of a product for a condition list."""
        violated, unknown = [], []
        for attribute, value in conditions:
            verdict = self.judge(attribute, value, values.get(attribute))
            if verdict == VIOLATES:
                violated.append(attribute)
            elif verdict == UNKNOWN:
                unknown.append(attribute)
        return violated, unknown

    def judge_all_for(self, conditions: Iterable[tuple[str, str]]) -> Callable[[Mapping[str, str | Iterable[str]]],
                                                                              tuple[list[str], list[str]]]:
        """`judge_all` with the conditions fixed: each condition's meeting values are looked up
        once, for stages that judge many products against one query (retriever negatives)."""
        meeting = [(attribute, frozenset(self.meeting_values(attribute, value))) for attribute, value in conditions]

        def judge_product(values: Mapping[str, str | Iterable[str]]) -> tuple[list[str], list[str]]:
            violated, unknown = [], []
            for attribute, meets in meeting:
                have = values.get(attribute)
                have = [have] if isinstance(have, str) else (have or ())
                if not have:
                    unknown.append(attribute)
                elif meets.isdisjoint(have):
                    violated.append(attribute)
            return violated, unknown

        return judge_product

    def judge_codes_for(self, conditions: Iterable[tuple[str, str]], attribute_codes: Mapping[str, int],
                        value_codes: Mapping[str, int]) -> Callable[[Sequence[int]], tuple[list[str], list[str]]]:
        """`judge_all_for` over a product's values as coded facts (`attribute_code << 32 | value_code`, the
        codes of `attribute_codes` / `value_codes`), the form stages/product_facts.py keeps: the same rule,
        without a dict of sets per product."""
        meeting = []
        for attribute, value in conditions:
            code = attribute_codes.get(attribute)
            facts = frozenset() if code is None else frozenset(
                code << FACT_SHIFT | value_codes[v] for v in self.meeting_values(attribute, value) if v in value_codes)
            meeting.append((attribute, code, facts))

        def judge_facts(facts: Sequence[int]) -> tuple[list[str], list[str]]:
            violated, unknown = [], []
            known = {fact >> FACT_SHIFT for fact in facts}
            for attribute, code, meets in meeting:
                if code not in known:
                    unknown.append(attribute)
                elif meets.isdisjoint(facts):
                    violated.append(attribute)
            return violated, unknown

        return judge_facts

    def label(self, conditions: Iterable[tuple[str, str]], values: Mapping[str, str | Iterable[str]]) -> str:
        violated, unknown = self.judge_all(conditions, values)
        return NEGATIVE if violated else UNVERIFIED if unknown else POSITIVE


def unverified_share(n_positives: int, n_unverified: int) -> float:
    """Share of the products that may meet the query that could not be verified."""
    total = n_positives + n_unverified
    return n_unverified / total if total else 0.0
