"""The QA database (<run>/qa/qa.duckdb): rounds, annotators, items, assignments, decisions.

One connection per process, and every statement runs under one lock inside a transaction:
DuckDB connections are not safe to share between threads, and serialising writes through a
single writer is what guarantees that no decision is lost when many annotators post at once.
Decisions are an append-only log; undo flags a row instead of deleting it, so the log stays
auditable.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from annotation_ui.errors import QAError, StoreLockedError

SCHEMA = """
CREATE TABLE IF NOT EXISTS rounds (round VARCHAR PRIMARY KEY, created_at TIMESTAMP DEFAULT current_timestamp,
  seed BIGINT, size INTEGER, double_share DOUBLE);
CREATE TABLE IF NOT EXISTS annotators (round VARCHAR, annotator VARCHAR, role VARCHAR, token_hash VARCHAR UNIQUE,
  PRIMARY KEY (round, annotator));
CREATE TABLE IF NOT EXISTS items (round VARCHAR, position INTEGER, query_id VARCHAR, base_query_id VARCHAR,
  language VARCHAR, category VARCHAR, n_conditions INTEGER, PRIMARY KEY (round, query_id));
CREATE TABLE IF NOT EXISTS assignments (round VARCHAR, query_id VARCHAR, annotator VARCHAR,
  PRIMARY KEY (round, query_id, annotator));
CREATE SEQUENCE IF NOT EXISTS decision_seq;
CREATE TABLE IF NOT EXISTS decisions (decision_id BIGINT PRIMARY KEY DEFAULT nextval('decision_seq'),
  round VARCHAR, query_id VARCHAR, annotator VARCHAR, role VARCHAR, action VARCHAR, reason VARCHAR,
  note VARCHAR, text VARCHAR, created_at TIMESTAMP DEFAULT current_timestamp, undone BOOLEAN DEFAULT false,
  undone_at TIMESTAMP);
"""
ITEM_COLUMNS = ("position", "query_id", "base_query_id", "language", "category", "n_conditions")
DECISION_SCHEMA = pa.schema([
    ("decision_id", pa.int64()), ("round", pa.string()), ("query_id", pa.string()), ("annotator", pa.string()),
    ("role", pa.string()), ("action", pa.string()), ("reason", pa.string()), ("note", pa.string()),
    ("text", pa.string()), ("created_at", pa.timestamp("us")), ("undone", pa.bool_()), ("undone_at", pa.timestamp("us")),
])
DECISION_COLUMNS = ("decision_id", "query_id", "annotator", "role", "action", "reason", "note", "text", "created_at")


@dataclass(frozen=True)
class Annotator:
    round: str
    name: str
    role: str  # annotator | adjudicator


class QAStore:
    """All reads and writes of the QA database, serialised through one connection and lock."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreLockedError(f"cannot open {path}: {exc}. Is `meritgen annotate` running on this run? "
                                   "Stop it first (DuckDB allows one writing process).") from exc
        self._lock = threading.Lock()
        if not read_only:
            self._con.execute(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._con.close()

    @contextmanager
    def _tx(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One locked transaction: commit on success, roll back on any error."""
        with self._lock:
            self._con.begin()
            try:
                yield self._con
            except BaseException:
                self._con.rollback()
                raise
            self._con.commit()

    def _rows(self, sql: str, params: list) -> list[dict]:
        with self._lock:
            cur = self._con.execute(sql, params)
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, row)) for row in cur.fetchall()]

    def rounds(self) -> list[str]:
        return [r["round"] for r in self._rows("SELECT round FROM rounds ORDER BY created_at, round", [])]

    def create_round(self, name: str, seed: int, double_share: float, items: list[dict],
                     assignments: dict[str, tuple[str, ...]], accounts: dict[str, tuple[str, str]]) -> None:
        """Insert a round with its items, assignments and accounts ({name: (role, token_hash)})."""
        with self._tx() as con:
            if con.execute("SELECT 1 FROM rounds WHERE round = ?", [name]).fetchone():
                raise QAError(f"round {name!r} already exists; pick another --round name")
            con.execute("INSERT INTO rounds (round, seed, size, double_share) VALUES (?, ?, ?, ?)",
                        [name, seed, len(items), double_share])
            con.executemany("INSERT INTO annotators VALUES (?, ?, ?, ?)",
                            [[name, a, role, h] for a, (role, h) in accounts.items()])
            con.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [[name, *(item[c] for c in ITEM_COLUMNS)] for item in items])
            con.executemany("INSERT INTO assignments VALUES (?, ?, ?)",
                            [[name, qid, a] for qid, names in assignments.items() for a in names])

    def account(self, token_hash: str) -> Annotator | None:
        rows = self._rows("SELECT round, annotator, role FROM annotators WHERE token_hash = ?", [token_hash])
        return Annotator(rows[0]["round"], rows[0]["annotator"], rows[0]["role"]) if rows else None

    def items(self, round_name: str) -> list[dict]:
        cols = ", ".join(ITEM_COLUMNS)
        return self._rows(f"SELECT {cols} FROM items WHERE round = ? ORDER BY position", [round_name])

    def assignments(self, round_name: str) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for r in self._rows("SELECT query_id, annotator FROM assignments WHERE round = ? ORDER BY annotator",
                            [round_name]):
            out.setdefault(r["query_id"], []).append(r["annotator"])
        return {k: tuple(v) for k, v in out.items()}

    def record(self, round_name: str, who: Annotator, query_id: str, action: str, reason: str | None,
               note: str | None, text: str | None) -> int:
        """Append one decision; returns its id."""
        with self._tx() as con:
            row = con.execute("INSERT INTO decisions (round, query_id, annotator, role, action, reason, note, text) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING decision_id",
                              [round_name, query_id, who.name, who.role, action, reason, note, text]).fetchone()
            return int(row[0])

    def undo_last(self, round_name: str, who: Annotator) -> str | None:
        """Flag `who`'s latest live decision as undone; returns its query id (None: nothing to undo)."""
        with self._tx() as con:
            row = con.execute("SELECT decision_id, query_id FROM decisions WHERE round = ? AND annotator = ? "
                              "AND NOT undone ORDER BY decision_id DESC LIMIT 1", [round_name, who.name]).fetchone()
            if row is None:
                return None
            con.execute("UPDATE decisions SET undone = true, undone_at = current_timestamp WHERE decision_id = ?",
                        [row[0]])
            return row[1]

    def live_decisions(self, round_name: str) -> list[dict]:
        """Decisions not undone, oldest first (the input of `decisions.current_decisions`)."""
        cols = ", ".join(DECISION_COLUMNS)
        return self._rows(f"SELECT {cols} FROM decisions WHERE round = ? AND NOT undone ORDER BY decision_id",
                          [round_name])

    def decided_by(self, round_name: str, who: Annotator) -> set[str]:
        """Query ids `who` has a live decision on."""
        rows = self._rows("SELECT DISTINCT query_id FROM decisions WHERE round = ? AND annotator = ? AND NOT undone",
                          [round_name, who.name])
        return {r["query_id"] for r in rows}

    def decision_table(self, round_name: str) -> pa.Table:
        """Every decision of a round, undone ones included, for the Parquet export."""
        rows = self._rows("SELECT * FROM decisions WHERE round = ? ORDER BY decision_id", [round_name])
        return pa.Table.from_pylist(rows, schema=DECISION_SCHEMA)
