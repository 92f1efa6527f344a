"""`meritgen eval RUN (--predictions FILE | --baseline NAME)`: read the export, score, print, write eval.json."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from rich.console import Console

from pipelines.errors import MeritgenError
from pipelines.evaluate import baselines
from pipelines.evaluate.metrics import QUERY_COLUMNS, EvalTally
from pipelines.evaluate.predictions import read_predictions, write_predictions
from pipelines.evaluate.report import COUNTERS, print_tables
from pipelines.io import layout
from pipelines.store import write_json

DEFAULT_DEPTH = 100
BATCH_ROWS = 20_000


def read_queries(run: Path, columns: list[str], splits: list[str] | None = None) -> pa.Table:
    """The exported query rows (of `splits`, default all) with `columns`."""
    export = layout.export_dir(run)
    if not layout.marker_path(export).exists():
        raise MeritgenError(f"{run} has no finished export; run `meritgen build` first (or give the run folder, e.g. runs/demo)")
    return export_queries(export, columns, splits)


def read_products(run: Path, columns: list[str]) -> pa.Table:
    return export_products(layout.export_dir(run), columns)


def export_queries(export: Path, columns: list[str], splits: list[str] | None = None) -> pa.Table:
    dataset = pads.dataset(layout.queries_dir(export), format="parquet")
    return dataset.to_table(columns=columns, filter=pc.field("split").isin(splits) if splits else None)


def export_products(export: Path, columns: list[str]) -> pa.Table:
    """The exported products in product-id order: a baseline breaks score ties by index order, so the
    order must not depend on how a runner sharded the files (Beam's card equals the local one)."""
    table = pads.dataset(layout.products_dir(export), format="parquet").to_table(columns=columns)
    return table.sort_by("product_id")


def split_pools(products: pa.Table) -> dict[str, str]:
    """product id -> the split whose pool holds it."""
    return dict(zip(products.column("product_id").to_pylist(), products.column("split").to_pylist(), strict=True))


def evaluate(run: Path, rankings: dict[str, list[str]], retriever: str, splits: list[str] | None = None,
             read_counts: Counter | None = None) -> dict:
    """Score `rankings` against the run's export: the result `eval.json` holds.

    splits: the splits scored; default every split holding a query the rankings name (all when none)."""
    ids = read_queries(run, ["query_id", "split"])
    split_of = dict(zip(ids.column("query_id").to_pylist(), ids.column("split").to_pylist(), strict=True))
    covered = sorted({split_of[q] for q in rankings if q in split_of})
    chosen = splits or covered or sorted(set(split_of.values()))
    counts = Counter({key: 0 for key in ("queries", *COUNTERS)})  # every count named, zeros too
    counts.update(read_counts or {})
    counts["unknown_query_ids"] = sum(q not in split_of for q in rankings)
    counts["unscored_query_ids"] = sum(q in split_of and split_of[q] not in chosen for q in rankings)
    pools = split_pools(read_products(run, ["product_id", "split"]))
    tally = EvalTally()
    for batch in read_queries(run, QUERY_COLUMNS, chosen).to_batches(max_chunksize=BATCH_ROWS):
        tally.add(batch.to_pylist(), rankings, pools)
    counts.update(tally.counters)
    return {"run": str(run), "retriever": retriever, "splits": [s for s in layout.SPLITS if s in chosen] +
            sorted(set(chosen) - set(layout.SPLITS)), "counters": dict(sorted(counts.items())),
            "metrics": tally.metric_rows(), "conditions": tally.condition_rows()}


def baseline_predictions(run: Path, baseline: str, path: Path, depth: int, splits: list[str] | None,
                         dense_model: str) -> Path:
    """Rank the run's queries with a built-in baseline and write its predictions file."""
    queries = read_queries(run, baselines.QUERY_COLUMNS, splits)
    products = read_products(run, baselines.PRODUCT_COLUMNS)
    return write_predictions(path, baselines.rank(baseline, queries, products, depth, dense_model))


def _dense_model(run: Path, given: str | None) -> str:
    """--model, else the run's retrieval.dense_model, else the packaged MiniLM."""
    if given:
        return given
    config = run / layout.CONFIG_FILE
    configured = json.loads(config.read_text(encoding="utf-8")).get("retrieval", {}).get("dense_model") if config.is_file() else ""
    return configured or baselines.DEFAULT_DENSE_MODEL


def cmd_eval(args: argparse.Namespace) -> int:
    run = Path(args.run)
    if (args.predictions is None) == (args.baseline is None):
        raise MeritgenError("give exactly one of --predictions FILE or --baseline NAME")
    splits = [args.split] if args.split else None
    if args.baseline:
        if args.baseline == "dense" and not baselines.dense_available():
            print("skipped: the dense baseline needs sentence-transformers (pip install -e \".[dense]\")", file=sys.stderr)
            return 0
        out = Path(args.out) if args.out else layout.eval_dir(run, args.baseline)
        read_queries(run, ["query_id"])  # a run without an export fails here, before any index is built
        predictions = baseline_predictions(run, args.baseline, out / layout.PREDICTIONS_FILE, args.depth, splits,
                                           _dense_model(run, args.model))
        name = args.baseline
    else:
        predictions = Path(args.predictions)
        name = predictions.stem
        out = Path(args.out) if args.out else layout.eval_dir(run, name)
    rankings, read_counts = read_predictions(predictions)
    result = {**evaluate(run, rankings, name, splits, read_counts), "predictions": str(predictions)}
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / layout.EVAL_FILE, result)
    if args.json:
        print(json.dumps(result, indent=1, sort_keys=True))
    else:
        print_tables(result, Console(width=None if sys.stdout.isatty() else 160))
        print(f"eval: {out / layout.EVAL_FILE}  predictions: {predictions}")
    return 0


def add_eval_command(sub) -> None:
    """Register `meritgen eval` on the CLI's subcommands."""
    e = sub.add_parser("eval", help="score a retriever's rankings (or a built-in baseline) on a run: R@k/MRR per split "
                                    "and language, and which query conditions it ignores",
                       description="Score a retriever on a finished run: R@1, R@5, R@10 and MRR@10 (MERIT's metrics) "
                       "per split and language, and per condition (attribute x text/image) the share of queries whose "
                       "positive it ranks above the product differing only in that condition. Rankings come from a "
                       "predictions file (README, Evaluating a retriever) or a built-in baseline. Prints the tables "
                       "and writes eval.json under the run.")
    e.add_argument("run", help="run folder, e.g. runs/demo")
    e.add_argument("--predictions", metavar="FILE",
                   help="JSON Lines or Parquet file: query_id and product_ids (best first) per query (default: none; "
                        "give it or --baseline)")
    e.add_argument("--baseline", choices=baselines.BASELINES,
                   help="rank with a built-in retriever instead: bm25 (text, images ignored), bm25-captions (images "
                        "replaced by their product captions), dense (needs sentence-transformers) (default: none)")
    e.add_argument("--split", choices=layout.SPLITS,
                   help="score this split only (default: every split the predictions name; a baseline ranks all)")
    e.add_argument("--depth", type=int, default=DEFAULT_DEPTH, help="products a baseline ranks per query (default: %(default)s)")
    e.add_argument("--model", help="the dense baseline's model (default: the run's retrieval.dense_model, else the "
                                   "packaged all-MiniLM-L6-v2)")
    e.add_argument("--out", help="folder for eval.json (and a baseline's predictions.jsonl) (default: <run>/eval/<name>, "
                                 "name = the baseline or the predictions file's stem)")
    e.add_argument("--json", action="store_true", help="print the result as JSON instead of tables")
    e.set_defaults(func=cmd_eval)
