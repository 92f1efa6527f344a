"""The card's costly facts computed in a second process while the build's audit runs.

The BM25 baseline per condition and the language-ID sample (`card.writer.export_facts`) read the
finished export, as the audit does, and share nothing with it: on two cores the end of a large
build takes the longer of the two, not their sum. The process runs at a lower CPU priority: the
audit's label checks are the longest part, and sharing their core three ways (labels, the audit's
text checks, these facts) made the audit a quarter slower; niced, the facts use what the text
checks leave of the second core. The card after the audit then finds them in
`card.writer`'s cache (the key is the export's content, so a stale figure is never reused). A
small export computes them in this process when the card asks (a process would cost more), and so
does one of more than the run's `pool_max_products` (config) products, after the audit: both passes hold the whole
product pool (at a million products the audit 3.1 GB, these facts 3.3 GB): side by side they took
6.5-7.0 GB, over the 6 GiB a 1M build is held to; one after the other they cost the facts' 54 s there.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import pyarrow.dataset as pads

from pipelines.card import writer
from pipelines.config import config_from_dict
from pipelines.io import layout

BACKGROUND_ROWS = 100_000  # exported query rows from which the facts get a process of their own
NICENESS = 10  # added to the facts process's nice value: it yields the CPU to the audit


def _yield_cpu() -> None:
    os.nice(NICENESS)


def _run_config(run_dir: Path):
    return config_from_dict(json.loads((run_dir / layout.CONFIG_FILE).read_text(encoding="utf-8")))


def fits_beside(run_dir: Path, products: int) -> bool:
    """Whether a second process holding the product pool may run beside the audit (config `pool_max_products`)."""
    bound = _run_config(run_dir).pool_max_products
    return bound == 0 or products <= bound


def run_facts(run_dir: Path) -> tuple[tuple, dict]:
    """(cache key, facts) of the run's finished export, as `card.writer.cached_facts` computes them."""
    cfg = _run_config(run_dir)
    export = layout.export_dir(run_dir)
    return writer.facts_key(export, cfg), writer.export_facts(export, cfg, writer.CardInputs.read(export))


class FactsAhead:
    """Started on entering (for a large finished export); `collect()` hands the facts to the card writer."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future | None = None

    def __enter__(self) -> FactsAhead:
        export = layout.export_dir(self.run_dir)
        queries, products = layout.queries_dir(export), layout.products_dir(export)
        if queries.is_dir() and products.is_dir() and (self.run_dir / layout.CONFIG_FILE).exists() and \
                pads.dataset(queries, format="parquet").count_rows() >= BACKGROUND_ROWS and \
                fits_beside(self.run_dir, pads.dataset(products, format="parquet").count_rows()):
            # forkserver, never fork: the caller may hold threads (Prefect, DuckDB) whose locks a fork copies
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver"),
                                             initializer=_yield_cpu)
            self._future = self._pool.submit(run_facts, self.run_dir)
        return self

    def collect(self) -> None:
        """Wait for the facts and put them in the card writer's cache (nothing to do for a small export)."""
        if self._future is not None:
            writer.remember(*self._future.result())

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
