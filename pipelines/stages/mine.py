"""Mine (product, attribute, value) facts from structured fields and from title/description.

Field values are mapped onto the vocabulary with rapidfuzz; titles are matched phrase by
phrase against each attribute's surface forms. One value per attribute and product, by
source priority field > title > description. Open values (brand) get one canonical spelling
per cluster (stages/values.py) and title brands need evidence (stages/brands.py); both need
the whole catalog, so this stage is global. The `aliases` output lists every raw spelling with
its canonical value for review; `[mine.aliases]` pins win. Families (SPUs) come from the
catalog or are derived from titles with colour words removed. A visual value that listings
sharing a photo disagree on is dropped for all of them (stages/twins.py), a `twin_conflict` reject.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from pipelines import schemas
from pipelines.config import MineConfig
from pipelines.results import RejectLog, StageResult
from pipelines.shards import Shards, TableShards, collect
from pipelines.stages import twins, unmapped
from pipelines.stages.mine_catalog import CatalogFacts
from pipelines.vocab.vocabulary import Vocabulary

STAGE = "mine"
VERSION = "9"  # 4: quantities (RAM, storage, volume, ...) and well-known brands from titles; brand words by domain;
# 5: unmapped catalog attributes counted; 6: field names matched by key and attribute aliases (field_names.py);
# 7: a category's own name as a type ("Laptops") is dropped, not rejected; 8: a field value listing several
# values ("Men, Women") is the value meaning all of them (also_meets) or a `several_values` reject;
# 9: a value no form matches is read from its head words ("Aurora Blue": blue; vocabulary.head_value)


@dataclass(frozen=True)
class MineParams:
    cfg: MineConfig
    vocabulary: Vocabulary


COLUMNS = ["product_id", "category", "title", "description", "attributes", "family_id"]
CONTRACTS = {"attributes": "attribute", "families": "family", "aliases": "alias"}


def mine_attributes(products: pa.Table, params: MineParams) -> StageResult:
    """Mine attributes for every product.

    Input columns: product_id, category, title, description, attributes, family_id (image_ids: photo twins).
    Output: attributes (schemas/v1/attribute.json), families (schemas/v1/family.json), aliases, and
    rejects for field values that do not map onto the vocabulary. The stream over one batch.
    """
    return collect(mine_stream(TableShards(products, key=None), params), CONTRACTS)


def mine_stream(products: Shards, params: MineParams) -> Iterator[StageResult]:
    """`mine_attributes` a batch of products at a time: each batch's families and field rejects as it
    is mined; then, once the catalog-wide decisions are made (stages/mine_catalog.py), the attributes
    a batch at a time, and the aliases with the rejects and counters of those decisions."""
    facts = CatalogFacts(params)
    for batch in products:
        rejects = RejectLog(STAGE)
        rows = batch.select(COLUMNS).to_pylist()
        families = facts.add(rows, rejects)
        yield StageResult({"families": schemas.from_rows(families, "family")}, rejects.table(),
                          {**rejects.counters(), **unmapped.unmapped_attribute_counts(rows, params.vocabulary, facts.names)})
    rejects = RejectLog(STAGE)
    aliases = facts.resolve(rejects)
    twin_groups = twins.photo_twins(_photo_columns(products))
    by_source: Counter = Counter()
    for kept in facts.final(twin_groups, rejects):
        by_source.update({c["values"]: c["counts"] for c in pc.value_counts(kept.column("source")).to_pylist()})
        yield StageResult({"attributes": kept}, schemas.empty("reject"), {})
    counters = {"products": facts.products, "facts": sum(by_source.values()), **rejects.counters(),
                "alias_spellings_merged": sum(a["method"] in ("spelling", "fuzzy") for a in aliases),
                **{f"facts_from_{source}": by_source[source] for source in ("field", "title", "description")}}
    yield StageResult({"aliases": schemas.from_rows(aliases, "alias")}, rejects.table(), counters)


def _photo_columns(products: Shards) -> pa.Table:
    """The products' ids and image ids, whole (what photo twins need); a table without images has no twins."""
    try:
        return products.columns(["product_id", "image_ids"])
    except (KeyError, pa.ArrowInvalid):
        return products.columns(["product_id"])
