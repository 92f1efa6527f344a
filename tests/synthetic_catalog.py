"""Small synthetic catalogs of domains no shipped vocabulary knows, with generated images.

`write_catalog(folder, domain, n, seed)` writes `catalog.jsonl` and `images/` (one distinct JPEG per
product, its fill the product's colour) and returns the catalog path. Used by the tests of your own
vocabulary and of `meritgen vocab induce`; `examples/garden-tools/` was written by it
(`python -m tests.synthetic_catalog examples/garden-tools garden`).
"""

from __future__ import annotations

import csv
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

COLOURS = {"Black": (20, 20, 20), "Green": (40, 140, 60), "Red": (200, 30, 40), "Orange": (240, 130, 20),
           "Blue": (30, 70, 200), "Yellow": (235, 210, 40), "Grey": (128, 128, 128), "Pink": (240, 150, 190)}


@dataclass(frozen=True)
class Domain:
    categories: dict[str, tuple[str, ...]]  # canonical noun -> the spellings the shop uses for it
    attributes: dict[str, tuple[str, ...]]  # attribute -> raw values (the catalog's own spellings)
    scoped: dict[str, tuple[str, ...]]  # canonical noun -> attributes it has (besides colour and brand)
    brands: tuple[str, ...]
    unmapped: dict[str, tuple[str, ...]]  # attributes no vocabulary maps (counted, never silent)


DOMAINS = {
    "garden": Domain(
        categories={"shovel": ("Shovels", "Spades", "spade"), "pruner": ("Secateurs", "Pruning Shears", "Pruners"),
                    "watering can": ("Watering Cans", "watering can")},
        attributes={"material": ("Stainless Steel", "Carbon Steel", "Plastic", "Ash Wood", "Wooden", "Aluminum"),
                    "handle": ("Long Shaft", "Short-Handled", "D-Grip", "Long-Handled"),
                    "capacity": ("5 L", "10 litre", "5l", "10L")},
        scoped={"shovel": ("material", "handle"), "pruner": ("material", "handle"), "watering can": ("material", "capacity")},
        brands=("Verdant", "Fiskars", "Spear & Jackson", "Gardena", "Bosch"),
        unmapped={"price": ("9.99", "14.50", "22.00"), "weight": ("1.2 kg", "800 g")}),
    "pets": Domain(
        categories={"dog bed": ("Dog Beds", "dog bed", "Dog-Beds"), "cat toy": ("Cat Toys", "cat toys"),
                    "leash": ("Leashes", "Dog Leashes", "leashes"), "bowl": ("Food Bowls", "Pet Bowls")},
        attributes={"material": ("Nylon", "nylon", "Plush", "Stainless Steel", "Ceramic", "Rubber"),
                    "size": ("Small", "Medium", "Large", "small", "XL"),
                    "pattern": ("Solid", "Striped", "Paw Print", "Stripes"),
                    "capacity": ("500 ml", "1 L", "500ml", "1.5 L")},
        scoped={"dog bed": ("material", "size", "pattern"), "cat toy": ("material", "pattern"),
                "leash": ("material", "size", "pattern"), "bowl": ("material", "capacity")},
        brands=("Pawsome", "Kong", "Petlife", "Trixie", "Furbo"),
        unmapped={"price": ("4.99", "12.00", "29.90"), "room": ("Living Room", "Bedroom")}),
}


def write_catalog(folder: Path, domain: str, n: int = 120, seed: int = 7, flat: bool = False) -> Path:
    """`flat`: a CSV whose attributes are columns of their own ("Color", "Size", ...), not a JSON field."""
    spec, rng = DOMAINS[domain], random.Random(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    nouns = sorted(spec.categories)
    for i in range(n):
        noun = nouns[i % len(nouns)]
        colour, brand = rng.choice(sorted(COLOURS)), rng.choice(spec.brands)
        attrs = {"color": colour, "brand": brand}
        for name in spec.scoped[noun]:
            if rng.random() < 0.9:
                attrs[name] = rng.choice(spec.attributes[name])
        for name, values in spec.unmapped.items():
            attrs[name] = rng.choice(values)
        words = [attrs[a] for a in spec.scoped[noun] if a in attrs and a != "capacity"]
        title = " ".join([brand, *words, colour, noun.title()])
        image = f"images/{domain}-{i:04d}.jpg"
        _image(folder / image, COLOURS[colour], rng)
        rows.append({"product_id": f"{domain}-{i:04d}", "category": rng.choice(spec.categories[noun]), "title": title,
                     "attributes": attrs, "images": [image]})
    if flat:
        return _write_csv(folder / "catalog.csv", rows)
    path = folder / "catalog.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _write_csv(path: Path, rows: list[dict]) -> Path:
    columns = sorted({name.title() for r in rows for name in r["attributes"]})
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["product_id", "category", "title", "images", *columns])
        writer.writeheader()
        for r in rows:
            writer.writerow({"product_id": r["product_id"], "category": r["category"], "title": r["title"],
                             "images": ";".join(r["images"]), **{k.title(): v for k, v in r["attributes"].items()}})
    return path


def _image(path: Path, fill: tuple[int, int, int], rng: random.Random) -> None:
    """A distinct photo per product (listings sharing a photo would be twins): its colour plus a random mark."""
    img = Image.new("RGB", (48, 48), fill)
    draw = ImageDraw.Draw(img)
    x, y = rng.randrange(4, 36), rng.randrange(4, 36)
    draw.rectangle([x, y, x + rng.randrange(4, 10), y + rng.randrange(4, 10)], fill=(255 - fill[0], 255 - fill[1], 255))
    img.save(path, quality=70)


if __name__ == "__main__":
    write_catalog(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 60)
