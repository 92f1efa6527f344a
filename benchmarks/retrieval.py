"""Index build and query throughput of the BM25 and dense backends on synthetic product titles.

    python benchmarks/retrieval.py --sizes 10000 135000 --backends bm25 dense

Each (backend, size) runs in a fresh process so that its peak RSS (getrusage ru_maxrss) is
its own. Dense encoding on CPU is slow, so above --dense-full-max documents only a sample
of --dense-sample titles is encoded: build time is extrapolated linearly from it (encoding
is per-text work) and the index is filled to full size with copies of the sampled vectors,
so that search (query encoding + exact top-k over all documents) is measured at full size.
The output says which numbers are extrapolated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

COLORS = ["red", "blue", "black", "white", "green", "navy", "beige", "pink", "đỏ", "xanh", "merah", "hitam", "สีแดง", "สีดำ"]
MATERIALS = ["cotton", "linen", "denim", "wool", "leather", "polyester", "silk", "katun", "cotton 100%", "ผ้าฝ้าย"]
TYPES = ["shirt", "t-shirt", "dress", "jeans", "sneakers", "jacket", "skirt", "hoodie", "áo sơ mi", "kemeja", "kasut", "เสื้อยืด"]
FITS = ["slim fit", "regular fit", "oversized", "long sleeve", "short sleeve", "v-neck", "crew neck", ""]
BRANDS = [f"brand{i}" for i in range(300)]


def synthetic_titles(n: int, seed: int = 7) -> list[str]:
    """n product-like titles in a mix of en/vi/ms/id/th words."""
    rng = random.Random(seed)
    return [
        " ".join(w for w in (rng.choice(BRANDS), rng.choice(COLORS), rng.choice(MATERIALS), rng.choice(TYPES),
                             rng.choice(FITS), f"size {rng.choice('SMLX')}") if w)
        for _ in range(n)
    ]


def synthetic_queries(titles: list[str], n: int, seed: int = 11) -> list[str]:
    """Queries: titles with a word dropped, as a user would half-remember them."""
    rng = random.Random(seed)
    out = []
    for title in rng.sample(titles, min(n, len(titles))):
        words = title.split()
        words.pop(rng.randrange(len(words)))
        out.append(" ".join(words))
    return out


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def bench_bm25(size: int, args) -> dict:
    from pipelines.retrieval import BM25Config, BM25Index

    titles = synthetic_titles(size)
    queries = synthetic_queries(titles, args.queries)
    base = _peak_mib()
    index = BM25Index(BM25Config(n_threads=args.bm25_threads))
    t0 = time.perf_counter()
    index.build([f"p{i}" for i in range(size)], titles)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index.search(queries, args.k)
    search_s = time.perf_counter() - t0
    return {"backend": "bm25", "size": size, "build_s": build_s, "docs_per_s": size / build_s,
            "queries": len(queries), "queries_per_s": len(queries) / search_s, "base_rss_mib": base,
            "peak_rss_mib": _peak_mib(), "note": f"n_threads={args.bm25_threads}"}


def bench_dense(size: int, args) -> dict:
    import numpy as np

    from pipelines.retrieval import DenseConfig, DenseIndex
    from pipelines.retrieval.dense import model_encoder

    cfg = DenseConfig(model=args.model, show_progress=args.progress, batch_size=args.batch_size)
    titles = synthetic_titles(size)
    queries = synthetic_queries(titles, args.queries)
    encode = model_encoder(cfg)  # loaded before timing: model load is a one-off cost
    encode(["warm up"])
    base = _peak_mib()
    sampled = size > args.dense_full_max
    n_encode = args.dense_sample if sampled else size
    t0 = time.perf_counter()
    vectors = encode(titles[:n_encode])
    build_s = (time.perf_counter() - t0) * size / n_encode
    if sampled:  # fill to full size so that top-k runs over `size` documents
        vectors = np.resize(vectors, (size, vectors.shape[1]))
    index = DenseIndex.from_vectors(_table(vectors), cfg, encoder=encode)
    t0 = time.perf_counter()
    index.search(queries, args.k)
    search_s = time.perf_counter() - t0
    note = f"{args.model}; build extrapolated from {n_encode} encoded" if sampled else args.model
    return {"backend": "dense", "size": size, "build_s": build_s, "docs_per_s": size / build_s,
            "queries": len(queries), "queries_per_s": len(queries) / search_s, "base_rss_mib": base,
            "peak_rss_mib": _peak_mib(), "note": note}


def _table(vectors):
    import numpy as np
    import pyarrow as pa

    n, dim = vectors.shape
    offsets = pa.array(np.arange(n + 1, dtype=np.int64) * dim, type=pa.int32())
    return pa.table({"id": [f"p{i}" for i in range(n)], "vector": pa.ListArray.from_arrays(offsets, vectors.reshape(-1))})


def run_one(backend: str, size: int, args) -> dict:
    os.environ["HF_HUB_OFFLINE"] = "1"
    return (bench_bm25 if backend == "bm25" else bench_dense)(size, args)


def _markdown(rows: list[dict]) -> str:
    lines = ["| backend | docs | build s | docs/s | queries | queries/s | RSS before build MiB | peak RSS MiB | note |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(f"| {r['backend']} | {r['size']} | {r['build_s']:.1f} | {r['docs_per_s']:.0f} | {r['queries']} | "
                     f"{r['queries_per_s']:.0f} | {r['base_rss_mib']:.0f} | {r['peak_rss_mib']:.0f} | {r['note']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000])
    parser.add_argument("--backends", nargs="+", choices=["bm25", "dense"], default=["bm25", "dense"])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2", help="packaged model by default (offline)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--bm25-threads", type=int, default=0)
    parser.add_argument("--dense-full-max", type=int, default=20_000, help="encode every doc up to this size")
    parser.add_argument("--dense-sample", type=int, default=10_000, help="docs encoded above --dense-full-max")
    parser.add_argument("--progress", action="store_true", help="show encoding progress bars")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    rows = []
    for backend in args.backends:
        for size in args.sizes:
            # a fresh process per run: ru_maxrss is a high-water mark and never goes down
            with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                rows.append(pool.submit(run_one, backend, size, args).result())
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(_markdown(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
