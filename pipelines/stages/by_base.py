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
    """Set `columns` on every row from the English row of the same base query."""
    source = {r["base_query_id"]: r for r in english.select(["base_query_id", *columns]).to_pylist()}
    rows = queries.to_pylist()
    for row in rows:
        if row["base_query_id"] in source:
            for column in columns:
                row[column] = source[row["base_query_id"]][column]
    return schemas.from_rows(rows, "query")


def attach_passages(queries: pa.Table, passages: pa.Table) -> pa.Table:
    """Put each English query's passage on its row (other languages get it via copy_columns)."""
    by_query = {r["query_id"]: r for r in passages.to_pylist()}
    rows = queries.to_pylist()
    for row in rows:
        found = by_query.get(row["query_id"])
        if found:
            row.update(passage=found["passage"], passage_span=found["passage_span"],
                       passage_source_ids=found["passage_source_ids"])
    return schemas.from_rows(rows, "query")
