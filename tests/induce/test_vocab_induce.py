"""`meritgen vocab induce`: a vocabulary proposed from a catalog of a domain no shipped vocabulary knows,
built with `meritgen build` in two commands (issue #21)."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow.dataset as pads
import pytest

from pipelines.induce.names import cluster, singular, vocab_name
from pipelines.induce.propose import propose
from pipelines.induce.units import unit_value
from pipelines.runners.cli import main
from pipelines.vocab.check import document_problems
from pipelines.vocab.vocabulary import load_vocabulary
from tests.fake_openai import FakeOpenAI
from tests.llm_lexicon_scripted import responder
from tests.synthetic_catalog import write_catalog


def test_spellings_merge_across_case_plural_punctuation_and_typos():
    groups = cluster(Counter({"Dog Beds": 5, "dog bed": 2, "Dog-Beds": 1, "Dog Bedz": 1, "Leashes": 3, "Cat Toys": 2}), 90)
    assert [(g.name, g.count) for g in groups] == [("dog bed", 9), ("leash", 3), ("cat toy", 2)]
    assert singular("batteries") == "battery" and singular("boxes") == "box" and singular("glass") == "glass"
    assert vocab_name("Baby & Kids Gifts") == "baby & kids gift" and vocab_name("Crème_Brûlées") == "creme brulee"
    assert vocab_name("Combos and Kits") == "combo and kit"


@pytest.mark.parametrize("answer, lang, accepted", [
    ({"translation": "katil anjing", "loanword": False}, "ms", True),
    ({"translation": "Dog Bed", "loanword": False}, "ms", False),  # copied English
    ({"translation": "bed", "loanword": False}, "ms", False),  # a copied part is still English
    ({"translation": "500 ml", "loanword": True}, "ms", True),
    ({"translation": "thing for dogs to sleep on", "loanword": False}, "id", False),  # language ID: English
    ({"translation": "dog bed", "loanword": True}, "th", True),
    ({"translation": "tee-nawn", "loanword": False}, "th", False),  # Thai in Latin letters
    ({"translation": "ที่นอน <image_1>", "loanword": False}, "th", False),  # structure in a word
])
def test_lexicon_answers_are_checked_for_copied_english_and_script(answer, lang, accepted):
    from pipelines.stages.llm_tasks.translate_lexicon import parse as parse_translate_lexicon

    parsed = parse_translate_lexicon(json.dumps(answer), {"text": "dog bed", "target_language": lang})
    assert (parsed.value is not None) == accepted, parsed


@pytest.mark.parametrize("raw, canonical", [("5 L", "5 l"), ("5l", "5 l"), ("5 litre", "5 l"), ("16GB", "16 gb"),
                                             ("16 gb", "16 gb"), ('15.6"', "15.6 inch"), ("15.60 inches", "15.6 inch"),
                                             ("5000 mAh", "5000 mah"), ("12", "12"), ("red", None), ("5 apples", None)])
def test_numbers_with_units_get_one_spelling(raw, canonical):
    assert unit_value(raw) == canonical


def _records():
    rows = []
    for i in range(24):
        category = ["Kettles", "kettle", "Toasters"][i % 3]
        attrs = {"colour": ["Red", "red", "Black", "Steel Grey"][i % 4], "capacity": ["1.5 L", "1.5l", "1 L"][(i // 3) % 3],
                 "price": str(10 + i), "department": "Kitchen" if category != "Toasters" else "Breakfast",
                 "finish": ["Matte", "Gloss"][i % 2]}
        rows.append({"category": category, "title": f"Acme {attrs['colour']} {category}", "attributes": attrs})
    return rows


def test_proposal_merges_categories_clusters_values_and_reports_what_it_left_out():
    proposal = propose(_records(), load_vocabulary("v1"), 92.0)
    doc = proposal.vocabulary
    assert document_problems(doc, "vocabulary") == []
    assert sorted(doc["categories"]) == ["kettle", "toaster"]
    assert doc["categories"]["kettle"]["aliases"] == ["Kettles"]
    assert doc["attributes"]["capacity"]["values"] == {"1 l": [], "1.5 l": ["1.5l"]}  # case is no synonym
    assert doc["attributes"]["capacity"]["visual"] is False
    assert doc["attributes"]["finish"]["visual"] is True and "photo" in doc["attributes"]["finish"]["review"][0]
    assert "price" not in doc["attributes"] and "department" not in doc["attributes"]
    report = "\n".join(proposal.undecided)
    assert "field 'price': 24 distinct numbers without a unit" in report
    assert "field 'department': one value within each category" in report


def _base_queries_per_product(run) -> tuple[float, dict]:
    rows = pads.dataset(run / "export" / "data" / "queries").to_table(columns=["language", "text"]).to_pylist()
    by_lang: dict = {}
    for r in rows:
        by_lang.setdefault(r["language"], []).append(r["text"])
    return len(by_lang.get("en", [])) / 120, by_lang


@pytest.mark.slow
def test_an_unknown_domain_builds_in_english_with_two_commands(tmp_path, capsys, monkeypatch):
    for key in ("MERITGEN_LLM_URL", "MERITGEN_LLM_MODEL", "MERITGEN_LLM_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    catalog = write_catalog(tmp_path / "pets", "pets", 120, flat=True)  # attributes in columns of their own
    vocab = tmp_path / "pets-vocab"
    assert main(["vocab", "induce", "--catalog", str(catalog), "--out", str(vocab)]) == 0
    assert "lexicons for ms, id, vi, th not written" in capsys.readouterr().err
    assert sorted(p.name for p in (vocab / "lexicon").iterdir()) == ["en.json"]
    report = (vocab / "report.md").read_text()
    assert "| dog bed | 30 | Dog-Beds (12), dog bed (11), Dog Beds (7) |" in report
    assert "'price': 3 distinct numbers without a unit" in report
    config = (vocab / "config.toml").read_text()
    assert 'vocabulary = "./"' in config and '"Size" = "size"' in config and "Price" not in config
    assert main(["build", "--catalog", str(catalog), "--config", str(vocab / "config.toml"), "--out",
                 str(tmp_path / "runs"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("note:")][0].startswith(
        "note: building languages without a complete lexicon is refused, skipping ms, id, vi, th")
    per_product, by_lang = _base_queries_per_product(tmp_path / "runs" / "catalog")
    assert per_product >= 0.3 and set(by_lang) == {"en"}
    assert json.loads((tmp_path / "runs" / "catalog" / "audit.json").read_text())["passed"]


@pytest.mark.slow
def test_with_an_llm_server_the_lexicons_are_translated_and_every_language_builds(tmp_path, capsys, monkeypatch):
    catalog = write_catalog(tmp_path / "pets", "pets", 120)
    vocab = tmp_path / "pets-vocab"
    with FakeOpenAI(responder) as server:
        monkeypatch.setenv("MERITGEN_LLM_URL", server.base_url)
        assert main(["vocab", "induce", "--catalog", str(catalog), "--out", str(vocab)]) == 0
        asked = len(server.requests)
        assert main(["vocab", "induce", "--catalog", str(catalog), "--out", str(vocab)]) == 0
        # A second run is answered from the cache for every accepted answer; refused answers are
        # never cached (#24), so only the planted refusal (vi 'leash': first ask + strict retry) is asked again.
        again = ["\n".join(m["content"] for m in r["messages"]) for r in server.requests[asked:]]
        assert len(again) == 2, "a second run is answered from the cache (refused answers are asked again)"
        assert all("Vietnamese" in text and text.endswith(": leash") for text in again), again
    monkeypatch.delenv("MERITGEN_LLM_URL")
    th = json.loads((vocab / "lexicon" / "th.json").read_text())
    assert th["nouns"]["category"]["dog bed"] == {"det": "", "head": "ที่นอนสุนัข"}
    assert "translated by an LLM" in th["review"]
    assert "500 ml" in json.loads((vocab / "lexicon" / "ms.json").read_text())["loanwords"]
    report = (vocab / "report.md").read_text()
    assert "vi: no accepted translation for product noun 'leash' (nouns.category.leash)" in report
    capsys.readouterr()
    assert main(["build", "--catalog", str(catalog), "--set", f"mine.vocabulary={vocab}/", "--out",
                 str(tmp_path / "runs"), "--no-progress"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "skipping vi" in notes[0] and "category 'leash' has no noun in language 'vi'" in notes[0]
    run = tmp_path / "runs" / "catalog"
    per_product, by_lang = _base_queries_per_product(run)
    assert per_product >= 0.3 and set(by_lang) == {"en", "ms", "id", "th"}
    english = json.loads((vocab / "lexicon" / "en.json").read_text())
    for lang in ("ms", "id", "th"):
        own = json.loads((vocab / "lexicon" / f"{lang}.json").read_text())
        pairs = [(n["head"], own["nouns"]["category"][c]["head"]) for c, n in english["nouns"]["category"].items()]
        pairs += [(w, own["values"][a][v]) for a, values in english["values"].items() for v, w in values.items()]
        words = {en for en, word in pairs if en.casefold() not in word.casefold()}  # "XL" in "saiz XL" is no leak
        leaks = [t for t in by_lang[lang] if any(f" {w} " in f" {t.lower()} " for w in words)]
        assert not leaks, (lang, leaks[:3])
    assert json.loads((run / "audit.json").read_text())["passed"]


def test_the_report_says_which_translated_language_the_build_will_skip_and_why(tmp_path, monkeypatch):
    """A translator writing two sizes alike in Thai (a slip an LLM makes): the report tells at induce time that the
    build skips Thai and why, by the build's own check, before anyone runs it."""
    def alike(request: dict) -> str:
        answer = json.loads(responder(request))
        if answer["translation"] == "ไซซ์กลาง":  # Thai "medium" written as "large"
            answer["translation"] = "ไซซ์ใหญ่"
        return json.dumps(answer)

    catalog = write_catalog(tmp_path / "pets", "pets", 120)
    vocab = tmp_path / "pets-vocab"
    with FakeOpenAI(alike) as server:
        monkeypatch.setenv("MERITGEN_LLM_URL", server.base_url)
        assert main(["vocab", "induce", "--catalog", str(catalog), "--out", str(vocab)]) == 0
    th = next(line for line in (vocab / "report.md").read_text().splitlines() if line.startswith("| th |"))
    assert "the build skips th until this is mended" in th and "read alike ('ไซซ์ใหญ่') in language 'th'" in th
    ms = next(line for line in (vocab / "report.md").read_text().splitlines() if line.startswith("| ms |"))
    assert "skips" not in ms
