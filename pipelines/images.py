"""Image decoding and normalisation (pure: bytes in, bytes out).

The pixel limit is checked on the header before any pixel is decoded, so a decompression
bomb costs a few bytes of parsing, never gigabytes of memory.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile

# Pillow's own bomb guard raises only far above our limit; our explicit header check below
# applies the configured limit, so Pillow's warning is noise here.
Image.MAX_IMAGE_PIXELS = None
ImageFile.LOAD_TRUNCATED_IMAGES = False


@dataclass(frozen=True)
class NormalisedImage:
    image_id: str
    jpeg: bytes
    width: int
    height: int


class ImageRejected(Exception):
    """An image that cannot be used; `reason` is a reject reason code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def content_id(data: bytes) -> str:
    """Stable id of an image: hash of its original encoded bytes."""
    return hashlib.sha256(data).hexdigest()[:32]


def normalise_image(data: bytes, *, max_pixels: int, max_side: int, quality: int) -> NormalisedImage:
    """Decode, convert to RGB, bound the longest side and re-encode as JPEG."""
    if not data:
        raise ImageRejected("image_empty", "image file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(data))
            width, height = img.size
            if width * height > max_pixels:
                raise ImageRejected(
                    "image_too_large", f"image is {width}x{height} = {width * height} pixels, over the limit {max_pixels}"
                )
            img.load()
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejected("image_too_large", f"decompression bomb: {exc}") from exc
    except OSError as exc:
        reason = "image_truncated" if "truncated" in str(exc).lower() else "image_unreadable"
        raise ImageRejected(reason, f"cannot decode image: {exc}") from exc
    except (ValueError, SyntaxError) as exc:  # Pillow raises these for some corrupt headers
        raise ImageRejected("image_unreadable", f"cannot decode image: {exc}") from exc
    return NormalisedImage(content_id(data), *_encode(img, max_side, quality))


def _encode(img: Image.Image, max_side: int, quality: int) -> tuple[bytes, int, int]:
    if img.mode in ("RGBA", "LA", "P"):
        # Flatten transparency onto white: product shots are shown on white backgrounds.
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.split()[-1])
        img = background
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality, optimize=False)
    return out.getvalue(), img.width, img.height
