"""The multi-process executor gives exactly the serial stage's output for any worker count."""

import threading

import pytest

from pipelines.config import ComposeConfig, NegativesConfig
from pipelines.runners import ingest_pool, parallel
from pipelines.stages import compose, negatives
from tests.stages.test_compose import _catalog


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parallel_compose_and_negatives_equal_serial(vocab, workers, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)  # use the pool even on this small catalog
    prods, attrs, fams, _ = _catalog(150)
    params = compose.ComposeParams(ComposeConfig(max_positive_share=0.05, queries_per_product=2), vocab, 5)
    serial = compose.compose_queries(prods, attrs, fams, params)
    par = parallel.compose_queries(prods, attrs, fams, params, workers)
    assert par.outputs["plans"].equals(serial.outputs["plans"])
    assert par.rejects.equals(serial.rejects) and par.counters == serial.counters

    from pipelines.config import RenderConfig
    from pipelines.stages.render import RenderParams, render_queries
    from pipelines.vocab.templates import load_templates

    queries = render_queries(serial.outputs["plans"], RenderParams(RenderConfig(languages=("en", "th")),
                                                                     load_templates("v3", ("en", "th")), 5)).outputs["queries"]
    nparams = negatives.NegativesParams(NegativesConfig(per_query=5), 5)
    a = negatives.mine_overlap_negatives(queries, prods, attrs, fams, nparams)
    b = parallel.mine_overlap_negatives(queries, prods, attrs, fams, nparams, workers)
    assert a.outputs["queries"].equals(b.outputs["queries"]) and a.counters == b.counters


@pytest.mark.parametrize("workers", [1, 2])
def test_the_parent_builds_no_index_of_its_own_when_the_workers_do_the_work(vocab, workers, monkeypatch):
    """Each pool worker builds the catalog index; a third copy in the parent, unused, was a third of
    compose's memory at a million products. The parent builds one only when it works itself (1 worker)."""
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    built = []
    real = parallel.build_index
    monkeypatch.setattr(parallel, "build_index", lambda *args, **kw: built.append(1) or real(*args, **kw))
    prods, attrs, fams, _ = _catalog(150)
    params = compose.ComposeParams(ComposeConfig(max_positive_share=0.05, queries_per_product=2), vocab, 5)
    plans = parallel.compose_queries(prods, attrs, fams, params, workers).outputs["plans"]
    assert plans.num_rows > 0 and built == ([1] if workers == 1 else [])  # workers' builds are in their processes


def test_pool_never_forks_a_threaded_process(vocab, monkeypatch):
    """Workers come from a forkserver, never from fork() of this (threaded) process."""
    import multiprocessing

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    methods = []
    real = multiprocessing.get_context
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: methods.append(method) or real(method))
    prods, attrs, fams, _ = _catalog(60)
    params = compose.ComposeParams(ComposeConfig(max_positive_share=0.05, queries_per_product=2), vocab, 5)
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait)  # a live thread, as in a Prefect task
    busy.start()
    try:
        par = parallel.compose_queries(prods, attrs, fams, params, 2)
    finally:
        stop.set()
        busy.join()
    assert methods and set(methods) == {"forkserver"}
    assert par.outputs["plans"].equals(compose.compose_queries(prods, attrs, fams, params).outputs["plans"])


def test_pool_workers_apply_the_vocabulary_value_relations(vocab, monkeypatch):
    """A unisex product meets gender=men in the workers exactly as in the serial stage."""
    import pyarrow as pa
    import pyarrow.compute as pc

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    prods, attrs, fams, _ = _catalog(150, seed=3)
    unisex = pc.and_(pc.equal(attrs.column("attribute"), "gender"),
                     pc.equal(pc.utf8_slice_codeunits(attrs.column("product_id"), 3, 4), "0"))
    attrs = attrs.set_column(attrs.schema.get_field_index("value"), "value",
                             pc.if_else(unisex, pa.scalar("unisex"), attrs.column("value")))
    params = compose.ComposeParams(ComposeConfig(max_positive_share=0.05, queries_per_product=2), vocab, 5)
    serial = compose.compose_queries(prods, attrs, fams, params)
    plans = serial.outputs["plans"].to_pylist()
    with_unisex = [p for p in plans if any(c["attribute"] == "gender" and c["value"] != "unisex" for c in p["conditions"])
                   and any(pid.endswith("0") for pid in p["positive_ids"])]
    assert with_unisex, "the catalog must give gender queries whose positives include unisex products"
    par = parallel.compose_queries(prods, attrs, fams, params, 2)
    assert par.outputs["plans"].equals(serial.outputs["plans"]) and par.counters == serial.counters


@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_render_equals_serial(vocab, workers, monkeypatch):
    """Plan batches rendered on processes (and in small batches) give the serial table and counters."""
    from pipelines.config import RenderConfig
    from pipelines.stages import render
    from pipelines.vocab.templates import load_templates

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    monkeypatch.setattr(render, "BATCH_PLANS", 16)
    prods, attrs, fams, _ = _catalog(150)
    plans = compose.compose_queries(prods, attrs, fams, compose.ComposeParams(
        ComposeConfig(max_positive_share=0.05, queries_per_product=2), vocab, 5)).outputs["plans"]
    params = render.RenderParams(RenderConfig(languages=("en", "vi")), load_templates("v3", ("en", "vi")), 5)
    serial = render.render_rows(plans.to_pylist(), params)  # one batch, no pool
    par = parallel.render_queries(plans, params, workers)
    assert plans.num_rows > 2 * 16 and par.outputs["queries"].equals(serial)
    assert par.counters == render.render_queries(plans, params).counters


def test_one_pool_serves_every_batch_of_a_streamed_step(vocab, monkeypatch):
    """negatives_stream / render_stream over small batches, their pool started once and reused:
    the serial stages' whole-table output and counters."""
    import concurrent.futures

    from pipelines.config import RenderConfig
    from pipelines.shards import TableShards, collect
    from pipelines.stages import render
    from pipelines.vocab.templates import load_templates

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    started = []
    real_pool = concurrent.futures.ProcessPoolExecutor

    def counting_pool(*args, **kwargs):
        started.append(1)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", counting_pool)
    prods, attrs, fams, _ = _catalog(150)
    plans = compose.compose_queries(prods, attrs, fams, compose.ComposeParams(
        ComposeConfig(max_positive_share=0.05, queries_per_product=2), vocab, 5)).outputs["plans"]
    params = render.RenderParams(RenderConfig(languages=("en", "ms")), load_templates("v3", ("en", "ms")), 5)
    serial = render.render_queries(plans, params)
    streamed = collect(parallel.render_stream(TableShards(plans, 40, key=None), params, 2))
    assert streamed.outputs["queries"].equals(serial.outputs["queries"]) and streamed.counters == serial.counters
    queries = serial.outputs["queries"]
    nparams = negatives.NegativesParams(NegativesConfig(per_query=5), 5)
    whole = negatives.mine_overlap_negatives(queries, prods, attrs, fams, nparams)
    batched = collect(parallel.negatives_stream(TableShards(queries, 50), prods, attrs, fams, nparams, 2))
    assert batched.outputs["queries"].equals(whole.outputs["queries"]) and batched.counters == whole.counters
    assert plans.num_rows > 4 * 40 and started == [1, 1]  # one pool per step, not one per batch


def test_a_small_batch_after_a_big_one_runs_on_the_workers_not_on_an_index_of_the_parents(vocab, monkeypatch):
    """A streamed step's last batch is often small (545 base queries of 220,545 at a million products).
    Run serially, it made the parent build a third index (1.3 GB at that size); the workers already hold one."""
    from pipelines.config import RenderConfig
    from pipelines.shards import TableShards, collect
    from pipelines.stages.render import RenderParams, render_queries
    from pipelines.vocab.templates import load_templates

    built = []
    real = parallel.build_index
    monkeypatch.setattr(parallel, "build_index", lambda *args, **kw: built.append(1) or real(*args, **kw))
    prods, attrs, fams, _ = _catalog(150)
    plans = compose.compose_queries(prods, attrs, fams, compose.ComposeParams(
        ComposeConfig(max_positive_share=0.05, queries_per_product=2), vocab, 5)).outputs["plans"]
    queries = render_queries(plans, RenderParams(RenderConfig(languages=("en",)), load_templates("v3", ("en",)),
                                                 5)).outputs["queries"]
    big = queries.num_rows - 3
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", big // 2)  # the first batch starts the pool, the last is 3
    nparams = negatives.NegativesParams(NegativesConfig(per_query=5), 5)
    whole = negatives.mine_overlap_negatives(queries, prods, attrs, fams, nparams)
    batched = collect(parallel.negatives_stream(TableShards(queries, big), prods, attrs, fams, nparams, 2))
    assert batched.outputs["queries"].equals(whole.outputs["queries"]) and batched.counters == whole.counters
    assert built == []


@pytest.mark.parametrize("workers", [1, 2])
def test_ingest_with_images_decoded_on_the_pool_equals_serial(tmp_path, vocab, workers, monkeypatch):
    """Images decoded ahead on processes (bad ones included: unreadable, truncated, empty, too large, shared
    by two rows, repeated in one row) give the serial ingest's products, images and rejects exactly."""
    import io

    from PIL import Image

    from pipelines.config import CatalogConfig, IngestConfig
    from pipelines.io.catalog_reader import read_catalog
    from pipelines.stages import ingest
    from tests.conftest import jpeg_bytes
    from tests.stages.test_ingest import _row, _write_catalog

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)  # use the pool even on this small catalog
    big = io.BytesIO()
    Image.new("RGB", (300, 300)).save(big, format="PNG")
    good = jpeg_bytes()
    rows = [_row(f"g{i}") for i in range(8)] + [_row("s1", images=["img/g0.jpg", "img/g0.jpg", "img/g1.jpg"]),
                                                 _row("u1"), _row("t1"), _row("z1"), _row("b1"), _row("g3")]
    images = {f"g{i}.jpg": jpeg_bytes((20 * i, 0, 200)) for i in range(8)}
    images.update({"u1.jpg": b"not an image", "t1.jpg": good[: len(good) // 2], "z1.jpg": b"", "b1.jpg": big.getvalue()})
    raw = read_catalog(_write_catalog(tmp_path, rows, images), CatalogConfig())
    params = ingest.IngestParams(IngestConfig(max_pixels=250 * 250), vocab)
    serial = ingest.validate_catalog(raw, params)
    pooled = ingest_pool.validate_catalog(raw, params, workers)
    for name in ("products", "images"):
        assert pooled.outputs[name].equals(serial.outputs[name])
    assert pooled.rejects.equals(serial.rejects) and pooled.counters == serial.counters
    assert serial.rejects.num_rows == 5  # four bad images and a duplicate id
    from pipelines.io.catalog_reader import read_catalog_batches
    from pipelines.shards import collect

    streamed = collect(ingest_pool.validate_stream(read_catalog_batches(tmp_path / "catalog.jsonl", CatalogConfig(), 3),
                                                params, workers))  # batches of 3 rows, one pool for all of them
    for name in ("products", "images"):
        assert streamed.outputs[name].equals(serial.outputs[name])
    assert streamed.rejects.equals(serial.rejects) and streamed.counters == serial.counters


def test_ingest_sends_the_next_batchs_images_before_validating_this_one(tmp_path, vocab, monkeypatch):
    """The workers decode batch k+1 while the stage validates batch k: each batch's images are sent when it
    is read, one batch ahead of the stage asking for them, and the result is still the serial ingest's."""
    from concurrent.futures import ThreadPoolExecutor

    from pipelines.config import CatalogConfig, IngestConfig
    from pipelines.io.catalog_reader import read_catalog, read_catalog_batches
    from pipelines.shards import collect
    from pipelines.stages import ingest
    from tests.conftest import jpeg_bytes
    from tests.stages.test_ingest import _row, _write_catalog

    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_WORKER", 1)
    rows = [_row(f"g{i}", images=[f"img/g{i}.jpg", f"img/h{i}.jpg"]) for i in range(7)]
    images = {f"{c}{i}.jpg": jpeg_bytes((30 * i, 90 if c == "g" else 10, 200)) for i in range(7) for c in "gh"}
    path = _write_catalog(tmp_path, rows, images)
    params = ingest.IngestParams(IngestConfig(), vocab)
    submitted, asked_with = [0], []

    class Recording(ThreadPoolExecutor):
        def submit(self, fn, *args):
            submitted[0] += len(args[1])  # images in the chunk
            return super().submit(fn, *args)

    with Recording(2) as pool:
        ahead = ingest_pool.DecodeAhead(pool, params.cfg, 2)

        def asked(datas):
            if datas:
                asked_with.append((len(datas), submitted[0]))
            return ahead.normalise_many(datas)

        streamed = collect(ingest.validate_stream(ahead.batches(read_catalog_batches(path, CatalogConfig(), 3)),
                                                  params, asked))
    serial = ingest.validate_catalog(read_catalog(path, CatalogConfig()), params)
    for name in ("products", "images"):
        assert streamed.outputs[name].equals(serial.outputs[name])
    assert streamed.rejects.equals(serial.rejects) and streamed.counters == serial.counters
    # batches of 3, 3 and 1 rows with 2 images each: when the stage asks for a batch's 6 images, the
    # next batch's are already sent (12 = batches 1 and 2); decoding when asked would have sent 0 or 6
    assert asked_with == [(6, 12), (6, 14), (2, 14)] and not ahead.sent
