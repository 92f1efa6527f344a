"""Batches cross the runner's stage boundaries as files (batch_files): a Reshuffle, a combine, the
export's gated writes and compose's dedupe carry paths and ids, and export batches products instead of
joining row dicts, so the DirectRunner's process never holds the query or catalog tables."""

import apache_beam as beam
import pyarrow as pa
from apache_beam.pvalue import TaggedOutput
from apache_beam.testing.util import assert_that, equal_to

from pipelines.beam.adapter import Resilient, describe_table
from pipelines.beam.batch_files import BatchFile, from_file, rows_of, to_file
from pipelines.beam.compose import keep_first, kept_plans, plan_refs
from pipelines.beam.export import batch_sides, describe_products
from pipelines.beam.pipeline import build_pipeline
from pipelines.beam.sinks import SplitSet, product_references
from pipelines.beam.tables import ConcatTables, Rebatch, single_rows, slices_of
from pipelines.beam.whole_files import WholeFile, load
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR


def _queries(n: int) -> pa.Table:
    return pa.table({"base_query_id": [f"b{i // 2}" for i in range(n)], "language": ["en", "ms"] * (n // 2)})


def test_a_batch_round_trips_through_its_file_mapped_not_copied(tmp_path):
    table = _queries(20_000)
    ref = to_file(table, str(tmp_path))
    assert isinstance(ref, BatchFile) and ref.rows == 20_000 and rows_of(ref) == 20_000
    assert ref.path.startswith(str(tmp_path / "batches"))
    before = pa.total_allocated_bytes()
    back = from_file(ref)
    assert back.equals(table)
    assert pa.total_allocated_bytes() - before < 100_000  # the buffers are the file's pages
    assert to_file(table, str(tmp_path)).path != ref.path  # a retried bundle never writes over a file being read
    assert from_file(table) is table and rows_of(table) == 20_000


def test_rebatch_with_a_folder_sends_paths_through_the_reshuffle_and_keeps_base_queries_whole(tmp_path):
    with beam.Pipeline() as p:
        out = (p | beam.Create([_queries(10)]) | Rebatch(4, str(tmp_path))
               | beam.Map(lambda t: sorted(set(t.column("base_query_id").to_pylist()))))
        assert_that(out, equal_to([["b0", "b1"], ["b2", "b3"], ["b4"]]))
    assert len(list((tmp_path / "batches").glob("*.arrow"))) == 3  # one file per batch crossed


def test_whole_table_accumulators_hold_paths_and_the_output_is_the_concatenation(tmp_path):
    combine = ConcatTables("family", ["product_id"])
    parts = [pa.table({"product_id": ["p1"], "family_id": ["f"]}), pa.table({"product_id": ["p2"], "family_id": ["g"]})]
    acc = combine.create_accumulator()
    for part in parts:
        acc = combine.add_input(acc, to_file(part, str(tmp_path)))
    assert all(isinstance(item, BatchFile) for item in acc)  # what crosses to the combine's last step: paths
    whole = combine.extract_output(combine.merge_accumulators([acc[:1], acc[1:]]))
    assert whole.to_pydict() == {"product_id": ["p1", "p2"]}


def test_the_build_graph_crosses_every_query_reshuffle_and_the_gated_export_as_files(tmp_path):
    p = beam.Pipeline()
    build_pipeline(p, str(DEMO_DIR / "catalog.jsonl"), str(tmp_path / "run"), load_config())
    labels = p.applied_labels
    for step in ("render", "negatives", "passages", "caption_filter", "retriever_negatives", "export/BatchQueries",
                 "export/BatchProducts"):
        assert f"{step}/Batch/Spread/ToFiles" in labels or f"{step}/Spread/ToFiles" in labels, step
    for gate in ("GateProducts", "GateQueries", "GateMeritProducts", "GateMeritQueries"):
        assert f"WriteExport/{gate}/ToFiles" in labels and f"WriteExport/{gate}/FromFiles" in labels, gate
    assert "Whole_ingest_products/ToFiles" in labels  # a whole table's batches reach its combine as files
    assert not [label for label in labels if label.startswith("export/") and "CoGroupByKey" in label]  # no row join


def test_a_product_batch_takes_only_its_own_images_facts_and_splits_in_the_tables_order():
    batch = pa.table({"product_id": ["p2", "p1"], "image_ids": [["i2", "i1"], ["i1"]]})
    images = pa.table({"image_id": ["i1", "i3", "i2"], "bytes": [b"1", b"3", b"2"]})
    facts = pa.table({"product_id": ["p1", "p3", "p2", "p1"], "value": ["a", "b", "c", "d"]})
    splits = pa.table({"product_id": ["p3", "p1"], "split": ["test", "train"]})
    sides = batch_sides(batch, images, facts, splits)
    assert sides["images"].column("image_id").to_pylist() == ["i1", "i2"]
    assert sides["attributes"].column("value").to_pylist() == ["a", "c", "d"]  # the local export's fact order
    assert sides["product_splits"].to_pydict() == {"product_id": ["p1"], "split": ["train"]}
    assert batch_sides(batch, images, facts, None)["product_splits"].num_rows == 0  # a build without a split step


def test_compose_dedupes_plans_by_reference_and_keeps_the_lowest_ranges_row(tmp_path):
    plans = [pa.table({"base_query_id": ["q1", "q2"], "target_id": ["p1", "p2"], "strategy": ["a", "a"]}),
             pa.table({"base_query_id": ["q2", "q3"], "target_id": ["p9", "p3"], "strategy": ["b", "b"]})]
    refs = [ref for start, table in ((4000, plans[1]), (0, plans[0])) for ref in plan_refs((start, table), str(tmp_path))]
    for _, (start, path, row, target) in refs:  # what the shuffle carries: ids, never the plans' rows
        assert isinstance(start, int) and isinstance(path, str) and isinstance(row, int) and isinstance(target, str)
    grouped = {}
    for key, value in refs:
        grouped.setdefault(key, []).append(value)
    kept, rejected = {}, []
    for key, candidates in grouped.items():
        for out in keep_first(key, candidates):
            if isinstance(out, TaggedOutput):
                rejected += out.value.column("record_id").to_pylist()
            else:
                kept.setdefault(out[0], []).append(out[1])
    tables = [kept_plans(item) for item in kept.items()]
    rows = sorted(r for t in tables for r in zip(t.column("base_query_id").to_pylist(), t.column("strategy").to_pylist()))
    assert rows == [("q1", "a"), ("q2", "a"), ("q3", "b")]  # q2 from the range that starts at 0
    assert rejected == ["p9"]  # the later range's duplicate, named by its target


def test_merit_pools_name_each_product_once_per_batch_and_combine_to_its_splits():
    queries = pa.table({"split": ["train", "train", "test"],
                        "images": [[{"product_id": "p1"}], [{"product_id": "p1"}], [{"product_id": "p1"}]],
                        "positive_ids": [["p2"], ["p2"], ["p3"]], "hard_negative_ids": [["p1"], [], []]})
    pairs = sorted(product_references(queries))
    assert pairs == [("p1", "test"), ("p1", "train"), ("p2", "train"), ("p3", "test")]  # one pair per batch, not per query
    combine = SplitSet()
    accumulators = [combine.add_input(combine.create_accumulator(), split) for product, split in pairs if product == "p1"]
    assert combine.extract_output(combine.merge_accumulators(accumulators)) == {"train", "test"}


def test_a_whole_table_combine_with_a_folder_outputs_the_tables_file_not_the_table(tmp_path):
    """Beam reads a combine's output as a side input (the default it injects for empty input): a
    table output sat in the DirectRunner's process for the whole run."""
    combine = ConcatTables("family", ["product_id"], str(tmp_path), "Whole_mine_families_index")
    acc = combine.add_input(combine.create_accumulator(), to_file(pa.table({"product_id": ["p1"], "family_id": ["f"]}),
                                                                  str(tmp_path)))
    out = combine.extract_output(acc)
    assert out == WholeFile(str(tmp_path / "Whole_mine_families_index.arrow"), 1)
    assert load(out).to_pydict() == {"product_id": ["p1"]}
    empty = combine.extract_output(combine.create_accumulator())  # no batches: an empty table's file
    assert isinstance(empty, WholeFile) and empty.rows == 0


class _Halves(beam.DoFn):
    def process(self, table):
        yield TaggedOutput("queries", table)
        yield TaggedOutput("rejects", table.slice(0, 1))
        yield TaggedOutput("tally", ("s", (table.num_rows, 0)))


def test_a_steps_data_outputs_leave_as_files_before_their_flatten_and_rejects_stay_tables(tmp_path):
    """The DirectRunner buffers a Flatten's output in its own process until every consumer ran."""
    with beam.Pipeline() as p:
        out = p | beam.Create([_queries(4)]) | Resilient(_Halves(), ["queries"], "s", single_rows, describe_table,
                                                          folder=str(tmp_path))
        assert_that(out["queries"] | "Q" >> beam.Map(lambda e: (type(e).__name__, rows_of(e))),
                    equal_to([("BatchFile", 4)]), label="queries")
        assert_that(out["rejects"] | "R" >> beam.Map(lambda e: type(e).__name__), equal_to(["Table"]), label="rejects")


def test_a_small_enough_batch_file_passes_the_slicer_as_it_is(tmp_path):
    ref = to_file(_queries(4), str(tmp_path))
    assert list(slices_of(ref, 4)) == [ref]  # not read and written again
    assert [t.num_rows for t in slices_of(ref, 2)] == [2, 2]


def test_a_dead_product_batch_names_each_products_source_file_and_row():
    batch = pa.table({"product_id": ["p1", "p2"], "source_file": ["c.jsonl", "c.jsonl"], "source_row": [3, 7]})
    assert describe_products(batch) == [("p1", "c.jsonl", 3), ("p2", "c.jsonl", 7)]
