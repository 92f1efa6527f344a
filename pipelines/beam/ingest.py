"""Ingest on Beam: read catalog rows in parallel, group them by product id, validate each group.

Duplicate detection is global in the local stage (the first *accepted* row of an id wins and
every later row of that id is a duplicate_id reject, whatever else is wrong with it). Here the
raw rows are grouped by `ingest.duplicate_key` (GroupByKey) and each group is validated in
(file, row) order by the stage's own `validate_rows`, so the lowest (file, row) wins and the
later rows are rejected with the stage's own reasons and messages. Image loading and decoding
happen after the shuffle, in parallel, next to validation.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.pvalue import TaggedOutput

from pipelines import schemas
from pipelines.beam.adapter import REJECTS, TALLY, Resilient, count_metrics, count_wall
from pipelines.beam.catalog_io import images_dir_of, plan_units, read_unit, with_images
from pipelines.beam.tables import BatchRows
from pipelines.beam.worker_cache import ReleasingDoFn
from pipelines.config import CatalogConfig
from pipelines.io import image_source
from pipelines.results import RejectLog
from pipelines.stages import ingest

PRODUCTS, IMAGES = "products", "images"


def order_key(row: dict) -> tuple[str, int]:
    return row["source_file"], row["source_row"]


def keyed_by_id(row: dict) -> tuple[str, dict]:
    key = ingest.duplicate_key(row)
    # Rows without an id are rejected whatever their group: a unique key keeps them from piling up.
    return (f"\x00{row['source_file']}:{row['source_row']}" if key is None else key), row


class ValidateGroups(ReleasingDoFn, beam.DoFn):
    """Load images and validate a batch of id groups with the ingest stage's own loop."""

    def __init__(self, params: ingest.IngestParams, images_dir: str, threads: int = 16,
                 catalog_cfg: CatalogConfig | None = None) -> None:
        self.params, self.images_dir, self.threads, self.catalog_cfg = params, images_dir, threads, catalog_cfg
        self._client = self._pool = None

    def setup(self) -> None:
        self._client = image_source.image_client()
        self._pool = ThreadPoolExecutor(self.threads)

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._client.close()

    def process(self, groups: list[list[dict]]):
        # Rows of one id stay in source order; sorting the whole batch also makes the stage keep,
        # for an image shared by several products, the source_ref of the lowest row.
        started = time.perf_counter()
        rows = sorted((row for group in groups for row in group), key=order_key)
        raw = list(self._pool.map(lambda r: with_images(r, self.images_dir, self._client, self.catalog_cfg), rows))
        rejects = RejectLog(ingest.STAGE)
        products, images = ingest.validate_rows(raw, self.params, rejects)
        count_wall(ingest.STAGE, started)
        if products:
            yield TaggedOutput(PRODUCTS, schemas.from_rows(products, "product"))
        yield from _image_entries(products, images)
        if rejects.rows:
            yield TaggedOutput(REJECTS, rejects.table())
        yield TaggedOutput(TALLY, (ingest.STAGE, (len(rows), len(rows) - len(products))))
        count_metrics(ingest.STAGE, {"rows_in": len(rows), "rows_out.products": len(products), **rejects.counters()})


def _image_entries(products: list[dict], images: dict[str, dict]):
    """(image_id, ((file, row) of the first product showing it, image row)) for the global dedupe."""
    first: dict[str, tuple[str, int]] = {}
    for product in products:  # products are in source order
        for image_id in product["image_ids"]:
            first.setdefault(image_id, order_key(product))
    for image_id, row in images.items():
        yield TaggedOutput(IMAGES, (image_id, (first[image_id], row)))


def _describe_groups(groups: list[list[dict]]):
    return [(ingest.duplicate_key(r), r["source_file"], r["source_row"]) for g in groups for r in g]


def _first_image(entries):
    return min(entries, key=lambda entry: entry[0])


def _image_row(_, entry) -> dict:
    count_metrics(ingest.STAGE, {"rows_out.images": 1})
    return entry[1]


class ReadCatalog(beam.PTransform):
    """Catalog file (or glob) -> raw rows, one read unit (text file, Parquet row group) per worker."""

    def __init__(self, pattern: str, cfg: CatalogConfig) -> None:
        super().__init__()
        self.pattern, self.cfg = pattern, cfg

    def _units(self, metadata):
        # A single named file keeps the name the user gave, as the local reader's source_file does.
        glob = any(ch in self.pattern for ch in "*?[")
        return plan_units(metadata.path, metadata.path if glob else self.source_name)

    @property
    def source_name(self) -> str:
        return self.pattern if "://" in self.pattern else str(Path(self.pattern))

    def expand(self, pbegin):
        return (pbegin
                | "Match" >> fileio.MatchFiles(self.pattern, empty_match_treatment=fileio.EmptyMatchTreatment.DISALLOW)
                | "PlanUnits" >> beam.FlatMap(self._units)
                | "SpreadUnits" >> beam.Reshuffle()
                | "ReadUnit" >> beam.FlatMap(read_unit, self.cfg))


class IngestCatalog(beam.PTransform):
    """Catalog -> {"products", "images", REJECTS, TALLY} as table batches (rejects, tallies as emitted)."""

    def __init__(self, catalog: str, params: ingest.IngestParams, catalog_cfg: CatalogConfig,
                 groups_per_batch: int = 200, batch_rows: int = 1000) -> None:
        super().__init__()
        self.catalog, self.params, self.catalog_cfg = catalog, params, catalog_cfg
        self.groups_per_batch, self.batch_rows = groups_per_batch, batch_rows

    def expand(self, pbegin):
        groups = (pbegin
                  | "Read" >> ReadCatalog(self.catalog, self.catalog_cfg)
                  | "KeyById" >> beam.Map(keyed_by_id)
                  | "GroupById" >> beam.GroupByKey()
                  | "SourceOrder" >> beam.MapTuple(lambda _, rows: sorted(rows, key=order_key))
                  | "BatchGroups" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.groups_per_batch))
        validator = ValidateGroups(self.params, images_dir_of(self.catalog, self.catalog_cfg), catalog_cfg=self.catalog_cfg)
        out = groups | "Validate" >> Resilient(validator, [PRODUCTS, IMAGES], ingest.STAGE,
                                               lambda batch: [[group] for group in batch], _describe_groups)
        images = (out[IMAGES]
                  | "FirstShowing" >> beam.CombinePerKey(_first_image)
                  | "ImageRow" >> beam.MapTuple(_image_row)
                  | "ImageBatches" >> BatchRows("image", self.batch_rows))
        return {PRODUCTS: out[PRODUCTS], IMAGES: images, REJECTS: out[REJECTS], TALLY: out[TALLY]}
