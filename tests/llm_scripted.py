"""A scripted 'Qwen' for end-to-end builds: rewrites and translates the demo's queries.

Answers are deterministic functions of the request, keep every <image_k>, and are written
with words that make each language unmistakable. A few planted failures exercise rejects:
queries whose English text mentions a brand of LOSES_A_PLACEHOLDER_IN_THAI lose a placeholder in
Thai, those mentioning one of STAYS_ENGLISH_IN_VIETNAMESE come back in English when Vietnamese
was asked for, and the judge refuses those mentioning one of JUDGE_REFUSES. Each set names a few
frequent demo brands: since minimal-pair compose (#22) a brand is one condition among many, and a
single brand (Nike, Puma) need not appear among a small build's queries at all.
"""

from __future__ import annotations

import json
import re

from tests.fake_openai import user_text

SENTENCES = {
    "ms": "Saya mahu cari barang ini kerana cantik: {images}",
    "id": "Saya ingin mencari barang ini karena bagus sekali: {images}",
    "vi": "Tôi muốn tìm sản phẩm này vì rất đẹp: {images}",
    "th": "ฉันอยากได้สินค้าแบบนี้มากเพราะสวย {images}",
}
LOSES_A_PLACEHOLDER_IN_THAI = ("Nike", "United Colors of Benetton")
STAYS_ENGLISH_IN_VIETNAMESE = ("Puma", "Fila", "Baggit")
JUDGE_REFUSES = ("Nike", "Puma", "United Colors of Benetton", "Baggit", "Fila")
TARGETS = {"Malay": "ms", "Indonesian": "id", "Vietnamese": "vi", "Thai": "th"}


def _system(request: dict) -> str:
    return "\n".join(m["content"] for m in request["messages"] if m["role"] == "system" and isinstance(m["content"], str))


def _mentions(text: str, brands: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(brand)}\b", text) for brand in brands)


def planted_failure(request: dict) -> bool:
    """A translate request this script answers badly on purpose (a lost placeholder, the wrong language)."""
    text = user_text(request)
    return ("Translate into Thai" in text and _mentions(text, LOSES_A_PLACEHOLDER_IN_THAI)) or (
        "Translate into Vietnamese" in text and _mentions(text, STAYS_ENGLISH_IN_VIETNAMESE))


def responder(request: dict) -> str:
    system, user = _system(request), user_text(request)
    if "You rewrite" in system:
        query = re.search(r"Query: (.*)", user).group(1)
        return "Hi! " + query
    if "You translate" in system:
        target = next(code for name, code in TARGETS.items() if f"Translate into {name}" in user)
        text = user.strip().splitlines()[-1]
        images = re.findall(r"<image_\d+>", text)
        if target == "th" and _mentions(text, LOSES_A_PLACEHOLDER_IN_THAI):
            images = images[1:]  # planted: a lost placeholder
        if target == "vi" and _mentions(text, STAYS_ENGLISH_IN_VIETNAMESE):
            return "I would like this product please " + " ".join(images)  # planted: wrong language
        return SENTENCES[target].format(images=" ".join(images))
    if "You label fashion product photos" in system:
        keys = request["response_format"]["json_schema"]["schema"]["required"]
        # Every product "shows" a visible material; the title miner rarely finds one.
        return json.dumps({k: ("cotton" if k == "material" else "unknown") for k in keys})
    if "You make a shopping query more specific" in system:
        choices = request["response_format"]["json_schema"]["schema"]["anyOf"]
        first = choices[0]["properties"]  # the first allowed attribute, with its first allowed value
        return json.dumps({"attribute": first["attribute"]["enum"][0], "value": first["value"]["enum"][0]})
    if "You check whether a product satisfies" in system:
        query = re.search(r"^Query: (.*)$", user, re.M)
        # planted: the judge refuses every query naming one of JUDGE_REFUSES (wherever the phrasing puts it)
        verdict = "no" if query and _mentions(query.group(1), JUDGE_REFUSES) else "yes"
        return json.dumps({"verdict": verdict, "reason": "the brand is not visible in the picture"})
    return "{}"
