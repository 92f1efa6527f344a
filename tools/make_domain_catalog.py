"""Write tests/data/domains/: a small catalog of MERIT's non-fashion product types, titled as shops title them.

Hand-written titles in the shapes real shops use (model, RAM+storage, screen, battery, colour names like
"Natural Titanium"; "Coca-Cola Zero Sugar 330ml x 24"; "IKEA INGATORP extendable table, black"), the
category names shops use, and a 24 px generated image per product showing its colour (and a round or
square silhouette). Deterministic: `python tools/make_domain_catalog.py` rewrites the same files.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "domains"
RGB = {"black": (20, 20, 20), "white": (240, 240, 240), "grey": (128, 128, 128), "blue": (40, 80, 200), "green": (40, 150, 60),
       "red": (200, 30, 30), "pink": (240, 150, 180), "purple": (120, 50, 150), "yellow": (240, 210, 40), "orange": (240, 130, 30),
       "brown": (120, 70, 30), "beige": (220, 200, 160), "gold": (210, 170, 50), "silver": (190, 190, 200), "navy": (20, 30, 90)}
rng = random.Random(21)
rows = []

def add(category, title, colour, attributes=None, description=None, shape="rect"):
    pid = f"D{len(rows) + 1:04d}"
    rows.append({"product_id": pid, "category": category, "title": title, "language": "en",
                 **({"description": description} if description else {}),
                 "attributes": attributes or {}, "images": [f"images/{pid}.jpg"], "_colour": colour, "_shape": shape})

# ---- phones (category column as shops name it)
for brand, model, storages, ram, colours, screen, batt in [
    ("Apple", "iPhone 15 Pro Max", ["256GB", "512GB"], None, ["Natural Titanium", "Black Titanium", "Blue Titanium"], None, None),
    ("Apple", "iPhone 15", ["128GB", "256GB"], None, ["Pink", "Black", "Green"], None, None),
    ("Samsung", "Galaxy S24 Ultra 5G", ["256GB", "512GB"], "12GB", ["Titanium Black", "Titanium Violet"], '6.8"', None),
    ("Samsung", "Galaxy A15 5G", ["128GB", "256GB"], "8GB", ["Blue Black", "Light Blue"], "6.5 inch", "5000mAh"),
    ("Xiaomi", "Redmi Note 13", ["256GB"], "8GB", ["Midnight Black", "Ocean Teal", "Ice Blue"], "6.67-inch", "5,000 mAh"),
    ("OPPO", "A79 5G", ["256GB"], "8GB", ["Glowing Green", "Mystery Black"], None, "5000 mAh"),
    ("vivo", "Y36", ["256GB"], "8GB", ["Meteor Black"], '6.64"', "5000mAh"),
    ("Nokia", "105 4G", [None], None, ["Charcoal", "Blue"], None, None),
]:
    for storage in storages:
        for colour_name in colours[:2]:
            colour = {"titanium": "grey", "violet": "purple", "teal": "blue", "charcoal": "grey", "ice": "blue", "green": "green",
                      "pink": "pink", "black": "black", "blue": "blue"}
            c = next((v for k, v in colour.items() if k in colour_name.lower()), "black")
            parts = [brand, model]
            if ram and storage:
                parts.append(rng.choice([f"{ram}+{storage}", f"{ram} RAM {storage} ROM", f"{ram}/{storage}"]))
            elif storage:
                parts.append(storage)
            parts += [p for p in (screen, batt, colour_name) if p]
            cat = rng.choice(["Mobile Phones", "Smartphones", "Mobiles"]) if "105" not in model else "Mobile Phones"
            title = " ".join(parts) if "105" not in model else f"Nokia 105 4G Keypad Phone Dual SIM {colour_name}"
            add(cat, title, c)

# ---- laptops
for brand, line, cpu, rams, ssd, screen, colour in [
    ("ASUS", "VivoBook 15 X1504", "Intel Core i5", ["8GB", "16GB"], "512GB SSD", '15.6" FHD', "grey"),
    ("ASUS", "ROG Strix G16 Gaming Laptop", "Intel Core i7", ["16GB"], "1TB SSD", "16-inch", "grey"),
    ("Lenovo", "IdeaPad Slim 3", "AMD Ryzen 5", ["8GB", "16GB"], "512GB SSD", "14 inch", "grey"),
    ("Lenovo", "LOQ 15 Gaming Laptop", "AMD Ryzen 7", ["16GB"], "512GB SSD", '15.6"', "grey"),
    ("HP", "Pavilion x360 2-in-1", "Intel Core i5", ["8GB"], "512GB SSD", "14\"", "silver"),
    ("Dell", "Inspiron 15 3520", "Intel Core i3", ["8GB"], "256GB SSD", "15.6-inch", "black"),
    ("Acer", "Aspire 5", "Intel Core i5", ["8GB", "16GB"], "512GB SSD", "15.6 in", "silver"),
    ("Apple", "MacBook Air 13-inch M2 chip", "", ["8GB", "16GB"], "256GB SSD", "", "silver"),
]:
    for ram in rams:
        colour_word = {"grey": rng.choice(["Grey", "Gray", "Space Grey"]), "silver": "Silver", "black": "Black"}[colour]
        title = " ".join(p for p in [brand, line, cpu, f"{ram} RAM" if rng.random() < .7 else ram, ssd, screen, colour_word] if p)
        add(rng.choice(["Laptops", "Notebooks", "Laptops & Notebooks"]), title, {"silver": "grey"}.get(colour, colour))

# ---- headphones
for title, colour, cat in [
    ("Sony WH-1000XM5 Wireless Noise Cancelling Over-Ear Headphones, Black", "black", "Headphones"),
    ("Sony WH-1000XM5 Wireless Noise Cancelling Over-Ear Headphones, Silver", "grey", "Headphones"),
    ("Sony WF-1000XM5 Truly Wireless Noise Cancelling Earbuds Black", "black", "Earbuds"),
    ("Apple AirPods Pro (2nd generation) with MagSafe Case USB-C, White", "white", "Earbuds"),
    ("Samsung Galaxy Buds2 Pro Bluetooth Earbuds, ANC, Bora Purple", "purple", "Earbuds"),
    ("JBL Tune 520BT Wireless On-Ear Headphones Blue", "blue", "Headphones"),
    ("JBL Tune 520BT Wireless On-Ear Headphones Black", "black", "Headphones"),
    ("JBL Tune 310C USB-C Wired In-Ear Headphones White", "white", "Headphones & Earphones"),
    ("Bose QuietComfort Ultra Headphones, Wireless, Noise Cancelling, White Smoke", "white", "Headphones"),
    ("Soundcore by Anker Q20i Hybrid Active Noise Cancelling Headphones Black", "black", "Headphones"),
    ("Xiaomi Redmi Buds 5 TWS Earbuds Black", "black", "Earphones"),
    ("Sennheiser HD 206 Wired Over-Ear Headphones Black", "black", "Headphones"),
]:
    add(cat, title, colour)

# ---- chairs
for title, colour, cat in [
    ("Ergonomic Office Chair High Back Mesh Chair with Lumbar Support, Black", "black", "Office Chairs"),
    ("Ergonomic Office Chair Mid Back Mesh, Grey", "grey", "Office Chairs"),
    ("Executive Office Chair PU Leather Swivel, Brown", "brown", "Office Chairs"),
    ("Secretlab TITAN Evo Gaming Chair Black", "black", "Gaming Chairs"),
    ("Racing Style Gaming Chair with Footrest, Red and Black", "red", "Gaming Chairs"),
    ("IKEA LISABO Chair, ash veneer", "beige", "Dining Chairs"),
    ("Set of 2 Solid Wood Dining Chairs, Walnut Brown", "brown", "Dining Chairs"),
    ("Modern Plastic Dining Chair with Wooden Legs, White", "white", "Dining Chairs"),
    ("Velvet Accent Armchair, Green", "green", "Armchairs"),
    ("Fabric Wing Chair, Grey", "grey", "Armchairs"),
    ("Rattan Armchair with Cushion, Natural Beige", "beige", "Armchairs"),
    ("Metal Bar Stool Set of 2, Black", "black", "Bar Stools"),
    ("Wooden Step Stool, White", "white", "Stools"),
    ("Baby Highchair with Safety Belt, Grey", "grey", "High Chairs"),
    ("IKEA ANTILOP Highchair with tray, white", "white", "High Chairs"),
]:
    add(cat, title, colour)

# ---- tables
for title, colour, cat, shape in [
    ("IKEA INGATORP extendable table, black", "black", "Dining Tables", "rect"),
    ("IKEA INGATORP extendable table, white", "white", "Dining Tables", "rect"),
    ("6-Seater Solid Wood Dining Table, Walnut", "brown", "Dining Tables", "rect"),
    ("Round Marble Dining Table 4 Seater, White", "white", "Dining Tables", "round"),
    ("Round Coffee Table with Marble Top, White", "white", "Coffee Tables", "round"),
    ("Rectangular Wooden Coffee Table with Storage, Oak Brown", "brown", "Coffee Tables", "rect"),
    ("Glass Coffee Table, Black Metal Frame", "black", "Coffee Tables", "rect"),
    ("Computer Desk 120cm, White", "white", "Desks", "rect"),
    ("Standing Desk Electric Height Adjustable, Black", "black", "Desks", "rect"),
    ("IKEA MICKE Desk, white", "white", "Desks", "rect"),
    ("Round Side Table, Black Metal", "black", "Side Tables", "round"),
    ("Wooden Bedside Table with Drawer, Brown", "brown", "Bedside Tables", "rect"),
    ("Nightstand with 2 Drawers, White", "white", "Nightstands", "rect"),
]:
    add(cat, title, colour, shape=shape)

# ---- drinks
for title, colour, cat in [
    ("Coca-Cola Zero Sugar 330ml x 24", "black", "Soft Drinks"),
    ("Coca-Cola Original 1.5L", "red", "Soft Drinks"),
    ("Coca-Cola Original 330ml Can", "red", "Soft Drinks"),
    ("Pepsi Black Zero Sugar 320ml x 24", "black", "Soft Drinks"),
    ("Sprite Lemon Lime 1.5L", "green", "Soft Drinks"),
    ("Fanta Orange 325ml x 12", "orange", "Soft Drinks"),
    ("100PLUS Isotonic Drink Original 500ml", "white", "Beverages"),
    ("Red Bull Energy Drink 250ml x 24", "blue", "Energy Drinks"),
    ("Tropicana Apple Juice 1L", "green", "Juices"),
    ("Tropicana Orange Juice 1L", "orange", "Juices"),
    ("Pokka Green Tea No Sugar 500ml", "green", "Beverages"),
    ("Lipton Ice Tea Lemon 450ml", "yellow", "Beverages"),
    ("Nescafe Latte Canned Coffee 240ml", "brown", "Coffee"),
    ("Evian Natural Mineral Water 1.5L", "white", "Bottled Water"),
    ("Aqua Mineral Water 600ml x 24", "blue", "Bottled Water"),
]:
    add(cat, title, colour)

# ---- snacks
for title, colour, cat in [
    ("Lay's Classic Potato Chips 150g", "yellow", "Chips"),
    ("Lay's Sour Cream & Onion Potato Chips 150g", "green", "Chips"),
    ("Pringles Original 107g", "red", "Chips"),
    ("Pringles Sour Cream & Onion 107g", "green", "Chips"),
    ("Mister Potato Crisps Barbecue 160g", "red", "Snacks"),
    ("Tao Kae Noi Crispy Seaweed Original 32g", "green", "Snacks"),
    ("Oreo Chocolate Sandwich Cookies 133g", "blue", "Biscuits"),
    ("Julie's Peanut Butter Sandwich Biscuits 360g", "yellow", "Biscuits"),
    ("Kit Kat 4 Finger Milk Chocolate 41.5g x 24", "red", "Chocolates"),
    ("Cadbury Dairy Milk Chocolate Bar 165g", "purple", "Chocolates"),
    ("Salted Mixed Nuts 500g", "brown", "Nuts"),
    ("Haribo Goldbears Gummy Candy 160g", "yellow", "Candy"),
]:
    add(cat, title, colour)

# ---- fruit
for title, colour, cat in [
    ("Fresh Red Apples Fuji 1kg", "red", "Fresh Fruit"), ("Granny Smith Green Apples 1kg", "green", "Fresh Fruit"),
    ("Cavendish Bananas 1kg", "yellow", "Fruits"), ("Navel Oranges 2kg", "orange", "Fresh Fruit"),
    ("Thai Mango Nam Dok Mai 1kg", "yellow", "Fruits"), ("Seedless Green Grapes 500g", "green", "Fresh Fruit"),
    ("Red Seedless Grapes 500g", "purple", "Fresh Fruit"), ("Korean Strawberries 250g", "red", "Fruits"),
    ("Seedless Watermelon (approx. 2kg)", "green", "Fruits"), ("Golden Pineapple 1pc", "yellow", "Fruits"),
]:
    add(cat, title, colour, shape="round")

# ---- jewellery
for title, colour, cat in [
    ("18K White Gold Diamond Solitaire Ring", "silver", "Rings"), ("18K Rose Gold Diamond Halo Ring", "pink", "Rings"),
    ("916 Gold Plain Band Ring for Women", "gold", "Rings"), ("Men's Platinum Wedding Band", "silver", "Rings"),
    ("925 Sterling Silver Cubic Zirconia Ring", "silver", "Rings"), ("Pandora Moments Snake Chain Bracelet, Sterling Silver", "silver", "Bracelets"),
    ("22K Gold Bangle for Women", "gold", "Bracelets"), ("Freshwater Pearl Necklace, 925 Silver", "white", "Necklaces"),
    ("18K Gold Pendant Necklace with Ruby", "gold", "Necklaces"), ("Stainless Steel Crystal Pendant Necklace", "silver", "Necklaces"),
    ("14K Gold Hoop Earrings", "gold", "Earrings"), ("Pearl Stud Earrings, Sterling Silver", "white", "Earrings"),
    ("Swarovski Crystal Stud Earrings, Rhodium Plated", "silver", "Earrings"), ("24K Gold Ring 999.9", "gold", "Rings"),
]:
    add(cat, title, colour)


def image(colour, shape, k):
    img = Image.new("RGB", (24, 24), (250, 250, 250))
    d = ImageDraw.Draw(img)
    box = [3, 3, 20, 20]
    (d.ellipse if shape == "round" else d.rectangle)(box, fill=RGB[colour])
    d.point([(k % 24, (k * 7) % 24)], fill=(k % 255, 0, (k * 3) % 255))  # no two products share a photo
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70)
    return out.getvalue()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "images").mkdir(exist_ok=True)
    with open(OUT / "catalog.jsonl", "w", encoding="utf-8") as fh:
        for k, r in enumerate(rows):
            (OUT / r["images"][0]).write_bytes(image(r["_colour"], r["_shape"], k))
            fh.write(json.dumps({k2: v for k2, v in r.items() if not k2.startswith("_")}, ensure_ascii=False) + "\n")
    print(f"{len(rows)} products in {OUT}")


if __name__ == "__main__":
    main()
