"""Annotator tokens, CSRF tokens and the Origin check (pure helpers; the app wires them in).

Tokens are random and shown once (printed and written to a 0600 file); the database keeps only
their SHA-256, so a copied qa.duckdb does not leak logins. CSRF tokens are an HMAC of the
session's token under a per-process secret: stateless, and useless to any other session.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

COOKIE = "meritgen_qa"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(secret: bytes, session_token: str) -> str:
    return hmac.new(secret, session_token.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, session_token: str, supplied: str | None) -> bool:
    return bool(supplied) and hmac.compare_digest(csrf_token(secret, session_token), supplied)


def same_origin(origin: str | None, referer: str | None, expected: str) -> bool:
    """False when the request names another site in Origin (or, lacking it, in Referer).

    Requests with neither header (scripts, old clients) pass here; the CSRF token still guards them.
    """
    if origin is not None:
        return origin == expected
    if referer is not None:
        return referer == expected or referer.startswith(expected + "/")
    return True


def write_tokens(path: Path, tokens: dict[str, str]) -> None:
    """Write {annotator: token} readable by the owner only (atomic: temp file + rename)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(tokens, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)
