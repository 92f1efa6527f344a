"""Re-verify exported positive sets against the whole catalog with DuckDB SQL.

Compose computes positives with in-memory bitsets; this check recomputes them independently
from the Parquet files, so a bug in either shows up as a failed build, not a silent label error.
Products are pivoted to one row each; queries are grouped by the set of attributes they
condition on, and each group is one hash join on (category, those attributes' values), so the
work grows with the number of positives, not with queries x products. The rule is
stages/matching.py's: a product meets attribute=v when its value is one of
`Matcher.meeting_values` (v itself, or a value the vocabulary says also meets v, e.g. unisex
for gender=men), so each query joins once per combination of meeting values; a product
without a value (NULL after the pivot) never joins, i.e. unknown is never a positive.
"""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import product
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.config import MineConfig
from pipelines.errors import ReproducibilityError
from pipelines.io import layout
from pipelines.stages.matching import Matcher
from pipelines.store import RunStore, _sql_str
from pipelines.vocab.vocabulary import load_vocabulary


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def facts_from_attributes(path: str) -> str:
    """SQL over an attribute table (schemas/v1/attribute.json)."""
    return f"SELECT product_id, category, attribute, value FROM read_parquet({_sql_str(path)})"


def facts_from_products(glob: str) -> str:
    """SQL over exported products: the attributes a dataset user actually sees."""
    return (f"SELECT product_id, category, a.name AS attribute, a.value AS value FROM "
            f"(SELECT product_id, category, unnest(attributes) AS a FROM read_parquet({_sql_str(glob)}))")


def positive_set_mismatches(queries_glob: str, facts_sql: str, matcher: Matcher | None = None) -> list[tuple]:
    """(base_query_id, expected, actual) for every query whose positive set is not exact."""
    matcher = matcher or Matcher()
    with duckdb.connect() as con:
        con.execute(f"CREATE TEMP TABLE w AS PIVOT ({facts_sql}) ON attribute USING first(value)")
        columns = {r[0] for r in con.execute("DESCRIBE w").fetchall()}
        queries = con.execute(f"SELECT base_query_id, category, conditions, list_sort(positive_ids) "
                              f"FROM read_parquet({_sql_str(queries_glob)}) WHERE language = 'en'").fetchall()
        groups: dict[tuple[str, ...], list] = defaultdict(list)
        for row in queries:
            groups[tuple(sorted(c["attribute"] for c in row[2]))].append(row)
        bad = []
        for attrs, rows in groups.items():
            bad += _check_group(con, attrs, rows, columns, matcher)
        return bad


def _meeting_rows(rows: list, attrs: tuple[str, ...], matcher: Matcher) -> dict[str, list]:
    """One join row per query and combination of product values meeting its conditions."""
    out: dict[str, list] = {"base_query_id": [], "category": [], **{a: [] for a in attrs}}
    for r in rows:
        wanted = {c["attribute"]: c["value"] for c in r[2]}
        for combo in product(*(matcher.meeting_values(a, wanted[a]) for a in attrs)):
            out["base_query_id"].append(r[0])
            out["category"].append(r[1])
            for a, v in zip(attrs, combo):
                out[a].append(v)
    return out


def _check_group(con, attrs: tuple[str, ...], rows: list, columns: set[str], matcher: Matcher) -> list[tuple]:
    if not set(attrs) <= columns:  # an attribute no product has: no query on it can have positives
        return [(r[0], r[3], None) for r in rows]
    con.register("qg", pa.table(_meeting_rows(rows, attrs, matcher)))
    on = " AND ".join(["w.category = qg.category"] + [f"w.{_ident(a)} = qg.{_ident(a)}" for a in attrs])
    actual = dict(con.execute(f"SELECT qg.base_query_id, list_sort(list(DISTINCT w.product_id)) FROM qg JOIN w ON {on} "
                              f"GROUP BY qg.base_query_id").fetchall())
    con.unregister("qg")
    return [(r[0], r[3], actual.get(r[0])) for r in rows if actual.get(r[0]) != r[3]]


def run_matcher(store: RunStore) -> Matcher:
    """The value relations of the vocabulary the run was built with (its config.json)."""
    path = store.root / layout.CONFIG_FILE
    version = json.loads(path.read_text())["mine"]["vocabulary"] if path.exists() else MineConfig().vocabulary
    return Matcher.from_vocabulary(load_vocabulary(version))


def verify_positive_sets(store: RunStore, matcher: Matcher | None = None) -> int:
    """Raise ReproducibilityError unless every exported query's positives are exactly right.

    `matcher` defaults to the run's own vocabulary relations, so every caller checks one rule."""
    return verify_export_dir(store.stage_dir("export"), matcher or run_matcher(store))


def verify_export_dir(export_dir: Path, matcher: Matcher) -> int:
    """`verify_positive_sets` on an export folder, e.g. one still being built (before its marker)."""
    queries = str(layout.queries_dir(export_dir) / "*.parquet")
    products = str(layout.products_dir(export_dir) / "*.parquet")
    bad = positive_set_mismatches(queries, facts_from_products(products), matcher)
    if bad:
        raise ReproducibilityError(f"{len(bad)} exported queries have wrong positive sets, e.g. {bad[0]}")
    with duckdb.connect() as con:
        return con.execute(f"SELECT count(*) FROM read_parquet({_sql_str(queries)})").fetchone()[0]
