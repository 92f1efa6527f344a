"""A scripted translator for `translate_lexicon` (meritgen vocab induce) over the synthetic pet-supplies catalog.

Answers are a dictionary lookup per target language; numbers with units are loanwords in Malay and
Indonesian. Planted: Vietnamese "leash" comes back in English (refused twice), so Vietnamese stays
incomplete and the build must skip it.
"""

from __future__ import annotations

import json
import re

from tests.fake_openai import user_text

WORDS = {
    "ms": {"cat toy": "mainan kucing", "dog bed": "katil anjing", "leash": "tali leher", "pet bowl": "mangkuk haiwan",
           "food bowl": "mangkuk makanan", "dog leash": "tali anjing", "plush": "bulu lembut", "ceramic": "seramik",
           "stainless steel": "keluli tahan karat", "paw print": "corak tapak kaki", "small": "kecil",
           "medium": "sederhana", "large": "besar", "xl": "saiz XL", "bedroom": "bilik tidur",
           "living room": "ruang tamu", "1 l": "1 liter", "1.5 l": "1.5 liter", "500 ml": "500 ml"},
    "id": {"cat toy": "mainan kucing", "dog bed": "kasur anjing", "leash": "tali tuntun", "pet bowl": "mangkuk hewan",
           "food bowl": "mangkuk makan", "dog leash": "tali anjing", "plush": "bulu lembut", "ceramic": "keramik",
           "stainless steel": "baja tahan karat", "paw print": "motif tapak kaki", "small": "kecil", "medium": "sedang",
           "large": "besar", "xl": "ukuran XL", "bedroom": "kamar tidur", "living room": "ruang tamu",
           "1 l": "1 liter", "1.5 l": "1,5 liter", "500 ml": "500 ml"},
    "vi": {"cat toy": "đồ chơi cho mèo", "dog bed": "giường cho chó", "leash": "leash", "pet bowl": "bát cho thú cưng",
           "food bowl": "bát đựng thức ăn", "dog leash": "dây dắt chó", "plush": "vải lông mềm", "ceramic": "bằng gốm",
           "stainless steel": "bằng thép không gỉ", "paw print": "họa tiết dấu chân", "small": "cỡ nhỏ",
           "medium": "cỡ vừa", "large": "cỡ lớn", "xl": "cỡ XL", "bedroom": "phòng ngủ", "living room": "phòng khách",
           "1 l": "1 lít", "1.5 l": "1,5 lít", "500 ml": "500 ml"},
    "th": {"cat toy": "ของเล่นแมว", "dog bed": "ที่นอนสุนัข", "leash": "สายจูง", "pet bowl": "ชามสัตว์เลี้ยง",
           "food bowl": "ชามอาหาร", "dog leash": "สายจูงสุนัข", "plush": "ผ้ากำมะหยี่", "ceramic": "เซรามิก",
           "stainless steel": "สแตนเลส", "paw print": "ลายรอยเท้า", "small": "ไซซ์เล็ก", "medium": "ไซซ์กลาง",
           "large": "ไซซ์ใหญ่", "xl": "ไซซ์ XL", "bedroom": "ห้องนอน", "living room": "ห้องนั่งเล่น",
           "1 l": "1 ลิตร", "1.5 l": "1.5 ลิตร", "500 ml": "500 มล."},
}
TARGETS = {"Malay": "ms", "Indonesian": "id", "Vietnamese": "vi", "Thai": "th"}


def responder(request: dict) -> str:
    system = "\n".join(m["content"] for m in request["messages"] if m["role"] == "system")
    lang = next(code for name, code in TARGETS.items() if f"in {name}" in system)
    entry = re.search(r"Entry \(.*\): (.*)", user_text(request)).group(1).strip()
    word = WORDS[lang].get(entry.casefold(), entry)  # "XL": a value written as a name keeps its capitals
    return json.dumps({"translation": word, "loanword": word == entry and entry[0].isdigit()})
