"""A streamed step's sharded input, and how its per-batch results add up to the whole-table result.

A streamed step (`Step.stream`) reads its sharded input as `Shards`: batches of about
`batch_rows` rows that never split a run of equal `key` values (all language rows of one base
query arrive together, since stages decide on the English row and copy to the others), plus
`columns(names)` for a whole-table projection when a step needs a global decision first (the
split's components). `TableShards` serves an in-memory table (the whole-table call and the
tests); the local runner serves a Parquet file (`io/parquet_shards.py`), so no step holds more
than a batch of the query table. `collect` folds the results a stream yields into one.

Rows of one key are contiguous in every query table the build writes (render emits a base
query's languages together and later steps keep row order); when they are not, the whole
input is one batch, which is always correct and only costs memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines import schemas
from pipelines.results import StageResult

KEY = "base_query_id"


class Shards(Protocol):
    num_rows: int

    def __iter__(self) -> Iterator[pa.Table]: ...  # batches in row order, never splitting a key run

    def columns(self, names: Sequence[str]) -> pa.Table: ...  # the whole input, these columns only


def batch_starts(keys: pa.Array | pa.ChunkedArray | None, batch_rows: int, num_rows: int = 0) -> list[int]:
    """Row offsets where batches start: each batch has at least `batch_rows` rows (the last may
    have fewer) and ends at a key change. One batch ([0]) when some key has two separate runs.
    Without keys (the input has no key column), every `batch_rows` of its `num_rows` rows."""
    if keys is None:
        return list(range(0, max(num_rows, 1), batch_rows))
    n = len(keys)
    if n == 0:
        return [0]
    keys = keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
    changed = pc.not_equal(keys.slice(1), keys.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    run_starts = np.concatenate([[0], np.flatnonzero(changed) + 1])
    if len(run_starts) != len(pc.unique(keys)):
        return [0]  # a key in two runs: its rows could land in two batches
    starts, last = [0], 0
    for start in run_starts[1:]:
        if start - last >= batch_rows:
            starts.append(int(start))
            last = int(start)
    return starts


@dataclass(frozen=True)
class TableShards:
    """An in-memory table as key-aligned batches of about `batch_rows` rows."""

    table: pa.Table
    batch_rows: int = 1 << 62
    key: str | None = KEY

    @property
    def num_rows(self) -> int:
        return self.table.num_rows

    def __iter__(self) -> Iterator[pa.Table]:
        keyed = self.key is not None and self.key in self.table.column_names
        starts = batch_starts(self.table.column(self.key) if keyed else None, self.batch_rows, self.table.num_rows)
        for start, end in zip(starts, [*starts[1:], self.table.num_rows]):
            yield self.table.slice(start, end - start)

    def columns(self, names: Sequence[str]) -> pa.Table:
        return self.table.select(list(names))


def collect(results: Iterable[StageResult], contracts: dict[str, str] | None = None) -> StageResult:
    """One result from a stream's: each output's batches concatenated in order, rejects
    concatenated, counters summed (a stream yields a float counter, such as a rate, once).
    An output a stream never yielded is an empty table of its contract (`contracts`)."""
    parts: dict[str, list[pa.Table]] = {}
    rejects, counters = [], {}
    for result in results:
        for name, table in result.outputs.items():
            parts.setdefault(name, []).append(table)
        rejects.append(result.rejects)
        add_counters(counters, result.counters)
    outputs = {name: pa.concat_tables(tables, promote_options="permissive") for name, tables in parts.items()}
    for name, contract in (contracts or {}).items():
        outputs.setdefault(name, schemas.empty(contract))
    merged = pa.concat_tables([schemas.conform(r, "reject") for r in rejects]) if rejects else schemas.empty("reject")
    return StageResult(outputs, merged, counters)


def add_counters(total: dict, counters: dict) -> None:
    """Add one batch's counters into `total` (how a stream's counters add up, everywhere)."""
    for key, value in counters.items():
        total[key] = total.get(key, 0) + value
