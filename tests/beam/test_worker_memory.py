"""What a Beam worker holds: whole tables reach steps as Arrow IPC files (whole_files), one step's
prepared index at a time (worker_cache), and no LLM layer (torch) for a build without an LLM step."""

import gc
import subprocess
import sys
import weakref

import apache_beam as beam
import pyarrow as pa
import pytest

from pipelines.beam import whole_files, worker_cache
from pipelines.beam.pipeline import build_pipeline
from pipelines.beam.whole_files import WholeFile, load, remove_folder, write_whole
from pipelines.config import load_config
from pipelines.resources import DEMO_DIR


@pytest.fixture(autouse=True)
def _fresh():
    whole_files.forget()
    worker_cache.drop()
    yield
    whole_files.forget()
    worker_cache.drop()


def test_a_whole_table_round_trips_through_its_file_and_is_mapped_not_copied(tmp_path):
    table = pa.table({"product_id": [f"p{i}" for i in range(50_000)], "n": list(range(50_000))})
    ref = write_whole(table, str(tmp_path / "whole"), "Whole_ingest_products")
    assert ref == WholeFile(str(tmp_path / "whole" / "Whole_ingest_products.arrow"), 50_000)
    before = pa.total_allocated_bytes()
    opened = load(ref)
    assert opened.equals(table)
    assert pa.total_allocated_bytes() - before < 100_000  # the buffers are the file's pages, not a heap copy
    assert load(ref) is opened  # every bundle of a step sees the same object: its index is prepared once
    assert not list((tmp_path / "whole").glob("*.partial"))


def test_values_that_are_not_whole_files_pass_through():
    table = pa.table({"a": [1]})
    assert load(table) is table and load(None) is None


def test_a_worker_keeps_only_the_last_opened_tables(tmp_path, monkeypatch):
    monkeypatch.setattr(whole_files, "KEEP_OPEN", 2)
    refs = [write_whole(pa.table({"a": [i]}), str(tmp_path), f"t{i}") for i in range(3)]
    first = load(refs[0])
    load(refs[1]), load(refs[2])
    assert load(refs[0]) is not first  # evicted, read again


def test_remove_folder_deletes_every_pipelines_whole_tables(tmp_path):
    run = tmp_path / "run"
    write_whole(pa.table({"a": [1]}), whole_files.folder_for(str(run)), "t")
    assert (run / whole_files.FOLDER).exists()
    remove_folder(str(run))
    assert not (run / whole_files.FOLDER).exists()
    remove_folder(str(run))  # nothing there: no error


def test_the_graph_hands_whole_tables_to_steps_as_files(tmp_path):
    p = beam.Pipeline()
    build_pipeline(p, str(DEMO_DIR / "catalog.jsonl"), str(tmp_path / "run"), load_config())
    labels = p.applied_labels
    assert "Whole_ingest_products_File" in labels  # written after its local order is restored
    assert "Whole_ingest_products_index/ToFiles" in labels  # written by its combine (test_batch_files)


class _Index:
    """Stands for a catalog index: something big a step prepares from its side tables."""


def test_a_worker_holds_one_steps_prepared_value_at_a_time():
    made = []

    def make(name):
        made.append(name)
        return _Index()

    products = pa.table({"a": [1]})
    first = worker_cache.prepared("compose", (products,), lambda: make("compose"))
    assert worker_cache.prepared("compose", (products,), lambda: make("compose")) is first  # same sources: reused
    gone = weakref.ref(first)
    del first
    worker_cache.prepared("passages", (products,), lambda: make("passages"))
    gc.collect()
    assert gone() is None  # the next step's preparation dropped the previous step's index
    assert worker_cache.held_owners() == ["passages"] and made == ["compose", "passages"]
    worker_cache.prepared("passages", (pa.table({"a": [1]}),), lambda: make("passages"))  # other objects: again
    assert made == ["compose", "passages", "passages"]


def test_the_graph_and_launcher_modules_do_not_import_the_llm_layer():
    """A worker imports pipelines.beam.pipeline to unpickle the graph's functions; Beam's inference
    module imports torch where it is installed (about 350 MB per worker process for nothing)."""
    code = ("import sys, pipelines.beam.pipeline, pipelines.beam.run, pipelines.beam.adapter; "
            "print(sorted(m for m in ('apache_beam.ml.inference.base', 'torch', 'pipelines.beam.inference') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
