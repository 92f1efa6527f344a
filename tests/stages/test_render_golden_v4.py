"""Golden sentences of phrasing v4 (#23), the default: the v3 plans plus one case per fixed pattern, in every language.

Each sentence was read as a shopper's request before it was frozen (by an LLM coding agent, not a
native speaker). What v4 fixes, and the cases showing it:
- English: an image-carried type reads "a Puma men's top like the one in <image_1>" (no "of the same
  kind as" after a brand; brand before the noun; "like the ones in" after a plural or "a pair of"
  head); image items "in the same colour as", "with the same pattern as" (a repeated "with" left
  out: "with the same pattern as <image_3> and the same sleeves as <image_4>"); "an HRX" (initials).
- Men and boys are never offered a dress or a skirt: their clothing/bottoms noun names only what
  they wear (`by_gender`: en "top", ms "baju"/"seluar", id "baju"/"celana", vi "áo"/"quần",
  th "เสื้อ"/"กางเกง"): shirt-3-text+image, men-clothing-colour-after-gender, boys-pants.
- Malay/Indonesian: one relative clause ("yang sama jenis dengan <image_1> dan warnanya sama macam
  <image_2>", id "yang sejenis dengan <image_1> dan warnanya seperti <image_2>"), never "yang …,
  yang …"; "warna merah" after the gender word, not "lelaki merah"; ms "skaf", "blaus"; id "motif
  print", "sepatu atau sandal wanita".
- Indonesian frames are Indonesian shop-chat ("Saya lagi cari", "Tolong cariin", "Ada … nggak?"), not
  the frames v3 shared with Malay (short Indonesian queries read as Malay).
- Vietnamese: "cùng kiểu với <image_1>, có màu giống <image_2>" (no second "với").
- No text names what an image carries: a top, dress, wallet or watch shown by an image is headed by
  a broader noun (id "baju", not "atasan"; en "piece of clothing", "outfit", "accessory", "timepiece").
"""

from __future__ import annotations

import pytest

from pipelines.config import RenderConfig
from pipelines.stages.render import render_phrase
from pipelines.vocab.templates import load_templates
from tests.stages.test_render_golden import LANGUAGES, PLANS, SEED, i, t

PLANS_V4 = {
    **PLANS,
    "top-brand-image-type": ("clothing", [t("gender", "men"), t("brand", "Puma"), i("type", "t-shirt", 1)]),
    "men-clothing-colour-after-gender": ("clothing", [t("gender", "men"), t("occasion", "casual"), t("color", "red"),
                                                      i("pattern", "striped", 1)]),
    "boys-pants": ("pants", [t("gender", "boys"), i("color", "black", 1), i("fit", "slim fit", 2)]),
    "women-shoes": ("shoes", [t("gender", "women"), t("color", "white"), i("closure", "lace-up", 1)]),
    "women-top-shown": ("clothing", [t("gender", "women"), i("type", "top", 1), i("color", "red", 2),
                                     i("pattern", "printed", 3)]),
    "scarf-printed": ("accessory", [t("type", "scarf"), t("gender", "women"), t("pattern", "printed"), i("color", "blue", 1)]),
    "women-top-text": ("clothing", [t("type", "top"), t("gender", "women"), i("sleeve", "sleeveless", 1)]),
    "watch-shown": ("watch", [t("gender", "unisex"), t("brand", "CASIO"), i("type", "watch", 1)]),
    "wallet-shown": ("bag", [t("gender", "men"), i("type", "wallet", 1), i("color", "brown", 2)]),
    "initials-brand": ("clothing", [t("brand", "HRX"), t("gender", "men"), i("color", "navy", 1)]),
    "sneakers-shown": ("shoes", [t("gender", "men"), t("occasion", "casual"), i("type", "sneakers", 1),
                                 i("color", "green", 2)]),
    "multicolour": ("clothing", [t("gender", "women"), t("color", "multicolour"), i("neckline", "v-neck", 1)]),
    "kids-clothing": ("clothing", [t("gender", "kids"), t("color", "red"), i("pattern", "striped", 1)]),
    "kids-shoes-shown": ("shoes", [t("gender", "kids"), i("type", "sneakers", 1), i("color", "blue", 2)]),
}

GOLDEN = {
    'kids-clothing': {  # v2's kids (boys and girls, #21): a girl may wear a dress
        'en': "Do you have a kids' red top or dress with the same pattern as <image_1>?",
        'ms': 'Saya mahu beli baju atau gaun kanak-kanak warna merah yang coraknya sama macam <image_1>.',
        'id': 'Bisa tunjukkan atasan atau gaun anak-anak warna merah yang motifnya seperti <image_1>?',
        'vi': 'Cho tôi xem áo hoặc đầm trẻ em màu đỏ có họa tiết giống <image_1>.',
        'th': 'มีเสื้อหรือชุดเดรสเด็กสีแดง ที่มีลายเหมือน <image_1> ไหม',
    },
    'kids-shoes-shown': {
        'en': "Find me kids' footwear like the ones in <image_1>, in the same colour as <image_2>.",
        'ms': 'Boleh tunjukkan kasut kanak-kanak yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>?',
        'id': 'Apakah ada sepatu anak-anak yang sejenis dengan <image_1> dan warnanya seperti <image_2>?',
        'vi': 'Tôi muốn mua giày dép trẻ em cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'อยากได้รองเท้าเด็ก แบบเดียวกับ <image_1> ที่สีเหมือน <image_2>',
    },
    'sneakers-2-text+image': {
        'en': 'Show me a pair of sneakers in the same colour as <image_1>.',
        'ms': 'Saya mahu beli kasut sneakers yang warnanya sama macam <image_1>.',
        'id': 'Bisa tunjukkan sepatu sneakers yang warnanya seperti <image_1>?',
        'vi': 'Tìm giúp tôi một đôi giày sneaker có màu giống <image_1>.',
        'th': 'ขอดูรองเท้าผ้าใบ ที่สีเหมือน <image_1> หน่อย',
    },
    'watch-2-image': {
        'en': 'Do you have a watch with the same dial as <image_1> and the same strap as <image_2>?',
        'ms': 'Boleh tunjukkan jam tangan yang dailnya sama macam <image_1> dan talinya sama macam <image_2>?',
        'id': 'Ada jam tangan yang muka jamnya seperti <image_1> dan talinya seperti <image_2> nggak?',
        'vi': 'Cho tôi xem đồng hồ đeo tay có mặt số giống <image_1> và dây đeo giống <image_2>.',
        'th': 'ขอดูนาฬิกาข้อมือ ที่หน้าปัดเหมือน <image_1> และสายเหมือน <image_2> หน่อย',
    },
    'shirt-3-text+image': {
        'en': "I'd like a men's striped top with the same neckline as <image_1>.",
        'ms': 'Ada jual baju lelaki berjalur yang bentuk lehernya sama macam <image_1>?',
        'id': 'Saya mau beli baju pria bergaris yang kerahnya seperti <image_1>.',
        'vi': 'Tôi đang tìm một chiếc áo nam kẻ sọc có kiểu cổ giống <image_1>.',
        'th': 'มีเสื้อผู้ชายลายทาง ที่คอเสื้อแบบเดียวกับ <image_1> ไหม',
    },
    'handbag-3-mixed': {
        'en': 'Show me a handbag in the same colour as <image_1> and made of the same material as <image_2>.',
        'ms': 'Boleh tunjukkan beg tangan yang warnanya sama macam <image_1> dan bahannya sama macam <image_2>?',
        'id': 'Tolong cariin tas tangan yang warnanya seperti <image_1> dan bahannya seperti <image_2>.',
        'vi': 'Tìm giúp tôi một chiếc túi xách có màu giống <image_1> và chất liệu giống <image_2>.',
        'th': 'ช่วยหากระเป๋าถือ ที่มีสีเหมือน <image_1> และวัสดุเหมือน <image_2> ให้หน่อย',
    },
    'shirt-3-image-kind': {
        'en': "Find me a men's top like the one in <image_1>, in the same colour as <image_2>.",
        'ms': 'Boleh tunjukkan baju lelaki yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>?',
        'id': 'Saya mau beli baju pria yang sejenis dengan <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Cho tôi xem áo nam cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'อยากได้เสื้อผู้ชาย แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2>',
    },
    'belt-3-image-kind': {
        'en': "Do you have a men's accessory like the one in <image_1>, in the same colour as <image_2>?",
        'ms': 'Saya sedang mencari aksesori lelaki yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Bisa tunjukkan aksesori pria yang sejenis dengan <image_1> dan warnanya seperti <image_2>?',
        'vi': 'Cho tôi xem phụ kiện nam cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'อยากได้แอคเซสซอรี่ผู้ชาย แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2>',
    },
    'sunglasses-3-image': {
        'en': 'Show me a pair of glasses like the ones in <image_1>, with the same frame shape as <image_2> and in the same colour as <image_3>.',
        'ms': 'Saya sedang mencari cermin mata yang sama jenis dengan <image_1>, bingkainya sama macam <image_2> dan warnanya sama macam <image_3>.',
        'id': 'Tolong cariin kacamata yang sejenis dengan <image_1>, bingkainya seperti <image_2> dan warnanya seperti <image_3>.',
        'vi': 'Tôi muốn mua một chiếc kính mắt cùng kiểu với <image_1>, có gọng giống <image_2> và màu giống <image_3>.',
        'th': 'ช่วยหาแว่นตา แบบเดียวกับ <image_1> ที่กรอบแว่นเหมือน <image_2> และสีเหมือน <image_3> ให้หน่อย',
    },
    'tshirt-4-text+image': {
        'en': "Show me a U.S. Polo Assn. men's T-shirt in the same colour as <image_1>.",
        'ms': 'Tolong carikan baju T lelaki jenama U.S. Polo Assn. yang warnanya sama macam <image_1>.',
        'id': 'Apakah ada kaus pria merek U.S. Polo Assn. yang warnanya seperti <image_1>?',
        'vi': 'Shop có áo thun nam của hãng U.S. Polo Assn. có màu giống <image_1> không?',
        'th': 'ฉันกำลังหาเสื้อยืดผู้ชายแบรนด์ U.S. Polo Assn. ที่มีสีเหมือน <image_1>',
    },
    'jeans-4-mixed': {
        'en': "Do you have Levi's women's bottoms like the ones in <image_1>, in the same colour as <image_2>?",
        'ms': "Saya sedang mencari seluar wanita jenama Levi's yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>.",
        'id': "Tolong cariin celana wanita merek Levi's yang sejenis dengan <image_1> dan warnanya seperti <image_2>.",
        'vi': "Tôi đang tìm một chiếc quần nữ của hãng Levi's cùng kiểu với <image_1>, có màu giống <image_2>.",
        'th': "ช่วยหากางเกงผู้หญิงแบรนด์ Levi's แบบเดียวกับ <image_1> ที่สีเหมือน <image_2> ให้หน่อย",
    },
    'dress-4-image': {
        'en': 'Do you have an outfit like the one in <image_1>, in the same colour as <image_2>, with the same pattern as <image_3> and the same sleeves as <image_4>?',
        'ms': 'Saya sedang mencari pakaian yang sama jenis dengan <image_1>, warnanya sama macam <image_2>, coraknya sama macam <image_3> dan lengannya sama macam <image_4>.',
        'id': 'Ada pakaian yang sejenis dengan <image_1>, warnanya seperti <image_2>, motifnya seperti <image_3> dan lengannya seperti <image_4> nggak?',
        'vi': 'Tôi đang tìm trang phục cùng kiểu với <image_1>, có màu giống <image_2>, họa tiết giống <image_3> và tay áo giống <image_4>.',
        'th': 'อยากได้ชุด แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2> ลายเหมือน <image_3> และแขนเสื้อแบบเดียวกับ <image_4>',
    },
    'jacket-4-season': {
        'en': "I'd like a casual winter jacket in the same colour as <image_1>.",
        'ms': 'Saya sedang mencari jaket kasual musim sejuk yang warnanya sama macam <image_1>.',
        'id': 'Tolong cariin jaket kasual musim dingin yang warnanya seperti <image_1>.',
        'vi': 'Shop có áo khoác phong cách thường ngày mùa đông có màu giống <image_1> không?',
        'th': 'มีเสื้อแจ็กเก็ตลำลองหน้าหนาว ที่มีสีเหมือน <image_1> ไหม',
    },
    'top-brand-image-type': {
        'en': "Show me a Puma men's top like the one in <image_1>.",
        'ms': 'Saya mahu beli baju lelaki jenama Puma yang sama jenis dengan <image_1>.',
        'id': 'Tolong cariin baju pria merek Puma yang sejenis dengan <image_1>.',
        'vi': 'Shop có áo nam của hãng Puma cùng kiểu với <image_1> không?',
        'th': 'มีเสื้อผู้ชายแบรนด์ Puma แบบเดียวกับ <image_1> ไหม',
    },
    'men-clothing-colour-after-gender': {
        'en': "I'd like a men's red casual top with the same pattern as <image_1>.",
        'ms': 'Saya mahu beli baju kasual lelaki warna merah yang coraknya sama macam <image_1>.',
        'id': 'Apakah ada baju kasual pria warna merah yang motifnya seperti <image_1>?',
        'vi': 'Tôi đang tìm một chiếc áo nam phong cách thường ngày màu đỏ có họa tiết giống <image_1>.',
        'th': 'ช่วยหาเสื้อลำลองผู้ชายสีแดง ที่ลายเหมือน <image_1> ให้หน่อย',
    },
    'boys-pants': {
        'en': "Find me boys' bottoms in the same colour as <image_1> and with the same fit as <image_2>.",
        'ms': 'Saya sedang mencari seluar kanak-kanak lelaki yang warnanya sama macam <image_1> dan potongannya sama macam <image_2>.',
        'id': 'Apakah ada celana anak laki-laki yang warnanya seperti <image_1> dan potongannya seperti <image_2>?',
        'vi': 'Tìm giúp tôi một chiếc quần bé trai có màu giống <image_1> và dáng giống <image_2>.',
        'th': 'ช่วยหากางเกงเด็กผู้ชาย ที่มีสีเหมือน <image_1> และทรงเหมือน <image_2> ให้หน่อย',
    },
    'women-shoes': {
        'en': "I'm looking for women's white footwear with the same fastening as <image_1>.",
        'ms': 'Tolong carikan kasut wanita warna putih yang pengancingnya sama macam <image_1>.',
        'id': 'Tolong cariin sepatu atau sandal wanita warna putih yang pengaitnya seperti <image_1>.',
        'vi': 'Tìm giúp tôi giày dép nữ màu trắng có kiểu cài giống <image_1>.',
        'th': 'อยากได้รองเท้าผู้หญิงสีขาว ที่มีแบบการปิดเหมือน <image_1>',
    },
    'women-top-shown': {
        'en': "Can you find me a women's piece of clothing like the one in <image_1>, in the same colour as <image_2> and with the same pattern as <image_3>?",
        'ms': 'Boleh tunjukkan baju wanita yang sama jenis dengan <image_1>, warnanya sama macam <image_2> dan coraknya sama macam <image_3>?',
        'id': 'Saya lagi cari baju wanita yang sejenis dengan <image_1>, warnanya seperti <image_2> dan motifnya seperti <image_3>.',
        'vi': 'Cho tôi xem áo nữ cùng kiểu với <image_1>, có màu giống <image_2> và họa tiết giống <image_3>.',
        'th': 'ฉันกำลังหาเสื้อผู้หญิง แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2> และลายเหมือน <image_3>',
    },
    'scarf-printed': {
        'en': "Find me a women's printed scarf in the same colour as <image_1>.",
        'ms': 'Tolong carikan skaf wanita bercetak yang warnanya sama macam <image_1>.',
        'id': 'Saya lagi cari syal wanita motif print yang warnanya seperti <image_1>.',
        'vi': 'Tôi đang tìm một chiếc khăn quàng cổ nữ in họa tiết có màu giống <image_1>.',
        'th': 'ฉันกำลังหาผ้าพันคอผู้หญิงลายพิมพ์ ที่มีสีเหมือน <image_1>',
    },
    'women-top-text': {
        'en': "Can you find me a women's top with the same sleeves as <image_1>?",
        'ms': 'Saya mahu beli blaus wanita yang lengannya sama macam <image_1>.',
        'id': 'Saya mau beli blus wanita yang lengannya seperti <image_1>.',
        'vi': 'Tìm giúp tôi một chiếc áo kiểu nữ có tay áo giống <image_1>.',
        'th': 'มีเสื้อท็อปผู้หญิง ที่มีแขนเสื้อแบบเดียวกับ <image_1> ไหม',
    },
    'watch-shown': {
        'en': 'Can you find me a CASIO unisex timepiece like the one in <image_1>?',
        'ms': 'Saya mahu beli jam uniseks jenama CASIO yang sama jenis dengan <image_1>.',
        'id': 'Saya mau beli jam unisex merek CASIO yang sejenis dengan <image_1>.',
        'vi': 'Cho tôi xem đồng hồ unisex của hãng CASIO cùng kiểu với <image_1>.',
        'th': 'ขอดูนาฬิกายูนิเซ็กซ์แบรนด์ CASIO แบบเดียวกับ <image_1> หน่อย',
    },
    'wallet-shown': {
        'en': "Do you have a men's accessory like the one in <image_1>, in the same colour as <image_2>?",
        'ms': 'Saya sedang mencari aksesori lelaki yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Saya mau beli aksesori pria yang sejenis dengan <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Shop có phụ kiện nam cùng kiểu với <image_1>, có màu giống <image_2> không?',
        'th': 'ช่วยหากระเป๋าผู้ชาย แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2> ให้หน่อย',
    },
    'initials-brand': {
        'en': "I'd like an HRX men's top in the same colour as <image_1>.",
        'ms': 'Saya sedang mencari baju lelaki jenama HRX yang warnanya sama macam <image_1>.',
        'id': 'Saya mau beli baju pria merek HRX yang warnanya seperti <image_1>.',
        'vi': 'Shop có áo nam của hãng HRX có màu giống <image_1> không?',
        'th': 'ขอดูเสื้อผู้ชายแบรนด์ HRX ที่มีสีเหมือน <image_1> หน่อย',
    },
    'sneakers-shown': {
        'en': "Find me men's casual footwear like the ones in <image_1>, in the same colour as <image_2>.",
        'ms': 'Saya mahu beli kasut kasual lelaki yang sama jenis dengan <image_1> dan warnanya sama macam <image_2>.',
        'id': 'Saya lagi cari sepatu kasual pria yang sejenis dengan <image_1> dan warnanya seperti <image_2>.',
        'vi': 'Cho tôi xem giày dép nam phong cách thường ngày cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'อยากได้รองเท้าลำลองผู้ชาย แบบเดียวกับ <image_1> ที่สีเหมือน <image_2>',
    },
    'multicolour': {
        'en': "I'd like a women's multicoloured top or dress with the same neckline as <image_1>.",
        'ms': 'Boleh tunjukkan baju atau gaun wanita pelbagai warna yang bentuk lehernya sama macam <image_1>?',
        'id': 'Saya lagi cari atasan atau gaun wanita warna-warni yang kerahnya seperti <image_1>.',
        'vi': 'Cho tôi xem áo hoặc đầm nữ nhiều màu có kiểu cổ giống <image_1>.',
        'th': 'ฉันกำลังหาเสื้อหรือชุดเดรสผู้หญิงหลากสี ที่มีคอเสื้อแบบเดียวกับ <image_1>',
    },
}


@pytest.fixture(scope="module")
def templates():
    return load_templates("v4", LANGUAGES)


def test_v4_is_the_default():
    assert RenderConfig().templates == "v4"


@pytest.mark.parametrize("name", sorted(PLANS_V4))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden_sentence_v4(name, lang, templates):
    category, conditions = PLANS_V4[name]
    phrase = render_phrase({"base_query_id": name, "category": category}, conditions, templates.pack(lang), SEED)
    assert phrase.text == GOLDEN[name][lang]
