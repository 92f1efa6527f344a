"""arrow_ipc.SharedTables: the tables a pool's workers read are files they map, not copies they hold."""

from pathlib import Path

import pyarrow as pa

from pipelines.arrow_ipc import SharedTables, read_shared


def _table(rows: int) -> pa.Table:
    return pa.table({"product_id": [f"p{i:07d}" for i in range(rows)], "n": list(range(rows)),
                     "tags": [[str(i), "x"] for i in range(rows)]})


def test_a_shared_table_reads_back_equal_without_a_copy_and_its_file_goes_on_close():
    table = _table(50_000)
    with SharedTables({"products": table, "empty": table.slice(0, 0)}) as shared:
        before = pa.total_allocated_bytes()
        mapped = read_shared(shared.paths["products"])
        assert pa.total_allocated_bytes() - before < 64 * 1024  # the columns are the file's pages, not the heap
        assert mapped.equals(table) and read_shared(shared.paths["empty"]).num_rows == 0
        paths = list(shared.paths.values())
    assert not any(Path(p).exists() for p in paths)
