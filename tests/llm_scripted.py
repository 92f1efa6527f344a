"""A scripted 'Qwen' for end-to-end builds: rewrites and translates the demo's queries.

Answers are deterministic functions of the request, keep every <image_k>, and are written
with words that make each language unmistakable. A few planted failures exercise rejects:
queries whose English text mentions "Nike" lose a placeholder in Thai, and those mentioning
"Puma" come back in English when Vietnamese was asked for.
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
TARGETS = {"Malay": "ms", "Indonesian": "id", "Vietnamese": "vi", "Thai": "th"}


def _system(request: dict) -> str:
    return "\n".join(m["content"] for m in request["messages"] if m["role"] == "system" and isinstance(m["content"], str))


def responder(request: dict) -> str:
    system, user = _system(request), user_text(request)
    if "You rewrite" in system:
        query = re.search(r"Query: (.*)", user).group(1)
        return "Hi! " + query
    if "You translate" in system:
        target = next(code for name, code in TARGETS.items() if f"Translate into {name}" in user)
        text = user.strip().splitlines()[-1]
        images = re.findall(r"<image_\d+>", text)
        if target == "th" and "Nike" in text:
            images = images[1:]  # planted: a lost placeholder
        if target == "vi" and "Puma" in text:
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
        # planted: the judge refuses every Nike query (v4 writes "a Nike top", v3 "a top by Nike")
        verdict = "no" if query and re.search(r"\bNike\b", query.group(1)) else "yes"
        return json.dumps({"verdict": verdict, "reason": "the brand is not visible in the picture"})
    return "{}"
