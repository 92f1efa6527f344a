"""Validate raw catalog rows into products and normalised images.

Every problem becomes a reject row naming file, row and field; good rows always go on.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import pyarrow as pa

from pipelines import progress, schemas
from pipelines.config import IngestConfig
from pipelines.errors import NoValidProducts
from pipelines.images import ImageRejected
from pipelines.results import RejectLog, StageResult
from pipelines.stages.image_files import ImageFiles, NormaliseMany
from pipelines.text.controls import json_may_hold_controls, strip_controls_in
from pipelines.text.structure import first_structural_field, json_may_hold_structure
from pipelines.vocab.vocabulary import Vocabulary

STAGE = "ingest"
VERSION = "3"  # 2: photo formats only, attribute length cap, wider structural-text match; 3: control characters
# stripped, a file named by many rows decoded once
_LANG = re.compile(r"[a-z]{2,3}")  # used with fullmatch: "$" would also accept "en\n"
# Spreadsheet and dataframe exports write a missing id as one of these; none of them names a product.
_NULL_IDS = frozenset({"nan", "na", "n/a", "#n/a", "null", "none", "nil", "undefined", "-", "?"})
MAX_ID_CHARS = 256


@dataclass(frozen=True)
class IngestParams:
    cfg: IngestConfig
    vocabulary: Vocabulary
    default_language: str = "en"


class RowRejected(Exception):
    def __init__(self, reason: str, field: str | None, message: str) -> None:
        super().__init__(message)
        self.reason, self.field, self.message = reason, field, message


def validate_catalog(raw: pa.Table, params: IngestParams, normalise_many: NormaliseMany | None = None) -> StageResult:
    """Turn `raw_catalog_row` records into `product` and `image` tables.

    Input columns: source_file, source_row, record_json, read_error, image_blobs.
    Output: products (schemas/v1/product.json), images (schemas/v1/image.json), rejects.
    Raises CatalogError when not a single row is valid. `normalise_many`: decode the images ahead, in
    bulk (a runner's process pool; the result is the same).
    """
    rejects = RejectLog(STAGE)
    products, images = validate_rows(raw.to_pylist(), params, rejects, normalise_many)
    if not products:
        files = set(raw.column("source_file").to_pylist())
        raise NoValidProducts(_no_valid_rows_message(files, raw.num_rows, rejects) + _unknown_categories_hint(rejects, params),
                              rejects.table())
    return _result(raw.num_rows, products, images, rejects)


def _result(rows_in: int, products: list[dict], images: dict[str, dict], rejects: RejectLog) -> StageResult:
    return StageResult(
        outputs={"products": schemas.from_rows(products, "product"),
                 "images": schemas.from_rows(list(images.values()), "image")},
        rejects=rejects.table(),
        counters={"rows_in": rows_in, "products": len(products), "images": len(images), **rejects.counters()},
    )


def validate_stream(batches: Iterable[pa.Table], params: IngestParams,
                    normalise_many: NormaliseMany | None = None) -> Iterator[StageResult]:
    """`validate_catalog` over a catalog read in batches of raw rows, one result per batch, so no more
    than one batch's rows and images are ever held. What one row's fate depends on in earlier rows is
    carried across batches (`BatchState`), so the results together equal the whole-table call's."""
    state = BatchState(params.cfg, normalise_many)
    files, rows_in, any_product = set(), 0, False
    failed = RejectLog(STAGE)  # every batch's rejects, kept only while no row has been valid
    for raw in batches:
        rejects = RejectLog(STAGE)
        products, images = validate_rows(raw.to_pylist(), params, rejects, state=state)
        files.update(raw.column("source_file").to_pylist())
        rows_in += raw.num_rows
        any_product = any_product or bool(products)
        if not any_product:
            failed.extend(rejects)
        yield _result(raw.num_rows, products, images, rejects)
    if not any_product:
        raise NoValidProducts(_no_valid_rows_message(files, rows_in, failed) + _unknown_categories_hint(failed, params),
                              failed.table())


class BatchState:
    """What validating a row needs from the rows before it in other batches: the ids accepted
    (a later one is a duplicate_id), the image ids output (two files, one photo: one image row), and
    the files decoded (by ref: decoded once)."""

    def __init__(self, cfg: IngestConfig, normalise_many: NormaliseMany | None = None) -> None:
        self.seen_ids: dict[str, str] = {}
        self.image_ids: set[str] = set()
        self.files = ImageFiles([], cfg, normalise_many)


def validate_rows(rows: list[dict], params: IngestParams, rejects: RejectLog,
                  normalise_many: NormaliseMany | None = None,
                  state: BatchState | None = None) -> tuple[list[dict], dict[str, dict]]:
    """Validate `raw_catalog_row` dicts in order: product rows, and images by image_id.

    A product_id accepted earlier in `rows` (or, with `state`, in an earlier batch) makes a later row
    a duplicate_id reject, so rows sharing an id must come in one call, in source order (Beam groups
    them by `duplicate_key`) or in batches in source order sharing one `state`.
    """
    products, images = [], {}
    if state is None:
        seen_ids, emitted, files = {}, frozenset(), ImageFiles(rows, params.cfg, normalise_many)
    else:
        seen_ids, emitted, files = state.seen_ids, state.image_ids, state.files.next_batch(rows, state.image_ids)
    for row in progress.each(rows):
        where = {"source_file": row["source_file"], "source_row": row["source_row"]}
        try:
            product = _validate_row(row, params, seen_ids)
            kept = _ingest_images(row, product, files, images, rejects)
        except RowRejected as exc:
            rejects.add(exc.reason, _where(row, exc.field, exc.message), field=exc.field,
                        record_id=_record_id(row), raw=row["record_json"], **where)
            continue
        except Exception as exc:  # an odd row this code did not foresee is still one reject, never a crash
            rejects.add("invalid_row", _where(row, None, f"cannot validate row: {type(exc).__name__}"),
                        record_id=_record_id(row), raw=row["record_json"], **where)
            continue
        seen_ids[id_key(product["product_id"])] = product["product_id"]
        products.append({**product, "image_ids": kept, **where})
    images = {image_id: image for image_id, image in images.items() if image_id not in emitted}
    if state is not None:
        state.image_ids.update(images)
    return products, images


def duplicate_key(row: dict) -> str | None:
    """A key equal for every two rows whose product_ids are equal; None when the row has no id.

    Rows with different keys never interact in duplicate detection, so validating each key's
    rows together, in source order, gives the same result as one pass over the whole catalog.
    """
    raw_id = _record_id(row)
    return None if raw_id is None else id_key(raw_id.strip())


def id_key(product_id: str) -> str:
    """Ids equal under this key are one product: case, width (NFKC) and surrounding spaces are noise."""
    return unicodedata.normalize("NFKC", product_id).casefold().strip()


def _where(row: dict, field: str | None, message: str) -> str:
    loc = f"{row['source_file']}, row {row['source_row']}"
    return f"{loc}, field {field!r}: {message}" if field else f"{loc}: {message}"


def _record_id(row: dict) -> str | None:
    try:
        value = json.loads(row["record_json"]).get("product_id")
    except (json.JSONDecodeError, AttributeError):
        return None
    return None if value is None else str(value)[:200]


def _validate_row(row: dict, params: IngestParams, seen_ids: dict[str, str]) -> dict:
    if row["read_error"]:
        raise RowRejected("unreadable_row", None, row["read_error"])
    record = json.loads(row["record_json"])
    product_id = _product_id(record)  # an id with control characters is rejected, never altered
    # Most records need neither walk: their JSON text shows that no string in them could change or match.
    clean = not json_may_hold_controls(row["record_json"])
    if not clean:
        try:
            record = strip_controls_in(record)  # text: control characters removed (pipelines/text/controls.py says why)
        except RecursionError:
            pass  # nested past Python's depth: `_attributes` rejects it, naming the field
    if not clean or json_may_hold_structure(row["record_json"]):
        _reject_structural_text(record)
    first = seen_ids.get(id_key(product_id))
    if first is not None:
        same = "" if first == product_id else f", same as {first!r} ignoring case and surrounding spaces"
        raise RowRejected("duplicate_id", "product_id", f"duplicate product_id {product_id!r}{same} (first occurrence kept)")
    raw_category = _required_str(record, "category").strip()
    category = params.vocabulary.resolve_category(raw_category)
    if category is None:
        raise RowRejected("unknown_category", "category", f"unknown category {raw_category[:80]!r}; known: {params.vocabulary.categories}")
    title = _required_str(record, "title").strip()
    if not title:
        raise RowRejected("missing_field", "title", "required field 'title' is blank")
    if len(title) > params.cfg.max_title_chars:
        raise RowRejected("field_too_long", "title", f"title has {len(title)} characters, over {params.cfg.max_title_chars}")
    description = _optional_str(record, "description").strip() or None
    if description and len(description) > params.cfg.max_description_chars:
        description = description[: params.cfg.max_description_chars]  # long descriptions are normal: keep the start
    language = (_optional_str(record, "language") or params.default_language).lower()
    if not _LANG.fullmatch(language):
        raise RowRejected("invalid_value", "language", f"language {language!r} is not an ISO 639 code")
    return {
        "product_id": product_id, "category": category, "title": title, "description": description,
        "language": language, "family_id": _optional_str(record, "family_id", allow_int=True).strip() or None,
        "attributes": (_attributes(record.get("attributes"), params.cfg.max_attribute_chars)
                       + _category_type(raw_category, category)),
    }


def _product_id(record: dict) -> str:
    """The stripped id; blank, missing-value markers and ids with control characters are not ids."""
    product_id = _required_str(record, "product_id", allow_int=True).strip()
    if not product_id:
        raise RowRejected("missing_field", "product_id", "required field 'product_id' is blank")
    if product_id.casefold() in _NULL_IDS:
        raise RowRejected("invalid_value", "product_id", f"product_id {product_id!r} is a missing-value marker, not an id")
    if len(product_id) > MAX_ID_CHARS:
        raise RowRejected("field_too_long", "product_id", f"product_id has {len(product_id)} characters, over {MAX_ID_CHARS}")
    if any(unicodedata.category(ch).startswith("C") for ch in product_id):
        raise RowRejected("invalid_value", "product_id", "product_id contains control or invisible characters")
    return product_id


def _reject_structural_text(record: dict) -> None:
    """Placeholder- or role-marker-like catalog text is rejected (pipelines/text/structure.py says why);
    control characters were already stripped (pipelines/text/controls.py)."""
    found = first_structural_field(record)
    if found:
        field, reason, token = found
        kind = "an image placeholder" if reason == "placeholder_text" else "a chat role marker"
        raise RowRejected(reason, field, f"field {field!r} holds {token[:80]!r}, which reads as {kind}")


def _category_type(raw_category: str, category: str) -> list[dict]:
    """A fine raw category ("Tshirts") names the product type; keep it for attribute mining."""
    if raw_category.strip().lower() == category:
        return []
    return [{"name": "type", "value": raw_category.strip()}]


def _required_str(record: dict, field: str, allow_int: bool = False) -> str:
    if field not in record or record[field] in (None, ""):
        raise RowRejected("missing_field", field, f"required field {field!r} is missing or empty")
    return _as_str(record[field], field, allow_int)


def _optional_str(record: dict, field: str, allow_int: bool = False) -> str:
    value = record.get(field)
    return "" if value in (None, "") else _as_str(value, field, allow_int)


def _as_str(value, field: str, allow_int: bool) -> str:
    if isinstance(value, str):
        return value
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise RowRejected("wrong_type", field, f"field {field!r} must be a string, got {type(value).__name__}")


def _attributes(value, max_chars: int) -> list[dict]:
    if value in (None, ""):
        return []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list) and all(isinstance(v, dict) and {"name", "value"} <= set(v) for v in value):
        items = [(v["name"], v["value"]) for v in value]
    else:
        raise RowRejected("wrong_type", "attributes", "attributes must be an object or a list of {name, value}")
    out = []
    for name, val in items:
        if not isinstance(name, str) or not name.strip():
            raise RowRejected("wrong_type", "attributes", "attribute names must be non-blank strings")
        _check_attribute_length(name, val, max_chars)
        if isinstance(val, float) and not math.isfinite(val):
            continue  # NaN is how dataframes write a missing value
        if isinstance(val, (str, int, float)) and not isinstance(val, bool) and str(val).strip():
            out.append({"name": name.strip(), "value": str(val).strip()})
        elif val not in (None, ""):
            raise RowRejected("wrong_type", "attributes", f"attribute {name!r} must be a string, got {type(val).__name__}")
    return out


def _check_attribute_length(name: str, value, max_chars: int) -> None:
    """An open value (brand) goes verbatim into query text: a 100 KB one is a bad row, not a query."""
    for what, text in (("name", name), ("value", value)):
        if isinstance(text, str) and len(text.strip()) > max_chars:
            raise RowRejected("field_too_long", "attributes", f"attribute {name[:80]!r} has a {what} of "
                              f"{len(text.strip())} characters, over {max_chars}")


def _ingest_images(row: dict, product: dict, files: ImageFiles, images: dict, rejects: RejectLog) -> list[str]:
    """Normalise each image; bad images are rejected one by one, a product needs at least one."""
    kept, problems = [], []
    for blob in row["image_blobs"] or []:
        try:
            image = files.image(blob)
        except ImageRejected as exc:
            problems.append((exc.reason, f"image {blob['ref']!r}: {exc.message}"))
            continue
        images.setdefault(image.image_id, {"image_id": image.image_id, "bytes": image.jpeg, "width": image.width,
                                           "height": image.height, "source_ref": blob["ref"]})
        if image.image_id not in kept:
            kept.append(image.image_id)
    if not kept:
        reason, message = problems[0] if problems else ("missing_field", "product has no image")
        raise RowRejected(reason, "images", message)
    for reason, message in problems:
        rejects.add(reason, _where(row, "images", message + " (image dropped, product kept)"), field="images",
                    record_id=product["product_id"], source_file=row["source_file"], source_row=row["source_row"])
    return kept


def _unknown_categories_hint(rejects: RejectLog, params: IngestParams) -> str:
    """When the vocabulary knows none of the catalog's categories, say how to give it one."""
    if rejects.by_reason.get("unknown_category", 0) < sum(rejects.by_reason.values()) / 2:
        return ""
    return (f". The vocabulary ({params.vocabulary.version!r}) knows none of these categories: propose one from the "
            "catalog with `meritgen vocab induce --catalog FILE --out DIR`, then build with "
            "`--set mine.vocabulary=DIR/` (README \"Your own categories and attributes\")")


def _no_valid_rows_message(files: set[str], rows_in: int, rejects: RejectLog) -> str:
    names = sorted(files) or ["<empty catalog>"]
    reasons = ", ".join(f"{r} ({n})" for r, n in rejects.by_reason.most_common(5)) or "the catalog has no rows"
    first = f" First: {rejects.rows[0]['message']}" if rejects.rows else ""
    return f"no valid product in {', '.join(names)}: {rows_in} rows, all rejected. Reasons: {reasons}.{first}"
