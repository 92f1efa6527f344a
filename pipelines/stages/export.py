"""Shape the final dataset tables: products with image bytes, queries with full provenance.

Also MERIT's product rows (`pipelines/merit_layout.py`); its query records are built from the
final queries by the writers, which know each split's product pool and the products' titles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipelines import progress, schemas
from pipelines.merit_layout import merit_products
from pipelines.results import StageResult
from pipelines.shards import Shards, TableShards, collect

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
    sides = {} if product_splits is None else dict(zip(product_splits.column("product_id").to_pylist(),
                                                       product_splits.column("split").to_pylist()))
    image_bytes = dict(zip(images.column("image_id").to_pylist(), images.column("bytes").to_pylist()))
    mined = defaultdict(list)
    for pid, name, value, source in zip(*(attributes.column(c).to_pylist() for c in ("product_id", "attribute", "value", "source"))):
        mined[pid].append({"name": name, "value": value, "source": source})
    rows = []
    for p in progress.each(products.sort_by("product_id").to_pylist()):
        rows.append({
            "product_id": p["product_id"], "category": p["category"], "title": p["title"], "description": p["description"],
            "language": p["language"], "family_id": p["family_id"], "attributes": mined.get(p["product_id"], []),
            "images": [{"bytes": image_bytes[i], "path": f"{i}.jpg"} for i in p["image_ids"]], "image_ids": p["image_ids"],
            "split": sides.get(p["product_id"]),
        })
    return schemas.from_rows(rows, "export_product")


def split_names(queries: pa.Table) -> list[str]:
    return sorted(pc.unique(queries.column("split")).to_pylist())
