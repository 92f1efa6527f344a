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
    return ImageLoader(policy, deadline_s).load(rows)


class ImageLoader:
    """`load_images` over a catalog read in batches, one `load` per batch.

    Within a batch a file's bytes come once, in its first blob. A file named in several batches is
    read again for each (the ingest stage keeps what it decoded by ref, so it is decoded once), past
    the deadline too; a ref that failed is not tried again (every row naming it gets the same error),
    and `catalog.ingest_deadline_s` runs from the first batch, not per batch. It keeps the failed refs'
    blobs (and, under a deadline, the refs read), never a file's bytes."""

    def __init__(self, policy: image_source.ImageSourcePolicy, deadline_s: float = 0.0) -> None:
        self.policy, self.deadline_s = policy, deadline_s
        self.end = time.monotonic() + deadline_s if deadline_s > 0 else None
        self.failed: dict[str, dict] = {}  # ref -> its error blob
        self.loaded: set[str] = set()  # refs read in time (kept only under a deadline: read again past it)

    def load(self, rows: list[tuple[list, list]]) -> list[list[dict]]:
        fresh = dict.fromkeys(ref for refs, _ in rows for ref in refs if isinstance(ref, str) and ref not in self.failed)
        again = [ref for ref in fresh if ref in self.loaded]
        loaded = {**self.failed, **_load_distinct([r for r in fresh if r not in self.loaded], self.policy,
                                                  self.deadline_s, self.end),
                  **_load_distinct(again, self.policy, self.deadline_s, None)}
        self.failed.update((ref, blob) for ref, blob in loaded.items() if blob["bytes"] is None)
        if self.end is not None:
            self.loaded.update(ref for ref in fresh if loaded[ref]["bytes"] is not None)
        out, emitted = [], set()
        for refs, inline in rows:
            blobs = [inline_blob(i, value) for i, value in enumerate(inline)]
            for ref in refs:
                if not isinstance(ref, str):
                    blobs.append(image_source.load_ref(ref, self.policy, None))  # rejected by type, never fetched
                elif ref in emitted and loaded[ref]["bytes"] is not None:
                    blobs.append({"ref": ref, "bytes": None, "error": None})
                else:
                    blobs.append(loaded[ref])
                    emitted.add(ref)
            out.append(blobs)
        return out


def _load_distinct(refs: list[str], policy: image_source.ImageSourcePolicy, deadline_s: float,
                   end: float | None) -> dict[str, dict]:
    """ref -> blob, 16 loads at a time (so a row's URLs load in parallel), all before `end` (a monotonic
    time; None: no deadline): a fetch never runs past it, and a ref not loaded by then is a blob whose
    error names the setting (`deadline_s`)."""
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
