"""Cut the bundled demo catalog from ../shared/data/fashion-products (run by hand, once).

Picks a few hundred products across categories, preferring small title families (SKUs of
one product in several colours) so every composition strategy has material, and writes
them in meritgen's own catalog format (JSONL + images/) to pipelines/demo_data/.
"""

from __future__ import annotations

import csv
import json
import random
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "fashion-products"
TARGET = Path(__file__).resolve().parents[1] / "pipelines" / "demo_data"
PER_TYPE = {"Tshirts": 45, "Shirts": 40, "Tops": 15, "Kurtas": 15, "Sweatshirts": 10, "Jackets": 10, "Jeans": 15,
            "Trousers": 15, "Shorts": 10, "Casual Shoes": 25, "Sports Shoes": 20, "Formal Shoes": 10, "Heels": 10,
            "Sandals": 10, "Flip Flops": 10, "Handbags": 15, "Backpacks": 10, "Wallets": 10, "Watches": 15,
            "Sunglasses": 10, "Belts": 10, "Caps": 5}
COLOURS = re.compile(r"\b(black|white|blue|navy|grey|red|green|brown|pink|purple|yellow|beige|maroon|olive|orange|cream)\b", re.I)


def family_key(row: dict) -> str:
    return COLOURS.sub("", row["productDisplayName"].lower()).strip()


def main(seed: int = 7) -> None:
    rows = list(csv.DictReader(open(SOURCE / "catalog.csv", encoding="utf-8")))
    rng = random.Random(seed)
    by_type = defaultdict(list)
    for row in rows:
        by_type[row["articleType"]].append(row)
    picked = []
    for article, n in PER_TYPE.items():
        pool = by_type[article]
        families = defaultdict(list)
        for row in pool:
            families[family_key(row)].append(row)
        multi = [r for fam in families.values() if len(fam) > 1 for r in fam]
        rng.shuffle(multi)
        rest = [r for r in pool if r not in multi]
        rng.shuffle(rest)
        picked += (multi[: n // 2] + rest)[:n]
    (TARGET / "images").mkdir(parents=True, exist_ok=True)
    with open(TARGET / "catalog.jsonl", "w", encoding="utf-8") as out:
        for row in sorted(picked, key=lambda r: int(r["id"])):
            attrs = {"color": row["baseColour"], "gender": row["gender"], "season": row["season"], "occasion": row["usage"]}
            record = {"product_id": row["id"], "category": row["articleType"], "title": row["productDisplayName"],
                      "language": "en", "attributes": {k: v for k, v in attrs.items() if v and v != "NA"},
                      "images": [f"images/{row['id']}.jpg"]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            shutil.copy(SOURCE / row["image"], TARGET / "images" / f"{row['id']}.jpg")
    print(f"wrote {len(picked)} products to {TARGET}", file=sys.stderr)


if __name__ == "__main__":
    main()
