"""Export on Beam: products batch by batch with their images and facts, queries batch by batch.

The export stage (`prepare_export`) is row-local on each side: a product needs only its own
images, facts and split, a query only itself. So the stage's own call runs per batch of
products (queries empty) with the images, mined facts and product splits taken from the whole
tables (`whole_files`: mapped files, filtered to the batch's ids), and per batch of queries
(products empty). Both sides reach their workers as batch files (`batch_files`): no row of
the catalog passes through the runner, as a keyed join of row dicts would make it.
"""

from __future__ import annotations

import time

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
from apache_beam.pvalue import AsSingleton

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
from pipelines.beam.tables import Rebatch, single_rows
from pipelines.beam.whole_files import loaded
from pipelines.beam.worker_cache import ReleasingDoFn
from pipelines.plan import Step
from pipelines.plan.step import conform_result

PRODUCT_OUTPUTS = ["products", "merit_products"]
QUERY_OUTPUTS = ["queries"]
PRODUCT_SIDES = ("images", "attributes", "product_splits")  # whole tables a product batch takes its rows from


def _rows_for(table: pa.Table, column: str, values) -> pa.Table:
    """The rows of `table` whose `column` is among `values`, in the table's order."""
    return table.filter(pc.is_in(table.column(column), value_set=values))


def batch_sides(batch: pa.Table, images: pa.Table, attributes: pa.Table, product_splits: pa.Table | None) -> dict:
    """The batch's own images, facts and splits (the export stage's other product inputs)."""
    ids = pc.unique(batch.column("product_id").combine_chunks())
    image_ids = pc.unique(pc.list_flatten(batch.column("image_ids").combine_chunks()))
    splits = schemas.empty("product_split") if product_splits is None else _rows_for(product_splits, "product_id", ids)
    return {"images": _rows_for(images, "image_id", image_ids), "attributes": _rows_for(attributes, "product_id", ids),
            "product_splits": splits}


def describe_products(batch: pa.Table) -> list[tuple[str, str | None, int | None]]:
    """(product_id, source_file, source_row) per product, for the reject rows of a dead batch."""
    return list(zip(*(batch.column(name).to_pylist() for name in ("product_id", "source_file", "source_row")), strict=True))


class ExportProducts(ReleasingDoFn, beam.DoFn):
    """The export step's call on a batch of products (queries empty), their rows of the side tables."""

    def __init__(self, step: Step) -> None:
        self.step = step

    def process(self, batch: pa.Table, **sides):
        sides = loaded(sides)
        started = time.perf_counter()
        result = self.step.call(products=batch, queries=schemas.empty("query"),
                                **batch_sides(batch, sides["images"], sides["attributes"], sides.get("product_splits")))
        result = conform_result(self.step, result)
        count_wall(self.step.name, started)
        outputs = {k: v for k, v in result.outputs.items() if k in PRODUCT_OUTPUTS}
        yield from emit_result(self.step.name, type(result)(outputs, result.rejects, result.counters), batch.num_rows)


class ExportDataset(beam.PTransform):
    """{"products", "queries"} batches -> export outputs, REJECTS, TALLY. `sides`: one-element
    PCollections of the whole images, attributes and (optional) product_splits tables."""

    def __init__(self, step: Step, batch_rows: int, sides: dict, folder: str | None = None) -> None:
        super().__init__()
        self.step, self.batch_rows, self.sides, self.folder = step, batch_rows, sides, folder

    def expand(self, inputs):
        sides = {name: AsSingleton(pcoll) for name, pcoll in self.sides.items()}
        products = (inputs["products"]
                    | "BatchProducts" >> Rebatch(self.batch_rows, self.folder)
                    | "ExportProducts" >> Resilient(ExportProducts(self.step), PRODUCT_OUTPUTS, self.step.name,
                                                    single_rows, describe_products, sides, self.folder))
        empties = {"products": "product", "images": "image", "attributes": "attribute"}
        queries = (inputs["queries"]
                   | "BatchQueries" >> Rebatch(self.batch_rows, self.folder)
                   | "ExportQueries" >> Resilient(CallStep(self.step, "queries", empties), QUERY_OUTPUTS,
                                                  self.step.name, single_rows, describe_table, folder=self.folder))
        out = {name: products[name] for name in PRODUCT_OUTPUTS}
        out.update({name: queries[name] for name in QUERY_OUTPUTS})
        for tag in (REJECTS, TALLY):
            out[tag] = (products[tag], queries[tag]) | f"Merge_{tag}" >> beam.Flatten()
        return out
