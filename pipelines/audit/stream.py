"""The audit over query rows streamed in record batches, each distinct labelled content judged once.

Every base query is exported once per language with the same category, conditions, positives,
negatives and images, so most rows repeat another row's labelled content. Per batch, DuckDB's
GROUP BY over those columns (nested lists and structs compared value by value) finds the distinct
contents; only they are converted to Python and judged (checks.judge_*), and each failure is then
counted and exampled once per row carrying it, in row order, with the row's own query_id: the
result is the one judging every row would give. Equality comes from the checked values
themselves, never from a pipeline-made id such as base_query_id.

Memory is bounded by the batch size and the catalog: across batches only the checks' counters
and examples, the split-leakage sets of product ids and a bounded cache of label bitsets persist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.audit.checks import (
    MAX_EXAMPLES,
    ROLES,
    Catalog,
    Check,
    add_used,
    check_photo_pools,
    judge_ids,
    judge_label_only,
    judge_negatives,
    judge_photo_twins,
    judge_positives,
    judge_required,
    negative_verdicts,
    placeholder_failure,
    query_products,
    split_leakage,
)
from pipelines.audit.image_words import ImageWordsCheck, default_image_words
from pipelines.audit.testability import MIN_TESTABLE_SHARE, Testability

CONTENT_COLUMNS = ["category", "conditions", "positive_ids", "hard_negatives", "hard_negative_ids", "images", "split",
                   "n_unverified"]  # everything a row check reads except query_id (examples) and text (placeholders)
LABEL_CACHE = 4096  # (category, conditions) label bitsets kept across contents; bounded, not per query
_ROW = "__audit_row"


def content_groups(con: duckdb.DuckDBPyConnection, batch: pa.Table) -> tuple[list[dict], np.ndarray]:
    """The batch's distinct contents (CONTENT_COLUMNS present), ordered by first row, and each row's group."""
    columns = [c for c in CONTENT_COLUMNS if c in batch.schema.names]
    table = batch.select(columns).append_column(_ROW, pa.array(np.arange(batch.num_rows)))
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    con.register("audit_batch", table)
    try:
        grouped = con.sql(f"SELECT {names}, list({_ROW} ORDER BY {_ROW}) AS {_ROW} FROM audit_batch "
                              f"GROUP BY {names} ORDER BY min({_ROW})").to_arrow_table()
    finally:
        con.unregister("audit_batch")
    rows = grouped.column(_ROW)
    group_of = np.empty(batch.num_rows, dtype=np.int64)
    group_of[pc.list_flatten(rows).to_numpy()] = pc.list_parent_indices(rows).to_numpy()
    return grouped.drop_columns([_ROW]).to_pylist(), group_of


class QueryAudit:
    """Feed query record batches in export order with `add`, then read `result()`."""

    def __init__(self, products: list[dict], also_meets: dict[str, dict[str, list[str]]],
                 image_words: ImageWordsCheck | None = None,
                 min_testable_share: float = MIN_TESTABLE_SHARE,
                 label_only: dict[str, frozenset[str]] | None = None,
                 required: dict[str, frozenset[str]] | None = None) -> None:
        # Only what the checks read is kept, never the product rows (the catalog's largest objects).
        self.n_products = len(products)
        self.photo_pools = check_photo_pools(products)
        self.catalog = Catalog(products, also_meets)
        self.testability = Testability(self.catalog, products, min_testable_share)
        self.labels = lru_cache(maxsize=LABEL_CACHE)(self.catalog.labels)
        self.photos = {p["product_id"]: set(p["image_ids"] or []) for p in products}
        self.pool = {p["product_id"]: p.get("split") for p in products if p.get("split")}
        self.checks = {c.name: c for c in (
            Check("ids_resolve", "positives, negatives, image products and image ids exist in the exported products"),
            Check("positives_exact", "positive set = products of the category meeting every condition"),
            Check("no_false_negatives", "no hard negative meets every condition (a true positive)"),
            Check("no_unknown_as_negative", "no hard negative that violates nothing known (unverified)"),
            Check("violates_are_known", "each negative's `violates` lists only conditions it violates on a known value"),
            Check("n_unverified", "n_unverified = products violating nothing known but unknown on a condition"),
            Check("placeholders_match_images", "placeholders are `<image_1>`..`<image_k>` in order, k = number of images"),
            Check("photo_twins_of_positives", "no hard negative or query image shares a photo with one of the query's positives"),
            Check("label_only_conditions", "no condition asks for a value the vocabulary keeps for labels only"),
            Check("required_conditions", "every query asks for the attributes the vocabulary requires of its category"))}
        self.used: dict[str, dict[str, set[str]]] = defaultdict(lambda: {r: set() for r in ROLES})
        self.splits: dict[str, int] = defaultdict(int)
        self.outside_own_pool = 0
        self.rows = 0
        self.has_unverified = True
        self.con = duckdb.connect()
        self.image_words = image_words  # no_image_value_in_text, when the caller has the resources for it
        self.required = required or {}  # category -> attributes its every query asks for
        self.label_only = label_only or {}  # the vocabulary's values never asked for (README "Your own categories")

    def judge(self, q: dict, verdicts: list[dict[str, str]] | None = None) -> dict[str, tuple[int, list[dict]]]:
        """check name -> (checked, failure payloads) for one labelled content (`verdicts`: its
        `negative_verdicts`, when judged already)."""
        exact, unverified = judge_positives(q, self.catalog, self.labels)
        false_neg, unknown, listed = judge_negatives(q, self.catalog, verdicts)
        judged = {"ids_resolve": judge_ids(q, self.photos), "positives_exact": exact, "no_false_negatives": false_neg,
                  "no_unknown_as_negative": unknown, "violates_are_known": listed,
                  "photo_twins_of_positives": judge_photo_twins(q, self.photos),
                  "label_only_conditions": judge_label_only(q, self.label_only),
                  "required_conditions": judge_required(q, self.required)}
        if unverified is not None:
            judged["n_unverified"] = unverified
        return judged

    def add(self, batch: pa.Table | pa.RecordBatch) -> None:
        if isinstance(batch, pa.RecordBatch):
            batch = pa.Table.from_batches([batch])
        if not batch.num_rows:
            return
        self.has_unverified &= "n_unverified" in batch.schema.names
        contents, group_of = content_groups(self.con, batch)
        sizes = np.bincount(group_of, minlength=len(contents)).tolist()
        of_negatives = [negative_verdicts(q, self.catalog) for q in contents]  # read by the label and testability checks
        judged = [self.judge(q, v) for q, v in zip(contents, of_negatives)]
        checks, pool_of = self.checks, self.pool.get
        for q, verdicts, size in zip(contents, judged, sizes):
            for name, (checked, failures) in verdicts.items():
                check = checks[name]
                check.checked += checked * size
                check.failed += len(failures) * size
            split = q["split"]
            self.splits[split] += size  # groups in first-row order: splits appear in row order
            add_used(self.used[split], q)
            if self.pool:
                self.outside_own_pool += size * sum(pool_of(pid, split) != split for pid in query_products(q))
        query_ids = batch.column("query_id").to_pylist()
        first_rows = np.unique(group_of, return_index=True)[1].tolist()
        for q, first, v in zip(contents, first_rows, of_negatives):
            self.testability.add(q, query_ids[first], v)
        self._examples(judged, group_of, query_ids)
        self._placeholders(batch, contents, group_of, query_ids)
        if self.image_words:
            self.image_words.add(batch)
        self.rows += batch.num_rows

    def _examples(self, judged: list[dict], group_of: np.ndarray, query_ids: list[str]) -> None:
        """The first failures in row order, each naming its own row's query_id."""
        failing = np.array([any(f for _, f in v.values()) for v in judged], dtype=bool)
        for row in np.flatnonzero(failing[group_of]).tolist():
            for name, (_, failures) in judged[group_of[row]].items():
                examples = self.checks[name].examples
                for payload in failures[:max(0, MAX_EXAMPLES - len(examples))]:
                    examples.append({"query_id": query_ids[row], **payload})

    def _placeholders(self, batch: pa.Table, contents: list[dict], group_of: np.ndarray, query_ids: list[str]) -> None:
        check = self.checks["placeholders_match_images"]
        n_images = [len(q["images"] or []) for q in contents]
        for row, text in enumerate(batch.column("text").to_pylist()):
            check.checked += 1
            failure = placeholder_failure(text, n_images[group_of[row]])
            if failure:
                check.fail({"query_id": query_ids[row], **failure})

    def result(self, image_words_row: dict | None = None) -> dict:
        checks = self.checks
        if not self.rows or not self.has_unverified:
            checks["n_unverified"].skipped = "queries carry no n_unverified column"
        leakage, figures = split_leakage(self.used, self.outside_own_pool if self.pool else None)
        rows = [c.as_dict() for c in (checks["ids_resolve"], checks["positives_exact"], checks["no_false_negatives"],
                                      checks["no_unknown_as_negative"], checks["violates_are_known"],
                                      checks["n_unverified"], checks["placeholders_match_images"], leakage,
                                      checks["photo_twins_of_positives"], self.photo_pools,
                                      checks["label_only_conditions"], checks["required_conditions"])]
        rows.insert(0, has_queries(self.rows))
        rows += [image_words_row] if image_words_row else [self.image_words.check.as_dict()] if self.image_words else []
        rows += [c.as_dict() for c in self.testability.result_checks()]
        return {"passed": all(r["status"] != "fail" for r in rows), "checks": rows,
                "figures": {"queries": self.rows, "products": self.n_products,
                            "queries_by_split": dict(self.splits), **figures,
                            "testability": self.testability.figures()}}


def has_queries(n: int) -> dict:
    """An export without a query checks nothing: that is a failure, never PASSED."""
    return {"name": "has_queries", "description": "the export holds at least one query", "status": "pass" if n else "fail",
            "checked": n, "failed": 0 if n else 1, "skipped": "", "examples": [] if n else [{"queries": 0}]}


def audit_batches(batches: Iterable[pa.Table | pa.RecordBatch], products: list[dict],
                  also_meets: dict[str, dict[str, list[str]]], **rules: dict[str, frozenset[str]]) -> dict:
    """Every check over query record batches (in export order) and the exported product rows (image words
    read with the default vocabulary, as `meritgen audit` reads a default build's). `rules`: QueryAudit's
    `label_only` and `required` (`audit.run.vocabulary_rules`), none when absent."""
    return run_audit(QueryAudit(products, also_meets, default_image_words(), **rules), batches)


def run_audit(audit: QueryAudit, batches: Iterable[pa.Table | pa.RecordBatch],
              image_words_row: Callable[[], dict] | None = None) -> dict:
    """Feed `batches` to `audit` and return its result (`audit_run` builds the audit first, so the
    product rows it was built from are freed before the queries are read). `image_words_row`: the
    no_image_value_in_text row checked elsewhere (audit/text_process.py), asked for once the labels are done."""
    try:
        for batch in batches:
            audit.add(batch)
    finally:
        audit.con.close()
    return audit.result(image_words_row() if image_words_row else None)


def audit_row_batches(batches: Iterable[list[dict]], products: list[dict],
                      also_meets: dict[str, dict[str, list[str]]], **rules: dict[str, frozenset[str]]) -> dict:
    """`audit_batches` over batches of in-memory query rows (tests, tools)."""
    return audit_batches((pa.Table.from_pylist(rows) for rows in batches if rows), products, also_meets, **rules)


def audit_tables(queries: list[dict], products: list[dict], also_meets: dict[str, dict[str, list[str]]],
                 **rules: dict[str, frozenset[str]]) -> dict:
    """Every check over in-memory query and product rows, as one batch; `passed` is False when any check fails."""
    return audit_row_batches([queries], products, also_meets, **rules)
