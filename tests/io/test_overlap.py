"""Reading ahead and writing behind keep order, hand errors to the caller and stop their threads."""

import threading
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipelines.io.overlap import WriteBehind, read_ahead


def _threads(prefix: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def test_read_ahead_yields_every_item_in_order():
    assert list(read_ahead(iter(range(100)), depth=3)) == list(range(100))
    assert list(read_ahead([])) == []


def test_read_ahead_runs_ahead_of_the_consumer():
    made = []

    def items():
        for i in range(3):
            made.append(i)
            yield i

    reader = read_ahead(items(), depth=1)
    assert next(reader) == 0
    deadline = time.monotonic() + 5
    while len(made) < 2 and time.monotonic() < deadline:  # item 1 is made while 0 is being used
        time.sleep(0.01)
    assert made[:2] == [0, 1]
    assert list(reader) == [1, 2]


def test_read_ahead_raises_the_producers_error_after_the_good_items():
    def items():
        yield 1
        raise ValueError("bad batch")

    reader = read_ahead(items())
    assert next(reader) == 1
    with pytest.raises(ValueError, match="bad batch"):
        next(reader)


def test_read_ahead_closed_early_stops_its_thread():
    made = []

    def endless():
        i = 0
        while True:
            made.append(i)
            yield i
            i += 1

    reader = read_ahead(endless(), depth=2)
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()
    assert not _threads("read-ahead")
    stopped_at = len(made)
    time.sleep(0.05)
    assert len(made) == stopped_at  # nothing more was produced after close


def test_write_behind_runs_calls_in_order_and_close_waits():
    done = []

    def slow(i):
        time.sleep(0.01 if i % 2 else 0)
        done.append(i)

    with WriteBehind(depth=2) as behind:
        for i in range(10):
            behind.submit(slow, i)
    assert done == list(range(10))
    assert not _threads("write-behind")


def test_write_behind_raises_a_failed_write_on_drain():
    behind = WriteBehind()

    def fail():
        raise OSError("disk full")

    behind.submit(fail)
    with pytest.raises(OSError, match="disk full"):
        behind.drain()
    behind.close()


def test_write_behind_raises_a_failed_write_on_the_next_submit():
    behind = WriteBehind(depth=1)

    def fail():
        raise OSError("disk full")

    behind.submit(fail)
    with pytest.raises(OSError, match="disk full"):
        behind.submit(lambda: None)  # waits for the failed one (depth 1) and raises it
    behind.close()


def test_parquet_written_behind_equals_written_inline(tmp_path):
    tables = [pa.table({"i": list(range(n, n + 50)), "s": [str(k) for k in range(n, n + 50)]}) for n in range(0, 500, 50)]
    writer = pq.ParquetWriter(tmp_path / "behind.parquet", tables[0].schema)
    with WriteBehind() as behind:
        for table in tables:
            behind.submit(writer.write_table, table)
    writer.close()
    assert pq.read_table(tmp_path / "behind.parquet").equals(pa.concat_tables(tables))


def test_write_behind_abandon_drops_waiting_calls_without_raising():
    done, gate = [], threading.Event()
    behind = WriteBehind(depth=3)
    behind.submit(gate.wait)
    behind.submit(lambda: (_ for _ in ()).throw(OSError("disk full")))
    behind.submit(done.append, "late")
    gate.set()
    behind.abandon()  # no error raised; the thread is gone
    assert not _threads("write-behind")
    behind.abandon()  # again: nothing to do


def test_write_behind_runs_its_calls_on_the_executor_given():
    from concurrent.futures import ThreadPoolExecutor

    names = []
    with WriteBehind(depth=2, executor=ThreadPoolExecutor(1, thread_name_prefix="given")) as behind:
        for _ in range(3):
            behind.submit(lambda: names.append(threading.current_thread().name))
    assert len(names) == 3 and all(n.startswith("given") for n in names)
