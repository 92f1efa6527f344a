"""Golden sentences for the v2 domains (#21): electronics, furniture, food, jewellery and luggage.

A dozen plans per domain, 2 to 4 conditions, every carrier mix; each sentence in every language was read
as a shopper's request before it was frozen (technical values as shops write them: "256 GB", "15.6-inch",
"จอ 15.6 นิ้ว"; Malay and Indonesian in their own words). Seed 11 picks the frames, as in
test_render_golden.py; a template or lexicon change of meaning shows up here as a reviewed diff.
"""

from __future__ import annotations

import pytest

from pipelines.stages.render import render_phrase
from pipelines.vocab.templates import load_templates

LANGUAGES = ("en", "ms", "id", "vi", "th")
SEED = 11

def t(attr, value):
    return {"attribute": attr, "value": value, "carried_by": "text", "source_product_id": None, "image_id": None}


def i(attr, value, k):
    return {"attribute": attr, "value": value, "carried_by": "image", "source_product_id": f"p{k}", "image_id": f"img{k}"}


PLANS = {
    "electronics": {
        "phone-samsung-256": ("phone", [t("type", "smartphone"), t("brand", "Samsung"), t("storage", "256 GB"), i("color", "black", 1)]),
        "phone-apple-128": ("phone", [t("brand", "Apple"), t("storage", "128 GB"), i("color", "blue", 1)]),
        "phone-5g-ram": ("phone", [t("ram", "8 GB"), t("storage", "256 GB"), t("network", "5G"), i("color", "green", 1)]),
        "phone-image-type": ("phone", [t("battery", "5000 mAh"), t("screen_size", "6.7 inch"), i("type", "smartphone", 1), i("color", "purple", 2)]),
        "phone-feature": ("phone", [t("type", "feature phone"), i("color", "red", 1)]),
        "laptop-gaming": ("laptop", [t("type", "gaming laptop"), t("ram", "16 GB"), t("processor", "Intel Core i7"), i("color", "black", 1)]),
        "laptop-asus": ("laptop", [t("screen_size", "15.6 inch"), t("storage", "512 GB"), t("brand", "ASUS"), i("color", "grey", 1)]),
        "laptop-ultrabook": ("laptop", [t("type", "ultrabook"), t("screen_size", "14 inch"), i("material", "aluminium", 1), i("color", "grey", 2)]),
        "laptop-m3": ("laptop", [t("ram", "8 GB"), t("processor", "Apple M3"), i("color", "grey", 1)]),
        "earbuds-anc": ("headphones", [t("type", "earbuds"), t("connectivity", "wireless"), t("noise_cancelling", "noise cancelling"), i("color", "white", 1)]),
        "headphones-sony": ("headphones", [t("brand", "Sony"), t("noise_cancelling", "noise cancelling"), i("type", "headphones", 1), i("color", "black", 2)]),
        "headphones-wired": ("headphones", [t("connectivity", "wired"), i("color", "red", 1)]),
    },
    "furniture": {
        "office-chair-mesh": ("chair", [t("type", "office chair"), t("color", "black"), i("material", "mesh", 1)]),
        "dining-chair": ("chair", [t("type", "dining chair"), i("material", "wood", 1), i("color", "white", 2)]),
        "gaming-chair": ("chair", [t("type", "gaming chair"), t("brand", "Secretlab"), i("color", "red", 1)]),
        "armchair-fabric": ("chair", [t("type", "armchair"), t("material", "fabric"), i("color", "green", 1)]),
        "stool-metal": ("chair", [t("type", "stool"), t("material", "metal"), i("color", "black", 1)]),
        "high-chair": ("chair", [t("type", "high chair"), i("color", "white", 1)]),
        "dining-table-6": ("table", [t("type", "dining table"), t("seats", "6 seats"), i("material", "wood", 1)]),
        "coffee-table-round": ("table", [t("type", "coffee table"), t("shape", "round"), i("material", "marble", 1), i("color", "white", 2)]),
        "desk-ikea": ("table", [t("type", "desk"), t("brand", "IKEA"), i("color", "white", 1)]),
        "side-table-image": ("table", [i("type", "side table", 1), i("shape", "round", 2), i("material", "glass", 3), i("color", "black", 4)]),
        "bedside-wood": ("table", [t("type", "bedside table"), t("material", "wood"), i("color", "brown", 1)]),
        "table-4-seats": ("table", [t("seats", "4 seats"), t("shape", "rectangular"), i("material", "wood", 1), i("type", "dining table", 2)]),
    },
    "food": {
        "coke-zero": ("drink", [t("brand", "Coca-Cola"), t("sugar", "zero sugar"), t("volume", "330 ml"), i("type", "soft drink", 1)]),
        "orange-soda": ("drink", [t("flavour", "orange"), t("volume", "1.5 L"), i("type", "soft drink", 1)]),
        "apple-juice": ("drink", [t("flavour", "apple"), t("brand", "Tropicana"), i("type", "juice", 1)]),
        "tea-less-sugar": ("drink", [t("sugar", "less sugar"), t("volume", "500 ml"), i("type", "tea", 1)]),
        "energy-drink": ("drink", [t("brand", "Red Bull"), t("volume", "250 ml"), i("type", "energy drink", 1)]),
        "water": ("drink", [t("volume", "1.5 L"), i("type", "water", 1)]),
        "chips-seaweed": ("snack", [t("flavour", "seaweed"), t("weight", "60 g"), i("type", "chips", 1)]),
        "biscuits-oreo": ("snack", [t("flavour", "chocolate"), t("brand", "Oreo"), i("type", "biscuits", 1)]),
        "nuts-salted": ("snack", [t("flavour", "salted"), t("weight", "200 g"), i("type", "nuts", 1)]),
        "apples-red": ("fruit", [t("type", "apple"), t("weight", "1 kg"), i("color", "red", 1)]),
        "grapes-green": ("fruit", [t("type", "grapes"), i("color", "green", 1)]),
        "mango-image": ("fruit", [i("type", "mango", 1), i("color", "yellow", 2)]),
    },
    "jewellery": {
        "ring-18k": ("jewellery", [t("type", "ring"), t("purity", "18k"), i("metal", "white gold", 1)]),
        "ring-diamond": ("jewellery", [t("type", "ring"), t("gemstone", "diamond"), i("metal", "rose gold", 1)]),
        "necklace-pearl": ("jewellery", [t("type", "necklace"), t("gender", "women"), i("gemstone", "pearl", 1)]),
        "earrings-gold": ("jewellery", [t("type", "earrings"), t("metal", "gold"), i("gemstone", "cubic zirconia", 1)]),
        "bracelet-925": ("jewellery", [t("type", "bracelet"), t("purity", "925 silver"), i("metal", "silver", 1)]),
        "pandora": ("jewellery", [t("brand", "Pandora"), i("type", "bracelet", 1), i("metal", "silver", 2)]),
        "necklace-22k": ("jewellery", [t("purity", "22k"), i("type", "necklace", 1), i("metal", "gold", 2)]),
        "mens-ring": ("jewellery", [t("type", "ring"), t("gender", "men"), t("metal", "platinum"), i("gemstone", "sapphire", 1)]),
        "earrings-image": ("jewellery", [i("type", "earrings", 1), i("gemstone", "pearl", 2), i("metal", "gold", 3)]),
        "necklace-steel": ("jewellery", [t("type", "necklace"), t("metal", "stainless steel"), i("gemstone", "crystal", 1)]),
        "ring-24k": ("jewellery", [t("type", "ring"), t("purity", "24k"), t("brand", "Poh Kong"), i("metal", "gold", 1)]),
        "earrings-ruby": ("jewellery", [t("type", "earrings"), t("gemstone", "ruby"), i("metal", "gold", 1)]),
    },
    "luggage": {
        "suitcase-cabin": ("luggage", [t("type", "suitcase"), t("luggage_size", "cabin"), i("color", "black", 1)]),
        "suitcase-samsonite": ("luggage", [t("brand", "Samsonite"), t("luggage_size", "large"), i("material", "polycarbonate", 1), i("color", "blue", 2)]),
    },
}

GOLDEN = {
    'phone-samsung-256': {
        'en': 'Do you have a 256 GB smartphone by Samsung that has the same colour as <image_1>?',
        'ms': 'Saya mahu beli telefon pintar storan 256 GB jenama Samsung dengan warna seperti <image_1>.',
        'id': 'Saya sedang mencari ponsel pintar penyimpanan 256 GB merek Samsung dengan warna seperti <image_1>.',
        'vi': 'Shop có điện thoại thông minh bộ nhớ 256 GB của hãng Samsung với màu giống <image_1> không?',
        'th': 'มีสมาร์ทโฟน ความจุ 256 GB แบรนด์ Samsung ที่มีสีเหมือน <image_1> ไหม',
    },
    'phone-apple-128': {
        'en': 'Do you have a 128 GB phone by Apple that has the same colour as <image_1>?',
        'ms': 'Tolong carikan telefon bimbit storan 128 GB jenama Apple dengan warna seperti <image_1>.',
        'id': 'Bisa tunjukkan ponsel penyimpanan 128 GB merek Apple yang memiliki warna seperti <image_1>?',
        'vi': 'Tìm giúp tôi một chiếc điện thoại bộ nhớ 128 GB của hãng Apple có màu giống <image_1>.',
        'th': 'ขอดูโทรศัพท์มือถือ ความจุ 128 GB แบรนด์ Apple ที่สีเหมือน <image_1> หน่อย',
    },
    'phone-5g-ram': {
        'en': "I'm looking for a 5G 256 GB phone with 8 GB RAM with the same colour as <image_1>.",
        'ms': 'Ada jual telefon bimbit 5G storan 256 GB RAM 8 GB yang mempunyai warna seperti <image_1>?',
        'id': 'Saya mau beli ponsel 5G penyimpanan 256 GB RAM 8 GB yang memiliki warna seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc điện thoại 5G bộ nhớ 256 GB RAM 8 GB có màu giống <image_1>.',
        'th': 'ฉันกำลังหาโทรศัพท์มือถือ 5G ความจุ 256 GB แรม 8 GB ที่มีสีเหมือน <image_1>',
    },
    'phone-image-type': {
        'en': "I'm looking for a 6.7-inch 5000 mAh phone of the same kind as <image_1>, with the same colour as <image_2>.",
        'ms': 'Tolong carikan telefon bimbit skrin 6.7 inci bateri 5000 mAh yang sama jenis dengan <image_1>, yang mempunyai warna seperti <image_2>.',
        'id': 'Saya sedang mencari ponsel layar 6.7 inci baterai 5000 mAh yang sejenis dengan <image_1>, yang memiliki warna seperti <image_2>.',
        'vi': 'Cho tôi xem điện thoại màn hình 6.7 inch pin 5000 mAh cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'ฉันกำลังหาโทรศัพท์มือถือ จอ 6.7 นิ้ว แบต 5000 mAh แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2>',
    },
    'phone-feature': {
        'en': 'Do you have a feature phone that has the same colour as <image_1>?',
        'ms': 'Boleh tunjukkan telefon butang yang mempunyai warna seperti <image_1>?',
        'id': 'Apakah ada ponsel fitur dengan warna seperti <image_1>?',
        'vi': 'Tôi đang tìm một chiếc điện thoại phím bấm với màu giống <image_1>.',
        'th': 'ขอดูโทรศัพท์ปุ่มกด ที่มีสีเหมือน <image_1> หน่อย',
    },
    'laptop-gaming': {
        'en': 'Can you find me an Intel Core i7 gaming laptop with 16 GB RAM that has the same colour as <image_1>?',
        'ms': 'Saya mahu beli komputer riba gaming RAM 16 GB pemproses Intel Core i7 dengan warna seperti <image_1>.',
        'id': 'Apakah ada laptop gaming RAM 16 GB prosesor Intel Core i7 dengan warna seperti <image_1>?',
        'vi': 'Tôi đang tìm một chiếc laptop gaming RAM 16 GB chip Intel Core i7 với màu giống <image_1>.',
        'th': 'ช่วยหาโน้ตบุ๊กเกมมิ่ง แรม 16 GB ชิป Intel Core i7 ที่มีสีเหมือน <image_1> ให้หน่อย',
    },
    'laptop-asus': {
        'en': "I'd like a 512 GB 15.6-inch laptop by ASUS with the same colour as <image_1>.",
        'ms': 'Boleh tunjukkan komputer riba storan 512 GB skrin 15.6 inci jenama ASUS dengan warna seperti <image_1>?',
        'id': 'Bisa tunjukkan laptop penyimpanan 512 GB layar 15.6 inci merek ASUS dengan warna seperti <image_1>?',
        'vi': 'Tìm giúp tôi một chiếc laptop bộ nhớ 512 GB màn hình 15.6 inch của hãng ASUS có màu giống <image_1>.',
        'th': 'มีโน้ตบุ๊ก ความจุ 512 GB จอ 15.6 นิ้วแบรนด์ ASUS ที่มีสีเหมือน <image_1> ไหม',
    },
    'laptop-ultrabook': {
        'en': 'Do you have a 14-inch ultrabook that has the material of <image_1> and the same colour as <image_2>?',
        'ms': 'Saya mahu beli komputer riba nipis skrin 14 inci dengan bahan seperti <image_1> dan warna seperti <image_2>.',
        'id': 'Apakah ada laptop tipis layar 14 inci dengan bahan seperti <image_1> dan warna seperti <image_2>?',
        'vi': 'Cho tôi xem laptop mỏng nhẹ màn hình 14 inch có chất liệu giống <image_1> và màu giống <image_2>.',
        'th': 'มีโน้ตบุ๊กบางเบา จอ 14 นิ้ว ที่มีวัสดุเหมือน <image_1> และสีเหมือน <image_2> ไหม',
    },
    'laptop-m3': {
        'en': 'Do you have an Apple M3 laptop with 8 GB RAM that has the same colour as <image_1>?',
        'ms': 'Ada jual komputer riba RAM 8 GB pemproses Apple M3 dengan warna seperti <image_1>?',
        'id': 'Tolong carikan laptop RAM 8 GB prosesor Apple M3 yang memiliki warna seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc laptop RAM 8 GB chip Apple M3 với màu giống <image_1>.',
        'th': 'มีโน้ตบุ๊ก แรม 8 GB ชิป Apple M3 ที่มีสีเหมือน <image_1> ไหม',
    },
    'earbuds-anc': {
        'en': "I'd like a pair of wireless noise-cancelling earbuds with the same colour as <image_1>.",
        'ms': 'Ada jual fon telinga tanpa wayar pembatal hingar dengan warna seperti <image_1>?',
        'id': 'Apakah ada earphone nirkabel peredam bising dengan warna seperti <image_1>?',
        'vi': 'Tôi muốn mua một chiếc tai nghe nhét tai không dây chống ồn có màu giống <image_1>.',
        'th': 'ขอดูหูฟังแบบสอดหูไร้สายตัดเสียงรบกวน ที่มีสีเหมือน <image_1> หน่อย',
    },
    'headphones-sony': {
        'en': "I'd like noise-cancelling headphones or earbuds by Sony of the same kind as <image_1>, with the same colour as <image_2>.",
        'ms': 'Saya sedang mencari fon kepala atau fon telinga pembatal hingar jenama Sony yang sama jenis dengan <image_1>, dengan warna seperti <image_2>.',
        'id': 'Saya mau beli headphone atau earphone peredam bising merek Sony yang sejenis dengan <image_1>, yang memiliki warna seperti <image_2>.',
        'vi': 'Shop có tai nghe chống ồn của hãng Sony cùng kiểu với <image_1>, với màu giống <image_2> không?',
        'th': 'ฉันกำลังหาหูฟังตัดเสียงรบกวนแบรนด์ Sony แบบเดียวกับ <image_1> ที่สีเหมือน <image_2>',
    },
    'headphones-wired': {
        'en': "I'm looking for wired headphones or earbuds with the same colour as <image_1>.",
        'ms': 'Boleh tunjukkan fon kepala atau fon telinga berwayar yang mempunyai warna seperti <image_1>?',
        'id': 'Saya sedang mencari headphone atau earphone berkabel dengan warna seperti <image_1>.',
        'vi': 'Shop có tai nghe có dây có màu giống <image_1> không?',
        'th': 'ฉันกำลังหาหูฟังแบบมีสาย ที่สีเหมือน <image_1>',
    },
    'office-chair-mesh': {
        'en': "I'm looking for a black office chair with the material of <image_1>.",
        'ms': 'Saya mahu beli kerusi pejabat hitam dengan bahan seperti <image_1>.',
        'id': 'Saya sedang mencari kursi kantor hitam dengan bahan seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc ghế văn phòng màu đen có chất liệu giống <image_1>.',
        'th': 'ขอดูเก้าอี้สำนักงานสีดำ ที่วัสดุเหมือน <image_1> หน่อย',
    },
    'dining-chair': {
        'en': 'Can you find me a dining chair with the material of <image_1> and the same colour as <image_2>?',
        'ms': 'Saya sedang mencari kerusi makan dengan bahan seperti <image_1> dan warna seperti <image_2>.',
        'id': 'Bisa tunjukkan kursi makan yang memiliki bahan seperti <image_1> dan warna seperti <image_2>?',
        'vi': 'Cho tôi xem ghế ăn với chất liệu giống <image_1> và màu giống <image_2>.',
        'th': 'ฉันกำลังหาเก้าอี้ทานข้าว ที่วัสดุเหมือน <image_1> และสีเหมือน <image_2>',
    },
    'gaming-chair': {
        'en': 'Find me a gaming chair by Secretlab that has the same colour as <image_1>.',
        'ms': 'Boleh tunjukkan kerusi gaming jenama Secretlab dengan warna seperti <image_1>?',
        'id': 'Saya sedang mencari kursi gaming merek Secretlab dengan warna seperti <image_1>.',
        'vi': 'Tôi đang tìm một chiếc ghế gaming của hãng Secretlab với màu giống <image_1>.',
        'th': 'ขอดูเก้าอี้เกมมิ่งแบรนด์ Secretlab ที่มีสีเหมือน <image_1> หน่อย',
    },
    'armchair-fabric': {
        'en': 'Can you find me a fabric armchair that has the same colour as <image_1>?',
        'ms': 'Saya mahu beli kerusi rehat fabrik dengan warna seperti <image_1>.',
        'id': 'Saya sedang mencari kursi santai kain yang memiliki warna seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc ghế bành bọc vải với màu giống <image_1>.',
        'th': 'อยากได้เก้าอี้อาร์มแชร์บุผ้า ที่มีสีเหมือน <image_1>',
    },
    'stool-metal': {
        'en': 'Find me a metal stool with the same colour as <image_1>.',
        'ms': 'Ada jual bangku logam dengan warna seperti <image_1>?',
        'id': 'Bisa tunjukkan bangku besi dengan warna seperti <image_1>?',
        'vi': 'Shop có ghế đẩu kim loại với màu giống <image_1> không?',
        'th': 'ฉันกำลังหาเก้าอี้สตูลโลหะ ที่มีสีเหมือน <image_1>',
    },
    'high-chair': {
        'en': 'Find me a high chair that has the same colour as <image_1>.',
        'ms': 'Saya sedang mencari kerusi makan bayi dengan warna seperti <image_1>.',
        'id': 'Tolong carikan kursi makan bayi yang memiliki warna seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc ghế ăn dặm có màu giống <image_1>.',
        'th': 'ช่วยหาเก้าอี้ทานข้าวเด็ก ที่มีสีเหมือน <image_1> ให้หน่อย',
    },
    'dining-table-6': {
        'en': "I'm looking for a six-seater dining table that has the material of <image_1>.",
        'ms': 'Boleh tunjukkan meja makan untuk 6 orang yang mempunyai bahan seperti <image_1>?',
        'id': 'Bisa tunjukkan meja makan untuk 6 orang yang memiliki bahan seperti <image_1>?',
        'vi': 'Tôi muốn mua một chiếc bàn ăn cho 6 người với chất liệu giống <image_1>.',
        'th': 'อยากได้โต๊ะทานข้าวสำหรับ 6 ที่นั่ง ที่มีวัสดุเหมือน <image_1>',
    },
    'coffee-table-round': {
        'en': "I'd like a round coffee table with the material of <image_1> and the same colour as <image_2>.",
        'ms': 'Ada jual meja kopi bulat dengan bahan seperti <image_1> dan warna seperti <image_2>?',
        'id': 'Tolong carikan meja tamu bulat yang memiliki bahan seperti <image_1> dan warna seperti <image_2>.',
        'vi': 'Shop có bàn trà tròn có chất liệu giống <image_1> và màu giống <image_2> không?',
        'th': 'อยากได้โต๊ะกลางโซฟาทรงกลม ที่มีวัสดุเหมือน <image_1> และสีเหมือน <image_2>',
    },
    'desk-ikea': {
        'en': 'Can you find me a desk by IKEA with the same colour as <image_1>?',
        'ms': 'Saya mahu beli meja kerja jenama IKEA dengan warna seperti <image_1>.',
        'id': 'Saya sedang mencari meja kerja merek IKEA yang memiliki warna seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc bàn làm việc của hãng IKEA với màu giống <image_1>.',
        'th': 'ช่วยหาโต๊ะทำงานแบรนด์ IKEA ที่สีเหมือน <image_1> ให้หน่อย',
    },
    'side-table-image': {
        'en': "I'm looking for a table or desk of the same kind as <image_1>, with the shape of <image_2>, the material of <image_3> and the same colour as <image_4>.",
        'ms': 'Tolong carikan meja yang sama jenis dengan <image_1>, dengan bentuk seperti <image_2>, bahan seperti <image_3> dan warna seperti <image_4>.',
        'id': 'Saya sedang mencari meja atau nakas yang sejenis dengan <image_1>, yang memiliki bentuk seperti <image_2>, bahan seperti <image_3> dan warna seperti <image_4>.',
        'vi': 'Tìm giúp tôi một chiếc bàn cùng kiểu với <image_1>, với hình dáng giống <image_2>, chất liệu giống <image_3> và màu giống <image_4>.',
        'th': 'อยากได้โต๊ะ แบบเดียวกับ <image_1> ที่มีทรงเหมือน <image_2> วัสดุเหมือน <image_3> และสีเหมือน <image_4>',
    },
    'bedside-wood': {
        'en': 'Can you find me a wooden bedside table that has the same colour as <image_1>?',
        'ms': 'Saya sedang mencari meja sisi katil kayu yang mempunyai warna seperti <image_1>.',
        'id': 'Apakah ada nakas kayu yang memiliki warna seperti <image_1>?',
        'vi': 'Tìm giúp tôi một chiếc bàn đầu giường gỗ với màu giống <image_1>.',
        'th': 'ขอดูโต๊ะข้างเตียงไม้ ที่มีสีเหมือน <image_1> หน่อย',
    },
    'table-4-seats': {
        'en': 'Find me a rectangular four-seater table or desk of the same kind as <image_1>, with the material of <image_2>.',
        'ms': 'Saya sedang mencari meja segi empat tepat untuk 4 orang yang sama jenis dengan <image_1>, yang mempunyai bahan seperti <image_2>.',
        'id': 'Apakah ada meja atau nakas persegi panjang untuk 4 orang yang sejenis dengan <image_1>, yang memiliki bahan seperti <image_2>?',
        'vi': 'Shop có bàn chữ nhật cho 4 người cùng kiểu với <image_1>, với chất liệu giống <image_2> không?',
        'th': 'อยากได้โต๊ะทรงสี่เหลี่ยมผืนผ้าสำหรับ 4 ที่นั่ง แบบเดียวกับ <image_1> ที่วัสดุเหมือน <image_2>',
    },
    'coke-zero': {
        'en': "I'd like a 330 ml zero-sugar drink by Coca-Cola of the same kind as <image_1>.",
        'ms': 'Saya mahu beli minuman tanpa gula 330 ml jenama Coca-Cola yang sama jenis dengan <image_1>.',
        'id': 'Saya mau beli minuman tanpa gula 330 ml merek Coca-Cola yang sejenis dengan <image_1>.',
        'vi': 'Shop có thức uống không đường 330 ml của hãng Coca-Cola cùng kiểu với <image_1> không?',
        'th': 'ฉันกำลังหาเครื่องดื่มไม่มีน้ำตาล 330 ml แบรนด์ Coca-Cola แบบเดียวกับ <image_1>',
    },
    'orange-soda': {
        'en': 'Can you find me a 1.5 L orange drink of the same kind as <image_1>?',
        'ms': 'Saya sedang mencari minuman perisa oren 1.5 L yang sama jenis dengan <image_1>.',
        'id': 'Apakah ada minuman rasa jeruk 1.5 L yang sejenis dengan <image_1>?',
        'vi': 'Tôi muốn mua thức uống vị cam 1.5 L cùng kiểu với <image_1>.',
        'th': 'ขอดูเครื่องดื่มรสส้ม 1.5 L แบบเดียวกับ <image_1> หน่อย',
    },
    'apple-juice': {
        'en': 'Show me an apple drink by Tropicana of the same kind as <image_1>.',
        'ms': 'Saya mahu beli minuman perisa epal jenama Tropicana yang sama jenis dengan <image_1>.',
        'id': 'Apakah ada minuman rasa apel merek Tropicana yang sejenis dengan <image_1>?',
        'vi': 'Tôi muốn mua thức uống vị táo của hãng Tropicana cùng kiểu với <image_1>.',
        'th': 'มีเครื่องดื่มรสแอปเปิลแบรนด์ Tropicana แบบเดียวกับ <image_1> ไหม',
    },
    'tea-less-sugar': {
        'en': "I'm looking for a 500 ml reduced-sugar drink of the same kind as <image_1>.",
        'ms': 'Ada jual minuman kurang manis 500 ml yang sama jenis dengan <image_1>?',
        'id': 'Saya mau beli minuman rendah gula 500 ml yang sejenis dengan <image_1>.',
        'vi': 'Cho tôi xem thức uống ít đường 500 ml cùng kiểu với <image_1>.',
        'th': 'อยากได้เครื่องดื่มหวานน้อย 500 ml แบบเดียวกับ <image_1>',
    },
    'energy-drink': {
        'en': 'Can you find me a 250 ml drink by Red Bull of the same kind as <image_1>?',
        'ms': 'Saya sedang mencari minuman 250 ml jenama Red Bull yang sama jenis dengan <image_1>.',
        'id': 'Tolong carikan minuman 250 ml merek Red Bull yang sejenis dengan <image_1>.',
        'vi': 'Tìm giúp tôi thức uống 250 ml của hãng Red Bull cùng kiểu với <image_1>.',
        'th': 'อยากได้เครื่องดื่ม 250 ml แบรนด์ Red Bull แบบเดียวกับ <image_1>',
    },
    'water': {
        'en': 'Show me a 1.5 L drink of the same kind as <image_1>.',
        'ms': 'Boleh tunjukkan minuman 1.5 L yang sama jenis dengan <image_1>?',
        'id': 'Tolong carikan minuman 1.5 L yang sejenis dengan <image_1>.',
        'vi': 'Cho tôi xem thức uống 1.5 L cùng kiểu với <image_1>.',
        'th': 'อยากได้เครื่องดื่ม 1.5 L แบบเดียวกับ <image_1>',
    },
    'chips-seaweed': {
        'en': 'Show me a 60 g seaweed snack of the same kind as <image_1>.',
        'ms': 'Boleh tunjukkan makanan ringan perisa rumpai laut 60 g yang sama jenis dengan <image_1>?',
        'id': 'Tolong carikan camilan rasa rumput laut 60 g yang sejenis dengan <image_1>.',
        'vi': 'Tìm giúp tôi món ăn vặt vị rong biển 60 g cùng kiểu với <image_1>.',
        'th': 'ช่วยหาขนมขบเคี้ยวรสสาหร่าย 60 g แบบเดียวกับ <image_1> ให้หน่อย',
    },
    'biscuits-oreo': {
        'en': 'Show me a chocolate snack by Oreo of the same kind as <image_1>.',
        'ms': 'Boleh tunjukkan makanan ringan perisa coklat jenama Oreo yang sama jenis dengan <image_1>?',
        'id': 'Saya sedang mencari camilan rasa cokelat merek Oreo yang sejenis dengan <image_1>.',
        'vi': 'Shop có món ăn vặt vị sô cô la của hãng Oreo cùng kiểu với <image_1> không?',
        'th': 'ฉันกำลังหาขนมขบเคี้ยวรสช็อกโกแลตแบรนด์ Oreo แบบเดียวกับ <image_1>',
    },
    'nuts-salted': {
        'en': 'Find me a 200 g salted snack of the same kind as <image_1>.',
        'ms': 'Tolong carikan makanan ringan masin 200 g yang sama jenis dengan <image_1>.',
        'id': 'Tolong carikan camilan asin 200 g yang sejenis dengan <image_1>.',
        'vi': 'Tôi muốn mua món ăn vặt vị muối 200 g cùng kiểu với <image_1>.',
        'th': 'มีขนมขบเคี้ยวรสเค็ม 200 g แบบเดียวกับ <image_1> ไหม',
    },
    'apples-red': {
        'en': 'Can you find me 1 kg apples with the same colour as <image_1>?',
        'ms': 'Ada jual epal 1 kg dengan warna seperti <image_1>?',
        'id': 'Bisa tunjukkan apel 1 kg yang memiliki warna seperti <image_1>?',
        'vi': 'Shop có táo 1 kg có màu giống <image_1> không?',
        'th': 'ขอดูแอปเปิล 1 kg ที่มีสีเหมือน <image_1> หน่อย',
    },
    'grapes-green': {
        'en': 'Do you have grapes that have the same colour as <image_1>?',
        'ms': 'Tolong carikan anggur yang mempunyai warna seperti <image_1>.',
        'id': 'Saya sedang mencari anggur yang memiliki warna seperti <image_1>.',
        'vi': 'Tôi muốn mua nho có màu giống <image_1>.',
        'th': 'มีองุ่น ที่สีเหมือน <image_1> ไหม',
    },
    'mango-image': {
        'en': 'Can you find me fruit of the same kind as <image_1>, with the same colour as <image_2>?',
        'ms': 'Ada jual buah-buahan yang sama jenis dengan <image_1>, dengan warna seperti <image_2>?',
        'id': 'Saya sedang mencari buah yang sejenis dengan <image_1>, dengan warna seperti <image_2>.',
        'vi': 'Tìm giúp tôi trái cây cùng kiểu với <image_1>, với màu giống <image_2>.',
        'th': 'มีผลไม้ แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2> ไหม',
    },
    'ring-18k': {
        'en': 'Do you have an 18K ring that has the metal of <image_1>?',
        'ms': 'Tolong carikan cincin 18K dengan logam seperti <image_1>.',
        'id': 'Saya mau beli cincin 18K dengan logam seperti <image_1>.',
        'vi': 'Cho tôi xem nhẫn 18K có kim loại giống <image_1>.',
        'th': 'อยากได้แหวน 18 กะรัต ที่มีโลหะเหมือน <image_1>',
    },
    'ring-diamond': {
        'en': "I'd like a diamond ring with the metal of <image_1>.",
        'ms': 'Ada jual cincin bertatah berlian yang mempunyai logam seperti <image_1>?',
        'id': 'Tolong carikan cincin berlian dengan logam seperti <image_1>.',
        'vi': 'Cho tôi xem nhẫn đính kim cương có kim loại giống <image_1>.',
        'th': 'ช่วยหาแหวนประดับเพชร ที่มีโลหะเหมือน <image_1> ให้หน่อย',
    },
    'necklace-pearl': {
        'en': "Find me a women's necklace with the stone of <image_1>.",
        'ms': 'Ada jual rantai leher wanita dengan batu permata seperti <image_1>?',
        'id': 'Saya sedang mencari kalung wanita dengan batu permata seperti <image_1>.',
        'vi': 'Cho tôi xem dây chuyền nữ có đá quý giống <image_1>.',
        'th': 'มีสร้อยคอผู้หญิง ที่มีอัญมณีเหมือน <image_1> ไหม',
    },
    'earrings-gold': {
        'en': 'Can you find me a pair of gold earrings that has the stone of <image_1>?',
        'ms': 'Tolong carikan subang emas dengan batu permata seperti <image_1>.',
        'id': 'Saya mau beli anting emas dengan batu permata seperti <image_1>.',
        'vi': 'Tôi muốn mua một đôi bông tai vàng với đá quý giống <image_1>.',
        'th': 'ฉันกำลังหาต่างหูทอง ที่มีอัญมณีเหมือน <image_1>',
    },
    'bracelet-925': {
        'en': 'Do you have a 925 sterling bracelet with the metal of <image_1>?',
        'ms': 'Boleh tunjukkan gelang perak 925 yang mempunyai logam seperti <image_1>?',
        'id': 'Bisa tunjukkan gelang perak 925 yang memiliki logam seperti <image_1>?',
        'vi': 'Tìm giúp tôi một chiếc vòng tay bạc 925 với kim loại giống <image_1>.',
        'th': 'มีกำไลเงินแท้ 925 ที่มีโลหะเหมือน <image_1> ไหม',
    },
    'pandora': {
        'en': 'Can you find me a ring, necklace, pair of earrings or bracelet by Pandora of the same kind as <image_1>, with the metal of <image_2>?',
        'ms': 'Boleh tunjukkan cincin, rantai leher, subang atau gelang jenama Pandora yang sama jenis dengan <image_1>, yang mempunyai logam seperti <image_2>?',
        'id': 'Saya mau beli perhiasan merek Pandora yang sejenis dengan <image_1>, dengan logam seperti <image_2>.',
        'vi': 'Tôi đang tìm một món trang sức của hãng Pandora cùng kiểu với <image_1>, có kim loại giống <image_2>.',
        'th': 'ช่วยหาแหวน สร้อยคอ ต่างหู หรือกำไลแบรนด์ Pandora แบบเดียวกับ <image_1> ที่มีโลหะเหมือน <image_2> ให้หน่อย',
    },
    'necklace-22k': {
        'en': "I'd like a 22K ring, necklace, pair of earrings or bracelet of the same kind as <image_1>, with the metal of <image_2>.",
        'ms': 'Saya sedang mencari cincin, rantai leher, subang atau gelang 916 yang sama jenis dengan <image_1>, dengan logam seperti <image_2>.',
        'id': 'Saya mau beli perhiasan 22K yang sejenis dengan <image_1>, yang memiliki logam seperti <image_2>.',
        'vi': 'Cho tôi xem trang sức 22K cùng kiểu với <image_1>, có kim loại giống <image_2>.',
        'th': 'ฉันกำลังหาแหวน สร้อยคอ ต่างหู หรือกำไล 22 กะรัต แบบเดียวกับ <image_1> ที่มีโลหะเหมือน <image_2>',
    },
    'mens-ring': {
        'en': "Show me a men's platinum ring with the stone of <image_1>.",
        'ms': 'Saya sedang mencari cincin lelaki platinum yang mempunyai batu permata seperti <image_1>.',
        'id': 'Bisa tunjukkan cincin pria platina dengan batu permata seperti <image_1>?',
        'vi': 'Shop có nhẫn nam bạch kim có đá quý giống <image_1> không?',
        'th': 'มีแหวนผู้ชายแพลทินัม ที่อัญมณีเหมือน <image_1> ไหม',
    },
    'earrings-image': {
        'en': 'Can you find me a ring, necklace, pair of earrings or bracelet of the same kind as <image_1>, with the stone of <image_2> and the metal of <image_3>?',
        'ms': 'Saya mahu beli cincin, rantai leher, subang atau gelang yang sama jenis dengan <image_1>, dengan batu permata seperti <image_2> dan logam seperti <image_3>.',
        'id': 'Tolong carikan perhiasan yang sejenis dengan <image_1>, yang memiliki batu permata seperti <image_2> dan logam seperti <image_3>.',
        'vi': 'Tôi muốn mua một món trang sức cùng kiểu với <image_1>, với đá quý giống <image_2> và kim loại giống <image_3>.',
        'th': 'ช่วยหาแหวน สร้อยคอ ต่างหู หรือกำไล แบบเดียวกับ <image_1> ที่อัญมณีเหมือน <image_2> และโลหะเหมือน <image_3> ให้หน่อย',
    },
    'necklace-steel': {
        'en': 'Can you find me a stainless steel necklace that has the stone of <image_1>?',
        'ms': 'Boleh tunjukkan rantai leher keluli tahan karat yang mempunyai batu permata seperti <image_1>?',
        'id': 'Saya mau beli kalung baja tahan karat dengan batu permata seperti <image_1>.',
        'vi': 'Tôi muốn mua một sợi dây chuyền thép không gỉ có đá quý giống <image_1>.',
        'th': 'มีสร้อยคอสแตนเลส ที่อัญมณีเหมือน <image_1> ไหม',
    },
    'ring-24k': {
        'en': 'Find me a 24K ring by Poh Kong with the metal of <image_1>.',
        'ms': 'Saya sedang mencari cincin 24K jenama Poh Kong yang mempunyai logam seperti <image_1>.',
        'id': 'Saya mau beli cincin 24K merek Poh Kong yang memiliki logam seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc nhẫn 24K của hãng Poh Kong có kim loại giống <image_1>.',
        'th': 'อยากได้แหวน 24 กะรัตแบรนด์ Poh Kong ที่มีโลหะเหมือน <image_1>',
    },
    'earrings-ruby': {
        'en': 'Do you have a pair of ruby earrings that has the metal of <image_1>?',
        'ms': 'Boleh tunjukkan subang bertatah batu delima yang mempunyai logam seperti <image_1>?',
        'id': 'Saya sedang mencari anting batu rubi dengan logam seperti <image_1>.',
        'vi': 'Shop có bông tai đính hồng ngọc có kim loại giống <image_1> không?',
        'th': 'ฉันกำลังหาต่างหูประดับทับทิม ที่โลหะเหมือน <image_1>',
    },
    'suitcase-cabin': {
        'en': 'Do you have a cabin-size suitcase that has the same colour as <image_1>?',
        'ms': 'Ada jual beg bagasi saiz kabin dengan warna seperti <image_1>?',
        'id': 'Tolong carikan koper ukuran kabin yang memiliki warna seperti <image_1>.',
        'vi': 'Shop có vali xách tay với màu giống <image_1> không?',
        'th': 'ช่วยหากระเป๋าเดินทางขนาดถือขึ้นเครื่อง ที่มีสีเหมือน <image_1> ให้หน่อย',
    },
    'suitcase-samsonite': {
        'en': "I'm looking for a large suitcase by Samsonite that has the material of <image_1> and the same colour as <image_2>.",
        'ms': 'Saya mahu beli beg bagasi saiz besar jenama Samsonite dengan bahan seperti <image_1> dan warna seperti <image_2>.',
        'id': 'Saya mau beli koper ukuran besar merek Samsonite yang memiliki bahan seperti <image_1> dan warna seperti <image_2>.',
        'vi': 'Tìm giúp tôi một chiếc vali cỡ lớn của hãng Samsonite có chất liệu giống <image_1> và màu giống <image_2>.',
        'th': 'ขอดูกระเป๋าเดินทางขนาดใหญ่แบรนด์ Samsonite ที่มีวัสดุเหมือน <image_1> และสีเหมือน <image_2> หน่อย',
    },
}


@pytest.fixture(scope="module")
def templates():
    return load_templates("v3", LANGUAGES)


CASES = [(domain, name) for domain, plans in PLANS.items() for name in plans]


@pytest.mark.parametrize("domain,name", CASES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden_sentence(domain, name, lang, templates):
    category, conditions = PLANS[domain][name]
    phrase = render_phrase({"base_query_id": name, "category": category}, conditions, templates.pack(lang), SEED)
    assert phrase.text == GOLDEN[name][lang]
    assert "  " not in phrase.text  # Thai's unspaced joins still put one space around a number or a Latin word


@pytest.mark.parametrize("domain", ["electronics", "furniture", "food", "jewellery"])
def test_a_dozen_per_domain_with_every_condition_count(domain):
    plans = PLANS[domain]
    assert len(plans) >= 12
    assert len({len(conditions) for _, conditions in plans.values()}) >= 2
    assert any(all(c["carried_by"] == "image" for c in conditions) or sum(c["carried_by"] == "image" for c in conditions) > 1
               for _, conditions in plans.values())
