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
from dataclasses import dataclass

import pyarrow as pa

from pipelines import progress, schemas
from pipelines.config import MineConfig
from pipelines.results import RejectLog, StageResult
from pipelines.stages import brands, mine_product, twins, unmapped, values
from pipelines.stages.field_names import FieldNames
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


def mine_attributes(products: pa.Table, params: MineParams) -> StageResult:
    """Mine attributes for every product.

    Input columns: product_id, category, title, description, attributes, family_id.
    Output: attributes (schemas/v1/attribute.json), families (schemas/v1/family.json), rejects
    for field values that do not map onto the vocabulary.
    """
    rejects = RejectLog(STAGE)
    rows = products.select(["product_id", "category", "title", "description", "attributes", "family_id"]).to_pylist()
    vocab = params.vocabulary
    words_by_domain = {d: brands.vocabulary_words(vocab, d) for d in {vocab.domain(c) for c in vocab.categories}}
    found_by_product, candidates = [], {}
    names = FieldNames(vocab)
    quantity_specs = mine_product.QuantitySpecs(vocab)
    for product in progress.each(rows):
        found = mine_product.field_facts(product, params, names, rejects)
        if params.cfg.mine_text:
            candidate = mine_product.text_facts(product, vocab, found, quantity_specs(product["category"]))
            if candidate and "brand" not in found:
                vocab_words = words_by_domain[vocab.domain(product["category"])]
                candidates[product["product_id"]] = brands.Candidate(
                    product["product_id"], candidate, brands.clean_candidate(candidate, vocab_words))
        found_by_product.append(found)
    aliases = _canonicalise(rows, found_by_product, list(candidates.values()), params, rejects)
    facts = _without_twin_conflicts([f for found in found_by_product for f in found.values()], products, params, rejects)
    families = [mine_product.family(product, found, params.vocabulary) for product, found in zip(rows, found_by_product)]
    counters = {"products": products.num_rows, "facts": len(facts), **rejects.counters(),
                "alias_spellings_merged": sum(a["method"] in ("spelling", "fuzzy") for a in aliases),
                **unmapped.unmapped_attribute_counts(rows, params.vocabulary, names)}
    for source in ("field", "title", "description"):
        counters[f"facts_from_{source}"] = sum(f["source"] == source for f in facts)
    return StageResult(
        outputs={"attributes": schemas.from_rows(facts, "attribute"), "families": schemas.from_rows(families, "family"),
                 "aliases": schemas.from_rows(aliases, "alias")},
        rejects=rejects.table(),
        counters=counters,
    )


def _without_twin_conflicts(facts: list[dict], products: pa.Table, params: MineParams, rejects: RejectLog) -> list[dict]:
    """Drop visual values that listings sharing a photo disagree on (stages/twins.py): unknown, not guessed."""
    kept, dropped = twins.drop_conflicting_visual(facts, twins.photo_twins(products), params.vocabulary.is_visual)
    for f in dropped:
        rejects.add("twin_conflict", f"{f['attribute']}={f['value']!r} dropped: a listing with the same photo "
                    f"gives {f['attribute']} another value", record_id=f["product_id"], field=f["attribute"], raw=f["value"])
    return kept


def _canonicalise(rows, found_by_product, candidates, params: MineParams, rejects: RejectLog) -> list[dict]:
    """Give open values their canonical spelling, add evidenced title brands; return alias rows."""
    cfg, vocab = params.cfg, params.vocabulary
    aliases = []
    for attribute in vocab.open_attributes:
        fields = [f["value"] for found in found_by_product if (f := found.get(attribute))]
        counts = Counter(fields)
        if attribute == "brand":
            counts.update(c.clean for c in candidates if c.clean)
        pinned = dict(cfg.aliases.get(attribute, {}))
        mapping = values.canonical_values(counts, cfg.alias_threshold, pinned)
        for found in found_by_product:
            if attribute in found and found[attribute]["value"] in mapping:
                found[attribute]["value"] = mapping[found[attribute]["value"]][0]
        if attribute == "brand":
            _title_brands(rows, found_by_product, candidates, fields, pinned, mapping, cfg, rejects)
        aliases += values.alias_rows(attribute, counts, mapping)
    aliases += _closed_alias_rows(found_by_product)
    return aliases


def _title_brands(rows, found_by_product, candidates, fields, pinned, mapping, cfg: MineConfig, rejects) -> None:
    accepted = brands.accepted_brands(candidates, fields, pinned, mapping, cfg.brand_min_titles)
    by_id = {c.product_id: c for c in candidates}
    for product, found in zip(rows, found_by_product):
        candidate = by_id.get(product["product_id"])
        if candidate is None:
            continue
        brand, why = brands.resolve(candidate, mapping, accepted)
        if brand is None:
            rejects.add(why, f"title brand candidate {candidate.text!r} refused", record_id=product["product_id"],
                        field="title", raw=candidate.text)
        else:
            found["brand"] = mine_product.fact(product, "brand", brand, "title", product["title"], 100.0)


def _closed_alias_rows(found_by_product) -> list[dict]:
    """Structured field spellings mapped onto vocabulary values, for review next to the brands."""
    counts = Counter((f["attribute"], tidy, f["value"]) for found in found_by_product for f in found.values()
                     if f["source"] == "field" and (tidy := values.tidy(f["evidence"])) and f["attribute"] != "brand")
    return [{"attribute": a, "raw": raw, "canonical": value, "method": "same" if raw == value else "vocabulary", "count": n}
            for (a, raw, value), n in sorted(counts.items())]


