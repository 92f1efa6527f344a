"""The local build's row order, restored on whole tables before a global step reads them.

A PCollection has no order, but a stage that sees a whole table may depend on it (BM25 over
the product corpus breaks score ties by document position). So a whole table handed to a
global step is put back in the order the local runner produces: ingest's source order for the
catalog tables (attributes and families follow their product, images their first product),
and compose's base_query_id order, languages as configured, for plans and queries.
"""

from __future__ import annotations

import pyarrow as pa

# Contracts whose local order derives from the products' source order.
BY_PRODUCT = {"attribute", "family"}


def product_positions(products: pa.Table) -> dict[str, int]:
    """product_id -> its position in ingest's output (source file, then source row)."""
    ordered = products.sort_by([("source_file", "ascending"), ("source_row", "ascending")])
    return {pid: i for i, pid in enumerate(ordered.column("product_id").to_pylist())}


def image_positions(products: pa.Table) -> dict[str, tuple[int, int]]:
    """image_id -> (position of the first product showing it, its index in that product's images)."""
    positions = product_positions(products)
    first: dict[str, tuple[int, int]] = {}
    for pid, image_ids in zip(products.column("product_id").to_pylist(), products.column("image_ids").to_pylist()):
        for k, image_id in enumerate(image_ids or []):
            key = (positions[pid], k)
            if key < first.get(image_id, (len(positions), 0)):
                first[image_id] = key
    return first


def _take_sorted(table: pa.Table, keys: list) -> pa.Table:
    # Python's sort is stable: rows with equal keys keep their batch order (a product's facts).
    return table.take(pa.array(sorted(range(table.num_rows), key=keys.__getitem__), pa.int64()))


def in_local_order(table: pa.Table, contract: str | None, products: pa.Table | None, languages: tuple[str, ...]) -> pa.Table:
    """`table` (of `contract`) in the local runner's row order; tables of other contracts as they are."""
    if contract == "product":
        return table.sort_by([("source_file", "ascending"), ("source_row", "ascending")])
    if contract in BY_PRODUCT:
        positions = product_positions(products)
        return _take_sorted(table, [positions.get(p, len(positions)) for p in table.column("product_id").to_pylist()])
    if contract == "image":
        positions = image_positions(products)
        return _take_sorted(table, [positions.get(i, (len(positions), 0)) for i in table.column("image_id").to_pylist()])
    if contract == "query_plan":
        return table.sort_by("base_query_id")
    if contract == "query":
        rank = {lang: i for i, lang in enumerate(languages)}
        keys = list(zip(table.column("base_query_id").to_pylist(),
                        (rank.get(lang, len(rank)) for lang in table.column("language").to_pylist())))
        return _take_sorted(table, keys)
    return table
