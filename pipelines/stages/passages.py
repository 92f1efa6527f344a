"""MIRe-style response-to-passage conversion.

MIRe trains retrievers on passages rather than bare answers: the response (here the
positive product's concise description) is hidden among the top-k passages retrieved for
it, so the model must find it in context. The stage is split in two pure halves:

1. `response_texts(queries, products)` -> responses; the runner feeds `response` to an index
   over the passage corpus (`product_corpus(products)` or a user table passage_id, text)
   and produces a hits table (pipelines.retrieval.HITS_SCHEMA).
2. `convert_to_passages(queries, responses, hits, corpus, cfg)` -> one passage per query.

Spans count Unicode code points (Python `str` indices), not bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyarrow as pa

from pipelines import schemas
from pipelines.results import RejectLog, StageResult

STAGE = "passages"
VERSION = "1"

# The contracts in schemas/v1/response.json, passage_corpus.json and passage.json.
RESPONSES_SCHEMA, CORPUS_SCHEMA, PASSAGES_SCHEMA = schemas.schemas_of("response", "passage_corpus", "passage")


@dataclass(frozen=True)
class PassageConfig:
    """Args:
    k: retrieved passages placed around the response.
    separator: joins the passages; part of the span arithmetic.
    seed: with the query id, fixes where the response goes (same seed -> same passage).
    response_marker: prefix of the response's slot in passage_source_ids.
    """

    k: int = 4
    separator: str = "\n\n"
    seed: int = 13
    response_marker: str = "response:"


def product_corpus(products: pa.Table, with_description: bool = False) -> pa.Table:
    """The product catalog as a passage corpus.

    Input columns: product_id, title (and description when `with_description`).
    Output columns: passage_id (= product_id), text.
    """
    texts = products.column("title").to_pylist()
    if with_description:
        descriptions = products.column("description").to_pylist()
        texts = [f"{t}. {d}" if d else t for t, d in zip(texts, descriptions, strict=True)]
    return pa.table({"passage_id": products.column("product_id"), "text": pa.array(texts, pa.string())}, schema=CORPUS_SCHEMA)


def response_texts(queries: pa.Table, products: pa.Table) -> StageResult:
    """The response of each query: its first positive's title plus the condition values
    (values the title already spells out are not repeated).

    Input columns: queries (query_id, positive_ids, conditions); products (product_id, title).
    Output: `responses` (query_id, positive_id, response, positive_texts); rejects `no_positive` and
    `unknown_positive` (a positive id missing from products).
    """
    titles = dict(zip(products.column("product_id").to_pylist(), products.column("title").to_pylist(), strict=True))
    rejects = RejectLog(STAGE)
    rows = []
    for q in queries.select(["query_id", "positive_ids", "conditions"]).to_pylist():
        positive = (q["positive_ids"] or [None])[0]
        if positive is None:
            rejects.add("no_positive", "query has no positive product", record_id=q["query_id"])
        elif positive not in titles:
            rejects.add("unknown_positive", f"positive {positive} is not in products", record_id=q["query_id"])
        else:
            rows.append(
                {
                    "query_id": q["query_id"],
                    "positive_id": positive,
                    "response": _describe(titles[positive], q["conditions"]),
                    "positive_texts": [titles[p] for p in q["positive_ids"] if p in titles],
                }
            )
    return StageResult(
        outputs={"responses": pa.Table.from_pylist(rows, schema=RESPONSES_SCHEMA)},
        rejects=rejects.table(),
        counters={"queries": queries.num_rows, "responses": len(rows), **rejects.counters()},
    )


def _describe(title: str, conditions: list[dict]) -> str:
    # Values already spelled out in the title would only repeat it.
    values = [c["value"] for c in conditions if c["value"].casefold() not in title.casefold()]
    return f"{title} ({', '.join(values)})" if values else title


def convert_to_passages(
    queries: pa.Table, responses: pa.Table, hits: pa.Table, corpus: pa.Table, cfg: PassageConfig
) -> StageResult:
    """Hide each response among its top-k retrieved passages.

    Input columns: queries (query_id, positive_ids); responses (RESPONSES_SCHEMA); hits
    (query_id, candidate_ids, ranked best first, retrieved with the response as query;
    retrieve k + number of positives + a few, since positives and copies are skipped);
    corpus (passage_id, text).
    Output: `passages` (query_id, passage, passage_span [start, end) of the response,
    passage_source_ids with the response's slot as "<response_marker><positive id>");
    rejects `missing_hits`; counters for queries given fewer than k passages.
    """
    texts = dict(zip(corpus.column("passage_id").to_pylist(), corpus.column("text").to_pylist(), strict=True))
    ranked = dict(zip(hits.column("query_id").to_pylist(), hits.column("candidate_ids").to_pylist(), strict=True))
    positives = dict(zip(queries.column("query_id").to_pylist(), queries.column("positive_ids").to_pylist(), strict=True))
    rejects = RejectLog(STAGE)
    rows, short = [], 0
    for r in responses.to_pylist():
        if r["query_id"] not in ranked:
            rejects.add("missing_hits", "no retrieval hits for this response", record_id=r["query_id"])
            continue
        chosen = _context(r, positives.get(r["query_id"]) or [r["positive_id"]], ranked[r["query_id"]], texts, cfg.k)
        short += len(chosen) < cfg.k
        rows.append(_assemble(r, chosen, texts, cfg))
    counters = {"responses": responses.num_rows, "passages": len(rows), "passages_short": short, **rejects.counters()}
    return StageResult(
        outputs={"passages": pa.Table.from_pylist(rows, schema=PASSAGES_SCHEMA)}, rejects=rejects.table(), counters=counters
    )


def _context(response: dict, positive_ids: list[str], candidates: list[str], texts: dict, k: int) -> list[str]:
    """First k candidates that are neither a positive nor a copy of a positive's text.

    Text equality matters for user corpora, whose ids differ from product ids; a positive's
    text beside the response would give the query two answers.
    """
    banned_ids = set(positive_ids)
    own = [response["response"], *response["positive_texts"], *(texts[p] for p in positive_ids if p in texts)]
    banned_texts = {_norm(t) for t in own}
    chosen: list[str] = []
    for pid in candidates:
        if len(chosen) == k:
            break
        if pid in banned_ids or pid not in texts or pid in chosen or _norm(texts[pid]) in banned_texts:
            continue
        chosen.append(pid)
    return chosen


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def insert_position(seed: int, query_id: str, n_context: int) -> int:
    """Slot 0..n_context for the response, a pure function of (seed, query id).

    blake2b rather than hash(): Python's str hash changes per process (PYTHONHASHSEED).
    """
    digest = hashlib.blake2b(f"{seed}:{query_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % (n_context + 1)


def _assemble(response: dict, chosen: list[str], texts: dict, cfg: PassageConfig) -> dict:
    slot = insert_position(cfg.seed, response["query_id"], len(chosen))
    parts = [texts[pid] for pid in chosen]
    sources = list(chosen)
    parts.insert(slot, response["response"])
    sources.insert(slot, f"{cfg.response_marker}{response['positive_id']}")
    start = sum(len(p) + len(cfg.separator) for p in parts[:slot])
    return {
        "query_id": response["query_id"],
        "passage": cfg.separator.join(parts),
        "passage_span": [start, start + len(response["response"])],
        "passage_source_ids": sources,
    }
