"""Shape the final dataset tables: products with image bytes, queries with full provenance.

Also MERIT's product rows (`pipelines/merit_layout.py`); its query records are built from the
final queries by the writers, which know each split's product pool and the products' titles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipelines import progress, schemas
from pipelines.merit_layout import merit_products
from pipelines.results import StageResult
from pipelines.shards import Shards, TableShards, collect
from pipelines.stages.product_facts import facts_by_product

STAGE = "export"
VERSION = "2"  # 2: MERIT products from merit_layout; MERIT query records built by the writers


@dataclass(frozen=True)
class ExportParams:
    stage_versions: tuple[tuple[str, str], ...]
    only_referenced_products: bool = False
    merit_country: str = ""  # MERIT's `country` column ("" -> null)


def prepare_export(products: pa.Table, images: pa.Table, attributes: pa.Table, queries: pa.Table,
                   params: ExportParams, difficulty: pa.Table | None = None,
                   product_splits: pa.Table | None = None) -> StageResult:
    """Final products (schemas/v1/export_product.json) and queries (schemas/v1/query.json).

    Input columns: products, images (image_id, bytes), attributes (mined facts), queries,
    product_splits (product_id, split; optional: sets each product's `split`, its candidate pool).
    Output: products, queries, merit_products (and difficulty, passed through for the card).
    """
    return collect(export_stream(TableShards(queries), products, images, attributes, params, difficulty, product_splits))


def export_stream(queries: Shards, products: pa.Table, images: pa.Table, attributes: pa.Table, params: ExportParams,
                  difficulty: pa.Table | None = None, product_splits: pa.Table | None = None) -> Iterator[StageResult]:
    """`prepare_export` as a stream: the products (and difficulty) first, then the queries batch by batch."""
    progress.add_total(queries.num_rows)  # the products' rows are announced by their own loop
    out_products = _export_products(products, images, attributes, product_splits)
    extra = {"difficulty": difficulty} if difficulty is not None else {}
    yield StageResult(outputs={"products": out_products,
                               "merit_products": merit_products(out_products, params.merit_country), **extra},
                      counters={"products": out_products.num_rows})
    for batch in queries:
        batch = batch.set_column(batch.schema.get_field_index("provenance"), batch.schema.field("provenance"),
                                 _with_stage_versions(batch.column("provenance"), params.stage_versions))
        yield StageResult(outputs={"queries": batch}, counters={"queries": batch.num_rows})
        progress.advance(batch.num_rows)  # the runner's writer wrote it before asking for the next


def _with_stage_versions(provenance: pa.ChunkedArray, stage_versions) -> pa.Array:
    """The provenance structs with stage_versions set, built column-wise (millions of rows)."""
    struct = provenance.combine_chunks() if provenance.num_chunks else pa.array([], provenance.type)
    field_type = provenance.type.field("stage_versions").type
    one = pa.array([[{"stage": s, "version": v} for s, v in stage_versions]], field_type)
    repeated = one.take(pa.array([0] * len(struct), pa.int32())) if len(struct) else pa.array([], field_type)
    arrays = [repeated if f.name == "stage_versions" else struct.field(f.name) for f in provenance.type]
    return pa.StructArray.from_arrays(arrays, fields=list(provenance.type))


def _export_products(products: pa.Table, images: pa.Table, attributes: pa.Table,
                     product_splits: pa.Table | None = None) -> pa.Table:
    """Products sorted by id, each with its mined facts (in the attribute table's order), its images' bytes and
    its split. Column-wise: a Python dict per product and per fact held gigabytes at 400K products."""
    products = products.sort_by("product_id")
    ids = products.column("product_id").combine_chunks()
    progress.add_total(len(ids))
    image_ids = products.column("image_ids").combine_chunks()
    table = pa.table({
        "product_id": ids, "category": products.column("category"), "title": products.column("title"),
        "description": products.column("description"), "language": products.column("language"),
        "family_id": products.column("family_id"), "attributes": _facts_per_product(ids, attributes),
        "images": _images_per_product(image_ids, images), "image_ids": image_ids,
        "split": _looked_up(ids, product_splits, "split"),
    })
    progress.advance(len(ids))
    return schemas.conform(table, "export_product")


def _facts_per_product(ids: pa.Array, attributes: pa.Table) -> pa.Array:
    """Per product (`ids` order), its facts as {name, value, source}, in the attribute table's row order."""
    facts, starts = facts_by_product(ids, attributes.select(["product_id", "attribute", "value", "source"]))
    item = schemas.schema("export_product").field("attributes").type.value_type
    values = pa.StructArray.from_arrays([facts.column(c).combine_chunks() for c in ("attribute", "value", "source")],
                                        fields=list(item))
    return pa.ListArray.from_arrays(pa.array(starts, pa.int32()), values)


def _images_per_product(image_ids: pa.Array, images: pa.Table) -> pa.Array:
    """Per product, its images as {bytes, path} in `image_ids` order; an image id without bytes is an error."""
    flat = pc.list_flatten(image_ids)
    found = pc.index_in(flat, value_set=images.column("image_id"))
    if found.null_count:
        missing = flat.filter(pc.is_null(found))[0].as_py()
        raise KeyError(f"image {missing!r} of an exported product has no bytes in the images table")
    item = schemas.schema("export_product").field("images").type.value_type
    values = pa.StructArray.from_arrays(
        [images.column("bytes").take(found).combine_chunks(), pc.binary_join_element_wise(flat, ".jpg", "")],
        fields=list(item))
    offsets = image_ids.offsets if image_ids.offset == 0 else pc.subtract(image_ids.offsets, image_ids.offsets[0])
    return pa.ListArray.from_arrays(offsets, values)


def _looked_up(ids: pa.Array, table: pa.Table | None, column: str) -> pa.Array:
    """`table[column]` of each id's row (null where the id has none)."""
    if table is None:
        return pa.nulls(len(ids), pa.string())
    return table.column(column).take(pc.index_in(ids, value_set=table.column("product_id")))


def split_names(queries: pa.Table) -> list[str]:
    return sorted(pc.unique(queries.column("split")).to_pylist())
