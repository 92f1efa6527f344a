"""A catalog's images as {ref, bytes, error} blobs: every distinct ref loaded once, within a deadline.

Split from `catalog_reader` (which parses rows): loading is where a catalog's size in bytes and
its slow servers are met, so memory and time are bounded here (README "Untrusted catalogs").
"""

from __future__ import annotations

import base64
import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor

from pipelines import progress
from pipelines.io import image_source
from pipelines.io.image_source import MAX_IMAGE_FILE_BYTES


def load_images(rows: list[tuple[list, list]], policy: image_source.ImageSourcePolicy,
                 deadline_s: float = 0.0) -> list[list[dict]]:
    """Resolve every row's image refs and inline bytes to {ref, bytes, error} blobs.

    Each distinct ref is loaded once, whatever the number of rows naming it, and only its first
    blob carries the bytes: a later one is {ref, bytes: None, error: None}, "the same file as
    before", which the ingest stage resolves (and decodes once). So the table holds each file's
    bytes once, not once per row (500 rows of one 1.7 MB photo were 2.8 GB at peak)."""
    loaded = _load_distinct(list(dict.fromkeys(ref for refs, _ in rows for ref in refs if isinstance(ref, str))),
                            policy, deadline_s)
    out, emitted = [], set()
    for refs, inline in rows:
        blobs = [inline_blob(i, value) for i, value in enumerate(inline)]
        for ref in refs:
            if not isinstance(ref, str):
                blobs.append(image_source.load_ref(ref, policy, None))  # rejected by type, never fetched
            elif ref in emitted and loaded[ref]["bytes"] is not None:
                blobs.append({"ref": ref, "bytes": None, "error": None})
            else:
                blobs.append(loaded[ref])
                emitted.add(ref)
        out.append(blobs)
    return out


def _load_distinct(refs: list[str], policy: image_source.ImageSourcePolicy, deadline_s: float) -> dict[str, dict]:
    """ref -> blob, 16 loads at a time (so a row's URLs load in parallel), all within `deadline_s` (0: none):
    a fetch never runs past it, and a ref not loaded by then is a blob whose error names the setting."""
    end = time.monotonic() + deadline_s if deadline_s > 0 else None
    late = f"not loaded: the catalog's images took longer than catalog.ingest_deadline_s ({deadline_s:g} s)"
    with image_source.image_client() as client, ThreadPoolExecutor(16) as pool:
        def load(ref: str) -> dict:
            if end is None:
                return image_source.load_ref(ref, policy, client)
            left = end - time.monotonic()
            if left <= 0:
                return {"ref": ref, "bytes": None, "error": late}
            blob = image_source.load_ref(ref, dataclasses.replace(policy, url_deadline_s=min(policy.url_deadline_s, left)),
                                         client)
            if blob["error"] and time.monotonic() >= end:  # cut short by the overall deadline: say so, stably
                blob = {**blob, "error": late}
            return blob

        return dict(zip(refs, progress.each(pool.map(load, refs), total=len(refs))))


def inline_blob(index: int, value) -> dict:
    if isinstance(value, dict):  # datasets.Image struct {bytes, path}
        value = value.get("bytes")
    if isinstance(value, str):
        try:
            value = base64.b64decode(value, validate=True)
        except ValueError:
            return {"ref": f"inline:{index}", "bytes": None, "error": "inline image is not bytes or base64"}
    if not isinstance(value, bytes):
        return {"ref": f"inline:{index}", "bytes": None, "error": "inline image is not bytes"}
    if len(value) > MAX_IMAGE_FILE_BYTES:
        return {"ref": f"inline:{index}", "bytes": None, "error": f"inline image over {MAX_IMAGE_FILE_BYTES} bytes"}
    return {"ref": f"inline:{index}", "bytes": value, "error": None}
