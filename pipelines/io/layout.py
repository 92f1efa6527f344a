"""The one owner of meritgen's on-disk layout: run folders, the completion marker, split names,
the export's folders and file names. Every writer and reader (local runner, Beam, audit, QA UI)
builds its paths here, so a new output layout is a change to this module (and the writers).

Names only (no I/O): `*_parts` tuples join with `pathlib` locally or Beam's `FileSystems.join`.

    <out>/<run_id>/                     RUN: config.json, report.json, run.duckdb, audit.json
    <out>/<run_id>/<stage>/_SUCCESS.json  completion marker, written last
    <out>/<run_id>/export/data/{queries,products}/<prefix>-00000-of-0000N.parquet
    <out>/<run_id>/export/merit/{products/<split>-*.parquet, queries-<split>.json, README.md}
"""

from __future__ import annotations

from pathlib import Path

MARKER = "_SUCCESS.json"  # a stage folder is finished iff it holds this (`meritgen inspect` lists them)
SPLITS = ("train", "test")  # the splits the export and MERIT's layout always write
DEFAULT_SPLIT = "train"  # an empty build still exports this (empty, loadable) split

EXPORT = "export"  # the export stage's folder in the run
REJECTS = "rejects"  # Beam's run-level folder of every stage's reject rows
CONFIG_FILE, REPORT_FILE, AUDIT_FILE = "config.json", "report.json", "audit.json"
LLM_CACHE_FILE = "llm_cache.sqlite"  # in <out>, shared by every run there
CARD_FILE = "README.md"

DATA, MERIT = "data", "merit"
QUERIES_PARTS = (DATA, "queries")
PRODUCTS_PARTS = (DATA, "products")
MERIT_PRODUCTS_PARTS = (MERIT, "products")


def run_dir(out: str | Path, run_id: str) -> Path:
    return Path(out) / run_id


def export_dir(run: Path) -> Path:
    return run / EXPORT


def marker_path(stage_dir: Path) -> Path:
    return stage_dir / MARKER


def queries_dir(export: Path) -> Path:
    return export.joinpath(*QUERIES_PARTS)


def products_dir(export: Path) -> Path:
    return export.joinpath(*PRODUCTS_PARTS)


def merit_queries_stem(split: str) -> str:
    """`queries-<split>` (+ `.json`): MERIT's JSON Lines file of one split."""
    return f"queries-{split}"


EVAL = "eval"  # <run>/eval/<retriever>/{eval.json, predictions.jsonl}: `meritgen eval`'s results
EVAL_FILE, PREDICTIONS_FILE = "eval.json", "predictions.jsonl"


def eval_dir(run: Path, retriever: str) -> Path:
    return run / EVAL / retriever


def shard_name(prefix: str, index: int, count: int) -> str:
    return f"{prefix}-{index:05d}-of-{count:05d}.parquet"
