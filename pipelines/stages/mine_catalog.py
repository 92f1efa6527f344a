"""What the mine stage decides over the whole catalog, fed a batch of products at a time.

Per product (`mine_product.py`) a batch's facts are final but for three catalog-wide decisions: an
open value's canonical spelling (stages/values.py: the spelling clusters of every product's value),
a title brand's evidence (stages/brands.py: how many titles start with it), and a visual value that
listings sharing a photo disagree on (stages/twins.py). `CatalogFacts` keeps each batch's facts as a
compact Arrow table with the counts those decisions need, then hands the final facts back a batch at
a time, in product order, as the whole-catalog pass gave them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from pipelines import progress, schemas
from pipelines.results import RejectLog
from pipelines.stages import brands, mine_product, twins, values
from pipelines.stages.field_names import FieldNames


class CatalogFacts:
    """The facts of the batches added so far, and what the catalog-wide decisions count."""

    def __init__(self, params) -> None:
        self.params, self.vocab = params, params.vocabulary
        self.names = FieldNames(self.vocab)
        self.quantity_specs = mine_product.QuantitySpecs(self.vocab)
        self.domain_words = {d: brands.vocabulary_words(self.vocab, d) for d in {self.vocab.domain(c) for c in self.vocab.categories}}
        self.batches: list[tuple[pa.Array, pa.Table]] = []  # (product ids in order, their facts in order)
        self.open_values = {a: Counter() for a in self.vocab.open_attributes}  # value -> products, first seen first
        self.candidates: dict[str, tuple[brands.Candidate, str, str]] = {}  # product id -> (candidate, category, title)
        self.field_spellings: Counter = Counter()  # (attribute, tidy raw, value) of structured fields, not brand
        self.mapping: dict[str, dict[str, tuple[str, str]]] = {}
        self.title_brand: dict[str, str] = {}
        self.products = 0

    def add(self, rows: list[dict], rejects: RejectLog) -> list[dict]:
        """Mine a batch of product rows; returns their family rows (final: no catalog-wide decision)."""
        facts, families = [], []
        for product in progress.each(rows):
            found = mine_product.field_facts(product, self.params, self.names, rejects)
            if self.params.cfg.mine_text:
                self._text(product, found)
            for attribute, counts in self.open_values.items():
                if attribute in found:
                    counts[found[attribute]["value"]] += 1
            self.field_spellings.update((f["attribute"], tidy, f["value"]) for f in found.values() if f["source"] == "field"
                                        and (tidy := values.tidy(f["evidence"])) and f["attribute"] != "brand")
            facts += found.values()
            families.append(mine_product.family(product, found, self.vocab))
        self.batches.append((pa.array([r["product_id"] for r in rows], pa.string()), schemas.from_rows(facts, "attribute")))
        self.products += len(rows)
        return families

    def _text(self, product: dict, found: dict[str, dict]) -> None:
        candidate = mine_product.text_facts(product, self.vocab, found, self.quantity_specs(product["category"]))
        if candidate and "brand" not in found:
            words = self.domain_words[self.vocab.domain(product["category"])]
            self.candidates[product["product_id"]] = (
                brands.Candidate(product["product_id"], candidate, brands.clean_candidate(candidate, words)),
                product["category"], product["title"])

    def resolve(self, rejects: RejectLog) -> list[dict]:
        """Decide the canonical spellings and the title brands; returns the alias rows for review."""
        cfg, aliases = self.params.cfg, []
        candidates = [c for c, _, _ in self.candidates.values()]
        for attribute, found_counts in self.open_values.items():
            counts = Counter(found_counts)
            if attribute == "brand":
                counts.update(c.clean for c in candidates if c.clean)
            pinned = dict(cfg.aliases.get(attribute, {}))
            self.mapping[attribute] = values.canonical_values(counts, cfg.alias_threshold, pinned)
            if attribute == "brand":
                self._title_brands(candidates, list(found_counts), pinned, rejects)
            aliases += values.alias_rows(attribute, counts, self.mapping[attribute])
        return aliases + self._closed_alias_rows()

    def _title_brands(self, candidates, fields, pinned, rejects: RejectLog) -> None:
        mapping = self.mapping["brand"]
        accepted = brands.accepted_brands(candidates, fields, pinned, mapping, self.params.cfg.brand_min_titles)
        for candidate in candidates:
            brand, why = brands.resolve(candidate, mapping, accepted)
            if brand is None:
                rejects.add(why, f"title brand candidate {candidate.text!r} refused", record_id=candidate.product_id,
                            field="title", raw=candidate.text)
            else:
                self.title_brand[candidate.product_id] = brand

    def _closed_alias_rows(self) -> list[dict]:
        """Structured field spellings mapped onto vocabulary values, for review next to the brands."""
        counts: Counter = Counter()
        for (attribute, tidy, value), n in self.field_spellings.items():
            counts[(attribute, tidy, self.mapping.get(attribute, {}).get(value, (value,))[0])] += n
        return [{"attribute": a, "raw": raw, "canonical": value, "method": "same" if raw == value else "vocabulary", "count": n}
                for (a, raw, value), n in sorted(counts.items())]

    def final(self, twin_groups: dict[str, frozenset[str]], rejects: RejectLog) -> Iterator[pa.Table]:
        """Each batch's final facts (spellings canonical, title brands added, twin conflicts dropped: each a
        `twin_conflict` reject), in product order; a batch is released once handed back."""
        conflicted = self._twin_conflicts(twin_groups)
        members = pa.array(list(twin_groups), pa.string())
        while self.batches:
            table = self._decided(*self.batches.pop(0))
            if not conflicted:
                yield table
                continue
            twin_rows = pc.indices_nonzero(pc.is_in(table.column("product_id"), members)).to_pylist()
            drop = []
            for row, f in zip(twin_rows, table.take(pa.array(twin_rows, pa.int64())).to_pylist()):
                if twins.in_conflict(f, twin_groups, conflicted):
                    rejects.add("twin_conflict", f"{f['attribute']}={f['value']!r} dropped: a listing with the same "
                                f"photo gives {f['attribute']} another value", record_id=f["product_id"],
                                field=f["attribute"], raw=f["value"])
                    drop.append(row)
            yield table.filter(pc.invert(pc.is_in(pa.array(range(table.num_rows)), pa.array(drop, pa.int64()))))

    def _twin_conflicts(self, twin_groups: dict[str, frozenset[str]]) -> set[tuple[str, str]]:
        """`twins.conflicted_groups` over every batch's decided facts (twin products' rows only)."""
        if not twin_groups:
            return set()
        members = pa.array(list(twin_groups), pa.string())
        facts = (f for ids, table in self.batches for f in self._decided(
            ids.filter(pc.is_in(ids, members)), table.filter(pc.is_in(table.column("product_id"), members))).to_pylist())
        return twins.conflicted_groups(facts, twin_groups, self.vocab.is_visual)

    def _decided(self, ids: pa.Array, table: pa.Table) -> pa.Table:
        """The facts of products `ids` (their rows of `table`, in order) with open values canonical and
        the accepted title brand after a product's other facts (where the whole-catalog pass put it)."""
        table = table.set_column(table.schema.get_field_index("value"), "value", self._canonical(table))
        brand_rows = [mine_product.fact({"product_id": pid, "category": self.candidates[pid][1]}, "brand",
                                        self.title_brand[pid], "title", self.candidates[pid][2], 100.0)
                      for pid in ids.to_pylist() if pid in self.title_brand]
        if not brand_rows:
            return table
        brands_table = schemas.from_rows(brand_rows, "attribute").cast(table.schema)
        both = pa.concat_tables([table, brands_table])
        # a product's place in `ids`, then its own facts before its title brand, each in row order
        order = pa.table({"at": pc.index_in(both.column("product_id"), value_set=ids),
                          "brand": [False] * table.num_rows + [True] * brands_table.num_rows,
                          "row": pa.array(range(both.num_rows))})
        return both.take(pc.sort_indices(order, sort_keys=[("at", "ascending"), ("brand", "ascending"), ("row", "ascending")]))

    def _canonical(self, table: pa.Table) -> pa.ChunkedArray | pa.Array:
        """The value column with every open attribute's value in its canonical spelling."""
        value, attribute = table.column("value"), table.column("attribute")
        for name, mapping in self.mapping.items():
            if not mapping:
                continue
            raw = pa.array(list(mapping), value.type)
            at = pc.index_in(value, value_set=raw).cast(pa.int32())  # an empty column's is of null type
            canonical = pc.take(pa.array([spelling for spelling, _ in mapping.values()], value.type), at)
            value = pc.if_else(pc.and_(pc.equal(attribute, name), pc.is_valid(at)), canonical, value)
        return value
