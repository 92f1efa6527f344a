"""Round-scoped image pack: the images a round shows, copied once into one flat file.

`ingest/images.parquet` keeps up to 10k images per row group, so reading one image from it
means decoding a whole column chunk (hundreds of MB for a large catalog). At `qa sample` time
we stream that file once (bounded memory) and copy only the images the round can show into
`images.bin`; the server loads the small id -> (offset, length) map once and serves each image
with one `os.pread`. Ids are validated as hex and looked up in the map, so no request can name a
path, and an image outside the round's store is simply not found.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from annotation_ui.errors import QAError

IMAGE_ID = re.compile(r"[0-9a-f]{8,64}")
PACK, INDEX = "images.bin", "images_index.parquet"
READ_BUFFER = 1 << 20  # stream the source Parquet in 1 MiB reads instead of whole column chunks


def build_pack(images_parquet: Path, wanted: set[str], folder: Path) -> int:
    """Copy the bytes of `wanted` image ids into folder/images.bin + index; returns the count."""
    ids, offsets, lengths, offset = [], [], [], 0
    source = pq.ParquetFile(images_parquet, buffer_size=READ_BUFFER)
    wanted_arr = pa.array(sorted(wanted), pa.string())
    with open(folder / PACK, "wb") as fh:
        for batch in source.iter_batches(batch_size=256, columns=["image_id", "bytes"]):
            hits = batch.filter(pc.is_in(batch.column("image_id"), wanted_arr))
            for image_id, data in zip(hits.column("image_id").to_pylist(), hits.column("bytes").to_pylist()):
                fh.write(data)
                ids.append(image_id)
                offsets.append(offset)
                lengths.append(len(data))
                offset += len(data)
    missing = wanted - set(ids)
    if missing:
        raise QAError(f"{len(missing)} images the round needs are not in {images_parquet}, e.g. {sorted(missing)[0]}; "
                      "rebuild the run")
    pq.write_table(pa.table({"image_id": ids, "offset": pa.array(offsets, pa.int64()),
                             "length": pa.array(lengths, pa.int64())}), folder / INDEX)
    return len(ids)


class ImagePack:
    """Reads single images out of a pack by id; safe to share between threads (pread has no cursor)."""

    def __init__(self, folder: Path) -> None:
        index = pq.read_table(folder / INDEX)
        self._where = dict(zip(index["image_id"].to_pylist(),
                               zip(index["offset"].to_pylist(), index["length"].to_pylist())))
        self._fd = os.open(folder / PACK, os.O_RDONLY)

    def __contains__(self, image_id: str) -> bool:
        return image_id in self._where

    def get(self, image_id: str) -> bytes | None:
        """The image's bytes, or None for an id that is malformed or not in this pack."""
        if not IMAGE_ID.fullmatch(image_id):
            return None
        where = self._where.get(image_id)
        if where is None:
            return None
        offset, length = where
        return os.pread(self._fd, length, offset)

    def close(self) -> None:
        os.close(self._fd)


def media_type(data: bytes) -> str:
    """The image MIME type from magic bytes (ingest normalises to JPEG; PNG/WebP tolerated)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"
