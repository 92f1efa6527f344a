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
the process being killed. Only successful completions are stored; errors are always re-asked.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.errors import MeritgenError

if TYPE_CHECKING:
    from pipelines.llm.client import ChatRequest

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


class RequestCache:
    """SQLite-backed {key: completion fields} with batched reads and write-behind commits."""

    def __init__(self, path: str | Path, *, commit_every: int = 256, commit_interval_s: float = 1.0) -> None:
        self.path = Path(path)
        self.commit_every = commit_every
        self.commit_interval_s = commit_interval_s
        self._pending: dict[str, str] = {}
        self._last_commit = time.monotonic()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
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
        return self._db.execute("SELECT count(*) FROM completions").fetchone()[0]

    def get_many(self, keys: Iterable[str]) -> dict[str, dict]:
        """{key: completion fields} for the keys that are cached (pending writes included)."""
        found: dict[str, dict] = {}
        missing = []
        for key in dict.fromkeys(keys):
            if key in self._pending:
                found[key] = json.loads(self._pending[key])
            else:
                missing.append(key)
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start : start + _CHUNK]
            sql = f"SELECT key, value FROM completions WHERE key IN ({','.join('?' * len(chunk))})"
            for key, value in self._db.execute(sql, chunk):
                found[key] = json.loads(value)
        return found

    def put(self, key: str, completion: Any) -> None:
        """Buffer one successful completion; commits when the batch or the interval is due."""
        self._pending[key] = canonical_json({f: getattr(completion, f) for f in _FIELDS})
        if len(self._pending) >= self.commit_every or time.monotonic() - self._last_commit >= self.commit_interval_s:
            self.flush()

    def flush(self) -> None:
        """Commit every buffered completion."""
        self._last_commit = time.monotonic()
        if not self._pending:
            return
        rows = [(k, v, time.time()) for k, v in self._pending.items()]
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO completions (key, value, created) VALUES (?, ?, ?)", rows)
        except sqlite3.Error as exc:
            raise CacheError(f"cannot write the LLM request cache at {self.path}: {exc}") from exc
        self._pending.clear()

    def close(self) -> None:
        """Commit what is buffered and close the file."""
        self.flush()
        self._db.close()
