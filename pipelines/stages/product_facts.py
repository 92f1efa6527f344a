"""The retriever-negative guard's view of the catalog: each product's category and mined values, held compactly.

The guard judges dozens of candidates per query against the query's conditions (stages/matching.py), in every
worker of the pool. As a dict of dicts of sets the mined values cost about 2.5 KiB a product (1 GiB at 400K
products, once per worker). Here a product's facts are int codes in one flat array (8 bytes a fact) and a
query's conditions are coded once (`Matcher.judge_codes_for`), so judging a candidate reads a slice of it.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.stages.matching import FACT_SHIFT, Matcher
from pipelines.stages.twins import photo_twins


@dataclass(frozen=True)
class ProductFacts:
    positions: dict[str, int]  # product id -> row
    categories: tuple[str | None, ...]
    category_codes: array  # row -> index into `categories`
    starts: array  # row -> first of its facts in `facts` (one more entry than rows)
    facts: array  # attribute_code << FACT_SHIFT | value_code, grouped by row
    attribute_codes: dict[str, int]
    value_codes: dict[str, int]
    matcher: Matcher
    twins: dict[str, frozenset[str]]  # listings sharing a photo (stages/twins.py)

    def __contains__(self, product_id: str) -> bool:
        return product_id in self.positions

    def category(self, product_id: str) -> str | None:
        row = self.positions.get(product_id)
        return None if row is None else self.categories[self.category_codes[row]]

    def facts_of(self, product_id: str) -> Sequence[int]:
        """The product's coded facts (none for an id that is not a product)."""
        row = self.positions.get(product_id)
        return () if row is None else self.facts[self.starts[row]:self.starts[row + 1]]

    def judge_for(self, conditions: Iterable[tuple[str, str]]) -> Callable[[str], tuple[list[str], list[str]]]:
        """product id -> (conditions it violates on a known value, conditions it is unknown on)."""
        judge = self.matcher.judge_codes_for(conditions, self.attribute_codes, self.value_codes)
        return lambda product_id: judge(self.facts_of(product_id))


def product_facts(products: pa.Table, attributes: pa.Table, matcher: Matcher) -> ProductFacts:
    """Index products (product_id, category, image_ids) and their mined facts (product_id, attribute, value)."""
    ids = products.column("product_id").combine_chunks()
    positions = {pid: row for row, pid in enumerate(ids.to_pylist())}
    categories = pc.dictionary_encode(products.column("category").combine_chunks())
    names = (*categories.dictionary.to_pylist(), None)  # the last one: a null category's
    category_codes = categories.indices.fill_null(len(names) - 1).to_numpy().astype(np.int64)
    facts, starts = facts_by_product(ids, attributes.select(["product_id", "attribute", "value"]).drop_null())
    attribute = pc.dictionary_encode(facts.column("attribute").combine_chunks())
    value = pc.dictionary_encode(facts.column("value").combine_chunks())
    coded = attribute.indices.to_numpy().astype(np.int64) << FACT_SHIFT | value.indices.to_numpy().astype(np.int64)
    return ProductFacts(
        positions=positions, categories=names, category_codes=array("q", category_codes.tobytes()),
        starts=array("q", starts.astype(np.int64).tobytes()), facts=array("q", coded.tobytes()),
        attribute_codes=_codes(attribute.dictionary), value_codes=_codes(value.dictionary), matcher=matcher,
        twins=photo_twins(products))


def facts_by_product(ids: pa.Array, facts: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """The rows of `facts` (a product_id column) grouped by product in `ids` order, each product's in table
    order, and each product's first row (one more entry than ids: product i's rows are starts[i]:starts[i + 1]).
    Rows of ids that are not products are left out."""
    rows = pc.index_in(facts.column("product_id"), value_set=ids)
    facts, rows = facts.filter(pc.is_valid(rows)), rows.filter(pc.is_valid(rows)).to_numpy().astype(np.int64)
    order = np.argsort(rows, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(ids)))])
    return facts.take(pa.array(order, pa.int64())), starts


def _codes(dictionary: pa.Array) -> dict[str, int]:
    return {word: code for code, word in enumerate(dictionary.to_pylist())}
