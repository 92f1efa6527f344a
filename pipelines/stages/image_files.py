"""A batch of raw catalog rows' images, each distinct file decoded once (part of the ingest stage).

The catalog reader gives a file's bytes in its first blob only; a later blob of the same ref is
{ref, bytes: None, error: None} (`io/catalog_images.load_images`). Pure: bytes in, images out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Container

from pipelines.config import IngestConfig
from pipelines.images import ImageRejected, NormalisedImage, normalise_image

# Normalises a list of encoded images (each a NormalisedImage or the ImageRejected it raised, in order):
# how a runner spreads the decoding over processes. None: each image is decoded when first asked for.
NormaliseMany = Callable[[list[bytes]], list[NormalisedImage | ImageRejected]]


class ImageFiles:
    """The images of a batch of raw rows, each distinct file decoded once.

    The catalog reader gives a file's bytes in its first blob only; a later blob of the same ref
    is {ref, bytes: None, error: None} (io/catalog_images.load_images). Inline images ("inline:k"
    refs, numbered per row) are never shared."""

    def __init__(self, rows: list[dict], cfg: IngestConfig, normalise_many: NormaliseMany | None = None) -> None:
        self.cfg, self.normalise_many = cfg, normalise_many
        self.decoded: dict[str, object] = {}  # ref -> normalised image, or the ImageRejected it raised
        self.fresh: list[str] = []  # refs decoded in this batch, their JPEG bytes still held
        self.next_batch(rows)

    def next_batch(self, rows: list[dict], emitted: Container[str] = frozenset()) -> ImageFiles:
        """Serve the next batch of a catalog read in batches: a ref decoded in an earlier batch is not
        decoded again, and once its image is in `emitted` (the image ids earlier batches output; a file
        decoded well always is, as its row keeps it) it is kept as its image id alone."""
        held = []
        for ref in self.fresh:
            image = self.decoded[ref]
            if isinstance(image, NormalisedImage) and image.image_id in emitted:
                self.decoded[ref] = dataclasses.replace(image, jpeg=b"")
            elif isinstance(image, NormalisedImage):
                held.append(ref)  # never output: its bytes stay, should a later row use it
        self.fresh = held
        self.bytes = {b["ref"]: b["bytes"] for r in rows for b in (r["image_blobs"] or [])
                      if b["bytes"] is not None and not b["ref"].startswith("inline:")}
        self.ready: dict[bytes, object] = {}  # encoded bytes -> the same, decoded ahead by `normalise_many`
        if self.normalise_many is not None:
            datas = list(dict.fromkeys(b["bytes"] for r in rows for b in (r["image_blobs"] or [])
                                       if b["bytes"] is not None and not b["error"] and b["ref"] not in self.decoded))
            self.ready = dict(zip(datas, self.normalise_many(datas), strict=True))
        return self

    def image(self, blob: dict):
        if blob["error"]:
            raise ImageRejected("image_unavailable", blob["error"])
        shared = not blob["ref"].startswith("inline:")
        if not shared:
            return _raised(self._normalised(blob["bytes"]))
        if blob["ref"] not in self.decoded:
            self._decode(blob["ref"], blob["bytes"])
        return _raised(self.decoded[blob["ref"]])

    def _decode(self, ref: str, data: bytes | None = None) -> None:
        self.decoded[ref] = self._normalised(data if data is not None else self.bytes.get(ref))
        self.fresh.append(ref)

    def _normalised(self, data: bytes | None) -> NormalisedImage | ImageRejected:
        if data is None:
            return ImageRejected("image_unavailable", "image bytes missing")
        return self.ready[data] if data in self.ready else normalise_or_rejected(data, self.cfg)


def normalise(data: bytes, cfg: IngestConfig) -> NormalisedImage:
    return normalise_image(data, max_pixels=cfg.max_pixels, max_side=cfg.max_side, quality=cfg.jpeg_quality)


def normalise_or_rejected(data: bytes, cfg: IngestConfig) -> NormalisedImage | ImageRejected:
    try:
        return normalise(data, cfg)
    except ImageRejected as exc:
        return exc


def _raised(result):
    if isinstance(result, ImageRejected):
        raise result
    return result
