"""A batch of raw catalog rows' images, each distinct file decoded once (part of the ingest stage).

The catalog reader gives a file's bytes in its first blob only; a later blob of the same ref is
{ref, bytes: None, error: None} (`io/catalog_images.load_images`). Pure: bytes in, images out.
"""

from __future__ import annotations

from collections.abc import Callable

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
        self.cfg = cfg
        self.bytes = {b["ref"]: b["bytes"] for r in rows for b in (r["image_blobs"] or [])
                      if b["bytes"] is not None and not b["ref"].startswith("inline:")}
        self.decoded: dict[str, object] = {}  # ref -> normalised image, or the ImageRejected it raised
        self.ready: dict[bytes, object] = {}  # encoded bytes -> the same, decoded ahead by `normalise_many`
        if normalise_many is not None:
            datas = list(dict.fromkeys(b["bytes"] for r in rows for b in (r["image_blobs"] or [])
                                       if b["bytes"] is not None and not b["error"]))
            self.ready = dict(zip(datas, normalise_many(datas), strict=True))

    def image(self, blob: dict):
        if blob["error"]:
            raise ImageRejected("image_unavailable", blob["error"])
        shared = not blob["ref"].startswith("inline:")
        if not shared or blob["ref"] not in self.decoded:
            data = blob["bytes"] if blob["bytes"] is not None else self.bytes.get(blob["ref"])
            try:
                if data is None:
                    raise ImageRejected("image_unavailable", "image bytes missing")
                result = self.ready[data] if data in self.ready else normalise(data, self.cfg)
            except ImageRejected as exc:
                result = exc
            if not shared:
                return _raised(result)
            self.decoded[blob["ref"]] = result
        return _raised(self.decoded[blob["ref"]])


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
