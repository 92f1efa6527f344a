"""Synthetic products of the v2 domains beyond fashion (electronics, food, furniture, jewellery), for
benchmarks/make_catalog.py --domains.

Each product is drawn from its category in prompts/vocabulary/v2.json: a type, a brand from the
category's `brands` (else a synthetic one), a value for most attributes (category-scoped values;
quantities from the sizes shops sell), a title written the way shops write it, with units spelled in
the several ways shops spell them ("16GB", "16 GB", "15.6\"", "5,000mAh") so mining normalises them,
and a small generated image showing the colour. Variants of a family differ in colour, as SKUs of one SPU do.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = ("fashion", "electronics", "food", "furniture", "jewellery")

# Sizes shops sell, per quantity attribute and category (written with varied spellings in titles).
QUANTITIES = {
    ("phone", "ram"): ["4GB", "6 GB", "8GB", "12GB"], ("phone", "storage"): ["64GB", "128GB", "256 GB", "512GB", "1TB"],
    ("phone", "screen_size"): ['6.1"', "6.5 inch", "6.67-inch", '6.8"'], ("phone", "battery"): ["4500mAh", "5000 mAh", "5,000mAh", "6000mAh"],
    ("laptop", "ram"): ["8GB RAM", "16GB RAM", "16 GB RAM", "32GB RAM"], ("laptop", "storage"): ["256GB SSD", "512GB SSD", "512 GB SSD", "1TB SSD"],
    ("laptop", "screen_size"): ['13.3"', "14 inch", '15.6"', "15.6-inch", "16 inch"],
    ("drink", "volume"): ["180ml", "240 ml", "250ml", "320ml", "330ml", "330 ml", "500ml", "600ml", "1L", "1.25L", "1.5L", "1.5 L", "2L"],
    ("snack", "weight"): ["32g", "45g", "60g", "100 g", "107g", "150g", "150 g", "160g", "200g", "300g", "500g", "1kg"],
    ("fruit", "weight"): ["250g", "500g", "750g", "1kg", "1 kg", "1.5kg", "2kg", "3kg"],
}
COLOURS = ["black", "white", "grey", "blue", "red", "green", "pink", "purple", "yellow", "orange", "brown", "beige", "gold"]


def _vocabulary() -> dict:
    return json.loads((ROOT / "prompts" / "vocabulary" / "v2.json").read_text(encoding="utf-8"))


def categories_of(domains: tuple[str, ...]) -> list[str]:
    cats = _vocabulary()["categories"]
    return sorted(c for c, spec in cats.items() if spec.get("domain", "fashion") in domains)


def make_domain_products(n: int, seed: int, domains: tuple[str, ...], zipf_choice, start: int = 0) -> list[dict]:
    """n products of the non-fashion `domains`, ids S<start + k>; `zipf_choice` is make_catalog's skewed draw."""
    vocab = _vocabulary()
    attrs, cats = vocab["attributes"], vocab["categories"]
    names = [c for c in categories_of(domains) if cats[c].get("domain") != "fashion"]
    rng = random.Random(seed)
    products, family = [], 0
    while len(products) < n:
        cat = rng.choice(names)
        spec = cats[cat]
        # The well-known makers first, then a long tail of shop brands: as many brands as the fashion draw,
        # so positive sets stay as narrow as in a real catalog.
        makers = [*spec.get("brands", []), *(f"{cat.title()}Co{i:03d}" for i in range(300))]
        values = {"type": zipf_choice(rng, sorted(spec["types"]), 0.5), "brand": zipf_choice(rng, makers, 0.9)}
        for a in spec["attributes"]:
            if a in ("type", "brand", "color") or rng.random() > 0.8:
                continue
            if (cat, a) in QUANTITIES:
                values[a] = rng.choice(QUANTITIES[(cat, a)])
            elif "quantity" not in attrs[a]:
                allowed = spec.get("values", {}).get(a) or list(attrs[a]["values"])
                value = zipf_choice(rng, list(allowed), 0.8)
                values[a] = rng.choice([value, *attrs[a]["values"][value]])  # as a title spells it: "6-seater"
        colours = spec.get("values", {}).get("color") or COLOURS
        has_colour = "color" in spec["attributes"]
        for colour in rng.sample(colours, rng.choice([1, 1, 2, 3])) if has_colour else [rng.choice(COLOURS)]:
            products.append(_product(start + len(products), cat, values, colour if has_colour else None, colour,
                                     f"D{family:07d}"))
            if len(products) >= n:
                break
        family += 1
    return products


def _product(k: int, cat: str, values: dict, colour: str | None, image_colour: str, family: str) -> dict:
    words = [values["brand"]]
    words += [values[a].title() if not any(ch.isdigit() for ch in values[a]) else values[a]
              for a in sorted(values) if a not in ("brand", "type")]
    words += [values["type"].title()] + ([colour.title()] if colour else [])
    # Shops outside fashion carry a brand column (no "<Brand> <Gender>" title to mine it from).
    fields = {"type": values["type"], "brand": values["brand"], **({"color": colour} if colour else {})}
    return {"product_id": f"S{k:07d}", "category": cat, "title": " ".join(words), "language": "en",
            "family_id": family, "attributes": fields, "_pattern": "solid", "_colour": image_colour}
