"""Round operations behind `meritgen qa sample|status`: open a round, report it, export its decisions."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from annotation_ui.decisions import progress, resolve_round, round_agreement
from annotation_ui.errors import QAError
from annotation_ui.round_data import export_queries, qa_dir, round_dir, snapshot_round
from annotation_ui.sampling import ADJUDICATOR, assign_items, stratified_sample
from annotation_ui.security import hash_token, new_token, write_tokens
from annotation_ui.store import QAStore
from pipelines.store import write_json

SAMPLE_COLUMNS = ["query_id", "base_query_id", "language", "category", "n_conditions"]


@dataclass(frozen=True)
class OpenedRound:
    name: str
    tokens: dict[str, str]
    tokens_path: Path
    counts: dict[str, int]


def open_store(run_dir: Path, read_only: bool = False) -> QAStore:
    path = qa_dir(run_dir) / "qa.duckdb"
    if read_only and not path.exists():
        raise QAError(f"{run_dir} has no QA database yet; open a round with `meritgen qa sample`")
    return QAStore(path, read_only=read_only)


def next_round_name(existing: list[str]) -> str:
    n = len(existing) + 1
    while f"round-{n}" in existing:
        n += 1
    return f"round-{n}"


def open_round(run_dir: Path, name: str | None, size: int, annotators: list[str], double_share: float,
               seed: int) -> OpenedRound:
    """Sample, assign and snapshot a new round; tokens go to <run>/qa/<round>/tokens.json (0600)."""
    store = open_store(run_dir)
    try:
        existing = store.rounds()
        name = name or next_round_name(existing)
        if name in existing:
            raise QAError(f"round {name!r} already exists; pick another --round name")
        round_dir(run_dir, name)  # validates the name before any work
        table = export_queries(run_dir, SAMPLE_COLUMNS)
        seen = frozenset(qid for r in existing for qid in (i["query_id"] for i in store.items(r)))
        ids = stratified_sample(table, size, seed, exclude=seen)
        assignments = assign_items(ids, annotators, double_share, seed)
        counts = snapshot_round(run_dir, name, ids)
        tokens = {a: new_token() for a in [*annotators, ADJUDICATOR]}
        accounts = {a: ("adjudicator" if a == ADJUDICATOR else "annotator", hash_token(t)) for a, t in tokens.items()}
        by_id = {r["query_id"]: r for r in table.to_pylist()}
        items = [{**by_id[qid], "position": i} for i, qid in enumerate(ids)]
        try:
            store.create_round(name, seed, double_share, items, assignments, accounts)
        except BaseException:
            shutil.rmtree(round_dir(run_dir, name), ignore_errors=True)  # no orphan snapshot blocks a retry
            raise
        path = round_dir(run_dir, name) / "tokens.json"
        write_tokens(path, tokens)
        return OpenedRound(name, tokens, path, {**counts, "double_annotated": sum(len(v) == 2 for v in assignments.values())})
    finally:
        store.close()


def round_status(store: QAStore, name: str) -> dict:
    """Progress per annotator, resolution counts and agreement of one round."""
    if name not in store.rounds():
        raise QAError(f"no round {name!r}; known rounds: {', '.join(store.rounds()) or 'none'}")
    assignments, log = store.assignments(name), store.live_decisions(name)
    resolutions = resolve_round(assignments, log)
    agreement = round_agreement(assignments, log)
    return {"round": name, "items": len(assignments), "progress": progress(assignments, log),
            "status": dict(Counter(r.status for r in resolutions.values())),
            "agreement": {"pairs": agreement.pairs, "observed": agreement.observed, "kappa": agreement.kappa}}


def export_decisions(run_dir: Path, store: QAStore, name: str) -> Path:
    """Write every decision of the round (undone ones flagged) to <run>/qa/<round>/decisions.parquet."""
    path = round_dir(run_dir, name) / "decisions.parquet"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(store.decision_table(name), tmp)
    os.replace(tmp, path)
    return path


STATUS_SNAPSHOT = "status.json"
_SNAPSHOT_LOCK = threading.Lock()  # the server's request threads share one temp file name per process


def write_status_snapshot(run_dir: Path, store: QAStore, name: str) -> None:
    """<run>/qa/<round>/status.json: what `qa status` shows, written by `annotate` after every
    decision, because DuckDB lets no other process open the database while the server holds it."""
    with _SNAPSHOT_LOCK:
        status = {**round_status(store, name), "as_of": datetime.now(UTC).isoformat(timespec="seconds")}
        write_json(round_dir(run_dir, name) / STATUS_SNAPSHOT, status)


def read_status_snapshots(run_dir: Path, name: str | None) -> list[dict]:
    """The snapshots `annotate` left (one round or all), oldest round first."""
    folder = qa_dir(run_dir)
    paths = [round_dir(run_dir, name) / STATUS_SNAPSHOT] if name else sorted(folder.glob(f"*/{STATUS_SNAPSHOT}"))
    found = [json.loads(p.read_text(encoding="utf-8")) for p in paths if p.is_file()]
    if not found:
        raise QAError(f"the QA database of {run_dir} is in use (is `meritgen annotate` running?) and no status "
                      "snapshot exists yet; it is written after the first decision")
    return found
