"""Image normalisation per pixel kind, each image made here: bit depths, orientation, transparency."""

import io

import numpy as np
import pytest
from PIL import Image

from pipelines.images import ImageRejected, normalise_image


def _encode(img: Image.Image, fmt: str = "PNG", **save) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **save)
    return out.getvalue()


def _normalised(data: bytes) -> Image.Image:
    result = normalise_image(data, max_pixels=10_000, max_side=64, quality=95)
    img = Image.open(io.BytesIO(result.jpeg))
    assert img.mode == "RGB" and (img.width, img.height) == (result.width, result.height)
    return img


def _grey(img: Image.Image) -> int:
    return img.getpixel((img.width // 2, img.height // 2))[0]


@pytest.mark.parametrize("mode,values,expected", [
    ("I;16", np.full((8, 8), 32768, dtype=np.uint16), 128),  # 16-bit PNG greyscale: plain convert() gives white
    ("I;16", np.full((8, 8), 65535, dtype=np.uint16), 255),
    ("I", np.full((8, 8), 16384, dtype=np.int32), 64),
    ("F", np.full((8, 8), 0.5, dtype=np.float32), 128),  # float in 0..1
    ("F", np.full((8, 8), 200.0, dtype=np.float32), 200),  # float already in 0..255
])
def test_high_bit_depth_is_scaled_not_clipped(mode, values, expected):
    img = Image.fromarray(values)
    assert img.mode == mode
    assert abs(_grey(_normalised(_encode(img, "TIFF" if mode == "F" else "PNG"))) - expected) <= 2


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways, display rotated 90 degrees
    img = Image.new("RGB", (40, 20), (0, 0, 0))
    img.paste((255, 255, 255), (0, 0, 20, 20))  # left half white
    out = _normalised(_encode(img, "JPEG", exif=exif))
    assert out.size == (20, 40)
    assert out.getpixel((10, 5))[0] > 200 and out.getpixel((10, 35))[0] < 50  # the white half is on top now


@pytest.mark.parametrize("make", [
    lambda: _encode(Image.new("RGBA", (8, 8), (0, 0, 0, 0))),
    lambda: _encode(Image.new("LA", (8, 8), (0, 0))),
    lambda: _encode(Image.new("P", (8, 8), 0), transparency=0),
    lambda: _encode(Image.new("L", (8, 8), 0), transparency=0),  # greyscale + tRNS: came out black
    lambda: _encode(Image.new("RGB", (8, 8), (0, 0, 0)), transparency=(0, 0, 0)),
    lambda: _encode(Image.fromarray(np.zeros((8, 8), dtype=np.uint16)), transparency=0),  # 16-bit + tRNS
], ids=["RGBA", "LA", "P+transparency", "L+tRNS", "RGB+tRNS", "I;16+tRNS"])
def test_transparent_pixels_are_flattened_on_white(make):
    assert min(_normalised(make()).getpixel((4, 4))) >= 250


def test_opaque_pixels_keep_their_colour():
    img = Image.new("RGBA", (8, 8), (200, 20, 20, 255))
    r, g, b = _normalised(_encode(img)).getpixel((4, 4))
    assert r > 180 and g < 50 and b < 50


def test_undecodable_bytes_have_a_stable_message():
    with pytest.raises(ImageRejected) as caught:
        normalise_image(b"not an image at all", max_pixels=10_000, max_side=64, quality=95)
    assert caught.value.reason == "image_unreadable" and " at 0x" not in caught.value.message
