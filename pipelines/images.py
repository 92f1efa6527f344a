"""Image decoding and normalisation (pure: bytes in, bytes out).

The pixel limit is checked on the header before any pixel is decoded, so a decompression
bomb costs a few bytes of parsing, never gigabytes of memory.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

# Pillow's own bomb guard raises only far above our limit; our explicit header check below
# applies the configured limit, so Pillow's warning is noise here.
Image.MAX_IMAGE_PIXELS = None
ImageFile.LOAD_TRUNCATED_IMAGES = False
# The only decoders catalog bytes may reach: photo formats. Pillow would otherwise try every plugin it
# has, including EPS (which runs Ghostscript on the file's PostScript), ICO/ICNS (whose size changes on
# load, past the header check), PSD, FITS and other rarely exercised parsers. MPO: camera JPEGs.
# Filtered to the plugins this Pillow has: Image.open raises KeyError for a listed format it lacks.
Image.init()
PHOTO_FORMATS = tuple(f for f in ("JPEG", "MPO", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF") if f in Image.OPEN)


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
    """Decode, apply EXIF orientation, convert to 8-bit RGB on white, bound the longest side, re-encode as JPEG."""
    if not data:
        raise ImageRejected("image_empty", "image file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            img = Image.open(io.BytesIO(data), formats=PHOTO_FORMATS)
            width, height = img.size
            if width * height > max_pixels:
                raise ImageRejected(
                    "image_too_large", f"image is {width}x{height} = {width * height} pixels, over the limit {max_pixels}"
                )
            img.load()
            return NormalisedImage(content_id(data), *_encode(_oriented(img), max_side, quality))
    except ImageRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageRejected("image_too_large", f"decompression bomb: {_stable(exc)}") from exc
    except UnidentifiedImageError as exc:  # its message holds the BytesIO's address: say it without
        raise ImageRejected("image_unreadable", "cannot decode image: unknown or unsupported image format") from exc
    except OSError as exc:
        reason = "image_truncated" if "truncated" in str(exc).lower() else "image_unreadable"
        raise ImageRejected(reason, f"cannot decode image: {_stable(exc)}") from exc
    except Exception as exc:  # Pillow raises ValueError, SyntaxError, struct.error... on corrupt files
        raise ImageRejected("image_unreadable", f"cannot decode image: {type(exc).__name__}") from exc


def _stable(exc: Exception) -> str:
    """An exception's message without object reprs, so two runs write the same reject rows."""
    return _OBJECT_REPR.sub("<object>", str(exc))


_OBJECT_REPR = re.compile(r"<[^<>]* at 0x[0-9a-fA-F]+>")


def _oriented(img: Image.Image) -> Image.Image:
    """The image as it is meant to be seen: phones store portrait shots sideways plus an EXIF tag."""
    try:
        return ImageOps.exif_transpose(img)
    except Exception:  # a corrupt EXIF block costs the orientation, not the image
        return img


def _encode(img: Image.Image, max_side: int, quality: int) -> tuple[bytes, int, int]:
    img = _on_white(_eight_bit(img))
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # comment=b"": Pillow would copy a source comment (a GIF/JPEG COM block, any bytes the catalog chose)
    # into the output; the normalised image carries pixels only.
    img.save(out, format="JPEG", quality=quality, optimize=False, comment=b"")
    return out.getvalue(), img.width, img.height


def _eight_bit(img: Image.Image) -> Image.Image:
    """High-bit-depth greyscale as 8-bit L (LA when a tRNS value marks transparent pixels).

    Pillow's own conversion clips I/I;16 values above 255 (a 16-bit photo turns white) instead
    of scaling. I;16* and I hold 16-bit samples (0..65535); F holds floats, 0..1 when its
    maximum is at most 1, else already 0..255.
    """
    if img.mode not in ("I", "F") and not img.mode.startswith("I;16"):
        return img
    values = np.asarray(img.convert("F") if img.mode.startswith("I;16") else img, dtype=np.float32)
    if img.mode == "F":
        scale = 255.0 if values.size and np.nanmax(values) <= 1.0 else 1.0
    else:
        scale = 255.0 / 65535.0
    grey = Image.fromarray(np.clip(np.nan_to_num(values * scale), 0, 255).round().astype(np.uint8), "L")
    transparent = img.info.get("transparency")
    if isinstance(transparent, int) and img.mode != "F":
        alpha = Image.fromarray(np.where(values == transparent, 0, 255).astype(np.uint8), "L")
        grey = Image.merge("LA", (grey, alpha))
    return grey


def _on_white(img: Image.Image) -> Image.Image:
    """RGB, with any transparency (alpha band, premultiplied alpha, palette or tRNS) flattened on white."""
    has_alpha = "A" in img.getbands() or "a" in img.mode or "transparency" in img.info
    if not has_alpha:
        return img if img.mode == "RGB" else img.convert("RGB")
    rgba = img.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background
