"""Golden sentences: composed plans render to exactly these reviewed sentences in every language (#13).

Covers 2, 3 and 4 conditions and every carrier mix (all text but the required image, mixed, all
image). Each sentence was read as a shopper's request before it was frozen: the product noun with
its text-carried values as modifiers in the language's own order, image-carried conditions in one
relative clause (the only "and"-list), an image-carried type as a phrase of its own. Seed 11 picks
the frames; changing a template or lexicon meaning shows up here as a reviewed diff.

Also: catalog text that looks like a placeholder (a brand "<image_9>") is plain text, never an image.
"""

from __future__ import annotations

import pytest

from pipelines import schemas
from pipelines.config import RenderConfig
from pipelines.stages.render import RenderParams, render_phrase, render_queries
from pipelines.text.placeholders import PLACEHOLDER
from pipelines.vocab.templates import load_templates

LANGUAGES = ("en", "ms", "id", "vi", "th")
SEED = 11


def t(attr, value):
    return {"attribute": attr, "value": value, "carried_by": "text", "source_product_id": None, "image_id": None}


def i(attr, value, k):
    return {"attribute": attr, "value": value, "carried_by": "image", "source_product_id": f"p{k}", "image_id": f"img{k}"}


PLANS = {
    # 2 conditions
    "sneakers-2-text+image": ("shoes", [t("type", "sneakers"), i("color", "black", 1)]),
    "watch-2-image": ("watch", [i("dial", "analogue", 1), i("strap", "leather strap", 2)]),
    # 3 conditions
    "shirt-3-text+image": ("clothing", [t("gender", "men"), t("pattern", "striped"), i("neckline", "polo collar", 1)]),
    "handbag-3-mixed": ("bag", [t("type", "handbag"), i("color", "red", 1), i("material", "leather", 2)]),
    "shirt-3-image-kind": ("clothing", [t("gender", "men"), i("type", "shirt", 1), i("color", "navy", 2)]),
    "belt-3-image-kind": ("accessory", [t("gender", "men"), i("type", "belt", 1), i("color", "brown", 2)]),
    "sunglasses-3-image": ("eyewear", [i("type", "sunglasses", 1), i("frame", "aviator", 2), i("color", "brown", 3)]),
    # 4 conditions
    "tshirt-4-text+image": ("clothing", [t("type", "t-shirt"), t("gender", "men"), t("brand", "U.S. Polo Assn."), i("color", "navy", 1)]),
    "jeans-4-mixed": ("pants", [t("gender", "women"), t("brand", "Levi's"), i("type", "jeans", 1), i("color", "blue", 2)]),
    "dress-4-image": ("clothing", [i("type", "dress", 1), i("color", "red", 2), i("pattern", "floral", 3), i("sleeve", "sleeveless", 4)]),
    "jacket-4-season": ("clothing", [t("type", "jacket"), t("season", "winter"), t("occasion", "casual"), i("color", "olive", 1)]),
}

GOLDEN = {
    'sneakers-2-text+image': {
        'en': 'Show me a pair of sneakers that has the same colour as <image_1>.',
        'ms': 'Saya mahu beli kasut sneakers yang mempunyai warna seperti <image_1>.',
        'id': 'Bisa tunjukkan sepatu sneakers yang memiliki warna seperti <image_1>?',
        'vi': 'Tìm giúp tôi một đôi giày sneaker có màu giống <image_1>.',
        'th': 'ขอดูรองเท้าผ้าใบ ที่สีเหมือน <image_1> หน่อย',
    },
    'watch-2-image': {
        'en': 'Do you have a watch that has the dial of <image_1> and the strap of <image_2>?',
        'ms': 'Boleh tunjukkan jam tangan dengan dail seperti <image_1> dan tali seperti <image_2>?',
        'id': 'Saya sedang mencari jam tangan yang memiliki muka jam seperti <image_1> dan tali seperti <image_2>.',
        'vi': 'Cho tôi xem đồng hồ đeo tay có mặt số giống <image_1> và dây đeo giống <image_2>.',
        'th': 'ขอดูนาฬิกาข้อมือ ที่หน้าปัดเหมือน <image_1> และสายเหมือน <image_2> หน่อย',
    },
    'shirt-3-text+image': {
        'en': "I'd like a men's striped top or dress that has the neckline of <image_1>.",
        'ms': 'Ada jual baju atau gaun lelaki berjalur yang mempunyai bentuk leher seperti <image_1>?',
        'id': 'Saya mau beli atasan atau gaun pria bergaris dengan kerah seperti <image_1>.',
        'vi': 'Tôi đang tìm một chiếc áo hoặc đầm nam kẻ sọc có kiểu cổ giống <image_1>.',
        'th': 'มีเสื้อหรือชุดเดรสผู้ชายลายทาง ที่คอเสื้อแบบเดียวกับ <image_1> ไหม',
    },
    'handbag-3-mixed': {
        'en': 'Show me a handbag with the same colour as <image_1> and the material of <image_2>.',
        'ms': 'Boleh tunjukkan beg tangan yang mempunyai warna seperti <image_1> dan bahan seperti <image_2>?',
        'id': 'Tolong carikan tas tangan dengan warna seperti <image_1> dan bahan seperti <image_2>.',
        'vi': 'Tìm giúp tôi một chiếc túi xách có màu giống <image_1> và chất liệu giống <image_2>.',
        'th': 'ช่วยหากระเป๋าถือ ที่มีสีเหมือน <image_1> และวัสดุเหมือน <image_2> ให้หน่อย',
    },
    'shirt-3-image-kind': {
        'en': "Find me a men's top of the same kind as <image_1>, with the same colour as <image_2>.",
        'ms': 'Boleh tunjukkan baju lelaki yang sama jenis dengan <image_1>, dengan warna seperti <image_2>?',
        'id': 'Saya mau beli atasan pria yang sejenis dengan <image_1>, dengan warna seperti <image_2>.',
        'vi': 'Cho tôi xem áo nam cùng kiểu với <image_1>, với màu giống <image_2>.',
        'th': 'อยากได้เสื้อผู้ชาย แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2>',
    },
    # Accessories have no group noun narrower than their category: an image-carried type is headed by
    # the umbrella word, narrowed by the type phrase (before v3: the list of all seven accessory types).
    'belt-3-image-kind': {
        'en': "Do you have a men's accessory of the same kind as <image_1>, with the same colour as <image_2>?",
        'ms': 'Saya sedang mencari aksesori lelaki yang sama jenis dengan <image_1>, dengan warna seperti <image_2>.',
        'id': 'Bisa tunjukkan aksesori pria yang sejenis dengan <image_1>, yang memiliki warna seperti <image_2>?',
        'vi': 'Cho tôi xem phụ kiện nam cùng kiểu với <image_1>, có màu giống <image_2>.',
        'th': 'อยากได้แอคเซสซอรี่ผู้ชาย แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2>',
    },
    'sunglasses-3-image': {
        'en': 'Show me a pair of glasses of the same kind as <image_1>, with the frame shape of <image_2> and the same colour as <image_3>.',
        'ms': 'Saya sedang mencari cermin mata yang sama jenis dengan <image_1>, dengan bingkai seperti <image_2> dan warna seperti <image_3>.',
        'id': 'Tolong carikan kacamata yang sejenis dengan <image_1>, dengan bingkai seperti <image_2> dan warna seperti <image_3>.',
        'vi': 'Tôi muốn mua một chiếc kính mắt cùng kiểu với <image_1>, có gọng giống <image_2> và màu giống <image_3>.',
        'th': 'ช่วยหาแว่นตา แบบเดียวกับ <image_1> ที่กรอบแว่นเหมือน <image_2> และสีเหมือน <image_3> ให้หน่อย',
    },
    'tshirt-4-text+image': {
        'en': "Show me a men's T-shirt by U.S. Polo Assn. with the same colour as <image_1>.",
        'ms': 'Tolong carikan baju T lelaki jenama U.S. Polo Assn. yang mempunyai warna seperti <image_1>.',
        'id': 'Apakah ada kaus pria merek U.S. Polo Assn. yang memiliki warna seperti <image_1>?',
        'vi': 'Shop có áo thun nam của hãng U.S. Polo Assn. có màu giống <image_1> không?',
        'th': 'ฉันกำลังหาเสื้อยืดผู้ชายแบรนด์ U.S. Polo Assn. ที่มีสีเหมือน <image_1>',
    },
    'jeans-4-mixed': {
        'en': "Do you have women's bottoms by Levi's of the same kind as <image_1>, with the same colour as <image_2>?",
        'ms': "Saya sedang mencari seluar wanita jenama Levi's yang sama jenis dengan <image_1>, yang mempunyai warna seperti <image_2>.",
        'id': "Tolong carikan celana wanita merek Levi's yang sejenis dengan <image_1>, yang memiliki warna seperti <image_2>.",
        'vi': "Tôi đang tìm một chiếc quần nữ của hãng Levi's cùng kiểu với <image_1>, có màu giống <image_2>.",
        'th': "ช่วยหากางเกงผู้หญิงแบรนด์ Levi's แบบเดียวกับ <image_1> ที่สีเหมือน <image_2> ให้หน่อย",
    },
    'dress-4-image': {
        'en': 'Do you have a top or dress of the same kind as <image_1>, with the same colour as <image_2>, the pattern of <image_3> and the sleeves of <image_4>?',
        'ms': 'Saya sedang mencari baju atau gaun yang sama jenis dengan <image_1>, dengan warna seperti <image_2>, corak seperti <image_3> dan lengan seperti <image_4>.',
        'id': 'Bisa tunjukkan atasan atau gaun yang sejenis dengan <image_1>, yang memiliki warna seperti <image_2>, motif seperti <image_3> dan lengan seperti <image_4>?',
        'vi': 'Tôi đang tìm một chiếc áo hoặc đầm cùng kiểu với <image_1>, với màu giống <image_2>, họa tiết giống <image_3> và tay áo giống <image_4>.',
        'th': 'อยากได้เสื้อหรือชุดเดรส แบบเดียวกับ <image_1> ที่มีสีเหมือน <image_2> ลายเหมือน <image_3> และแขนเสื้อแบบเดียวกับ <image_4>',
    },
    'jacket-4-season': {
        'en': "I'd like a casual winter jacket that has the same colour as <image_1>.",
        'ms': 'Saya sedang mencari jaket kasual musim sejuk dengan warna seperti <image_1>.',
        'id': 'Tolong carikan jaket kasual musim dingin dengan warna seperti <image_1>.',
        'vi': 'Shop có áo khoác phong cách thường ngày mùa đông với màu giống <image_1> không?',
        'th': 'มีเสื้อแจ็กเก็ตลำลองหน้าหนาว ที่มีสีเหมือน <image_1> ไหม',
    },
}


@pytest.fixture(scope="module")
def templates():
    return load_templates("v3", LANGUAGES)


@pytest.mark.parametrize("name", sorted(PLANS))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_golden_sentence(name, lang, templates):
    category, conditions = PLANS[name]
    phrase = render_phrase({"base_query_id": name, "category": category}, conditions, templates.pack(lang), SEED)
    assert phrase.text == GOLDEN[name][lang]


def test_golden_covers_every_count_and_carrier_mix():
    seen = set()
    for _, conditions in PLANS.values():
        carriers = {c["carried_by"] for c in conditions}
        n_image = sum(c["carried_by"] == "image" for c in conditions)
        mix = "all image" if carriers == {"image"} else "one image" if n_image == 1 else "mixed"
        seen.add((len(conditions), mix))
    assert {n for n, _ in seen} == {2, 3, 4}
    assert {m for _, m in seen} == {"all image", "one image", "mixed"}


def _rows(plan, langs=LANGUAGES):
    templates = load_templates("v3", langs)
    table = schemas.from_rows([plan], "query_plan")
    return render_queries(table, RenderParams(RenderConfig(languages=langs), templates, SEED)).outputs["queries"].to_pylist()


@pytest.mark.parametrize("brand", ["<image_9>", "<image_1>"])
def test_placeholder_lookalike_in_catalog_text_is_never_an_image(brand):
    """A brand spelled like a placeholder used to crash segments_of (IndexError) or shift numbering."""
    plan = {"base_query_id": "qbad", "category": "shoes", "target_id": "t", "strategy": "random", "n_conditions": 3,
            "conditions": [t("brand", brand), i("color", "black", 1), i("material", "leather", 2)],
            "positive_ids": ["t"], "n_unverified": 0, "positive_share": 0.1}
    for q in _rows(plan):
        images = [s for s in q["segments"] if s["kind"] == "image"]
        assert [s["image_id"] for s in images] == ["img1", "img2"], q["language"]
        assert [s["image_index"] for s in images] == [1, 2]
        assert [im["image_id"] for im in q["images"]] == ["img1", "img2"]
        text_parts = "".join(s["text"] for s in q["segments"] if s["kind"] == "text")
        assert brand in text_parts, q["text"]  # the brand stays words, inside a text segment


def test_segments_and_images_follow_reading_order_with_an_image_type():
    """The image-carried type is read first even when the plan lists it last; numbering follows the text."""
    plan = {"base_query_id": "qord", "category": "clothing", "target_id": "t", "strategy": "random", "n_conditions": 3,
            "conditions": [i("color", "red", 1), t("gender", "women"), i("type", "dress", 2)],
            "positive_ids": ["t"], "n_unverified": 0, "positive_share": 0.1}
    for q in _rows(plan):
        assert [im["image_id"] for im in q["images"]] == ["img2", "img1"], q["text"]
        assert [c["attribute"] for c in q["conditions"] if c["carried_by"] == "image"] == ["type", "color"]
        flat = "".join(s["text"] if s["kind"] == "text" else f"<image_{s['image_index']}>" for s in q["segments"])
        assert flat == q["text"] and [int(k) for k in PLACEHOLDER.findall(q["text"])] == [1, 2]
        assert q["provenance"]["template_id"].startswith(f"offline/v3/{q['language']}/f")


def test_phrasings_vary_by_seed_within_a_language_and_condition_count(templates):
    category, conditions = PLANS["handbag-3-mixed"]
    for lang in LANGUAGES:
        texts = {render_phrase({"base_query_id": f"q{k}", "category": category}, conditions, templates.pack(lang),
                               SEED).text for k in range(40)}
        assert len(texts) >= 5, f"{lang}: only {len(texts)} phrasings"
