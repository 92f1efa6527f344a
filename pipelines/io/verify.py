"""Re-verify exported positive sets against the whole catalog with DuckDB SQL.

Compose computes positives with in-memory bitsets; this check recomputes them independently
from the Parquet files, so a bug in either shows up as a failed build, not a silent label error.
"""

from __future__ import annotations

import duckdb

from pipelines.errors import ReproducibilityError
from pipelines.store import RunStore, _sql_str

_SQL = """
WITH q AS (
  SELECT base_query_id, category, conditions, list_sort(positive_ids) AS expected
  FROM read_parquet({queries}) WHERE language = 'en'),
conds AS (SELECT base_query_id, category, unnest(conditions) AS c, len(conditions) AS n FROM q),
met AS (
  SELECT conds.base_query_id, a.product_id
  FROM conds JOIN read_parquet({attributes}) a
    ON a.category = conds.category AND a.attribute = c.attribute AND a.value = c.value
  GROUP BY conds.base_query_id, a.product_id, conds.n HAVING count(*) = conds.n),
actual AS (SELECT base_query_id, list_sort(list(product_id)) AS actual FROM met GROUP BY base_query_id)
SELECT q.base_query_id, q.expected, actual.actual
FROM q LEFT JOIN actual USING (base_query_id)
WHERE actual.actual IS NULL OR actual.actual <> q.expected
"""


def positive_set_mismatches(queries_glob: str, attributes_path: str) -> list[tuple]:
    """(base_query_id, expected, actual) for every query whose positive set is not exact."""
    sql = _SQL.format(queries=_sql_str(queries_glob), attributes=_sql_str(attributes_path))
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


def verify_positive_sets(store: RunStore) -> int:
    """Raise ReproducibilityError unless every exported query's positives are exactly right."""
    queries = str(store.stage_dir("export") / "data" / "queries" / "*.parquet")
    attributes = str(store.stage_dir("mine") / "attributes.parquet")
    bad = positive_set_mismatches(queries, attributes)
    if bad:
        raise ReproducibilityError(f"{len(bad)} exported queries have wrong positive sets, e.g. {bad[0]}")
    with duckdb.connect() as con:
        return con.execute(f"SELECT count(*) FROM read_parquet({_sql_str(queries)})").fetchone()[0]
