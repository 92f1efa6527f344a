"""The data card's counts, computed on Arrow columns (no Python row per query; #14).

Each function returns what a `collections.Counter` over the rows' Python values would hold, so the
card and its plots read the same numbers as before; tests/card/test_card_columnar.py pins that equality.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def value_counts(column: pa.ChunkedArray | pa.Array) -> Counter:
    """value -> rows holding it."""
    counts = pc.value_counts(column)
    return Counter(dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist())))


def pair_counts(table: pa.Table, first: str, second: str) -> Counter:
    """(first, second) -> rows holding that pair of values."""
    grouped = table.select([first, second]).group_by([first, second], use_threads=False).aggregate([([], "count_all")])
    return Counter(dict(zip(zip(grouped[first].to_pylist(), grouped[second].to_pylist()),
                            grouped["count_all"].to_pylist())))


def english(queries: pa.Table) -> pa.Table:
    return queries.filter(pc.equal(queries.column("language"), "en"))


def image_conditions_per_row(queries: pa.Table) -> np.ndarray:
    """Per row: how many of its conditions an image carries (carried_by == "image")."""
    out = []
    for chunk in queries.column("conditions").chunks:
        carried = pc.struct_field(pc.list_flatten(chunk), "carried_by")
        is_image = pc.fill_null(pc.equal(carried, "image"), False).to_numpy(zero_copy_only=False)
        parents = pc.list_parent_indices(chunk).to_numpy()
        out.append(np.bincount(parents, weights=is_image, minlength=len(chunk)).astype(np.int64))
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def image_condition_counts(queries: pa.Table) -> Counter:
    """images per query (conditions an image carries) -> queries, over `queries`' rows."""
    values, counts = np.unique(image_conditions_per_row(queries), return_counts=True)
    return Counter(dict(zip(values.tolist(), counts.tolist())))


def condition_counts(queries: pa.Table) -> Counter:
    """(attribute, carried_by) -> conditions, over every condition of `queries`' rows."""
    flat = pc.list_flatten(queries.column("conditions"))
    table = pa.table({"attribute": pc.struct_field(flat, "attribute"), "carried_by": pc.struct_field(flat, "carried_by")})
    return pair_counts(table, "attribute", "carried_by")
