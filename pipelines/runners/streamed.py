"""The local runner's execution of a streamed step: one batch of its big input in memory at a time.

The step's `streamed.by` input is read from its Parquet file batch by batch (`ParquetShards`),
its other inputs whole; each result the step yields is conformed to its contracts and appended
to its output files as it comes, so neither the input nor the output query table is ever whole
in memory. The files hold the same rows as the whole-table call's (`shards.collect`), in row
groups of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import free_memory, schemas
from pipelines.io.overlap import WriteBehind
from pipelines.io.parquet_shards import ParquetShards
from pipelines.plan import Step
from pipelines.plan.step import conform_result
from pipelines.results import StageResult
from pipelines.shards import add_counters
from pipelines.store import ROW_GROUP_ROWS, RunStore


def streamed_results(step: Step, store: RunStore) -> tuple[Iterator[StageResult], int]:
    """The step's per-batch results (lazily) and its rows in (sharded input + side inputs). A step that
    streams a file it reads (ingest's catalog) gets the file's `batches`; its rows in are then the side
    inputs' alone, the file's being the `rows_in` its results count (`rows_in_of`)."""
    by, batch_rows = step.streamed.by, step.streamed.batch_rows
    if by in step.files:
        shards, rows_in = step.files[by].batches(batch_rows), 0
    else:
        stage, output = step.inputs[by]
        shards = ParquetShards(store.stage_dir(stage) / f"{output}.parquet", batch_rows)
        rows_in = shards.num_rows
    sides = {arg: store.read(s, o) for arg, (s, o) in step.inputs.items() if arg != by}
    files = {arg: spec.load() for arg, spec in step.files.items() if arg != by}
    return step.streamed.call(**{by: shards}, **sides, **files), rows_in + sum(t.num_rows for t in sides.values())


def rows_in_of(step: Step, rows_in: int, counters: dict) -> int:
    """A streamed step's rows in: `streamed_results`' count, plus the rows a streamed file gave (counted
    by the step as it read them: `rows_in`)."""
    return rows_in + int(counters.get("rows_in", 0)) if step.streamed.by in step.files else rows_in


class StreamTally:
    """Conforms each result of a stream to the step's contracts as it passes, and keeps what the
    marker and the report need: rows per output, the rejects (small) and the summed counters."""

    def __init__(self, step: Step) -> None:
        self.step = step
        self.rows: dict[str, int] = {}
        self.rejects: list[pa.Table] = []
        self.counters: dict = {}

    def passing(self, results: Iterable[StageResult]) -> Iterator[StageResult]:
        for result in results:
            result = conform_result(self.step, result)
            for name, table in result.outputs.items():
                self.rows[name] = self.rows.get(name, 0) + table.num_rows
            self.rejects.append(result.rejects)
            add_counters(self.counters, result.counters)
            yield result
            del result
            free_memory.release()  # the batch is handed on: the pages it freed go back before the next one

    def rejects_table(self) -> pa.Table:
        return pa.concat_tables(self.rejects) if self.rejects else schemas.empty("reject")


def write_stage_files(tmp: Path, results: Iterable[StageResult], contracts: dict[str, str]) -> None:
    """`<tmp>/<output>.parquet` for each contract output, appended batch by batch (an output no
    batch yielded is an empty file of its contract), and `<tmp>/rejects.parquet`. Each batch is
    written on a thread while the step computes the next (io/overlap.py)."""
    writers: dict[str, pq.ParquetWriter] = {}
    rejects = []
    behind = WriteBehind()
    try:
        for result in results:
            for name, table in result.outputs.items():
                if name not in contracts:
                    raise ValueError(f"a streamed step's output {name!r} needs a contract")
                if name not in writers:
                    writers[name] = pq.ParquetWriter(tmp / f"{name}.parquet", table.schema, compression="zstd")
                if table.num_rows:
                    behind.submit(writers[name].write_table, table, row_group_size=ROW_GROUP_ROWS)
            rejects.append(result.rejects)
        for name, contract in contracts.items():
            if name not in writers:
                writers[name] = pq.ParquetWriter(tmp / f"{name}.parquet", schemas.schema(contract), compression="zstd")
                writers[name].write_table(schemas.empty(contract))
    finally:
        try:
            behind.close()  # every batch written (or the first write error raised) before the files close
        finally:
            for writer in writers.values():
                writer.close()
    table = pa.concat_tables(rejects) if rejects else schemas.empty("reject")
    pq.write_table(table, tmp / "rejects.parquet", row_group_size=ROW_GROUP_ROWS, compression="zstd")
