"""Generate a synthetic product catalog at MERIT scale (10K / 50K / 135K products).

Products get a category, attributes drawn from skewed distributions over the v1 vocabulary,
a title written from them ("<Brand> Men Striped Navy Shirt") and a small generated image that
shows the colour and the pattern, so every stage has realistic material. Families of 2-4
colour variants share a family_id, as SKUs of one SPU do.

    python benchmarks/make_catalog.py --products 10000 --out /tmp/cat10k.parquet
    python benchmarks/make_catalog.py --products 1000 --out /tmp/cat1k.jsonl   # + images/ folder
    python benchmarks/make_catalog.py --products 135000 --domains all --out /tmp/all135k.parquet

`--domains` (default `fashion`: the v1 fashion draw, byte-identical to earlier benchmarks) takes a
comma-separated list of fashion, electronics, food, furniture, jewellery, or `all`; products are split
evenly over the domains asked for, the non-fashion ones drawn from prompts/vocabulary/v2.json
(benchmarks/catalog_domains.py).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
if __package__ in (None, ""):  # run as `python benchmarks/make_catalog.py`: the repo root makes `benchmarks` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.catalog_domains import DOMAINS, make_domain_products  # noqa: E402

RGB = {"black": (20, 20, 20), "white": (240, 240, 240), "grey": (128, 128, 128), "blue": (40, 80, 200),
       "navy": (20, 30, 90), "red": (200, 30, 30), "green": (40, 150, 60), "olive": (110, 120, 40),
       "brown": (120, 70, 30), "beige": (220, 200, 160), "khaki": (180, 170, 110), "pink": (240, 150, 180),
       "purple": (120, 50, 150), "maroon": (110, 20, 40), "yellow": (240, 210, 40), "orange": (240, 130, 30),
       "gold": (210, 170, 50), "multicolour": (150, 100, 200), "teal": (30, 130, 130)}
BRANDS = [f"Brand{i:03d}" for i in range(300)]


def zipf_choice(rng: random.Random, values: list[str], s: float = 1.1) -> str:
    weights = [1 / (i + 1) ** s for i in range(len(values))]
    return rng.choices(values, weights=weights)[0]


def draw_image(colour: str, pattern: str, k: int = 0, size: int = 48) -> bytes:
    img = Image.new("RGB", (size, size), RGB.get(colour, (100, 100, 100)))
    draw = ImageDraw.Draw(img)
    # A product-specific mark: real product photos are never byte-identical across products.
    draw.point([(k % size, (k // size) % size), ((k * 7) % size, (k * 13) % size)], fill=(k % 255, 0, 0))
    if pattern == "striped":
        for x in range(0, size, 8):
            draw.rectangle([x, 0, x + 3, size], fill=(255, 255, 255))
    elif pattern == "checked":
        for x in range(0, size, 12):
            for y in range(0, size, 12):
                if (x + y) // 12 % 2:
                    draw.rectangle([x, y, x + 11, y + 11], fill=(0, 0, 0))
    elif pattern not in ("solid", None):
        draw.ellipse([size // 4, size // 4, 3 * size // 4, 3 * size // 4], fill=(255, 255, 0))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    return out.getvalue()


def make_products(n: int, seed: int) -> list[dict]:
    vocab = json.loads((ROOT / "prompts" / "vocabulary" / "v1.json").read_text())
    attrs, cats = vocab["attributes"], vocab["categories"]
    rng = random.Random(seed)
    products, i = [], 0
    while len(products) < n:
        cat = zipf_choice(rng, sorted(cats), 0.6)
        spec = cats[cat]
        base = {"type": zipf_choice(rng, sorted(spec["types"]), 0.5), "brand": zipf_choice(rng, BRANDS, 0.9),
                "gender": rng.choice(["men", "women", "unisex"]), "season": rng.choice(list(attrs["season"]["values"])),
                "occasion": zipf_choice(rng, list(attrs["occasion"]["values"]))}
        for a in spec["attributes"]:
            if rng.random() < 0.8:
                base[a] = zipf_choice(rng, list(attrs[a]["values"]), 0.8)
        family = f"F{i:07d}"
        for colour in rng.sample(list(RGB), rng.choice([1, 1, 2, 3, 4])):
            products.append(_product(len(products), cat, {**base, "color": colour}, family))
            if len(products) >= n:
                break
        i += 1
    return products


def _product(k: int, cat: str, values: dict, family: str) -> dict:
    words = [values["brand"], {"men": "Men", "women": "Women", "unisex": "Unisex"}[values["gender"]]]
    words += [values[a].title() for a in ("pattern", "neckline", "sleeve", "material") if a in values]
    words += [values["color"].title(), values["type"].title()]
    fields = {"color": values["color"], "type": values["type"], "season": values["season"], "occasion": values["occasion"]}
    return {"product_id": f"S{k:07d}", "category": cat, "title": " ".join(words), "language": "en",
            "family_id": family, "attributes": fields, "_pattern": values.get("pattern", "solid")}


def make_catalog_products(n: int, seed: int, domains: tuple[str, ...] = ("fashion",)) -> list[dict]:
    """n products split evenly over `domains`; fashion alone is exactly `make_products`."""
    unknown = set(domains) - set(DOMAINS)
    if unknown or not domains:
        raise SystemExit(f"unknown domain(s) {sorted(unknown)}; choose from {', '.join(DOMAINS)} or all")
    if domains == ("fashion",):
        return make_products(n, seed)
    share = -(-n // len(domains))
    products = make_products(min(share, n), seed) if "fashion" in domains else []
    others = tuple(d for d in domains if d != "fashion")
    products += make_domain_products(n - len(products), seed + 1, others, zipf_choice, start=len(products))
    return products


def parse_domains(text: str) -> tuple[str, ...]:
    return DOMAINS if text.strip() == "all" else tuple(d.strip() for d in text.split(",") if d.strip())


def write_catalog(products: list[dict], out: Path, show: bool = False) -> None:
    """Write `products` (images drawn one by one, the slow part: `show` draws a bar on stderr)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    products_bar = tqdm(products, desc=f"writing {out.name}", unit="product", disable=not show)
    if out.suffix == ".parquet":
        rows = [{**{k: v for k, v in p.items() if not k.startswith("_")},
                 "attributes": [{"name": a, "value": v} for a, v in p["attributes"].items()],
                 "image_bytes": [draw_image(_colour(p), p["_pattern"], i)]} for i, p in enumerate(products_bar)]
        table = pa.Table.from_pylist(rows)
        pq.write_table(table, out, row_group_size=5000)
        return
    (out.parent / "images").mkdir(exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for i, p in enumerate(products_bar):
            name = f"images/{p['product_id']}.jpg"
            (out.parent / name).write_bytes(draw_image(_colour(p), p["_pattern"], i))
            record = {k: v for k, v in p.items() if not k.startswith("_")}
            fh.write(json.dumps({**record, "images": [name]}) + "\n")


def _colour(product: dict) -> str:
    return product.get("_colour") or product["attributes"]["color"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True, help=".parquet (image bytes inline) or .jsonl (+ images/)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--domains", default="fashion", help="comma-separated: fashion, electronics, food, furniture, "
                        "jewellery; or all (default: fashion, as earlier benchmarks)")
    args = parser.parse_args()
    products = make_catalog_products(args.products, args.seed, parse_domains(args.domains))
    write_catalog(products, args.out, show=True)
    print(f"wrote {len(products)} products to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
