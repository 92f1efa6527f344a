"""Export on Beam: products joined with their images and mined facts, queries batch by batch.

The export stage (`prepare_export`) is row-local on each side: a product needs only its own
images and facts, a query only itself. So products are joined with images by image_id and
then with facts by product_id (CoGroupByKey), and the stage's own call runs per batch of
joined products (queries empty), and per batch of queries (products empty).
"""

from __future__ import annotations

import time

import apache_beam as beam

from pipelines import schemas
from pipelines.beam.adapter import (
    REJECTS,
    TALLY,
    CallStep,
    Resilient,
    count_wall,
    describe_table,
    emit_result,
)
from pipelines.beam.tables import Rebatch, RowsOf, rows_by_key, single_rows
from pipelines.beam.worker_cache import ReleasingDoFn
from pipelines.plan import Step
from pipelines.plan.step import conform_result

PRODUCT_OUTPUTS = ["products", "merit_products"]
QUERY_OUTPUTS = ["queries"]


def _image_refs(product: dict):
    return [(image_id, product["product_id"]) for image_id in product["image_ids"]]


def _images_to_products(joined):
    """(image_id, {refs: product ids, images: rows}) -> (product_id, image row) per referencing product."""
    _, parts = joined
    for image in parts["images"][:1]:  # one row per image_id after ingest's dedupe
        for product_id in parts["refs"]:
            yield product_id, image


def _complete(joined):
    """(product_id, {product, images, facts, split}) -> (product, images, facts, split) for a known product."""
    _, parts = joined
    if parts["product"]:
        facts = [fact for group in parts["facts"] for fact in group]
        split = next(iter(parts.get("split", [])), None)
        yield parts["product"][0], list(parts["images"]), facts, split


class ExportProducts(ReleasingDoFn, beam.DoFn):
    """The export step's call on a batch of joined products (queries empty)."""

    def __init__(self, step: Step) -> None:
        self.step = step

    def process(self, batch: list[tuple[dict, list[dict], list[dict], str | None]]):
        started = time.perf_counter()
        images = {image["image_id"]: image for _, rows, _, _ in batch for image in rows}
        sides = [{"product_id": p["product_id"], "split": split} for p, _, _, split in batch if split is not None]
        result = self.step.call(
            products=schemas.from_rows([p for p, _, _, _ in batch], "product"),
            images=schemas.from_rows(list(images.values()), "image"),
            attributes=schemas.from_rows([f for _, _, facts, _ in batch for f in facts], "attribute"),
            queries=schemas.empty("query"), product_splits=schemas.from_rows(sides, "product_split"))
        result = conform_result(self.step, result)
        count_wall(self.step.name, started)
        outputs = {k: v for k, v in result.outputs.items() if k in PRODUCT_OUTPUTS}
        yield from emit_result(self.step.name, type(result)(outputs, result.rejects, result.counters), len(batch))


def _describe_joined(batch):
    return [(product["product_id"], product["source_file"], product["source_row"]) for product, *_ in batch]


class ExportDataset(beam.PTransform):
    """{"products", "images", "attributes", "queries"} batches -> export outputs, REJECTS, TALLY."""

    def __init__(self, step: Step, batch_rows: int, folder: str | None = None) -> None:
        super().__init__()
        self.step, self.batch_rows, self.folder = step, batch_rows, folder

    def _joined_products(self, inputs):
        products = inputs["products"] | "ProductRows" >> RowsOf()
        product_images = (
            {"refs": products | "ImageRefs" >> beam.FlatMap(_image_refs),
             "images": inputs["images"] | "ImageRows" >> RowsOf() | "KeyImage" >> beam.Map(lambda r: (r["image_id"], r))}
            | "JoinImages" >> beam.CoGroupByKey()
            | "ToProducts" >> beam.FlatMap(_images_to_products))
        facts = inputs["attributes"] | "FactsByProduct" >> beam.FlatMap(rows_by_key, "product_id")
        parts = {"product": products | "KeyProduct" >> beam.Map(lambda r: (r["product_id"], r)),
                 "images": product_images, "facts": facts}
        if "product_splits" in inputs:
            parts["split"] = (inputs["product_splits"] | "SplitRows" >> RowsOf()
                              | "KeySplit" >> beam.Map(lambda r: (r["product_id"], r["split"])))
        return (
            parts
            | "JoinProducts" >> beam.CoGroupByKey()
            | "Complete" >> beam.FlatMap(_complete)
            | "BatchProducts" >> beam.BatchElements(min_batch_size=1, max_batch_size=self.batch_rows))

    def expand(self, inputs):
        products = self._joined_products(inputs) | "ExportProducts" >> Resilient(
            ExportProducts(self.step), PRODUCT_OUTPUTS, self.step.name, lambda b: [[item] for item in b],
            _describe_joined)
        empties = {"products": "product", "images": "image", "attributes": "attribute"}
        queries = (inputs["queries"]
                   | "BatchQueries" >> Rebatch(self.batch_rows, self.folder)
                   | "ExportQueries" >> Resilient(CallStep(self.step, "queries", empties), QUERY_OUTPUTS,
                                                  self.step.name, single_rows, describe_table))
        out = {name: products[name] for name in PRODUCT_OUTPUTS}
        out.update({name: queries[name] for name in QUERY_OUTPUTS})
        for tag in (REJECTS, TALLY):
            out[tag] = (products[tag], queries[tag]) | f"Merge_{tag}" >> beam.Flatten()
        return out
