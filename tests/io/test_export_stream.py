"""The export written batch by batch (#14) is the export written whole: same files, byte for byte."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.io import layout
from pipelines.io.export_writer import ShardWriter, write_shards
from pipelines.io.overlap import WriteBehind


def _table(n: int) -> pa.Table:
    return pa.table({"query_id": [f"q{i:05d}" for i in range(n)], "n": list(range(n)),
                     "tags": [[f"t{i % 7}"] * (i % 3) for i in range(n)]})


def _write_shards_whole(table: pa.Table, folder, prefix: str, shard_rows: int, group_rows: int) -> list[str]:
    """The export's shards as written from a whole table before the writer streamed: the layout
    every shard file must keep (a slice per shard, pyarrow's own row groups)."""
    folder.mkdir(parents=True, exist_ok=True)
    n = max(1, -(-table.num_rows // shard_rows))
    names = [layout.shard_name(prefix, i, n) for i in range(n)]
    for i, name in enumerate(names):
        pq.write_table(table.slice(i * shard_rows, shard_rows), folder / name, row_group_size=group_rows,
                       compression="zstd")
    return names


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("rows", [0, 1, 9, 10, 11, 57])
@pytest.mark.parametrize(("shard_rows", "group_rows"), [(10, 3), (10, 10), (4, 7), (100, 8)])
@pytest.mark.parametrize("batch", [1, 5, 13, 1000])
@pytest.mark.parametrize("behind", [False, True])  # row groups written on a thread (io/overlap.py)
def test_shard_writer_writes_the_files_write_shards_writes(tmp_path, rows, shard_rows, group_rows, batch, behind):
    table = _table(rows)
    whole, streamed = tmp_path / "whole", tmp_path / "streamed"
    names = _write_shards_whole(table, whole, "train", shard_rows, group_rows)
    with WriteBehind() as thread:
        writer = ShardWriter(streamed, "train", shard_rows, group_rows, thread if behind else None)
        for start in range(0, max(rows, 1), batch):
            writer.write(table.slice(start, batch))
        assert writer.close() == names
    assert _files(streamed) == _files(whole)  # names, row groups and bytes; no temporary part left
    assert write_shards(table, tmp_path / "one_call", "train", shard_rows, group_rows) == names
    assert _files(tmp_path / "one_call") == _files(whole)


@pytest.mark.slow  # minutes on a shared 2-core machine; CI runs it (README, Tests)
def test_the_demo_export_is_the_same_for_any_batch_size(demo_build, tmp_path):
    """The whole demo export (shards, MERIT files) from a build whose query steps ran in batches of
    23 rows equals the default build's, file for file (the card aside: it names its run)."""
    from pipelines.config import load_config
    from pipelines.resources import DEMO_DIR
    from pipelines.runners.local import run_build

    report = run_build(DEMO_DIR / "catalog.jsonl", tmp_path, load_config(overrides={"batch_rows": 23}),
                       run_id="demo", progress=False)
    ours, theirs = report.run_dir / "export", demo_build.run_dir / "export"
    names = sorted(str(p.relative_to(theirs)) for p in theirs.rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(ours)) for p in ours.rglob("*") if p.is_file())
    differing = [n for n in names if (ours / n).read_bytes() != (theirs / n).read_bytes()]
    assert set(differing) <= {"README.md", "_SUCCESS.json"}
    assert any(n.startswith("merit/") for n in names) and any(n.startswith("data/queries/") for n in names)


def test_merit_query_lines_written_by_their_own_process_are_the_inline_files(demo_build, tmp_path, monkeypatch):
    """The demo's export step written again with the MERIT query lines built by a worker process
    (io/merit_queries.py): every MERIT file equals the inline build's, byte for byte."""
    from pipelines.config import load_config
    from pipelines.io import export_writer
    from pipelines.io.merit_queries import MeritQueryProcess
    from pipelines.resources import DEMO_DIR
    from pipelines.runners.local import local_plan
    from pipelines.runners.streamed import streamed_results
    from pipelines.store import RunStore

    monkeypatch.setattr(export_writer, "MERIT_PROCESS_MIN_PRODUCTS", 0)
    opened = []
    monkeypatch.setattr(export_writer, "MeritQueryProcess", lambda *a: opened.append(a) or MeritQueryProcess(*a))
    cfg = load_config(overrides={"workers": 2})
    step = {s.name: s for s in local_plan(DEMO_DIR / "catalog.jsonl", tmp_path, cfg)}["export"]
    results, _ = streamed_results(step, RunStore(demo_build.run_dir))
    export_writer.write_export_stream(tmp_path / "export", results, cfg)
    assert opened  # the worker process wrote them
    ours, theirs = tmp_path / "export" / "merit", demo_build.run_dir / "export" / "merit"
    names = sorted(str(p.relative_to(theirs)) for p in theirs.rglob("*.json"))
    assert names and names == sorted(str(p.relative_to(ours)) for p in ours.rglob("*.json"))
    assert all((ours / n).read_bytes() == (theirs / n).read_bytes() for n in names)


def test_a_failed_export_leaves_no_merit_worker(demo_build, tmp_path, monkeypatch):
    """A batch that fails half-way through the export stops the MERIT worker process with it."""
    from pipelines.config import load_config
    from pipelines.io import export_writer
    from pipelines.io.merit_queries import MeritQueryProcess
    from pipelines.resources import DEMO_DIR
    from pipelines.runners.local import local_plan
    from pipelines.runners.streamed import streamed_results
    from pipelines.store import RunStore

    monkeypatch.setattr(export_writer, "MERIT_PROCESS_MIN_PRODUCTS", 0)
    opened = []
    monkeypatch.setattr(export_writer, "MeritQueryProcess", lambda *a: opened.append(MeritQueryProcess(*a)) or opened[-1])
    cfg = load_config(overrides={"workers": 2, "batch_rows": 50})  # several query batches
    step = {s.name: s for s in local_plan(DEMO_DIR / "catalog.jsonl", tmp_path, cfg)}["export"]
    results, _ = streamed_results(step, RunStore(demo_build.run_dir))

    def failing():
        for i, result in enumerate(results):
            if i == 3:  # after the products and two query batches (the worker started), before the rest
                raise RuntimeError("disk gone")
            yield result

    with pytest.raises(RuntimeError, match="disk gone"):
        export_writer.write_export_stream(tmp_path / "export", failing(), cfg)
    assert len(opened) == 1 and opened[0]._calls._pool._processes is None  # shut down: no worker left running
