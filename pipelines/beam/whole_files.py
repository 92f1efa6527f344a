"""Whole tables handed to Beam steps as files, not as side-input values.

A whole table given as an `AsSingleton` side input is held by the runner for every transform that
reads it (the DirectRunner keeps each side input in its own memory, once per consuming transform)
and decoded again into each worker's heap for every bundle. At 10K products that was 1.6 GB in the
DirectRunner's process and a worker heap that grew step after step. Here the whole table is
written once, as an Arrow IPC file under `<run>/_tables/<pipeline id>/`, and the side input is
its path (`WholeFile`): a worker memory-maps a local file (pages shared by every worker process
and given back by the kernel, never copied to the heap) or reads a remote one once, and keeps it
per process, so every bundle of a step sees the same table object and prepares its index once.
The folder is removed after a run the launcher waits for (`remove_folder`).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from pipelines.arrow_ipc import read_shared, write_ipc_file
from pipelines.beam.catalog_io import is_remote

FOLDER = "_tables"  # whole tables, and batches in flight (`batch_files`)


@dataclass(frozen=True)
class WholeFile:
    """The side-input element that stands for a whole table: its Arrow IPC file."""

    path: str
    rows: int


def folder_for(run_root: str) -> str:
    """A folder of this pipeline's whole tables (one per pipeline built, so no run reads another's)."""
    return FileSystems.join(run_root, FOLDER, uuid.uuid4().hex)


def write_whole(table: pa.Table, folder: str, name: str) -> WholeFile:
    """Write `table` as `<folder>/<name>.arrow` (uncompressed: a local file is memory-mapped as is)."""
    path = FileSystems.join(folder, f"{name}.arrow")
    write_file(table, path)
    return WholeFile(path, table.num_rows)


def write_file(table: pa.Table, path: str) -> None:
    """`table` as an Arrow IPC file at `path` (local or remote), never seen half written."""
    if is_remote(path):
        with FileSystems.create(path) as fh:  # an object appears whole when closed
            write_ipc_file(table, fh)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = f"{path}.{uuid.uuid4().hex}.partial"  # a retried write never exposes half a file
        write_ipc_file(table, partial)
        os.replace(partial, path)


# A step reads up to about six whole tables; a remote table read into memory is kept while it is
# among the last few opened (a local one is mapped, so keeping it costs no heap).
KEEP_OPEN = 12
_lock = threading.Lock()
_opened: OrderedDict[str, pa.Table] = OrderedDict()  # path -> table, per worker process, least recent first


def load(value):
    """The table a side input stands for (a `WholeFile`), or the value itself."""
    if not isinstance(value, WholeFile):
        return value
    with _lock:
        table = _opened.pop(value.path, None)
        if table is None:
            table = read_file(value.path)
        _opened[value.path] = table
        while len(_opened) > KEEP_OPEN:
            _opened.popitem(last=False)
        return table


def loaded(tables: dict) -> dict:
    """`load` over a DoFn's side-input keyword arguments."""
    return {name: load(value) for name, value in tables.items()}


def read_file(path: str) -> pa.Table:
    """A `write_file` file: mapped when local (the table's buffers are the file's pages), read when remote."""
    if is_remote(path):
        with FileSystems.open(path) as fh:
            return pa.ipc.open_file(pa.py_buffer(fh.read())).read_all()
    return read_shared(path)  # zero-copy: the table's buffers are the file's pages


def forget() -> None:
    """Drop the tables this process opened (after a run; tests)."""
    with _lock:
        _opened.clear()


def remove_folder(run_root: str) -> None:
    """Delete `<run>/_tables/` (every pipeline's whole tables and batch files under this run), if there."""
    folder = FileSystems.join(run_root, FOLDER)
    forget()
    if FileSystems.exists(folder):
        FileSystems.delete([folder])
