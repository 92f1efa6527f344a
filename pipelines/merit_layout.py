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
from collections.abc import Iterable, Iterator, Mapping

import pyarrow as pa

from pipelines.io.layout import SPLITS
from pipelines.placeholders import PLACEHOLDER

_PLAIN_INT = re.compile(r"(0|[1-9][0-9]{0,15})")
_HASHED_BASE = 2**53
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
    first_image = [imgs[0] for imgs in products.column("images").to_pylist()]
    attrs = [json.dumps({a["name"]: a["value"] for a in row}, ensure_ascii=False)
             for row in products.column("attributes").to_pylist()]
    ids = products.column("product_id").to_pylist()
    return pa.table({
        "image": pa.array(first_image, type=IMAGE_TYPE),
        "title": products.column("title"), "idx": pa.array([str(merit_idx(p)) for p in ids], pa.string()),
        "class": products.column("category"),
        "country": pa.array([country or None] * len(ids), pa.string()), "language": products.column("language"),
        "attribute": pa.array(attrs, pa.string()), "product_id": products.column("product_id"),
    })


def referenced_products(query: Mapping) -> set[str]:
    """Every product a query names: its image products, positives and hard negatives."""
    return ({i["product_id"] for i in query["images"]} | set(query["positive_ids"])
            | set(query["hard_negative_ids"]))


def split_pools(queries: Iterable[Mapping]) -> dict[str, set[str]]:
    """split -> product ids its queries reference: the product pool MERIT's loader needs per split."""
    pools: dict[str, set[str]] = {s: set() for s in SPLITS}
    for q in queries:
        pools.setdefault(q["split"], set()).update(referenced_products(q))
    return pools


def instruction(text: str, images: list[Mapping], titles: Mapping[str, str]) -> str:
    """Our `<image_k>` placeholders -> MERIT's `<Product k> <image>\\n<title> </Product k>`."""
    def product(match: re.Match) -> str:
        k = int(match.group(1))
        title = titles.get(images[k - 1]["product_id"], "") if 0 < k <= len(images) else ""
        return f"<Product {k}> <image>\n{title} </Product {k}>"
    return PLACEHOLDER.sub(product, text)


def merit_query_record(query: Mapping, titles: Mapping[str, str]) -> dict:
    """One MERIT query record from one of our query rows (schemas/v1/query.json)."""
    contributions: dict[str, dict[str, str]] = {}
    for image in query["images"]:  # <image_k> order
        contributions.setdefault(str(merit_idx(image["product_id"])), {})
    text_conditions = {}
    for c in query["conditions"]:
        if c["carried_by"] == "image" and c["source_product_id"] is not None:
            contributions.setdefault(str(merit_idx(c["source_product_id"])), {})[c["attribute"]] = c["value"]
        else:
            text_conditions[c["attribute"]] = c["value"]
    return {
        "idx": query["query_id"],
        "query": contributions,
        "query instruction": instruction(query["text"], query["images"], titles),
        "pos_candidate": [merit_idx(p) for p in query["positive_ids"]],
        "hard_negative": [merit_idx(p) for p in query["hard_negative_ids"]],
        "text_conditions": text_conditions,
        "language": query["language"],
        "class": query["category"],
    }


def merit_query_lines(queries: Iterable[Mapping], titles: Mapping[str, str], split: str) -> Iterator[str]:
    """The JSON lines of `queries-<split>.json` (no trailing newline on each): the one writer of them."""
    for query in queries:
        if query["split"] == split:
            yield json.dumps(merit_query_record(query, titles), ensure_ascii=False)


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
