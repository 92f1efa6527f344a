"""The split's per-row work, columnar: which rows stay, their side, their own side's negatives.

Every language row of every query passes through here, so nothing becomes a Python row:
a query table of MERIT's size as Python dicts was the split's time and memory (#14). Only
the values that need a decision are Python objects: one side per base query, one per
distinct hard-negative product.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.results import RejectLog
from pipelines.stages import by_base
from pipelines.stages.minimal_pairs import NO_MINIMAL_PAIR, missing_pairs


def keep_rows(queries: pa.Table, base_side: dict[str, str | None], held_out_languages, rejects: RejectLog,
              counters: dict) -> pa.Table:
    """The rows whose base query has a side (None: it straddles), without held-out-language train rows
    (one reject each, in row order), with `split` set."""
    sides = [base_side[b] for b in queries.column("base_query_id").to_pylist()]
    languages = queries.column("language").to_pylist()
    held = frozenset(held_out_languages)
    straddle = np.array([s is None for s in sides], dtype=bool)
    keep = ~straddle
    held_rows = [i for i, (side, lang) in enumerate(zip(sides, languages)) if side == "train" and lang in held]
    if held_rows:
        ids = queries.column("query_id").take(pa.array(held_rows, pa.int64())).to_pylist()
        for query_id in ids:
            rejects.add("held_out_language_in_train", "held-out language rows are test only", record_id=query_id)
        keep[held_rows] = False
    if straddle.any():  # (a counter only when it happened, as before)
        counters["rows_dropped_straddle"] += int(straddle.sum())
    kept = queries.filter(pa.array(keep))
    split = pa.array([s for s, k in zip(sides, keep) if k], pa.string())
    index = kept.schema.get_field_index("split")
    return kept.set_column(index, kept.schema.field("split"), split.cast(kept.schema.field("split").type))


def keep_own_negatives(queries: pa.Table, side_of: Callable[[str], str], counters: dict) -> pa.Table:
    """Drop each row's hard negatives that belong to the other side's pool; count what was dropped."""
    if not queries.num_rows:
        return queries
    is_test = pc.equal(queries.column("split"), "test").combine_chunks()
    ids = queries.column("hard_negative_ids").combine_chunks()
    negatives = queries.column("hard_negatives").combine_chunks()
    kept_ids = _filter_lists(ids, pc.list_flatten(ids), is_test, side_of)
    kept_negatives = _filter_lists(negatives, pc.struct_field(pc.list_flatten(negatives), "product_id"),
                                   is_test, side_of)
    sizes_before = pc.list_value_length(ids).to_numpy(zero_copy_only=False)
    sizes_after = pc.list_value_length(kept_ids).to_numpy(zero_copy_only=False)
    counters["negatives_dropped_other_split"] += int(sizes_before.sum() - sizes_after.sum())
    counters["queries_without_negatives"] += int((sizes_after == 0).sum())
    for name, column in (("hard_negative_ids", kept_ids), ("hard_negatives", kept_negatives)):
        field = queries.schema.field(name)
        queries = queries.set_column(queries.schema.get_field_index(name), field, column.cast(field.type))
    return queries


def _filter_lists(lists: pa.ListArray, product_ids: pa.Array, row_is_test: pa.BooleanArray,
                  side_of: Callable[[str], str]) -> pa.ListArray:
    """`lists` keeping the items whose product (`product_ids`, aligned with the flattened items) is on
    its row's side."""
    parents = pc.list_parent_indices(lists)
    distinct = pc.unique(product_ids)
    distinct_test = pa.array([side_of(p) == "test" for p in distinct.to_pylist()], pa.bool_())
    item_test = distinct_test.take(pc.index_in(product_ids, value_set=distinct))
    own = pc.equal(item_test, row_is_test.take(parents)).to_numpy(zero_copy_only=False)
    counts = np.bincount(parents.to_numpy(zero_copy_only=False)[own], minlength=len(lists))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pc.list_flatten(lists).filter(pa.array(own)))


def keep_testable(queries: pa.Table, listed: set[str], rejects: RejectLog, counters: dict) -> pa.Table:
    """The rows whose every condition still has a minimal-pair negative in the own pool (after
    `keep_own_negatives`); one reject per dropped base query (stages/minimal_pairs.py). Judged on
    each base query's English row (its languages share conditions and negatives), for the base
    queries that listed a minimal pair before the split (`listed`: the negatives stage found one in
    the catalog; a query made without that stage is not judged here, the audit still counts it)."""
    if not queries.num_rows:
        return queries
    english = by_base.english_rows(queries).select(["base_query_id", "conditions", "hard_negatives"]).to_pylist()
    lost = {}
    for row in english:
        if (missing := missing_pairs(row["conditions"], row["hard_negatives"])) and row["base_query_id"] in listed:
            lost[row["base_query_id"]] = missing
    for base, missing in lost.items():
        rejects.add(NO_MINIMAL_PAIR, f"no minimal pair in its own pool for {', '.join(missing)}", record_id=base)
    if not lost:
        return queries
    keep = pc.invert(pc.is_in(queries.column("base_query_id"), value_set=pa.array(list(lost), pa.string())))
    counters["rows_dropped_no_minimal_pair"] += queries.num_rows - int(pc.sum(keep).as_py() or 0)
    return queries.filter(keep)
