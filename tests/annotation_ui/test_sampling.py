"""Stratified sampling and annotator assignment (pure functions, inline tables)."""

from collections import Counter

import pyarrow as pa
import pytest

from annotation_ui.errors import QAError
from annotation_ui.sampling import allocate, assign_items, stratified_sample, stratum_of


def _queries(spec: dict[tuple[str, str, int], int]) -> pa.Table:
    rows = [{"query_id": f"{lang}-{cat}-{n}-{i}", "language": lang, "category": cat, "n_conditions": n}
            for (lang, cat, n), count in spec.items() for i in range(count)]
    return pa.Table.from_pylist(rows)


def test_allocate_is_proportional_and_gives_every_stratum_one():
    alloc = allocate({"a": 80, "b": 15, "c": 5}, 20)
    assert sum(alloc.values()) == 20
    assert alloc == {"a": 16, "b": 3, "c": 1}
    assert allocate({"big": 1000, "tiny": 1}, 10)["tiny"] == 1  # rare strata are not dropped


def test_allocate_never_exceeds_a_stratum_and_takes_all_when_size_is_large():
    assert allocate({"a": 2, "b": 3}, 10) == {"a": 2, "b": 3}
    alloc = allocate({"a": 3, "b": 3, "c": 94}, 50)
    assert all(alloc[k] <= n for k, n in {"a": 3, "b": 3, "c": 94}.items()) and sum(alloc.values()) == 50


def test_stratified_sample_covers_strata_proportionally_and_is_deterministic():
    table = _queries({("en", "shoes", 2): 40, ("th", "shoes", 2): 40, ("en", "bags", 3): 10, ("vi", "bags", 4): 10})
    ids = stratified_sample(table, 20, seed=7)
    assert len(ids) == len(set(ids)) == 20
    strata = Counter(stratum_of(r) for r in table.to_pylist() if r["query_id"] in set(ids))
    assert strata == {"en|shoes|2": 8, "th|shoes|2": 8, "en|bags|3": 2, "vi|bags|4": 2}
    assert stratified_sample(table, 20, seed=7) == ids
    assert stratified_sample(table, 20, seed=8) != ids


def test_stratified_sample_skips_excluded_ids():
    table = _queries({("en", "shoes", 2): 5})
    first = stratified_sample(table, 3, seed=1)
    rest = stratified_sample(table, 5, seed=1, exclude=frozenset(first))
    assert set(rest).isdisjoint(first) and len(rest) == 2
    with pytest.raises(QAError, match="no query is left"):
        stratified_sample(table, 5, seed=1, exclude=frozenset(first + rest))


def test_assignment_double_annotates_the_configured_share_with_balanced_load():
    items = [f"q{i}" for i in range(100)]
    out = assign_items(items, ["ann", "bob", "cy"], double_share=0.2, seed=3)
    assert set(out) == set(items)
    assert Counter(len(v) for v in out.values()) == {1: 80, 2: 20}
    assert all(len(set(v)) == len(v) for v in out.values())
    load = Counter(a for v in out.values() for a in v)
    assert max(load.values()) - min(load.values()) <= 1 and sum(load.values()) == 120
    assert assign_items(items, ["ann", "bob", "cy"], 0.2, 3) == out


@pytest.mark.parametrize("annotators, share, message", [
    ([], 0.2, "at least one annotator"),
    (["solo"], 0.2, "at least two annotators"),
    (["a", "a"], 0.0, "unique"),
    (["a", "b"], 1.5, r"\[0, 1\]"),
    (["a", "adjudicator"], 0.0, "adjudicator"),
    (["a b", "c"], 0.0, "must match"),
])
def test_assignment_rejects_bad_arguments(annotators, share, message):
    with pytest.raises(QAError, match=message):
        assign_items(["q1"], annotators, share, seed=1)
