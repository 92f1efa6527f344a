"""The card's columnar data gathering equals the per-row way it replaced (#14): counts, per-split
IPC sizes, the language-ID sample."""

import random
from collections import Counter, defaultdict

import pyarrow as pa
import pyarrow.compute as pc

from pipelines.card.counts import condition_counts, english, image_condition_counts, pair_counts, value_counts
from pipelines.io.ipc_size import ipc_size, ipc_sizes_by
from pipelines.stages import llm_tasks

CONDITION = pa.struct([("attribute", pa.string()), ("carried_by", pa.string())])
SCHEMA = pa.schema([("query_id", pa.string()), ("language", pa.string()), ("category", pa.string()),
                    ("n_conditions", pa.int8()), ("split", pa.string()), ("text", pa.string()),
                    ("conditions", pa.list_(CONDITION)), ("n_unverified", pa.int32()),
                    ("tags", pa.list_(pa.string())), ("flag", pa.bool_()),
                    ("nested", pa.struct([("a", pa.string()), ("b", pa.list_(pa.int32()))]))])


def _rows(rng, n):
    words = ["", "é", "ก", "a\"b", "x y"]
    rows = []
    for i in range(n):
        conds = [{"attribute": rng.choice(["color", "type", "é"]), "carried_by": rng.choice(["image", "text", None])}
                 for _ in range(rng.randrange(0, 4))]
        rows.append({"query_id": f"q{rng.randrange(10 ** 6)}-{i}", "language": rng.choice(["en", "th", "vi"]),
                     "category": rng.choice(["bags", "shoes"]), "n_conditions": len(conds),
                     "split": rng.choice(["train", "test"]), "text": rng.choice(words) * rng.randrange(0, 3),
                     "conditions": conds, "n_unverified": rng.choice([0, 0, 2, None]),
                     "tags": rng.choice([None, [], ["a"], [None, "bc"]]), "flag": rng.choice([True, False, None]),
                     "nested": rng.choice([None, {"a": None, "b": []}, {"a": "z", "b": [1, None]}])})
    return rows


def _table(rows, pieces=3):
    cut = len(rows) // pieces
    return pa.concat_tables([pa.Table.from_pylist(rows[i:i + cut], schema=SCHEMA) for i in range(0, len(rows), cut)])


def test_counts_equal_python_counters_over_rows():
    rows = _rows(random.Random(3), 200)
    table = _table(rows)
    en = [r for r in rows if r["language"] == "en"]
    assert value_counts(table["language"]) == Counter(r["language"] for r in rows)
    assert value_counts(table["n_conditions"]) == Counter(r["n_conditions"] for r in rows)
    assert pair_counts(table, "language", "category") == Counter((r["language"], r["category"]) for r in rows)
    assert english(table).num_rows == len(en)
    assert image_condition_counts(english(table)) == Counter(
        sum(c["carried_by"] == "image" for c in r["conditions"]) for r in en)
    assert condition_counts(english(table)) == Counter((c["attribute"], c["carried_by"]) for r in en for c in r["conditions"])


def test_split_sizes_summed_by_batch_equal_the_filtered_copy_sizes():
    table = _table(_rows(random.Random(5), 300), pieces=4)
    direct = {s: ipc_size(table.filter(pc.equal(table["split"], s))) for s in ("train", "test")}
    for batch_rows in (1, 7, 1000):
        assert ipc_sizes_by(table.to_batches(max_chunksize=batch_rows), table.schema, "split") == direct
    one_split = table.filter(pc.equal(table["split"], "test"))
    assert ipc_sizes_by(one_split.to_batches(max_chunksize=9), table.schema, "split") == {"test": ipc_size(one_split)}


def _reference_agreement(queries, sample):
    """language_agreement's per-row sampling as it was before #14."""
    by_lang = defaultdict(list)
    for _, lang, text in sorted(zip(*(queries.column(c).to_pylist() for c in ("query_id", "language", "text")))):
        if len(by_lang[lang]) < sample:
            by_lang[lang].append(text)
    return {lang: texts for lang, texts in sorted(by_lang.items())}


def test_language_id_sample_is_the_first_texts_by_query_id(monkeypatch):
    rows = _rows(random.Random(8), 150)
    rows += [{**rows[0], "query_id": "Ω-1"}, {**rows[1], "query_id": "é-2"}, {**rows[2], "query_id": "Z-3"}]
    table = _table(rows)
    seen = []
    monkeypatch.setattr(llm_tasks, "detect_language", lambda text: (seen.append(text) or "en", 1.0))
    result = llm_tasks.language_agreement(table, 11)
    expected = _reference_agreement(table, 11)
    assert seen == [t for texts in expected.values() for t in texts]
    assert result.column("language").to_pylist() == list(expected)
    assert result.column("checked").to_pylist() == [len(t) for t in expected.values()]
