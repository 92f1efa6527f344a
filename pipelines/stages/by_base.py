"""Per-base-query results applied to every language of that query.

A base query's conditions, positives and images are the same in all five languages, so
decisions made on its English row (caption filter, retriever negatives, passages) are copied
to its other language rows rather than recomputed against an English-only corpus.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from pipelines import schemas


def english_rows(queries: pa.Table) -> pa.Table:
    return queries.filter(pc.equal(queries.column("language"), "en"))


def keep_bases(queries: pa.Table, kept_english: pa.Table) -> pa.Table:
    """Rows of `queries` whose base query survived in `kept_english`."""
    keep = pa.array(kept_english.column("base_query_id").to_pylist() if kept_english.num_rows else [], pa.string())
    return queries.filter(pc.is_in(queries.column("base_query_id"), value_set=keep))


def copy_columns(queries: pa.Table, english: pa.Table, columns: list[str]) -> pa.Table:
    """Set `columns` on every row from the English row of the same base query.

    Columnar (index_in + take): a Python loop over every language row costs seconds per 100K rows.
    Rows whose base query has no English row keep their own values.
    """
    positions = pc.index_in(queries.column("base_query_id"), value_set=english.column("base_query_id"))
    found = pc.is_valid(positions)
    for column in columns:
        taken = english.column(column).take(pc.fill_null(positions, 0)) if english.num_rows else queries.column(column)
        merged = pc.if_else(found, taken, queries.column(column)) if positions.null_count else taken
        queries = queries.set_column(queries.schema.get_field_index(column), queries.schema.field(column), merged)
    return schemas.conform(queries, "query")


def attach_passages(queries: pa.Table, passages: pa.Table) -> pa.Table:
    """Put each query's passage (by query_id) on its row; rows without one keep theirs."""
    positions = pc.index_in(queries.column("query_id"), value_set=passages.column("query_id"))
    found = pc.is_valid(positions)
    for column in ("passage", "passage_span", "passage_source_ids"):
        target = queries.schema.field(column)
        if passages.num_rows:
            taken = passages.column(column).take(pc.fill_null(positions, 0)).cast(target.type)
            merged = pc.if_else(found, taken, queries.column(column))
        else:
            merged = queries.column(column)
        queries = queries.set_column(queries.schema.get_field_index(column), target, merged)
    return schemas.conform(queries, "query")
