"""MERIT's release layout, the one place that knows it (pure: no files).

MERIT's README loads a release as `load_dataset(DIR)["train" | "test"]` (each split's product
pool), reads `queries-{train,test}.json` (JSON Lines) beside it and looks products up with
`product_map[str(q)]` over `p["idx"]`. Its query records are

    {"query": {"<idx>": {"<attribute>": "<value>"}, ...},   # each query product -> what it contributes
     "pos_candidate": [<idx>, ...], "hard_negative": [<idx>, ...],
     "query instruction": "... <Product 1> <image>\\n<title> </Product 1> ..."}

meritgen adds `idx` (our query id), `language`, `class` and `text_conditions` (conditions the
text spells out rather than an image carries); MERIT's loader ignores extra keys. Passages stay
in our Parquet export.

Integer ids (`merit_idx`): a product id that is a plain decimal integer below 2**53 keeps its
value (so a catalog's own SKU numbers survive); any other id maps to 2**53 + the first 62 bits
of its SHA-256, which is stable across rebuilds and runners and never meets the first range. The
map is kept in the export: every MERIT product row carries its `product_id` next to `idx`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from itertools import accumulate

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.io.layout import SPLITS
from pipelines.text.placeholders import PLACEHOLDER

_PLAIN_INT = re.compile(r"(0|[1-9][0-9]{0,15})")
_HASHED_BASE = 2**53
_json_str = json.encoder.encode_basestring  # how json.dumps(..., ensure_ascii=False) writes a str
IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])


def merit_idx(product_id: str) -> int:
    """MERIT's integer id of one product id (see the module docstring for the rule)."""
    if _PLAIN_INT.fullmatch(product_id) and int(product_id) < _HASHED_BASE:
        return int(product_id)
    digest = int.from_bytes(hashlib.sha256(product_id.encode("utf-8")).digest()[:8], "big") >> 2
    return _HASHED_BASE + digest


def merit_products(products: pa.Table, country: str = "") -> pa.Table:
    """MERIT's product columns (image, title, idx, class, country, language, attribute) + product_id.

    Row-local, so Beam can call it per batch. `idx` is `str(merit_idx(product_id))`; `attribute`
    is the mined facts as a JSON object text; `country` is export.merit_country ("" -> null).
    """
    ids = products.column("product_id").to_pylist()
    return pa.table({
        "image": _first_images(products.column("images")).cast(IMAGE_TYPE),
        "title": products.column("title"), "idx": pa.array([str(merit_idx(p)) for p in ids], pa.string()),
        "class": products.column("category"),
        "country": pa.array([country or None] * len(ids), pa.string()), "language": products.column("language"),
        "attribute": _attribute_json(products.column("attributes")), "product_id": products.column("product_id"),
    })


def _first_images(images: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each product's first image (an exported product has one). With one image per product, the common
    case, that is the lists' values as they are, not a copy (1M products' photos: 760 MB more at the peak)."""
    # `all` of no products is null, not True: `is not False` lets an empty table take the no-copy path too
    if images.null_count == 0 and pc.all(pc.equal(pc.list_value_length(images), 1)).as_py() is not False:
        return pc.list_flatten(images)
    return pc.list_element(images, 0)


JSON_BATCH_ROWS = 50_000  # products whose facts are Python objects at once: 1M products' held 3 GB (the build's peak)


def _attribute_json(attributes: pa.ChunkedArray) -> pa.ChunkedArray:
    """Per product, its facts as one JSON object text ({name: value}, a later name winning), built
    `JSON_BATCH_ROWS` products at a time."""
    chunks = []
    for start in range(0, len(attributes), JSON_BATCH_ROWS):
        rows = attributes.slice(start, JSON_BATCH_ROWS).to_pylist()
        chunks.append(pa.array([json.dumps({a["name"]: a["value"] for a in row}, ensure_ascii=False) for row in rows],
                               pa.string()))
    return pa.chunked_array(chunks, pa.string())


MERIT_PRODUCTS = "merit_products"  # the export stage's output: every exported product, in MERIT's columns


def merit_rows_key(split: str) -> str:
    """The export marker's (and report's) `rows_out` key of `merit/products/<split>-*.parquet`."""
    return f"{MERIT_PRODUCTS}.{split}"


def merit_rows_out(rows_out: Mapping[str, int], pool_rows: Mapping[str, int]) -> dict[str, int]:
    """The export step's `rows_out` as its marker, report and card state it, for every runner: the
    stage's `merit_products` (all exported products, before the writers keep each split's pool) is
    replaced by what `merit/` holds, `merit_products.<split>` rows per split (pool_rows: split -> rows
    written; empty when export.merit_layout is off, so no MERIT count is stated)."""
    out = {k: v for k, v in rows_out.items() if k != MERIT_PRODUCTS}
    out.update({merit_rows_key(split): rows for split, rows in sorted(pool_rows.items())})
    return out


def split_pools(queries: pa.Table, batch_rows: int = 20_000) -> dict[str, set[str]]:
    """split -> product ids its queries reference (images, positives, hard negatives): the product
    pool MERIT's loader needs per split. Columnar, one record batch at a time."""
    pools: dict[str, set[str]] = {s: set() for s in SPLITS}
    columns = ["split", "images", "positive_ids", "hard_negative_ids"]
    for batch in queries.select(columns).to_batches(max_chunksize=batch_rows):
        for split in pc.unique(batch.column("split")).to_pylist():
            part = batch.filter(pc.equal(batch.column("split"), split))
            ids = pa.chunked_array([pc.struct_field(pc.list_flatten(part.column("images")), "product_id"),
                                    pc.list_flatten(part.column("positive_ids")),
                                    pc.list_flatten(part.column("hard_negative_ids"))], pa.string())
            pools.setdefault(split, set()).update(pc.unique(ids).to_pylist())
    return pools


def instruction(text: str, images: list[str], titles: Mapping[str, str]) -> str:
    """Our `<image_k>` placeholders -> MERIT's `<Product k> <image>\\n<title> </Product k>`
    (images: the query's image product ids, images[k-1] is <image_k>)."""
    def product(match: re.Match) -> str:
        k = int(match.group(1))
        title = titles.get(images[k - 1], "") if 0 < k <= len(images) else ""
        return f"<Product {k}> <image>\n{title} </Product {k}>"
    return PLACEHOLDER.sub(product, text)


class MeritIds(dict):
    """product id -> `str(merit_idx(id))`, each id hashed once however many queries name it."""

    def __missing__(self, product_id: str) -> str:
        self[product_id] = value = str(merit_idx(product_id))
        return value


def _lengths(lists: pa.Array | pa.ChunkedArray) -> list[int]:
    return pc.fill_null(pc.list_value_length(lists), 0).to_pylist()


def _per_row(lists: pa.Array | pa.ChunkedArray, values: list) -> list[list]:
    """Per-row Python lists of a list column whose flattened values are `values` (plain values or
    tuples of struct fields: no dict per struct element)."""
    lengths = _lengths(lists)
    return [values[end - n:end] for n, end in zip(lengths, accumulate(lengths))]


def _ids_json(lists: pa.Array | pa.ChunkedArray, ids: MeritIds) -> list[str]:
    """json.dumps of each row's `[merit_idx(p), ...]` (ints), joined by Arrow from the cached id texts."""
    texts = pa.array([ids[p] for p in pc.list_flatten(lists).to_pylist()], pa.string())
    offsets = pa.array([0, *accumulate(_lengths(lists))], pa.int32())
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, texts), ", ")
    return pc.binary_join_element_wise("[", joined, "]", "").to_pylist()


def _object_json(pairs: dict) -> str:
    return "{" + ", ".join([f"{_json_str(k)}: {_json_str(v)}" for k, v in pairs.items()]) + "}"


def merit_query_lines(queries: pa.Table | pa.RecordBatch, titles: Mapping[str, str], split: str,
                      ids: MeritIds | None = None) -> list[str]:
    """The JSON lines of `queries-<split>.json` for the rows of `queries` in `split`, in row order
    (no trailing newline on each): the one writer of them. Each line is exactly
    `json.dumps(record, ensure_ascii=False)` of the record the module docstring shows, assembled
    from columns (tests/test_merit_lines.py keeps the per-row reference this must equal)."""
    queries = queries.filter(pc.equal(queries.column("split"), split))
    ids = MeritIds() if ids is None else ids
    conditions, images = queries.column("conditions"), queries.column("images")
    flat = pc.list_flatten(conditions)
    fields = [pc.struct_field(flat, f).to_pylist() for f in ("attribute", "value", "carried_by", "source_product_id")]
    columns = zip(map(_json_str, queries.column("query_id").to_pylist()),
                  _per_row(images, pc.struct_field(pc.list_flatten(images), "product_id").to_pylist()),
                  _per_row(conditions, list(zip(*fields))), queries.column("text").to_pylist(),
                  _ids_json(queries.column("positive_ids"), ids), _ids_json(queries.column("hard_negative_ids"), ids),
                  map(_json_str, queries.column("language").to_pylist()),
                  map(_json_str, queries.column("category").to_pylist()))
    lines = []
    for qid, imgs, conds, text, pos, neg, lang, cls in columns:
        contributions: dict[str, dict[str, str]] = {ids[p]: {} for p in imgs}  # <image_k> order, first wins
        text_conditions = {}
        for a, v, c, s in conds:
            if c == "image" and s is not None:
                contributions.setdefault(ids[s], {})[a] = v
            else:
                text_conditions[a] = v
        query = "{" + ", ".join([f'"{k}": {_object_json(d)}' for k, d in contributions.items()]) + "}"
        lines.append(f'{{"idx": {qid}, "query": {query}, "query instruction": '
                     f'{_json_str(instruction(text, imgs, titles))}, "pos_candidate": {pos}, "hard_negative": {neg}, '
                     f'"text_conditions": {_object_json(text_conditions)}, "language": {lang}, "class": {cls}}}')
    return lines


def merit_readme(splits: Iterable[str] = SPLITS) -> str:
    """The folder's card: declares the product Parquet files as the dataset, so `load_dataset(DIR)`
    never reads the queries JSON as data."""
    files = "".join(f"  - split: {s}\n    path: products/{s}-*.parquet\n" for s in splits)
    return (
        "---\nconfigs:\n- config_name: default\n  data_files:\n" + files + "---\n\n"
        "# MERIT layout\n\n"
        "MERIT's release layout of this meritgen build: `load_dataset(DIR)[\"train\"|\"test\"]` are each "
        "split's product pool (every product its queries name), `queries-{train,test}.json` are JSON "
        "Lines query records. `idx` is MERIT's integer id as text; `product_id` maps it back to the "
        "catalog (ids that are integers below 2**53 keep their value, others are 2**53 + 62 bits of "
        "their SHA-256). Passages and full provenance are in the Parquet export (`../data/`).\n"
    )
