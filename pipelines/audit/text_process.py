"""The audit's two text checks (no image-carried value named, plain text) beside the label checks.

They read other columns than the label checks (texts, not ids) and share no state with them, so a
large export runs them in a second process while this one judges the labels: on a machine with two
cores the audit takes the longer of the two, not their sum. A small export runs them here, after
the labels (starting a process would cost more than it saves). Either way each check's row is the
same: it depends on the rows' content only, never on how they are batched.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as pads

from pipelines.audit.image_words import ImageWordsCheck
from pipelines.audit.text_checks import plain_text_check
from pipelines.io import layout

BACKGROUND_ROWS = 100_000  # query rows from which the text checks get a process of their own
_COLUMNS = ["query_id", "language", "text", "conditions"]
_BATCH_ROWS = 8_192


def text_check_rows(export: Path, vocabulary: dict) -> dict[str, dict]:
    """{"image_words": no_image_value_in_text's row, "plain_text": text_is_plain's row} of `export`."""
    check = ImageWordsCheck(vocabulary)
    dataset = pads.dataset(layout.queries_dir(export), format="parquet")
    columns = [c for c in _COLUMNS if c in dataset.schema.names]
    for batch in dataset.to_batches(columns=columns, batch_size=_BATCH_ROWS):
        check.add(pa.Table.from_batches([batch]))
    return {"image_words": check.check.as_dict(),
            "plain_text": plain_text_check(layout.queries_dir(export), layout.products_dir(export))}


class TextChecks:
    """Started on entering (in a forkserver process for a large export); `rows()` waits for them."""

    def __init__(self, export: Path, vocabulary: dict, rows: int) -> None:
        self.export, self.vocabulary, self.background = export, vocabulary, rows >= BACKGROUND_ROWS
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future | None = None
        self._rows: dict[str, dict] | None = None

    def __enter__(self) -> TextChecks:
        if self.background:
            # forkserver, never fork: the caller may hold threads (Prefect, DuckDB) whose locks a fork copies
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"))
            self._future = self._pool.submit(text_check_rows, self.export, self.vocabulary)
        return self

    def rows(self) -> dict[str, dict]:
        """Both rows, computed once (the audit asks for one, then the other)."""
        if self._rows is None:
            self._rows = self._future.result() if self._future is not None else text_check_rows(self.export, self.vocabulary)
        return self._rows

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
