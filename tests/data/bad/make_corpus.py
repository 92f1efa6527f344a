"""Regenerate the bad-input corpus (run by hand; the files are committed).

Each catalog holds two good rows (g1, g2) and bad rows of one kind, so a test can check that
the bad row is reported by file, row and field while every good row is still exported.
"""

import io
import json
import struct
import zlib
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
GOOD = [{"product_id": "g1", "category": "Tshirts", "title": "Nike Men Red Striped Tshirt", "images": ["images/good1.jpg"]},
        {"product_id": "g2", "category": "Casual Shoes", "title": "Puma Men Black Sneakers", "images": ["images/good2.jpg"]}]


def jpeg(color) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(out, format="JPEG")
    return out.getvalue()


def png_bomb(width=100_000, height=100_000) -> bytes:
    """A 100k x 100k PNG header with a tiny body: 10 gigapixels if anyone decoded it."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def jsonl(name, rows):
    (HERE / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def bad_row(pid, **fields):
    return {"product_id": pid, "category": "Tshirts", "title": f"Brand Men Blue Tshirt {pid}",
            "images": ["images/good1.jpg"], **fields}


def main():
    good1 = jpeg((200, 20, 20))
    (HERE / "images" / "good1.jpg").write_bytes(good1)
    (HERE / "images" / "good2.jpg").write_bytes(jpeg((10, 10, 10)))
    (HERE / "images" / "truncated.jpg").write_bytes(good1[: len(good1) // 2])
    (HERE / "images" / "empty.jpg").write_bytes(b"")
    (HERE / "images" / "bomb.png").write_bytes(png_bomb())
    jsonl("truncated_jpeg.jsonl", GOOD + [bad_row("b1", images=["images/truncated.jpg"])])
    jsonl("zero_byte_image.jsonl", GOOD + [bad_row("b1", images=["images/empty.jpg"])])
    jsonl("decompression_bomb.jsonl", GOOD + [bad_row("b1", images=["images/bomb.png"])])
    jsonl("duplicate_ids.jsonl", GOOD + [bad_row("g1")])
    jsonl("long_title.jsonl", GOOD + [bad_row("b1", title="Nike " + "x" * 1_000_000)])
    jsonl("wrong_types.jsonl", GOOD + [bad_row("b1", title=42), bad_row("b2", attributes="red"),
                                       bad_row("b3", images=None, category=["Tshirts"])])
    jsonl("unknown_category.jsonl", GOOD + [bad_row("b1", category="Spaceships")])
    jsonl("url_404.jsonl.tmpl", GOOD + [bad_row("b1", images=["{BASE}/missing.jpg"])])
    header = "product_id,category,title,images\n"
    good_csv = "g1,Tshirts,Nike Men Red Striped Tshirt,images/good1.jpg\ng2,Casual Shoes,Puma Men Black Sneakers,images/good2.jpg\n"
    (HERE / "non_utf8.csv").write_bytes((header + good_csv).encode() + "b1,Tshirts,Caf\xe9 Men Tshirt,images/good1.jpg\n".encode("latin-1"))
    (HERE / "bom.csv").write_bytes(b"\xef\xbb\xbf" + (header + good_csv).encode())
    (HERE / "missing_columns.csv").write_text("product_id,category,images\ng1,Tshirts,images/good1.jpg\n")


if __name__ == "__main__":
    main()
