"""Your own vocabulary (README "Your own categories and attributes"): paths, schema checks, lexicon gaps.

Every mistake in a vocabulary, lexicon or template file is one `error:` line naming the file, the
key and the missing piece, before any stage runs; a language whose lexicon lacks a word is skipped
with a note (or refused), never rendered half in English."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.dataset as pads
import pytest

from pipelines.config import load_config
from pipelines.errors import ConfigError
from pipelines.resources import PROJECT_ROOT, PROMPTS_DIR, SCHEMAS_DIR
from pipelines.runners.cli import main
from pipelines.vocab.buildable import buildable_config
from pipelines.vocab.check import document_problems

EXAMPLE = PROJECT_ROOT / "examples" / "garden-tools"


@pytest.fixture()
def example(tmp_path) -> Path:
    """A copy of the worked example, safe to break."""
    dst = tmp_path / "garden-tools"
    shutil.copytree(EXAMPLE, dst, ignore=shutil.ignore_patterns("images", "catalog.jsonl"))
    return dst


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _error_line(argv: list[str], capsys) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    return lines[0]


def test_shipped_vocabularies_lexicons_and_templates_follow_their_schemas():
    for kind, pattern in (("vocabulary", "vocabulary/*.json"), ("lexicon", "lexicon/*/*.json"),
                          ("templates", "templates/*/*.json")):
        assert (SCHEMAS_DIR / kind / "v1.json").is_file()
        for path in sorted(PROMPTS_DIR.glob(pattern)):
            assert document_problems(json.loads(path.read_text(encoding="utf-8")), kind) == [], path


def test_vocabulary_path_resolves_from_the_config_file_not_the_cwd(example, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = load_config(example / "config.toml")
    assert cfg.mine.vocabulary == str(example)
    checked, skipped = buildable_config(cfg)
    assert skipped == {} and checked.render.languages == ("en", "ms", "id", "vi", "th")
    assert load_config(overrides={"mine.vocabulary": "garden-tools/"}).mine.vocabulary == str(example)


def test_an_absolute_path_without_json_still_names_the_file(example):
    """Configs pinned before this key was documented wrote `mine.vocabulary = "/abs/my"` for /abs/my.json."""
    from pipelines.vocab.vocabulary import load_vocabulary

    (example / "my.json").write_text((example / "vocabulary.json").read_text())
    assert load_vocabulary(str(example / "my")).categories == ["pruner", "shovel", "watering can"]


def test_lexicons_and_templates_can_live_elsewhere(example, tmp_path):
    shutil.move(example / "lexicon", tmp_path / "words")
    config = example / "config.toml"
    with pytest.raises(ConfigError, match="lexicon for 'en' is incomplete.*add the words to render.lexicon_dir"):
        buildable_config(load_config(config))  # no lexicon beside the vocabulary any more
    config.write_text(config.read_text() + '[render]\nlexicon_dir = "../words"\n')
    assert buildable_config(load_config(config))[1] == {}
    config.write_text(config.read_text().replace("../words", "../nowhere"))
    with pytest.raises(ConfigError, match=r"render.lexicon_dir: .*nowhere is not a folder"):
        buildable_config(load_config(config))


def test_a_typo_in_the_vocabulary_is_one_line_naming_file_and_key(example, tmp_path, capsys):
    _edit(example / "vocabulary.json", lambda d: d["categories"]["shovel"].update(atributes=["handle"]))
    line = _error_line(["build", "--demo", "--out", str(tmp_path / "runs"), "--config", str(example / "config.toml")], capsys)
    assert str(example / "vocabulary.json") in line
    assert "categories.shovel" in line and "'atributes' was unexpected" in line
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("change, expected", [
    (lambda d: d["categories"]["shovel"]["attributes"].append("blade"),
     "categories.shovel.attributes: attribute 'blade' is not defined under 'attributes'"),
    (lambda d: d["attributes"].update(Handle_Length={"values": {}}),
     "'Handle_Length' must be lower case letters"),
    (lambda d: d["categories"]["pruner"]["aliases"].append("Spades"),
     "categories.pruner.aliases: 'Spades' is already a name or alias of category 'shovel'"),
    (lambda d: d["attributes"]["handle"].update(label_only=["long handle", "telescopic"]),
     "attributes.handle.label_only: 'telescopic' is not one of its values"),
])
def test_vocabulary_mistakes_name_the_key_and_the_missing_piece(example, change, expected):
    _edit(example / "vocabulary.json", change)
    with pytest.raises(ConfigError, match="vocabulary.json: ") as err:
        buildable_config(load_config(example / "config.toml"))
    assert expected in str(err.value)


def test_a_category_without_a_noun_is_refused_before_any_stage(example, tmp_path, capsys):
    """Was a KeyError with a traceback from stages/phrasing.py in the middle of the build."""
    _edit(example / "vocabulary.json", lambda d: d["categories"].update(router={"attributes": ["material"]}))
    for lang in ("en", "ms", "id", "vi"):
        _edit(example / "lexicon" / f"{lang}.json", lambda d: d["nouns"]["category"].update(router={"head": "router"}))
    config = example / "config.toml"
    config.write_text(config.read_text() + '[render]\nincomplete_lexicons = "error"\n')
    line = _error_line(["build", "--demo", "--out", str(tmp_path / "runs"), "--config", str(config)], capsys)
    assert "category 'router' has no noun in language 'th' (nouns.category.router)" in line
    assert str(example / "lexicon" / "th.json") in line
    assert not (tmp_path / "runs").exists()


def test_an_english_word_in_another_language_is_a_gap_unless_a_loanword(example):
    _edit(example / "lexicon" / "vi.json", lambda d: d["values"]["material"].update(steel="steel"))
    _, skipped = buildable_config(load_config(example / "config.toml"))
    assert list(skipped) == ["vi"]
    assert "value 'steel' of 'material' is still English ('steel') in language 'vi' (values.material.steel)" in skipped["vi"]
    _edit(example / "lexicon" / "vi.json", lambda d: d.update(loanwords=["steel"]))
    assert buildable_config(load_config(example / "config.toml"))[1] == {}


def test_two_values_a_language_writes_alike_are_a_gap(example):
    """A translation giving steel and aluminium one word (an LLM's, or a slip) would write a query for steel that
    names aluminium products, which the labels count as violating it: the language is skipped with the reason."""
    _edit(example / "lexicon" / "vi.json", lambda d: d["values"]["material"].update(aluminium="bằng thép"))
    _, skipped = buildable_config(load_config(example / "config.toml"))
    assert list(skipped) == ["vi"]
    assert ("material values 'steel' and 'aluminium' of category 'shovel' read alike ('bằng thép') in language 'vi'"
            in skipped["vi"])
    _edit(example / "lexicon" / "th.json", lambda d: d["nouns"]["category"]["pruner"].update(
        head=d["nouns"]["category"]["shovel"]["head"]))
    assert "categories 'pruner' and 'shovel' read alike" in buildable_config(load_config(example / "config.toml"))[1]["th"]


def test_english_must_be_complete(example):
    _edit(example / "lexicon" / "en.json", lambda d: d["nouns"]["category"].pop("pruner"))
    with pytest.raises(ConfigError, match="lexicon for 'en' is incomplete.*category 'pruner' has no noun"):
        buildable_config(load_config(example / "config.toml"))


def test_a_bad_lexicon_file_names_file_and_key(example):
    _edit(example / "lexicon" / "th.json", lambda d: d["nouns"]["category"]["shovel"].pop("head"))
    with pytest.raises(ConfigError) as err:
        buildable_config(load_config(example / "config.toml"))
    assert str(example / "lexicon" / "th.json") in str(err.value)
    assert "nouns.category.shovel: 'head' is a required property" in str(err.value)


def test_a_shipped_version_name_that_does_not_exist_says_how_to_give_a_path():
    with pytest.raises(ConfigError, match="your own vocabulary is a path"):
        buildable_config(load_config(overrides={"mine.vocabulary": "garden"}))


@pytest.mark.slow
def test_incomplete_language_is_skipped_with_one_line_and_reported(example, tmp_path, capsys):
    _edit(example / "lexicon" / "th.json", lambda d: d["nouns"]["category"].pop("pruner"))
    (example / "catalog.jsonl").symlink_to(EXAMPLE / "catalog.jsonl")
    (example / "images").symlink_to(EXAMPLE / "images")
    assert main(["build", "--catalog", str(EXAMPLE / "catalog.jsonl"), "--config", str(example / "config.toml"),
                 "--out", str(tmp_path / "runs"), "--no-progress"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert len(notes) == 1 and "skipping th" in notes[0] and "category 'pruner' has no noun" in notes[0]
    run = tmp_path / "runs" / "catalog"
    assert "th" in json.loads((run / "report.json").read_text())["languages_skipped"]
    languages = set(pads.dataset(run / "export" / "data" / "queries").to_table(columns=["language"])["language"].to_pylist())
    assert languages == {"en", "ms", "id", "vi"}
    assert "Languages skipped" in (run / "export" / "README.md").read_text()


@pytest.mark.slow
def test_the_worked_example_builds_in_every_language(tmp_path):
    from pipelines.runners.local import run_build

    report = run_build(EXAMPLE / "catalog.jsonl", tmp_path, load_config(EXAMPLE / "config.toml"), progress=False)
    assert report.audit["passed"]
    rows = pads.dataset(report.run_dir / "export" / "data" / "queries").to_table(columns=["language", "text"]).to_pylist()
    by_lang = {lang: [r["text"] for r in rows if r["language"] == lang] for lang in ("en", "ms", "id", "vi", "th")}
    assert all(len(texts) >= 60 for texts in by_lang.values()), {k: len(v) for k, v in by_lang.items()}
    english = {"shovel", "pruners", "watering can", "handle", "steel", "wooden"}
    for lang, texts in by_lang.items():
        if lang != "en":
            assert not [t for t in texts if any(w in t.lower() for w in english)], lang
    assert any("watering can" in t for t in by_lang["en"]) and any("บัวรดน้ำ" in t for t in by_lang["th"])


@pytest.mark.parametrize("vocabulary", ["v1", "v2"])
def test_the_shipped_vocabularies_build_every_language_with_the_default_phrasing(vocabulary):
    """Nothing shipped is skipped: v2's proper names (`verbatim`: "Intel Core i5", "5G"), quantities
    ("16 GB") and number codes ("18K") are written alike in every language, never a missing word."""
    checked, skipped = buildable_config(load_config(overrides={"mine.vocabulary": vocabulary}))
    assert skipped == {} and checked.render.languages == ("en", "ms", "id", "vi", "th")


def test_number_codes_verbatim_and_quantity_values_need_no_word_but_english_words_do():
    from pipelines.vocab.check import lexicon_gaps
    from pipelines.vocab.vocabulary import Vocabulary

    attributes = {"color": {"visual": True, "values": {"red": []}},
                  "purity": {"visual": False, "values": {"18k": []}},
                  "processor": {"visual": False, "verbatim": True, "values": {"Intel Core i5": []}},
                  "ram": {"visual": False, "quantity": "data", "values": {}}}
    vocab = Vocabulary("t", {"common_attributes": [], "attributes": attributes,
                             "categories": {"laptop": {"aliases": [], "attributes": ["color", "purity", "processor", "ram"]}}}, "d")
    english = {"values": {"color": {"red": "red"}, "purity": {"18k": "18K"}}}
    lexicon = {"language": "ms", "nouns": {"category": {"laptop": {"head": "komputer riba"}}}, "attributes": {"color": "warna"},
               "values": {"color": {"red": "red"}, "purity": {"18k": "18K"}}}
    gaps = lexicon_gaps(vocab, {"language": "ms"}, lexicon, english)
    assert gaps == ["value 'red' of 'color' is still English ('red') in language 'ms' (values.color.red): "
                    "translate it or list it in loanwords"]
