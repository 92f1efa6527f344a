"""Card fixes a dataset user notices (#25): the funnel counts base queries only and names each drop,
counts carry thousands separators everywhere, train comes before test."""

from __future__ import annotations

import pyarrow as pa

from pipelines.card.parts import md_table
from pipelines.card.plots import funnel_stages
from pipelines.card.render import split_order

REPORT = {"steps": [
    {"name": "ingest", "counters": {"rows_in": 335, "products": 335}},
    {"name": "compose", "counters": {"attempts": 335, "plans": 283, "rejected_duplicate_query": 29}},
    {"name": "render", "counters": {"queries": 1415}},
    {"name": "caption_filter", "counters": {"rejected_image_blind": 95}},
    {"name": "split", "counters": {"rejected_split_straddle": 34}},
    {"name": "export", "counters": {"queries": 770}},
]}


def _queries(n_base: int, languages=("en", "ms", "id", "vi", "th")) -> pa.Table:
    return pa.table({"language": [lang for _ in range(n_base) for lang in languages]})


def test_funnel_counts_base_queries_and_names_each_drop():
    stages = funnel_stages(REPORT, _queries(154))
    assert stages[-1] == ("exported base queries", 154)
    assert ("after caption_filter: -95 image_blind", 188) in stages
    assert ("after split: -34 split_straddle", 154) in stages
    assert all(value <= 335 for _, value in stages)  # 770 language rows are not in a base-query funnel


def test_table_counts_have_thousands_separators():
    assert md_table(["reason", "rows"], [["x", 2350], ["flag", True]]).splitlines()[2:] == ["| x | 2,350 |", "| flag | True |"]


def test_train_comes_before_test():
    assert split_order({"test": 1, "train": 2, "dev": 3}) == ["train", "test", "dev"]
