"""The columnar MERIT query writer equals the per-row reference it replaced, byte for byte (#14)."""

import json
import random
import re

import pyarrow as pa

from pipelines.io.merit_queries import write_merit_queries
from pipelines.merit_layout import merit_idx, merit_query_lines, split_pools

PLACEHOLDER = re.compile(r"<image_(\d+)>")
SCHEMA = pa.schema([
    ("query_id", pa.string()), ("split", pa.string()), ("language", pa.string()), ("category", pa.string()),
    ("text", pa.string()),
    ("images", pa.list_(pa.struct([("image_id", pa.string()), ("product_id", pa.string())]))),
    ("conditions", pa.list_(pa.struct([("attribute", pa.string()), ("value", pa.string()), ("carried_by", pa.string()),
                                       ("source_product_id", pa.string())]))),
    ("positive_ids", pa.list_(pa.string())), ("hard_negative_ids", pa.list_(pa.string())),
])


# --- the per-row reference: the writer as it was before #14 (dicts per row, json.dumps per record) ---
def _ref_instruction(text, images, titles):
    def product(match):
        k = int(match.group(1))
        title = titles.get(images[k - 1]["product_id"], "") if 0 < k <= len(images) else ""
        return f"<Product {k}> <image>\n{title} </Product {k}>"
    return PLACEHOLDER.sub(product, text)


def _ref_record(query, titles):
    contributions = {}
    for image in query["images"]:
        contributions.setdefault(str(merit_idx(image["product_id"])), {})
    text_conditions = {}
    for c in query["conditions"]:
        if c["carried_by"] == "image" and c["source_product_id"] is not None:
            contributions.setdefault(str(merit_idx(c["source_product_id"])), {})[c["attribute"]] = c["value"]
        else:
            text_conditions[c["attribute"]] = c["value"]
    return {"idx": query["query_id"], "query": contributions,
            "query instruction": _ref_instruction(query["text"], query["images"], titles),
            "pos_candidate": [merit_idx(p) for p in query["positive_ids"]],
            "hard_negative": [merit_idx(p) for p in query["hard_negative_ids"]],
            "text_conditions": text_conditions, "language": query["language"], "class": query["category"]}


def _ref_lines(rows, titles, split):
    return [json.dumps(_ref_record(q, titles), ensure_ascii=False) for q in rows if q["split"] == split]


def _ref_pools(rows):
    pools = {"train": set(), "test": set()}
    for q in rows:
        pools.setdefault(q["split"], set()).update({i["product_id"] for i in q["images"]} | set(q["positive_ids"])
                                                   | set(q["hard_negative_ids"]))
    return pools


def _img(pid, k=0):
    return {"image_id": f"{pid}#{k}", "product_id": pid}


def _cond(attribute, value, carried_by="text", source=None):
    return {"attribute": attribute, "value": value, "carried_by": carried_by, "source_product_id": source}


AWKWARD = [
    {"query_id": 'q"1\\-en', "split": "train", "language": "en", "category": 'bags "&" co',
     "text": 'Like <image_1> but "red"\\ with <image_2>\n\ttab <image_3> <image_0>',
     "images": [_img("12"), _img("sku-é")], "positive_ids": ["12", "9007199254740993", "sku-é"],
     "hard_negative_ids": [],
     "conditions": [_cond("color", 'r"ed', "image", "12"), _cond("color", "blue", "image", "12"),
                    _cond("type", "bag", "image", "other"), _cond("size", "M", "image", None),
                    _cond("size", "L\u2028x\x01"), _cond("é", "ß")]},
    {"query_id": "q2-th", "split": "test", "language": "th", "category": "กระเป๋า",
     "text": "ชุด 👗 <image_1>", "images": [_img("sku-é"), _img("sku-é", 1)], "positive_ids": [],
     "hard_negative_ids": ["0", "007", "9007199254740992"], "conditions": []},
    {"query_id": "q3-vi", "split": "validation", "language": "vi", "category": "", "text": "",
     "images": [], "positive_ids": ["x"], "hard_negative_ids": ["y"], "conditions": [_cond("", "")]},
    {"query_id": "q4-ms", "split": "train", "language": "ms", "category": "kasut", "text": "no placeholder",
     "images": [_img("missing-title")], "positive_ids": ["12"], "hard_negative_ids": ["12"],
     "conditions": [_cond("pattern", "plain", "image", "missing-title")]},
]
TITLES = {"12": 'Tote "big"\\ bag', "sku-é": "Áo dài\nđỏ", "0": ""}


def test_merit_lines_equal_the_per_row_reference_on_awkward_values():
    table = pa.Table.from_pylist(AWKWARD, schema=SCHEMA)
    for split in ("train", "test", "validation", "nowhere"):
        assert merit_query_lines(table, TITLES, split) == _ref_lines(AWKWARD, TITLES, split), split
    assert split_pools(table) == _ref_pools(AWKWARD)


def _random_rows(rng, n):
    alphabet = ['a', 'é', '"', '\\', '\n', '\x1f', 'ก', '👗', ' ', '<image_1>', '<image_2>', '<image_9>', '\u2028']
    ids = ["1", "22", "0", "sku-1", "sku-é", "9007199254740993", 'q"x']

    def word():
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 6)))

    rows = []
    for i in range(n):
        images = [_img(rng.choice(ids), k) for k in range(rng.randrange(0, 4))]
        conditions = [_cond(rng.choice(["color", "type", word()]), word(), rng.choice(["image", "text"]),
                            rng.choice([None, *ids])) for _ in range(rng.randrange(0, 5))]
        rows.append({"query_id": f"q{i}{word()}", "split": rng.choice(["train", "test"]), "language": word(),
                     "category": word(), "text": word() + word(), "images": images, "conditions": conditions,
                     "positive_ids": rng.sample(ids, rng.randrange(0, 4)),
                     "hard_negative_ids": rng.sample(ids, rng.randrange(0, 3))})
    return rows


def test_merit_query_files_equal_the_reference_across_batches(tmp_path, monkeypatch):
    import pipelines.io.export_writer as writer

    monkeypatch.setattr(writer, "BATCH_ROWS", 7)  # many batches, chunked table: order must still be the table's
    rows = _random_rows(random.Random(14), 120)
    table = pa.concat_tables([pa.Table.from_pylist(rows[:50], schema=SCHEMA),
                              pa.Table.from_pylist(rows[50:], schema=SCHEMA)])
    titles = {"1": 'one "1"', "sku-é": "é\n"}
    write_merit_queries(tmp_path, table, titles)
    for split in ("train", "test"):
        expected = "".join(line + "\n" for line in _ref_lines(rows, titles, split))
        assert (tmp_path / f"queries-{split}.json").read_text(encoding="utf-8") == expected
    assert split_pools(table, batch_rows=7) == _ref_pools(rows)
