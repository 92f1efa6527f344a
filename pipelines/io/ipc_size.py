"""Arrow IPC stream size of each group of a table's rows, counted batch by batch (#14).

The data card states each split's `num_bytes` as the Arrow IPC size of that split's rows written as
one record batch (what `datasets` checks). Filtering the whole query table once per split to measure
it held a copy of most of the table; here the size is summed from record batches instead, with the
same result: a one-batch stream is the schema message, one record batch message whose metadata has a
fixed size for a given schema, the body (every buffer of every array, each padded to 8 bytes) and the
end-of-stream marker, and each buffer's length follows from per-array totals (length, null count,
value bytes) that add up over batches. tests/card/test_card_columnar.py pins the equality with the direct way.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def ipc_size(table: pa.Table) -> int:
    """The direct way: the stream size of `table` as one record batch (buffers trimmed to the rows), so the
    same however the files were sharded or sliced, unlike `Table.nbytes`, which counts whole shared buffers."""
    sink = pa.MockOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table.combine_chunks())
    return sink.size()


def _pad(n: int) -> int:
    return -(-n // 8) * 8


def _bitmap(length: int) -> int:
    return -(-length // 8)


def _supported(t: pa.DataType) -> bool:
    if pa.types.is_struct(t):
        return all(_supported(t.field(i).type) for i in range(t.num_fields))
    if pa.types.is_list(t):
        return _supported(t.value_type)
    return pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_boolean(t) or (
        pa.types.is_primitive(t) and not pa.types.is_null(t))


def _nodes(array: pa.Array, out: list[list[int]]) -> None:
    """[length, null count, value bytes] of `array` and of every array nested in it, depth first
    (the IPC writer's order); value bytes: a string array's data, a list's child length."""
    t = array.type
    node = [len(array), array.null_count, 0]
    out.append(node)
    if pa.types.is_string(t) or pa.types.is_binary(t) or pa.types.is_list(t):
        start, end = _value_range(array)
        node[2] = end - start
        if pa.types.is_list(t):
            _nodes(array.values.slice(start, end - start), out)
    elif pa.types.is_struct(t):
        for i in range(t.num_fields):
            _nodes(array.field(i), out)


def _value_range(array: pa.Array) -> tuple[int, int]:
    """[first, last) value offsets of a string/binary/list array (slicing included)."""
    if not len(array):
        return 0, 0
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)
    return int(offsets[array.offset]), int(offsets[array.offset + len(array)])


def _body(t: pa.DataType, nodes: Iterable[list[int]]) -> int:
    """Body bytes of one record batch whose arrays have the totals `nodes` (from `_nodes`)."""
    length, nulls, values = next(nodes)
    size = _pad(_bitmap(length)) if nulls else 0
    if pa.types.is_string(t) or pa.types.is_binary(t):
        return size + _pad(4 * (length + 1)) + _pad(values)
    if pa.types.is_list(t):
        return size + _pad(4 * (length + 1)) + _body(t.value_type, nodes)
    if pa.types.is_struct(t):
        return size + sum(_body(t.field(i).type, nodes) for i in range(t.num_fields))
    if pa.types.is_boolean(t):
        return size + _pad(_bitmap(length))
    return size + _pad(length * t.bit_width // 8)


def ipc_sizes_by(batches: Iterable[pa.RecordBatch], schema: pa.Schema, key: str) -> dict:
    """value of column `key` -> `ipc_size` of the rows holding it, reading one batch at a time."""
    if not all(_supported(f.type) for f in schema):
        table = pa.Table.from_batches(list(batches), schema)
        return {v: ipc_size(table.filter(pc.equal(table[key], v))) for v in pc.unique(table[key]).to_pylist()}
    totals: dict = {}
    sample = None
    for batch in batches:
        for value in pc.unique(batch.column(key)).to_pylist():
            part = batch.filter(pc.equal(batch.column(key), value))
            nodes: list[list[int]] = []
            for column in part.columns:
                _nodes(column, nodes)
            old = totals.setdefault(value, [[0, 0, 0] for _ in nodes])
            totals[value] = [[a + b for a, b in zip(x, y)] for x, y in zip(old, nodes)]
            sample = part.take([0]) if sample is None else sample  # fresh buffers, sized to the row
    if sample is None:
        return {}
    # Everything but the body: schema message, the batch's metadata (fixed size), end of stream.
    one = pa.Table.from_batches([sample], schema)
    frame = ipc_size(one) - _sizes_body(schema, [n for c in one.columns for n in _column_nodes(c)])
    return {value: frame + _sizes_body(schema, nodes) for value, nodes in totals.items()}


def _column_nodes(column: pa.ChunkedArray) -> list[list[int]]:
    nodes: list[list[int]] = []
    _nodes(column.combine_chunks(), nodes)
    return nodes


def _sizes_body(schema: pa.Schema, nodes: list[list[int]]) -> int:
    it = iter(nodes)
    return sum(_body(field.type, it) for field in schema)
