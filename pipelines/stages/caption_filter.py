"""Caption-substitutability filter: drop queries a text-only retriever solves from captions.

A multimodal query is only worth keeping when its images carry information a caption does
not. The runner retrieves twice per query, with (a) each <image_k> replaced by its image's
caption and (b) the images simply removed; a query whose positive ranks within top_k in
(a) is dropped as caption-substitutable; one whose positive ranks within top_k in (b) is
"image-blind" (the text alone suffices, the images add nothing) and is dropped too, unless
`keep_image_blind` keeps it (flagged in caption_checks.image_blind). Both rates, and the
R@k/MRR of both variants, are counted before and after filtering.

Pure steps, the runner running the index between 2 and 3:
1. `fallback_captions(products, attributes)` (or captions from a VLM, same columns);
2. `caption_variants(queries, captions)` -> the two query texts;
3. `filter_caption_substitutable(queries, variants, caption_hits, blind_hits, cfg)`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pyarrow as pa

from pipelines import progress, schemas
from pipelines.results import RejectLog, StageResult
from pipelines.retrieval.index import positive_rank
from pipelines.text.placeholders import PLACEHOLDER

STAGE = "caption_filter"
VERSION = "3"
FALLBACK_CAPTIONER = "fallback:title+attributes"

# The contracts in schemas/v1/caption.json, caption_variant.json and caption_check.json.
CAPTIONS_SCHEMA, VARIANTS_SCHEMA, CHECKS_SCHEMA = schemas.schemas_of("caption", "caption_variant", "caption_check")


@dataclass(frozen=True)
class CaptionFilterConfig:
    """Args:
    top_k: a query is caption-substitutable (image-blind) when a positive ranks at or above
        this from captions (with the images removed).
    keep_image_blind: keep image-blind queries (flagged) instead of dropping them.
    """

    top_k: int = 1
    keep_image_blind: bool = False


def fallback_captions(products: pa.Table, attributes: pa.Table | None = None) -> StageResult:
    """Captions without a vision model: the image's product title and its attribute values.

    It over-describes (a real caption cannot read a title), so it over-estimates
    substitutability; a VLM captioner replaces it by producing the same columns.
    Input columns: products (product_id, title, image_ids, attributes); attributes (optional,
    schemas/v1/attribute.json: product_id, attribute, value) take precedence over the
    product's own attributes.
    Output: `captions` (image_id, caption, captioner).
    """
    facts = _facts(products, attributes)
    captions: dict[str, str] = {}
    # Sorted so that an image shared by several products gets the same caption every run.
    for p in sorted(products.select(["product_id", "title", "image_ids"]).to_pylist(), key=lambda p: p["product_id"]):
        text = _caption(p["title"], facts.get(p["product_id"], []))
        for image_id in p["image_ids"] or []:
            captions.setdefault(image_id, text)
    rows = [{"image_id": i, "caption": c, "captioner": FALLBACK_CAPTIONER} for i, c in captions.items()]
    return StageResult(outputs={"captions": pa.Table.from_pylist(rows, schema=CAPTIONS_SCHEMA)}, counters={"captions": len(rows)})


def _facts(products: pa.Table, attributes: pa.Table | None) -> dict[str, list[tuple[str, str]]]:
    facts: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if attributes is not None:
        for a in attributes.select(["product_id", "attribute", "value"]).to_pylist():
            facts[a["product_id"]].append((a["attribute"], a["value"]))
    elif "attributes" in products.column_names:
        for p in products.select(["product_id", "attributes"]).to_pylist():
            facts[p["product_id"]] = [(a["name"], a["value"]) for a in p["attributes"] or []]
    return facts


def _caption(title: str, facts: list[tuple[str, str]]) -> str:
    details = "; ".join(f"{name}: {value}" for name, value in sorted(facts))
    return f"{title} ({details})" if details else title


def caption_lookup(captions: pa.Table) -> dict[str, tuple[str, str]]:
    """image_id -> (caption, captioner), what `caption_variants` substitutes from."""
    return {c["image_id"]: (c["caption"], c["captioner"]) for c in captions.to_pylist()}


def caption_variants(queries: pa.Table, captions: pa.Table, lookup: dict | None = None) -> StageResult:
    """The two text-only versions of each query the runner retrieves with.

    Input columns: queries (query_id, text, images); captions (image_id, caption, captioner).
    `lookup`: `caption_lookup(captions)`, when built once for many batches of queries.
    Output: `variants` (query_id, text_captioned, text_no_images, captioners used);
    counter `captions_missing` (placeholders left empty for want of a caption).
    """
    by_image = caption_lookup(captions) if lookup is None else lookup
    rows, missing = [], 0
    for q in progress.each(queries.select(["query_id", "text", "images"]).to_pylist()):
        captioned, used, absent = _substitute(q["text"], [img["image_id"] for img in q["images"]], by_image)
        missing += absent
        rows.append(
            {
                "query_id": q["query_id"],
                "text_captioned": captioned,
                "text_no_images": _tidy(PLACEHOLDER.sub("", q["text"])),
                "captioners": used,
            }
        )
    return StageResult(
        outputs={"variants": pa.Table.from_pylist(rows, schema=VARIANTS_SCHEMA)},
        counters={"variants": len(rows), "captions_missing": missing},
    )


def _substitute(text: str, image_ids: list[str], by_image: dict) -> tuple[str, list[str], int]:
    """(text with captions for <image_k>, captioners used, placeholders left without caption)."""
    used: set[str] = set()
    missing = 0

    def caption_for(match: re.Match) -> str:
        nonlocal missing
        k = int(match.group(1))
        found = by_image.get(image_ids[k - 1]) if 0 < k <= len(image_ids) else None
        if found is None:
            missing += 1
            return ""
        used.add(found[1])
        return found[0]

    return _tidy(PLACEHOLDER.sub(caption_for, text)), sorted(used), missing


def _tidy(text: str) -> str:
    # Removing a placeholder leaves double spaces and spaces before punctuation.
    return re.sub(r"\s+([,.;:!?])", r"\1", " ".join(text.split()))


@dataclass
class CaptionTally:
    """What the filter's counters are computed from, over every batch of one filter run: its rates
    and R@k/MRR are not sums of per-batch values, so a streamed run counts them once, at the end."""

    queries: int = 0
    blind_unchecked: int = 0
    checks: list[dict] = field(default_factory=list)
    kept: list[bool] = field(default_factory=list)  # of the checked queries, aligned with `checks`
    by_reason: Counter = field(default_factory=Counter)

    def counters(self) -> dict:
        return counters_from_raw(self.raw())

    def raw(self) -> dict[str, int]:
        """The tally as additive integer counts: the raws of batches run apart (Beam's workers) sum
        to the raw of one run over all of them, and `counters_from_raw` of the sum gives its counters."""
        out = {"queries": self.queries, "blind_unchecked": self.blind_unchecked,
               **{f"rejected_{reason}": k for reason, k in sorted(self.by_reason.items())}}
        for when, rows in (("before", self.checks), ("after", [c for c, k in zip(self.checks, self.kept) if k])):
            out[f"{when}_n"] = len(rows)
            out[f"{when}_substitutable"] = sum(c["substitutable"] for c in rows)
            out[f"{when}_image_blind"] = sum(c["image_blind"] for c in rows)
            for variant, column in (("captions", "captioned_rank"), ("images_removed", "blind_rank")):
                ranks = Counter(c[column] for c in rows)
                for r in range(1, METRIC_DEPTH + 1):
                    out[f"{when}_{variant}_rank{r}"] = ranks.get(r, 0)
        return out


def counters_from_raw(raw: dict[str, int]) -> dict:
    """The filter's counters (rates, R@k/MRR) from a `CaptionTally.raw()`, or the sum of several."""
    by_reason = Counter({k.removeprefix("rejected_"): v for k, v in raw.items() if k.startswith("rejected_")})
    before, after = _stand_ins(raw, "before"), _stand_ins(raw, "after")
    out = _counters(raw["queries"], before, raw["blind_unchecked"], by_reason)
    for when, rows in (("before", before), ("after", after)):
        out.update(_when_counters(when, rows))
    return out


def _stand_ins(raw: dict[str, int], when: str) -> list[dict]:
    """Checks standing in for the counted ones: the counters read only their counts and rank histograms."""
    n = raw[f"{when}_n"]
    return [{"substitutable": i < raw[f"{when}_substitutable"], "image_blind": i < raw[f"{when}_image_blind"],
             "captioned_rank": rank, "blind_rank": blind}
            for i, (rank, blind) in enumerate(zip(_ranks(raw, f"{when}_captions", n),
                                                  _ranks(raw, f"{when}_images_removed", n)))]


def _ranks(raw: dict[str, int], prefix: str, n: int) -> list[int | None]:
    """The n ranks a rank histogram stands for (best first; None: not within METRIC_DEPTH)."""
    ranks = [r for r in range(1, METRIC_DEPTH + 1) for _ in range(raw[f"{prefix}_rank{r}"])]
    return ranks + [None] * (n - len(ranks))


def filter_caption_substitutable(
    queries: pa.Table, variants: pa.Table, caption_hits: pa.Table, blind_hits: pa.Table, cfg: CaptionFilterConfig,
    tally: CaptionTally | None = None,
) -> StageResult:
    """Drop queries whose positive is retrieved from the caption-substituted text.

    Input columns: queries (query contract; query_id, positive_ids used); variants
    (query_id, captioners); caption_hits and blind_hits (query_id, candidate_ids).
    Output: `queries` (kept rows, input schema unchanged), `caption_checks` (query_id,
    captioned_rank, blind_rank, substitutable, image_blind, captioners); rejects
    `caption_substitutable` and `missing_hits`; counters incl. substitutable_rate and
    image_blind_rate over the checked queries. Given a `tally` (a batch of a streamed run), the
    counts go to it and the result has no counters: `tally.counters()` gives them for all batches.
    """
    captioned = _ranked(caption_hits)
    blind = _ranked(blind_hits)
    own = tally is None
    tally = CaptionTally() if tally is None else tally
    keep_checked: list[bool] = []
    captioners = dict(zip(variants.column("query_id").to_pylist(), variants.column("captioners").to_pylist(), strict=True))
    rejects = RejectLog(STAGE)
    keep, checks = [], []
    for q in progress.each(queries.select(["query_id", "positive_ids"]).to_pylist()):
        qid = q["query_id"]
        if qid not in captioned:
            rejects.add("missing_hits", "no caption-variant retrieval hits", record_id=qid)
            keep.append(False)
            continue
        check = _check(qid, q["positive_ids"], captioned[qid], blind.get(qid), captioners.get(qid, []), cfg)
        if check["substitutable"]:
            message = f"positive ranked {check['captioned_rank']} from captions alone ({', '.join(check['captioners'])})"
            rejects.add("caption_substitutable", message, record_id=qid)
        elif check["image_blind"] and not cfg.keep_image_blind:
            rejects.add("image_blind", f"positive ranked {check['blind_rank']} from the text with images removed",
                        record_id=qid)
        keep.append(not check["substitutable"] and (cfg.keep_image_blind or not check["image_blind"]))
        keep_checked.append(keep[-1])
        checks.append(check)
    tally.queries += queries.num_rows
    tally.blind_unchecked += sum(c["query_id"] not in blind for c in checks)
    tally.checks += checks
    tally.kept += keep_checked
    tally.by_reason.update(rejects.by_reason)
    return StageResult(
        outputs={
            "queries": queries.filter(pa.array(keep, pa.bool_())),
            "caption_checks": pa.Table.from_pylist(checks, schema=CHECKS_SCHEMA),
        },
        rejects=rejects.table(),
        counters=tally.counters() if own else {},
    )


def _ranked(hits: pa.Table) -> dict[str, list[str]]:
    return dict(zip(hits.column("query_id").to_pylist(), hits.column("candidate_ids").to_pylist(), strict=True))


def _check(qid: str, positives: list[str], captioned: list[str], blind: list[str] | None, captioners: list[str], cfg) -> dict:
    captioned_rank = positive_rank(captioned, positives)
    blind_rank = positive_rank(blind, positives) if blind is not None else None
    return {
        "query_id": qid,
        "captioned_rank": captioned_rank,
        "blind_rank": blind_rank,
        "substitutable": captioned_rank is not None and captioned_rank <= cfg.top_k,
        "image_blind": blind_rank is not None and blind_rank <= cfg.top_k,
        "captioners": captioners,
    }


def _counters(n_queries: int, checks: list[dict], blind_unchecked: int, by_reason: Counter) -> dict:
    n = len(checks)
    substitutable = sum(c["substitutable"] for c in checks)
    image_blind = sum(c["image_blind"] for c in checks)
    return {
        "queries": n_queries,
        "checked": n,
        "kept": n - substitutable - by_reason.get("image_blind", 0),
        "substitutable": substitutable,
        "image_blind": image_blind,
        "blind_unchecked": blind_unchecked,
        "substitutable_rate": substitutable / n if n else 0.0,
        "image_blind_rate": image_blind / n if n else 0.0,
        **{f"rejected_{reason}": k for reason, k in sorted(by_reason.items())},
    }


METRIC_DEPTH = 10  # R@10 and MRR@10, as the difficulty report


def rank_metrics(ranks: list[int | None]) -> dict[str, float]:
    """R@1/5/10 (hit rates) and MRR@10 of a list of best-positive ranks (None: not retrieved)."""
    if not ranks:
        return {"r1": 0.0, "r5": 0.0, "r10": 0.0, "mrr": 0.0}
    hit = [r for r in ranks if r is not None and r <= METRIC_DEPTH]
    return {**{f"r{k}": sum(r <= k for r in hit) / len(ranks) for k in (1, 5, 10)},
            "mrr": sum(1.0 / r for r in hit) / len(ranks)}


def _before_after(checks: list[dict], kept: list[bool]) -> dict:
    """Rates and R@k/MRR of both text-only variants over the checked queries, before and after the filter."""
    out = {}
    for when, rows in (("before", checks), ("after", [c for c, k in zip(checks, kept) if k])):
        out.update(_when_counters(when, rows))
    return out


def _when_counters(when: str, rows: list[dict]) -> dict:
    n = len(rows)
    out = {f"{when}_n": n,
           f"{when}_substitutable_rate": sum(c["substitutable"] for c in rows) / n if n else 0.0,
           f"{when}_image_blind_rate": sum(c["image_blind"] for c in rows) / n if n else 0.0,
           f"{when}_substitutable": sum(c["substitutable"] for c in rows),
           f"{when}_image_blind": sum(c["image_blind"] for c in rows)}
    for variant, column in (("captions", "captioned_rank"), ("images_removed", "blind_rank")):
        ranks = [c[column] for c in rows]
        for metric, value in rank_metrics(ranks).items():
            out[f"{when}_{variant}_{metric}"] = value
        out.update(_rank_counts(f"{when}_{variant}", ranks))
    return out


def _rank_counts(prefix: str, ranks: list[int | None]) -> dict[str, int]:
    """The same metrics as integers (hits at k; reciprocal ranks in millionths): Beam keeps only
    integer counters, and the card derives every rate from these so both runners print one card."""
    hit = [r for r in ranks if r is not None and r <= METRIC_DEPTH]
    return {**{f"{prefix}_hits{k}": sum(r <= k for r in hit) for k in (1, 5, 10)},
            f"{prefix}_rr_micros": round(sum(1_000_000 / r for r in hit))}
