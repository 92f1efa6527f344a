"""Golden sentences of phrasing v4 (#23, the default) for the v2 domains (#21): electronics, furniture, food,
jewellery and luggage, in every language.

The plans are test_render_golden_domains.py's (which pins v3) plus one image-carried type per domain that
lacked one. Each sentence was read as a shopper's request before it was frozen (by an LLM coding agent, not a
native speaker). What v4 changes for these domains:
- An image-carried type is headed by a noun broader than the type, never by a category noun that lists the
  types (#23: en "headphones or earbuds", ms "fon kepala atau fon telinga", th "แหวน สร้อยคอ ต่างหู หรือกำไล",
  vi "vali" for the suitcase <image_1> shows): en "audio device", "chair"/"seat", "table", "jewellery piece",
  "travel case", "fruit like the ones in"; ms "peranti audio", "kerusi"/"tempat duduk", "barang kemas", "beg";
  id "perangkat audio", "kursi"/"tempat duduk", "meja", "tas"; vi "hành lý"; th "เครื่องประดับ", "กระเป๋า".
- Image items for shape, metal and stone carry their own lead, as v4's other items do: en "in the same metal
  as <image_1>", "with the same stone as", "in the same shape as" (not "a ring the metal of <image_1>");
  ms "yang logamnya sama macam", id "yang logamnya seperti" (not "yang logam seperti").
- Every image-carried type of every v2 domain renders in all five languages, none refused for naming it.
"""

from __future__ import annotations

import json

import pytest

from pipelines.config import RenderConfig
from pipelines.resources import PROMPTS_DIR
from pipelines.stages.render import RenderParams, render_batch, render_phrase
from pipelines.stages.value_words import value_words
from pipelines.vocab.templates import load_templates
from tests.stages.test_render_golden_domains import LANGUAGES, PLANS, SEED, i, t

DOMAINS = ("phone", "laptop", "headphones", "chair", "table", "drink", "snack", "fruit", "jewellery", "luggage")

PLANS_V4 = {
    **{name: plan for plans in PLANS.values() for name, plan in plans.items()},
    'laptop-image-type': ('laptop', [t('ram', '16 GB'), i('type', 'gaming laptop', 1), i('color', 'black', 2)]),
    'earbuds-image-type': ('headphones', [t('connectivity', 'wireless'), i('type', 'earbuds', 1)]),
    'stool-image-type': ('chair', [t('material', 'wood'), i('type', 'stool', 1)]),
    'office-chair-image-type': ('chair', [i('type', 'office chair', 1), i('color', 'black', 2)]),
    'desk-image-type': ('table', [t('brand', 'IKEA'), i('type', 'desk', 1), i('color', 'white', 2)]),
    'candy-image-type': ('snack', [t('weight', '100 g'), i('type', 'candy', 1)]),
    'ring-image-type': ('jewellery', [t('gender', 'women'), i('type', 'ring', 1), i('metal', 'gold', 2)]),
    'suitcase-image-type': ('luggage', [t('luggage_size', 'cabin'), i('type', 'suitcase', 1), i('color', 'black', 2)]),
}

GOLDEN = {
    'phone-samsung-256': {
        'en': 'Do you have a Samsung 256 GB smartphone in the same colour as <image_1>?',
        'ms': 'Saya mahu beli telefon pintar storan 256 GB jenama Samsung yang warnanya sama macam <image_1>.',
        'id': 'Saya lagi cari ponsel pintar penyimpanan 256 GB merek Samsung yang warnanya seperti <image_1>.',
        'vi': 'Shop có điện thoại thông minh bộ nhớ 256 GB của hãng Samsung có màu giống <image_1> không?',
        'th': 'มีสมาร์ทโฟน ความจุ 256 GB แบรนด์ Samsung ที่มีสีเหมือน <image_1> ไหม',
    },
    'phone-apple-128': {
        'en': 'Do you have an Apple 128 GB phone in the same colour as <image_1>?',
        'ms': 'Tolong carikan telefon bimbit storan 128 GB jenama Apple yang warnanya sama macam <image_1>.',
        'id': 'Bisa tunjukkan ponsel penyimpanan 128 GB merek Apple yang warnanya seperti <image_1>?',
        'vi': 'Tìm giúp tôi một chiếc điện thoại bộ nhớ 128 GB của hãng Apple có màu giống <image_1>.',
        'th': 'ขอดูโทรศัพท์มือถือ ความจุ 128 GB แบรนด์ Apple ที่สีเหมือน <image_1> หน่อย',
    },
    'phone-5g-ram': {
        'en': "I'm looking for a 5G 256 GB phone with 8 GB RAM in the same colour as <image_1>.",
        'ms': 'Ada jual telefon bimbit 5G storan 256 GB RAM 8 GB yang warnanya sama macam <image_1>?',
        'id': 'Saya mau beli ponsel 5G penyimpanan 256 GB RAM 8 GB yang warnanya seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc điện thoại 5G bộ nhớ 256 GB RAM 8 GB có màu giống <image_1>.',
        'th': 'ฉันกำลังหาโทรศัพท์มือถือ 5G ความจุ 256 GB แรม 8 GB ที่มีสีเหมือน <image_1>',
    },
    'phone-image-type': {
        'en': "I'm looking for a 6.7-inch 5000 mAh phone like the one in <image_1>, in the same colour as <image_2>.",
        'ms': 'Tolong carikan telefon bimbit skrin 6.7 inci bateri 5000 mAh yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Saya lagi cari ponsel layar 6.7 inci baterai 5000 mAh yang sejenis dengan <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Cho tôi xem điện thoại màn hình 6.7 inch pin 5000 mAh cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'ฉันกำลังหาโทรศัพท์มือถือ จอ 6.7 นิ้ว แบต 5000 mAh แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2>',
    },
    'phone-feature': {
        'en': 'Do you have a feature phone in the same colour as <image_1>?',
        'ms': 'Boleh tunjukkan telefon butang yang warnanya sama macam <image_1>?',
        'id': 'Apakah ada ponsel fitur yang warnanya seperti <image_1>?',
        'vi': 'Tôi đang tìm một chiếc điện thoại phím bấm có màu giống <image_1>.',
        'th': 'ขอดูโทรศัพท์ปุ่มกด ที่มีสีเหมือน <image_1> หน่อย',
    },
    'laptop-gaming': {
        'en': 'Can you find me an Intel Core i7 gaming laptop with 16 GB RAM in the same colour as <image_1>?',
        'ms': 'Saya mahu beli komputer riba gaming RAM 16 GB pemproses Intel Core i7 yang warnanya sama macam <image_1>.',
        'id': 'Apakah ada laptop gaming RAM 16 GB prosesor Intel Core i7 yang warnanya seperti <image_1>?',
        'vi': 'Tôi đang tìm một chiếc laptop gaming RAM 16 GB chip Intel Core i7 có màu giống <image_1>.',
        'th': 'ช่วยหาโน้ตบุ๊กเกมมิ่ง แรม 16 GB ชิป Intel Core i7 ที่มีสีเหมือน <image_1> ให้หน่อย',
    },
    'laptop-asus': {
        'en': "I'd like an ASUS 512 GB 15.6-inch laptop in the same colour as <image_1>.",
        'ms': 'Boleh tunjukkan komputer riba storan 512 GB skrin 15.6 inci jenama ASUS yang warnanya sama macam <image_1>?',
        'id': 'Bisa tunjukkan laptop penyimpanan 512 GB layar 15.6 inci merek ASUS yang warnanya seperti <image_1>?',
        'vi': 'Tìm giúp tôi một chiếc laptop bộ nhớ 512 GB màn hình 15.6 inch của hãng ASUS có màu giống <image_1>.',
        'th': 'มีโน้ตบุ๊ก ความจุ 512 GB จอ 15.6 นิ้วแบรนด์ ASUS ที่มีสีเหมือน <image_1> ไหม',
    },
    'laptop-ultrabook': {
        'en': 'Do you have a 14-inch ultrabook made of the same material as <image_1> and in the same colour as <image_2>?',
        'ms': 'Saya mahu beli komputer riba nipis skrin 14 inci yang bahannya sama macam <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Apakah ada laptop tipis layar 14 inci yang bahannya seperti <image_1> dan warnanya seperti <image_2>?',
        'vi': 'Cho tôi xem laptop mỏng nhẹ màn hình 14 inch có chất liệu giống <image_1> và màu giống <image_2>.',
        'th': 'มีโน้ตบุ๊กบางเบา จอ 14 นิ้ว ที่มีวัสดุเหมือน <image_1> และสีเหมือน <image_2> ไหม',
    },
    'laptop-m3': {
        'en': 'Do you have an Apple M3 laptop with 8 GB RAM in the same colour as <image_1>?',
        'ms': 'Ada jual komputer riba RAM 8 GB pemproses Apple M3 yang warnanya sama macam <image_1>?',
        'id': 'Tolong cariin laptop RAM 8 GB prosesor Apple M3 yang warnanya seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc laptop RAM 8 GB chip Apple M3 có màu giống <image_1>.',
        'th': 'มีโน้ตบุ๊ก แรม 8 GB ชิป Apple M3 ที่มีสีเหมือน <image_1> ไหม',
    },
    'earbuds-anc': {
        'en': "I'd like a pair of wireless noise-cancelling earbuds in the same colour as <image_1>.",
        'ms': 'Ada jual fon telinga tanpa wayar pembatal hingar yang warnanya sama macam <image_1>?',
        'id': 'Apakah ada earphone nirkabel peredam bising yang warnanya seperti <image_1>?',
        'vi': 'Tôi muốn mua một chiếc tai nghe nhét tai không dây chống ồn có màu giống <image_1>.',
        'th': 'ขอดูหูฟังแบบสอดหูไร้สายตัดเสียงรบกวน ที่มีสีเหมือน <image_1> หน่อย',
    },
    'headphones-sony': {
        'en': "I'd like a Sony noise-cancelling audio device like the one in <image_1>, in the same colour as <image_2>.",
        'ms': 'Saya sedang mencari peranti audio pembatal hingar jenama Sony yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Saya mau beli perangkat audio peredam bising merek Sony yang sejenis dengan <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Shop có tai nghe chống ồn của hãng Sony cùng kiểu với <image_1>, có màu giống <image_2> không?',
        'th': 'ฉันกำลังหาหูฟังตัดเสียงรบกวนแบรนด์ Sony แบบเดียวกับ <image_1> ที่สีเหมือน <image_2>',
    },
    'headphones-wired': {
        'en': "I'm looking for wired headphones or earbuds in the same colour as <image_1>.",
        'ms': 'Boleh tunjukkan fon kepala atau fon telinga berwayar yang warnanya sama macam <image_1>?',
        'id': 'Saya lagi cari headphone atau earphone berkabel yang warnanya seperti <image_1>.',
        'vi': 'Shop có tai nghe có dây có màu giống <image_1> không?',
        'th': 'ฉันกำลังหาหูฟังแบบมีสาย ที่สีเหมือน <image_1>',
    },
    'office-chair-mesh': {
        'en': "I'm looking for a black office chair made of the same material as <image_1>.",
        'ms': 'Saya mahu beli kerusi pejabat warna hitam yang bahannya sama macam <image_1>.',
        'id': 'Saya lagi cari kursi kantor warna hitam yang bahannya seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc ghế văn phòng màu đen có chất liệu giống <image_1>.',
        'th': 'ขอดูเก้าอี้สำนักงานสีดำ ที่วัสดุเหมือน <image_1> หน่อย',
    },
    'dining-chair': {
        'en': 'Can you find me a dining chair made of the same material as <image_1> and in the same colour as <image_2>?',
        'ms': 'Saya sedang mencari kerusi makan yang bahannya sama macam <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Bisa tunjukkan kursi makan yang bahannya seperti <image_1> dan warnanya seperti <image_2>?',
        'vi': 'Cho tôi xem ghế ăn có chất liệu giống <image_1> và màu giống <image_2>.',
        'th': 'ฉันกำลังหาเก้าอี้ทานข้าว ที่วัสดุเหมือน <image_1> และสีเหมือน <image_2>',
    },
    'gaming-chair': {
        'en': 'Find me a Secretlab gaming chair in the same colour as <image_1>.',
        'ms': 'Boleh tunjukkan kerusi gaming jenama Secretlab yang warnanya sama macam <image_1>?',
        'id': 'Saya lagi cari kursi gaming merek Secretlab yang warnanya seperti <image_1>.',
        'vi': 'Tôi đang tìm một chiếc ghế gaming của hãng Secretlab có màu giống <image_1>.',
        'th': 'ขอดูเก้าอี้เกมมิ่งแบรนด์ Secretlab ที่มีสีเหมือน <image_1> หน่อย',
    },
    'armchair-fabric': {
        'en': 'Can you find me a fabric armchair in the same colour as <image_1>?',
        'ms': 'Saya mahu beli kerusi rehat fabrik yang warnanya sama macam <image_1>.',
        'id': 'Saya lagi cari kursi santai kain yang warnanya seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc ghế bành bọc vải có màu giống <image_1>.',
        'th': 'อยากได้เก้าอี้อาร์มแชร์บุผ้า ที่มีสีเหมือน <image_1>',
    },
    'stool-metal': {
        'en': 'Find me a metal stool in the same colour as <image_1>.',
        'ms': 'Ada jual bangku logam yang warnanya sama macam <image_1>?',
        'id': 'Bisa tunjukkan bangku besi yang warnanya seperti <image_1>?',
        'vi': 'Shop có ghế đẩu kim loại có màu giống <image_1> không?',
        'th': 'ฉันกำลังหาเก้าอี้สตูลโลหะ ที่มีสีเหมือน <image_1>',
    },
    'high-chair': {
        'en': 'Find me a high chair in the same colour as <image_1>.',
        'ms': 'Saya sedang mencari kerusi makan bayi yang warnanya sama macam <image_1>.',
        'id': 'Tolong cariin kursi makan bayi yang warnanya seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc ghế ăn dặm có màu giống <image_1>.',
        'th': 'ช่วยหาเก้าอี้ทานข้าวเด็ก ที่มีสีเหมือน <image_1> ให้หน่อย',
    },
    'dining-table-6': {
        'en': "I'm looking for a six-seater dining table made of the same material as <image_1>.",
        'ms': 'Boleh tunjukkan meja makan untuk 6 orang yang bahannya sama macam <image_1>?',
        'id': 'Bisa tunjukkan meja makan untuk 6 orang yang bahannya seperti <image_1>?',
        'vi': 'Tôi muốn mua một chiếc bàn ăn cho 6 người có chất liệu giống <image_1>.',
        'th': 'อยากได้โต๊ะทานข้าวสำหรับ 6 ที่นั่ง ที่มีวัสดุเหมือน <image_1>',
    },
    'coffee-table-round': {
        'en': "I'd like a round coffee table made of the same material as <image_1> and in the same colour as <image_2>.",
        'ms': 'Ada jual meja kopi bulat yang bahannya sama macam <image_1> dan warnanya sama macam <image_2>?',
        'id': 'Tolong cariin meja tamu bulat yang bahannya seperti <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Shop có bàn trà tròn có chất liệu giống <image_1> và màu giống <image_2> không?',
        'th': 'อยากได้โต๊ะกลางโซฟาทรงกลม ที่มีวัสดุเหมือน <image_1> และสีเหมือน <image_2>',
    },
    'desk-ikea': {
        'en': 'Can you find me an IKEA desk in the same colour as <image_1>?',
        'ms': 'Saya mahu beli meja kerja jenama IKEA yang warnanya sama macam <image_1>.',
        'id': 'Saya lagi cari meja kerja merek IKEA yang warnanya seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc bàn làm việc của hãng IKEA có màu giống <image_1>.',
        'th': 'ช่วยหาโต๊ะทำงานแบรนด์ IKEA ที่สีเหมือน <image_1> ให้หน่อย',
    },
    'side-table-image': {
        'en': "I'm looking for a table like the one in <image_1>, in the same shape as <image_2>, made of the same material as <image_3> and in the same colour as <image_4>.",
        'ms': 'Tolong carikan meja yang sama jenis dengan <image_1>, bentuknya sama macam <image_2>, bahannya sama macam <image_3> dan warnanya sama macam <image_4>.',
        'id': 'Saya lagi cari meja yang sejenis dengan <image_1>, bentuknya seperti <image_2>, bahannya seperti <image_3> dan warnanya seperti <image_4>.',
        'vi': 'Tìm giúp tôi một chiếc bàn cùng kiểu với <image_1>, có hình dáng giống <image_2>, chất liệu giống <image_3> và màu giống <image_4>.',
        'th': 'อยากได้โต๊ะ แบบเดียวกับ <image_1> ที่มีทรงเหมือน <image_2> วัสดุเหมือน <image_3> และสีเหมือน <image_4>',
    },
    'bedside-wood': {
        'en': 'Can you find me a wooden bedside table in the same colour as <image_1>?',
        'ms': 'Saya sedang mencari meja sisi katil kayu yang warnanya sama macam <image_1>.',
        'id': 'Apakah ada nakas kayu yang warnanya seperti <image_1>?',
        'vi': 'Tìm giúp tôi một chiếc bàn đầu giường gỗ có màu giống <image_1>.',
        'th': 'ขอดูโต๊ะข้างเตียงไม้ ที่มีสีเหมือน <image_1> หน่อย',
    },
    'table-4-seats': {
        'en': 'Find me a rectangular four-seater table like the one in <image_1>, made of the same material as <image_2>.',
        'ms': 'Saya sedang mencari meja segi empat tepat untuk 4 orang yang bahannya sama macam <image_1> dan sama jenis dengan <image_2>.',
        'id': 'Apakah ada meja persegi panjang untuk 4 orang yang bahannya seperti <image_1> dan sejenis dengan <image_2>?',
        'vi': 'Shop có bàn chữ nhật cho 4 người cùng kiểu với <image_1>, có chất liệu giống <image_2> không?',
        'th': 'อยากได้โต๊ะทรงสี่เหลี่ยมผืนผ้าสำหรับ 4 ที่นั่ง แบบเดียวกับ <image_1> ที่วัสดุเหมือน <image_2>',
    },
    'coke-zero': {
        'en': "I'd like a Coca-Cola 330 ml zero-sugar drink like the one in <image_1>.",
        'ms': 'Saya mahu beli minuman tanpa gula 330 ml jenama Coca-Cola yang sama jenis dengan <image_1>.',
        'id': 'Saya mau beli minuman tanpa gula 330 ml merek Coca-Cola yang sejenis dengan <image_1>.',
        'vi': 'Shop có thức uống không đường 330 ml của hãng Coca-Cola cùng kiểu với <image_1> không?',
        'th': 'ฉันกำลังหาเครื่องดื่มไม่มีน้ำตาล 330 ml แบรนด์ Coca-Cola แบบเดียวกับ <image_1>',
    },
    'orange-soda': {
        'en': 'Can you find me a 1.5 L orange drink like the one in <image_1>?',
        'ms': 'Saya sedang mencari minuman perisa oren 1.5 L yang sama jenis dengan <image_1>.',
        'id': 'Apakah ada minuman rasa jeruk 1.5 L yang sejenis dengan <image_1>?',
        'vi': 'Tôi muốn mua thức uống vị cam 1.5 L cùng kiểu với <image_1>.',
        'th': 'ขอดูเครื่องดื่มรสส้ม 1.5 L แบบเดียวกับ <image_1> หน่อย',
    },
    'apple-juice': {
        'en': 'Show me a Tropicana apple drink like the one in <image_1>.',
        'ms': 'Saya mahu beli minuman perisa epal jenama Tropicana yang sama jenis dengan <image_1>.',
        'id': 'Apakah ada minuman rasa apel merek Tropicana yang sejenis dengan <image_1>?',
        'vi': 'Tôi muốn mua thức uống vị táo của hãng Tropicana cùng kiểu với <image_1>.',
        'th': 'มีเครื่องดื่มรสแอปเปิลแบรนด์ Tropicana แบบเดียวกับ <image_1> ไหม',
    },
    'tea-less-sugar': {
        'en': "I'm looking for a 500 ml reduced-sugar drink like the one in <image_1>.",
        'ms': 'Ada jual minuman kurang manis 500 ml yang sama jenis dengan <image_1>?',
        'id': 'Saya mau beli minuman rendah gula 500 ml yang sejenis dengan <image_1>.',
        'vi': 'Cho tôi xem thức uống ít đường 500 ml cùng kiểu với <image_1>.',
        'th': 'อยากได้เครื่องดื่มหวานน้อย 500 ml แบบเดียวกับ <image_1>',
    },
    'energy-drink': {
        'en': 'Can you find me a Red Bull 250 ml drink like the one in <image_1>?',
        'ms': 'Saya sedang mencari minuman 250 ml jenama Red Bull yang sama jenis dengan <image_1>.',
        'id': 'Tolong cariin minuman 250 ml merek Red Bull yang sejenis dengan <image_1>.',
        'vi': 'Tìm giúp tôi thức uống 250 ml của hãng Red Bull cùng kiểu với <image_1>.',
        'th': 'อยากได้เครื่องดื่ม 250 ml แบรนด์ Red Bull แบบเดียวกับ <image_1>',
    },
    'water': {
        'en': 'Show me a 1.5 L drink like the one in <image_1>.',
        'ms': 'Boleh tunjukkan minuman 1.5 L yang sama jenis dengan <image_1>?',
        'id': 'Ada minuman 1.5 L yang sejenis dengan <image_1> nggak?',
        'vi': 'Cho tôi xem thức uống 1.5 L cùng kiểu với <image_1>.',
        'th': 'อยากได้เครื่องดื่ม 1.5 L แบบเดียวกับ <image_1>',
    },
    'chips-seaweed': {
        'en': 'Show me a 60 g seaweed snack like the one in <image_1>.',
        'ms': 'Boleh tunjukkan makanan ringan perisa rumpai laut 60 g yang sama jenis dengan <image_1>?',
        'id': 'Tolong cariin camilan rasa rumput laut 60 g yang sejenis dengan <image_1>.',
        'vi': 'Tìm giúp tôi món ăn vặt vị rong biển 60 g cùng kiểu với <image_1>.',
        'th': 'ช่วยหาขนมขบเคี้ยวรสสาหร่าย 60 g แบบเดียวกับ <image_1> ให้หน่อย',
    },
    'biscuits-oreo': {
        'en': 'Show me an Oreo chocolate snack like the one in <image_1>.',
        'ms': 'Boleh tunjukkan makanan ringan perisa coklat jenama Oreo yang sama jenis dengan <image_1>?',
        'id': 'Saya lagi cari camilan rasa cokelat merek Oreo yang sejenis dengan <image_1>.',
        'vi': 'Shop có món ăn vặt vị sô cô la của hãng Oreo cùng kiểu với <image_1> không?',
        'th': 'ฉันกำลังหาขนมขบเคี้ยวรสช็อกโกแลตแบรนด์ Oreo แบบเดียวกับ <image_1>',
    },
    'nuts-salted': {
        'en': 'Find me a 200 g salted snack like the one in <image_1>.',
        'ms': 'Tolong carikan makanan ringan masin 200 g yang sama jenis dengan <image_1>.',
        'id': 'Tolong cariin camilan asin 200 g yang sejenis dengan <image_1>.',
        'vi': 'Tôi muốn mua món ăn vặt vị muối 200 g cùng kiểu với <image_1>.',
        'th': 'มีขนมขบเคี้ยวรสเค็ม 200 g แบบเดียวกับ <image_1> ไหม',
    },
    'apples-red': {
        'en': 'Can you find me 1 kg apples in the same colour as <image_1>?',
        'ms': 'Ada jual epal 1 kg yang warnanya sama macam <image_1>?',
        'id': 'Bisa tunjukkan apel 1 kg yang warnanya seperti <image_1>?',
        'vi': 'Shop có táo 1 kg có màu giống <image_1> không?',
        'th': 'ขอดูแอปเปิล 1 kg ที่มีสีเหมือน <image_1> หน่อย',
    },
    'grapes-green': {
        'en': 'Do you have grapes in the same colour as <image_1>?',
        'ms': 'Tolong carikan anggur yang warnanya sama macam <image_1>.',
        'id': 'Ada anggur yang warnanya seperti <image_1> nggak?',
        'vi': 'Tôi muốn mua nho có màu giống <image_1>.',
        'th': 'มีองุ่น ที่สีเหมือน <image_1> ไหม',
    },
    'mango-image': {
        'en': 'Can you find me fruit like the ones in <image_1>, in the same colour as <image_2>?',
        'ms': 'Ada jual buah-buahan yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>?',
        'id': 'Saya lagi cari buah yang sejenis dengan <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Tìm giúp tôi trái cây cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'มีผลไม้ แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2> ไหม',
    },
    'ring-18k': {
        'en': 'Do you have an 18K ring in the same metal as <image_1>?',
        'ms': 'Tolong carikan cincin 18K yang logamnya sama macam <image_1>.',
        'id': 'Saya mau beli cincin 18K yang logamnya seperti <image_1>.',
        'vi': 'Cho tôi xem nhẫn 18K có kim loại giống <image_1>.',
        'th': 'อยากได้แหวน 18 กะรัต ที่มีโลหะเหมือน <image_1>',
    },
    'ring-diamond': {
        'en': "I'd like a diamond ring in the same metal as <image_1>.",
        'ms': 'Ada jual cincin bertatah berlian yang logamnya sama macam <image_1>?',
        'id': 'Tolong cariin cincin berlian yang logamnya seperti <image_1>.',
        'vi': 'Cho tôi xem nhẫn đính kim cương có kim loại giống <image_1>.',
        'th': 'ช่วยหาแหวนประดับเพชร ที่มีโลหะเหมือน <image_1> ให้หน่อย',
    },
    'necklace-pearl': {
        'en': "Find me a women's necklace with the same stone as <image_1>.",
        'ms': 'Ada jual rantai leher wanita yang batu permatanya sama macam <image_1>?',
        'id': 'Saya lagi cari kalung wanita yang batu permatanya seperti <image_1>.',
        'vi': 'Cho tôi xem dây chuyền nữ có đá quý giống <image_1>.',
        'th': 'มีสร้อยคอผู้หญิง ที่มีอัญมณีเหมือน <image_1> ไหม',
    },
    'earrings-gold': {
        'en': 'Can you find me a pair of gold earrings with the same stone as <image_1>?',
        'ms': 'Tolong carikan subang emas yang batu permatanya sama macam <image_1>.',
        'id': 'Saya mau beli anting emas yang batu permatanya seperti <image_1>.',
        'vi': 'Tôi muốn mua một đôi bông tai vàng có đá quý giống <image_1>.',
        'th': 'ฉันกำลังหาต่างหูทอง ที่มีอัญมณีเหมือน <image_1>',
    },
    'bracelet-925': {
        'en': 'Do you have a 925 sterling bracelet in the same metal as <image_1>?',
        'ms': 'Boleh tunjukkan gelang perak 925 yang logamnya sama macam <image_1>?',
        'id': 'Bisa tunjukkan gelang perak 925 yang logamnya seperti <image_1>?',
        'vi': 'Tìm giúp tôi một chiếc vòng tay bạc 925 có kim loại giống <image_1>.',
        'th': 'มีกำไลเงินแท้ 925 ที่มีโลหะเหมือน <image_1> ไหม',
    },
    'pandora': {
        'en': 'Can you find me a Pandora jewellery piece like the one in <image_1>, in the same metal as <image_2>?',
        'ms': 'Boleh tunjukkan barang kemas jenama Pandora yang sama jenis dengan <image_1> dan logamnya sama macam <image_2>?',
        'id': 'Saya mau beli perhiasan merek Pandora yang sejenis dengan <image_1> dan logamnya seperti <image_2>.',
        'vi': 'Tôi đang tìm một món trang sức của hãng Pandora cùng kiểu với <image_1>, có kim loại giống <image_2>.',
        'th': 'ช่วยหาเครื่องประดับแบรนด์ Pandora แบบเดียวกับ <image_1> ที่มีโลหะเหมือน <image_2> ให้หน่อย',
    },
    'necklace-22k': {
        'en': "I'd like a 22K jewellery piece like the one in <image_1>, in the same metal as <image_2>.",
        'ms': 'Saya sedang mencari barang kemas 916 yang sama jenis dengan <image_1> dan logamnya sama macam <image_2>.',
        'id': 'Saya mau beli perhiasan 22K yang sejenis dengan <image_1> dan logamnya seperti <image_2>.',
        'vi': 'Cho tôi xem trang sức 22K cùng kiểu với <image_1>, có kim loại giống <image_2>.',
        'th': 'ฉันกำลังหาเครื่องประดับ 22 กะรัต แบบเดียวกับ <image_1> ที่มีโลหะเหมือน <image_2>',
    },
    'mens-ring': {
        'en': "Show me a men's platinum ring with the same stone as <image_1>.",
        'ms': 'Saya sedang mencari cincin lelaki platinum yang batu permatanya sama macam <image_1>.',
        'id': 'Bisa tunjukkan cincin pria platina yang batu permatanya seperti <image_1>?',
        'vi': 'Shop có nhẫn nam bạch kim có đá quý giống <image_1> không?',
        'th': 'มีแหวนผู้ชายแพลทินัม ที่อัญมณีเหมือน <image_1> ไหม',
    },
    'earrings-image': {
        'en': 'Can you find me a jewellery piece like the one in <image_1>, with the same stone as <image_2> and in the same metal as <image_3>?',
        'ms': 'Saya mahu beli barang kemas yang sama jenis dengan <image_1>, batu permatanya sama macam <image_2> dan logamnya sama macam <image_3>.',
        'id': 'Tolong cariin perhiasan yang sejenis dengan <image_1>, batu permatanya seperti <image_2> dan logamnya seperti <image_3>.',
        'vi': 'Tôi muốn mua một món trang sức cùng kiểu với <image_1>, có đá quý giống <image_2> và kim loại giống <image_3>.',
        'th': 'ช่วยหาเครื่องประดับ แบบเดียวกับ <image_1> ที่อัญมณีเหมือน <image_2> และโลหะเหมือน <image_3> ให้หน่อย',
    },
    'necklace-steel': {
        'en': 'Can you find me a stainless steel necklace with the same stone as <image_1>?',
        'ms': 'Boleh tunjukkan rantai leher keluli tahan karat yang batu permatanya sama macam <image_1>?',
        'id': 'Saya mau beli kalung baja tahan karat yang batu permatanya seperti <image_1>.',
        'vi': 'Tôi muốn mua một sợi dây chuyền thép không gỉ có đá quý giống <image_1>.',
        'th': 'มีสร้อยคอสแตนเลส ที่อัญมณีเหมือน <image_1> ไหม',
    },
    'ring-24k': {
        'en': 'Find me a Poh Kong 24K ring in the same metal as <image_1>.',
        'ms': 'Saya sedang mencari cincin 24K jenama Poh Kong yang logamnya sama macam <image_1>.',
        'id': 'Saya mau beli cincin 24K merek Poh Kong yang logamnya seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc nhẫn 24K của hãng Poh Kong có kim loại giống <image_1>.',
        'th': 'อยากได้แหวน 24 กะรัตแบรนด์ Poh Kong ที่มีโลหะเหมือน <image_1>',
    },
    'earrings-ruby': {
        'en': 'Do you have a pair of ruby earrings in the same metal as <image_1>?',
        'ms': 'Boleh tunjukkan subang bertatah batu delima yang logamnya sama macam <image_1>?',
        'id': 'Ada anting batu rubi yang logamnya seperti <image_1> nggak?',
        'vi': 'Shop có bông tai đính hồng ngọc có kim loại giống <image_1> không?',
        'th': 'ฉันกำลังหาต่างหูประดับทับทิม ที่โลหะเหมือน <image_1>',
    },
    'suitcase-cabin': {
        'en': 'Do you have a cabin-size suitcase in the same colour as <image_1>?',
        'ms': 'Ada jual beg bagasi saiz kabin yang warnanya sama macam <image_1>?',
        'id': 'Tolong cariin koper ukuran kabin yang warnanya seperti <image_1>.',
        'vi': 'Shop có vali xách tay có màu giống <image_1> không?',
        'th': 'ช่วยหากระเป๋าเดินทางขนาดถือขึ้นเครื่อง ที่มีสีเหมือน <image_1> ให้หน่อย',
    },
    'suitcase-samsonite': {
        'en': "I'm looking for a Samsonite large suitcase made of the same material as <image_1> and in the same colour as <image_2>.",
        'ms': 'Saya mahu beli beg bagasi saiz besar jenama Samsonite yang bahannya sama macam <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Saya mau beli koper ukuran besar merek Samsonite yang bahannya seperti <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Tìm giúp tôi một chiếc vali cỡ lớn của hãng Samsonite có chất liệu giống <image_1> và màu giống <image_2>.',
        'th': 'ขอดูกระเป๋าเดินทางขนาดใหญ่แบรนด์ Samsonite ที่มีวัสดุเหมือน <image_1> และสีเหมือน <image_2> หน่อย',
    },
    'laptop-image-type': {
        'en': 'Find me a laptop with 16 GB RAM like the one in <image_1>, in the same colour as <image_2>.',
        'ms': 'Boleh tunjukkan komputer riba RAM 16 GB yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>?',
        'id': 'Saya mau beli laptop RAM 16 GB yang sejenis dengan <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Cho tôi xem laptop RAM 16 GB cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'ช่วยหาโน้ตบุ๊ก แรม 16 GB แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2> ให้หน่อย',
    },
    'earbuds-image-type': {
        'en': 'Do you have a wireless audio device like the one in <image_1>?',
        'ms': 'Ada jual peranti audio tanpa wayar yang sama jenis dengan <image_1>?',
        'id': 'Saya lagi cari perangkat audio nirkabel yang sejenis dengan <image_1>.',
        'vi': 'Tôi đang tìm một chiếc tai nghe không dây cùng kiểu với <image_1>.',
        'th': 'อยากได้หูฟังไร้สาย แบบเดียวกับ <image_1>',
    },
    'stool-image-type': {
        'en': "I'm looking for a wooden seat like the one in <image_1>.",
        'ms': 'Saya mahu beli tempat duduk kayu yang sama jenis dengan <image_1>.',
        'id': 'Apakah ada tempat duduk kayu yang sejenis dengan <image_1>?',
        'vi': 'Tôi muốn mua một chiếc ghế gỗ cùng kiểu với <image_1>.',
        'th': 'ขอดูเก้าอี้ไม้ แบบเดียวกับ <image_1> หน่อย',
    },
    'office-chair-image-type': {
        'en': "I'm looking for a chair like the one in <image_1>, in the same colour as <image_2>.",
        'ms': 'Tolong carikan kerusi yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Tolong cariin kursi yang sejenis dengan <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Cho tôi xem ghế cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'มีเก้าอี้ แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2> ไหม',
    },
    'desk-image-type': {
        'en': "I'd like an IKEA table like the one in <image_1>, in the same colour as <image_2>.",
        'ms': 'Saya sedang mencari meja jenama IKEA yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Saya mau beli meja merek IKEA yang sejenis dengan <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Tôi muốn mua một chiếc bàn của hãng IKEA cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'อยากได้โต๊ะแบรนด์ IKEA แบบเดียวกับ <image_1> ที่สีเหมือน <image_2>',
    },
    'candy-image-type': {
        'en': 'Find me a 100 g snack like the one in <image_1>.',
        'ms': 'Tolong carikan makanan ringan 100 g yang sama jenis dengan <image_1>.',
        'id': 'Saya lagi cari camilan 100 g yang sejenis dengan <image_1>.',
        'vi': 'Tôi muốn mua món ăn vặt 100 g cùng kiểu với <image_1>.',
        'th': 'ขอดูขนมขบเคี้ยว 100 g แบบเดียวกับ <image_1> หน่อย',
    },
    'ring-image-type': {
        'en': "Can you find me a women's jewellery piece like the one in <image_1>, in the same metal as <image_2>?",
        'ms': 'Boleh tunjukkan barang kemas wanita yang sama jenis dengan <image_1> dan logamnya sama macam <image_2>?',
        'id': 'Bisa tunjukkan perhiasan wanita yang sejenis dengan <image_1> dan logamnya seperti <image_2>?',
        'vi': 'Shop có trang sức nữ cùng kiểu với <image_1>, có kim loại giống <image_2> không?',
        'th': 'ช่วยหาเครื่องประดับผู้หญิง แบบเดียวกับ <image_1> ที่มีโลหะเหมือน <image_2> ให้หน่อย',
    },
    'suitcase-image-type': {
        'en': 'Show me a cabin-size travel case like the one in <image_1>, in the same colour as <image_2>.',
        'ms': 'Boleh tunjukkan beg saiz kabin yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>?',
        'id': 'Bisa tunjukkan tas ukuran kabin yang sejenis dengan <image_1> dan warnanya seperti <image_2>?',
        'vi': 'Cho tôi xem hành lý xách tay cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'ขอดูกระเป๋าขนาดถือขึ้นเครื่อง แบบเดียวกับ <image_1> ที่สีเหมือน <image_2> หน่อย',
    },
}


@pytest.fixture(scope="module")
def templates():
    return load_templates("v4", LANGUAGES)


@pytest.mark.parametrize("name", sorted(PLANS_V4))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden_sentence_v4(name, lang, templates):
    category, conditions = PLANS_V4[name]
    phrase = render_phrase({"base_query_id": name, "category": category}, conditions, templates.pack(lang), SEED)
    assert phrase.text == GOLDEN[name][lang]
    assert "  " not in phrase.text


def test_every_domain_has_an_image_carried_type_golden():
    shown = {category for category, conditions in PLANS_V4.values()
             if any(c["attribute"] == "type" and c["carried_by"] == "image" for c in conditions)}
    assert set(DOMAINS) <= shown


def test_no_image_carried_type_of_a_v2_domain_is_refused(templates):
    """Render refuses a plan whose text names what an image carries: with v4's words, every type of every v2
    domain shown by an image (alone, with a brand, with a gender) renders in all five languages."""
    vocabulary = json.loads((PROMPTS_DIR / "vocabulary" / "v2.json").read_text(encoding="utf-8"))
    words = value_words({lang: templates.pack(lang).lexicon for lang in LANGUAGES}, vocabulary)
    params = RenderParams(RenderConfig(languages=LANGUAGES), templates, SEED, words)
    extras = [[], [t("brand", "Acme")], [t("gender", "women")], [t("gender", "men"), i("color", "black", 2)]]
    plans = [{"base_query_id": f"{category}-{type_}-{k}", "category": category, "target_id": "x", "strategy": "random",
              "n_conditions": 1 + len(extra), "positive_ids": ["x"], "n_unverified": 0,
              "conditions": [i("type", type_, 1), *extra]}
             for category in DOMAINS for type_ in vocabulary["categories"][category]["types"]
             for k, extra in enumerate(extras)]
    queries, rejects = render_batch(plans, params)
    assert rejects.num_rows == 0, rejects.to_pylist()[:3]
    assert queries.num_rows == len(plans) * len(LANGUAGES)
