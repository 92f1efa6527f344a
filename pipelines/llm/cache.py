"""Persistent cache of chat completions, keyed by what determines the answer.

Key: sha256 of a canonical JSON of the fully rendered request: model name, messages (each
image replaced by the sha256 of its bytes, so a key never hashes megabytes of base64),
sampling parameters, JSON schema and prompt id + version.

Not in the key, on purpose: concurrency, batch size, timeouts, retries, API key and base URL.
They change how fast an answer arrives, never what it is; the same model served at another
address gives the same answer (the model name *is* in the key), so moving a vLLM server or
changing `max_in_flight` reuses every cached answer.

Storage is one SQLite file in WAL mode. Writes are buffered and committed every
`commit_every` answers, at least every `commit_interval_s` (the client runs a timer) and on
`flush`/`close`: a commit per answer would cap throughput, and an answer lost to a crash inside
that window is only asked again. With WAL and synchronous=NORMAL a committed answer survives
the process being killed. Only completions the caller accepted are stored (the task runner's
answer checks and parser: `LLMClient.complete_many(accept=...)`); errors and refused answers are
always re-asked.

The async client writes through `CacheWriter`, which commits off the event loop: it moves the
buffer to a batch (`take_batch`) and writes it in a worker thread (`commit_batch`), one batch at
a time, while answers keep arriving; with `commit_every=1` that is group commit (each commit
takes every answer that arrived during the previous one). Batches being written stay visible
to `get_many`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.errors import MeritgenError

if TYPE_CHECKING:
    from pipelines.llm.request import ChatRequest

KEY_VERSION = 1  # bump when the key's canonical form changes: old entries then never match
_CHUNK = 900  # bound variables per SELECT stay under SQLite's oldest default limit (999)
_FIELDS = ("text", "prompt_tokens", "completion_tokens", "finish_reason")


class CacheError(MeritgenError):
    """The cache file cannot be opened or written."""


def canonical_json(doc: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _key_messages(messages: Iterable[dict], image_hashes: tuple[str, ...]) -> list[dict]:
    """Messages with every image part's data URI replaced by its content hash."""
    hashes = iter(image_hashes)
    out = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            out.append(message)
            continue
        parts = []
        for part in content:
            if part.get("type") == "image_url":
                url = part["image_url"]["url"]
                # A request built without hashes still gets a correct (slower) key.
                digest = next(hashes, None) or hashlib.sha256(url.encode("ascii")).hexdigest()
                part = {"type": "image_url", "image_sha256": digest}
            parts.append(part)
        out.append({**message, "content": parts})
    return out


def request_key(model: str, req: ChatRequest) -> str:
    """The cache key of `req` sent to `model` (see the module docstring for what is left out)."""
    doc = {
        "key_version": KEY_VERSION,
        "model": model,
        "messages": _key_messages(req.messages, req.image_hashes),
        "sampling": dict(req.sampling),
        "json_schema": req.json_schema,
        "schema_name": req.schema_name,
        "prompt_id": req.prompt_id,
        "prompt_version": req.prompt_version,
    }
    return hashlib.sha256(canonical_json(doc).encode("utf-8")).hexdigest()


LOCK_WAIT_S = 30.0  # how long opening a cache waits for another process's lock (busy timeout and WAL switch)


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting while another process holds its lock. SQLite answers "database is locked"
    at once here, whatever the busy timeout (a journal-mode change takes no busy wait): several Beam workers
    opening a new cache together hit it."""
    deadline, pause = time.monotonic() + LOCK_WAIT_S, 0.01
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


class RequestCache:
    """SQLite-backed {key: completion fields} with batched reads and write-behind commits."""

    def __init__(self, path: str | Path, *, commit_every: int = 256, commit_interval_s: float = 1.0) -> None:
        self.path = Path(path)
        self.commit_every = commit_every
        self.commit_interval_s = commit_interval_s
        self._pending: dict[str, str] = {}
        self._writing: list[dict[str, str]] = []  # batches taken for commit_batch, not yet committed
        self._lock = threading.Lock()  # the connection is used by the caller and a writer thread
        self._last_commit = time.monotonic()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=LOCK_WAIT_S, check_same_thread=False)
            _use_wal(self._db)
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: survives process kills
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL) WITHOUT ROWID"
            )
            self._db.commit()
        except sqlite3.Error as exc:
            raise CacheError(f"cannot open the LLM request cache at {self.path}: {exc}") from exc

    def __enter__(self) -> RequestCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        self.flush()
        with self._lock:
            return self._db.execute("SELECT count(*) FROM completions").fetchone()[0]

    def get_many(self, keys: Iterable[str]) -> dict[str, dict]:
        """{key: completion fields} for the keys that are cached (pending writes included)."""
        found: dict[str, dict] = {}
        missing = []
        unsaved = [self._pending, *self._writing]
        for key in dict.fromkeys(keys):
            value = next((batch[key] for batch in unsaved if key in batch), None)
            if value is not None:
                found[key] = json.loads(value)
            else:
                missing.append(key)
        with self._lock:
            for start in range(0, len(missing), _CHUNK):
                chunk = missing[start : start + _CHUNK]
                sql = f"SELECT key, value FROM completions WHERE key IN ({','.join('?' * len(chunk))})"
                for key, value in self._db.execute(sql, chunk):
                    found[key] = json.loads(value)
        return found

    def put(self, key: str, completion: Any, *, commit_when_due: bool = True) -> None:
        """Buffer one successful completion; commits when the batch or the interval is due
        (unless the caller commits batches itself: commit_when_due=False)."""
        self._pending[key] = canonical_json({f: getattr(completion, f) for f in _FIELDS})
        if commit_when_due and self.due():
            self.flush()

    def due(self) -> bool:
        """Whether buffered completions should be committed now (batch full or interval over)."""
        if not self._pending:
            return False
        return len(self._pending) >= self.commit_every or time.monotonic() - self._last_commit >= self.commit_interval_s

    def flush(self) -> None:
        """Commit every buffered completion."""
        self.commit_batch(self.take_batch())

    def take_batch(self) -> dict[str, str]:
        """Move the buffered completions into a batch for `commit_batch` (they stay readable)."""
        batch, self._pending = self._pending, {}
        self._last_commit = time.monotonic()
        if batch:
            self._writing.append(batch)
        return batch

    def commit_batch(self, batch: dict[str, str]) -> None:
        """Write one batch from `take_batch` in one transaction; may run in a worker thread."""
        if not batch:
            return
        rows = [(k, v, time.time()) for k, v in batch.items()]
        try:
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO completions (key, value, created) VALUES (?, ?, ?)", rows)
        except sqlite3.Error as exc:
            self._pending.update(batch)  # kept for the next commit
            raise CacheError(f"cannot write the LLM request cache at {self.path}: {exc}") from exc
        finally:
            self._writing.remove(batch)

    def close(self) -> None:
        """Commit what is buffered and close the file."""
        self.flush()
        with self._lock:
            self._db.close()


class CacheWriter:
    """Writes a RequestCache from async code: each commit runs in a worker thread, one batch at a
    time (group commit), so SQLite never stalls the event loop.

    With `commit_every=1` (what a build uses) `put` returns only once its answer is committed:
    a caller that holds a concurrency slot until then has at most that many answers unsaved,
    so a killed run re-asks only requests that were in flight.
    """

    def __init__(self, cache: RequestCache) -> None:
        self.cache = cache
        self._task: asyncio.Task | None = None
        self._next: asyncio.Future | None = None  # done when the next batch taken is committed

    async def put(self, key: str, completion: Any) -> None:
        self.cache.put(key, completion, commit_when_due=False)
        self.kick()
        if self.cache.commit_every <= 1:
            if self._next is None:
                self._next = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._next)

    def kick(self) -> None:
        """Start committing if a batch is due and no commit is running; re-raise a failed one."""
        if self._task is not None and self._task.done():
            task, self._task = self._task, None
            task.result()
        if self._task is None and self.cache.due():
            self._task = asyncio.create_task(self._commit_while_due())

    async def _commit_while_due(self) -> None:
        while self.cache.due():  # each batch is whatever arrived during the previous commit
            done, self._next = self._next, None
            try:
                await asyncio.to_thread(self.cache.commit_batch, self.cache.take_batch())
            except Exception as exc:
                if done is not None:
                    done.set_exception(exc)
                raise
            if done is not None:
                done.set_result(None)

    async def kick_periodically(self) -> None:
        """Commit at least once per interval even while every request waits."""
        while True:
            await asyncio.sleep(self.cache.commit_interval_s)
            self.kick()

    async def drain(self) -> None:
        """Wait for the running commit; raises its CacheError if it failed."""
        if self._task is not None:
            task, self._task = self._task, None
            await asyncio.shield(task)
