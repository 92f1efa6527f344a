"""Offline templates and lexicons (prompts/templates/v1, prompts/lexicon/v1) are complete and well formed.

Checks every language against the v1 vocabulary: a surface form for every attribute, value,
category and product type; frames and phrases with exactly the placeholders the render stage
fills; translations that really are translations; Malay and Indonesian kept apart.
"""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = ROOT / "prompts"
VERSION = "v1"
LANGUAGES = ("en", "ms", "id", "vi", "th")
TRANSLATED = ("ms", "id", "vi", "th")
MIN_FRAMES = 4

# Values a translated lexicon may legitimately write exactly as English does: loanwords that
# shoppers in that market type as-is. Anything else identical to English is an untranslated slip.
LOANWORDS: dict[str, dict[str, set[str]]] = {
    "color": {
        "ms": {"khaki"},  # "khaki" is the usual Malaysian retail spelling
        "id": {"khaki"},  # likewise in Indonesian listings ("celana khaki")
        "vi": set(),
        "th": set(),
    },
    "category": {lang: set() for lang in TRANSLATED},
    "gender": {
        "ms": set(),
        "id": {"unisex"},  # Indonesian shops write "unisex" rather than KBBI "uniseks"
        "vi": {"unisex"},  # Vietnamese shops write "unisex" as-is
        "th": set(),
    },
}

# English head nouns carry an article or a counter; the others have none.
EN_DETERMINERS = re.compile(r"^(a pair of|a piece of|an|a)\s+", re.IGNORECASE)


def _load(kind: str, lang: str) -> dict:
    return json.loads((PROMPTS / kind / VERSION / f"{lang}.json").read_text(encoding="utf-8"))


def _fields(pattern: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]


@pytest.fixture(scope="module")
def vocabulary() -> dict:
    return json.loads((PROMPTS / "vocabulary" / f"{VERSION}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lexicons() -> dict[str, dict]:
    return {lang: _load("lexicon", lang) for lang in LANGUAGES}


@pytest.fixture(scope="module")
def templates() -> dict[str, dict]:
    return {lang: _load("templates", lang) for lang in LANGUAGES}


def _all_attributes(vocab: dict) -> list[str]:
    return sorted({*vocab["attributes"], *vocab["common_attributes"]})


def _all_types(vocab: dict) -> list[str]:
    return sorted({t for spec in vocab["categories"].values() for t in spec["types"]})


def _closed_values(vocab: dict) -> dict[str, list[str]]:
    """attribute -> values needing a surface form (open attributes such as brand pass through)."""
    out = {name: sorted(spec["values"]) for name, spec in vocab["attributes"].items() if not spec.get("open")}
    out["type"] = _all_types(vocab)
    return out


def _visual_attributes(vocab: dict) -> list[str]:
    return sorted([name for name, spec in vocab["attributes"].items() if spec.get("visual")] + ["type"])


# ---------------------------------------------------------------- files and languages


def test_every_language_has_both_files():
    for lang in LANGUAGES:
        for kind in ("lexicon", "templates"):
            assert (PROMPTS / kind / VERSION / f"{lang}.json").is_file(), f"missing {kind}/{VERSION}/{lang}.json"


def test_languages_match_build_config():
    from pipelines.config import LANGUAGES as CONFIGURED

    assert set(CONFIGURED) == set(LANGUAGES)


@pytest.mark.parametrize("kind", ["lexicon", "templates"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_language_field_matches_filename(kind, lang):
    assert _load(kind, lang)["language"] == lang


@pytest.mark.parametrize("lang", LANGUAGES)
def test_template_id(lang, templates):
    assert templates[lang]["template_id"] == f"offline/{VERSION}/{lang}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_same_structure_as_english(lang, lexicons, templates):
    assert set(lexicons[lang]) == set(lexicons["en"])
    assert set(lexicons[lang]["nouns"]) == set(lexicons["en"]["nouns"])
    assert set(templates[lang]) == set(templates["en"])


# ---------------------------------------------------------------- lexicon completeness


@pytest.mark.parametrize("lang", LANGUAGES)
def test_attribute_names_complete(lang, vocabulary, lexicons):
    names = lexicons[lang]["attributes"]
    missing = [a for a in _all_attributes(vocabulary) if not str(names.get(a, "")).strip()]
    assert not missing, f"{lang}: no attribute name for {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_values_complete(lang, vocabulary, lexicons):
    values = lexicons[lang]["values"]
    missing = [
        f"{attr}={value}"
        for attr, wanted in _closed_values(vocabulary).items()
        for value in wanted
        if not str(values.get(attr, {}).get(value, "")).strip()
    ]
    assert not missing, f"{lang}: no surface form for {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_unknown_values_or_phrases(lang, vocabulary, lexicons):
    """Keys must be vocabulary values: a typo would silently never be used."""
    closed = _closed_values(vocabulary)
    lex = lexicons[lang]
    for section in ("values", "phrases"):
        for attr, table in lex[section].items():
            assert attr in closed, f"{lang}: {section} for unknown or open attribute {attr!r}"
            unknown = set(table) - set(closed[attr])
            assert not unknown, f"{lang}: {section}.{attr} has unknown values {sorted(unknown)}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_nouns_complete(lang, vocabulary, lexicons):
    nouns = lexicons[lang]["nouns"]
    missing = [f"category:{c}" for c in vocabulary["categories"] if not str(nouns["category"].get(c, "")).strip()]
    missing += [f"type:{t}" for t in _all_types(vocabulary) if not str(nouns["type"].get(t, "")).strip()]
    assert not missing, f"{lang}: no noun for {missing}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_nouns_have_no_article(lang, lexicons):
    nouns = lexicons[lang]["nouns"]
    for noun in [*nouns["category"].values(), *nouns["type"].values()]:
        assert not EN_DETERMINERS.match(noun), f"{lang}: noun {noun!r} carries an English article"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_phrase_overrides_are_whole_phrases(lang, lexicons):
    for attr, table in lexicons[lang]["phrases"].items():
        for value, phrase in table.items():
            assert phrase.strip(), f"{lang}: empty phrase for {attr}={value}"
            assert not _fields(phrase), f"{lang}: override {attr}={value} has placeholders: {phrase!r}"


# ---------------------------------------------------------------- templates


@pytest.mark.parametrize("lang", LANGUAGES)
def test_frames(lang, templates):
    frames = templates[lang]["frames"]
    assert len(frames) >= MIN_FRAMES, f"{lang}: only {len(frames)} frames"
    assert len(set(frames)) == len(frames), f"{lang}: duplicate frames"
    for frame in frames:
        assert sorted(_fields(frame)) == ["conditions", "noun"], f"{lang}: bad frame {frame!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_joiners(lang, templates):
    tpl = templates[lang]
    assert isinstance(tpl["joiner"], str) and tpl["joiner"]
    assert isinstance(tpl["last_joiner"], str) and tpl["last_joiner"].strip()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_image_phrases(lang, vocabulary, templates):
    phrases = templates[lang]["image_phrases"]
    assert "_default" in phrases, f"{lang}: no _default image phrase"
    missing = [a for a in _visual_attributes(vocabulary) if a not in phrases]
    assert not missing, f"{lang}: no image phrase for visual attributes {missing}"
    for attr, pattern in phrases.items():
        fields = _fields(pattern)
        assert fields.count("image") == 1, f"{lang}: image phrase {attr!r} needs exactly one {{image}}: {pattern!r}"
        assert set(fields) <= {"image", "attribute"}, f"{lang}: image phrase {attr!r} has unknown fields"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_text_phrases(lang, vocabulary, templates):
    phrases = templates[lang]["text_phrases"]
    assert "_default" in phrases, f"{lang}: no _default text phrase"
    known = {"_default", *_all_attributes(vocabulary)}
    assert set(phrases) <= known, f"{lang}: text phrases for unknown attributes {sorted(set(phrases) - known)}"
    for attr, pattern in phrases.items():
        fields = _fields(pattern)
        assert fields.count("value") == 1, f"{lang}: text phrase {attr!r} needs exactly one {{value}}: {pattern!r}"
        assert set(fields) <= {"value", "attribute"}, f"{lang}: text phrase {attr!r} has unknown fields"


# ---------------------------------------------------------------- rendering every condition


def _image_phrase(tpl: dict, lex: dict, attr: str, k: int) -> str:
    pattern = tpl["image_phrases"].get(attr, tpl["image_phrases"]["_default"])
    return pattern.format(image=f"<image_{k}>", attribute=lex["attributes"][attr])


def _text_phrase(tpl: dict, lex: dict, attr: str, value: str) -> str:
    override = lex["phrases"].get(attr, {}).get(value)
    if override:
        return override
    surface = lex["values"].get(attr, {}).get(value, value)
    pattern = tpl["text_phrases"].get(attr, tpl["text_phrases"]["_default"])
    return pattern.format(value=surface, attribute=lex["attributes"][attr])


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_condition_renders_cleanly(lang, vocabulary, lexicons, templates):
    """Render each attribute value as a phrase, and in every frame: no braces, doubled spaces or blanks."""
    tpl, lex = templates[lang], lexicons[lang]
    phrases = [_image_phrase(tpl, lex, attr, 1) for attr in _visual_attributes(vocabulary)]
    for attr, values in _closed_values(vocabulary).items():
        if attr == "type":
            continue  # a text-carried type becomes the head noun
        phrases += [_text_phrase(tpl, lex, attr, value) for value in values]
    phrases.append(_text_phrase(tpl, lex, "brand", "Nike"))
    for phrase in phrases:
        assert phrase.strip() == phrase and phrase, f"{lang}: blank or padded phrase {phrase!r}"
        assert "{" not in phrase and "}" not in phrase, f"{lang}: unfilled placeholder in {phrase!r}"
        assert "  " not in phrase, f"{lang}: doubled space in {phrase!r}"
    noun = lex["nouns"]["category"]["clothing"]
    conditions = tpl["joiner"].join(phrases[:2]) + tpl["last_joiner"] + phrases[2]
    for frame in tpl["frames"]:
        text = frame.format(noun=noun, conditions=conditions)
        assert noun in text and "<image_1>" in text and "  " not in text


def test_english_articles_agree():
    """'a' before a vowel sound is the classic template slip ("with an digital dial" and vice versa)."""
    tpl, lex = _load("templates", "en"), _load("lexicon", "en")
    vocab = json.loads((PROMPTS / "vocabulary" / f"{VERSION}.json").read_text(encoding="utf-8"))
    texts = [_text_phrase(tpl, lex, attr, v) for attr, values in _closed_values(vocab).items() for v in values]
    texts += list(lex["nouns"]["category"].values()) + list(lex["nouns"]["type"].values())
    for text in texts:
        assert not re.search(r"\ba [aeio]", text, re.IGNORECASE), f"'a' before a vowel: {text!r}"
        assert not re.search(r"\ban [^aeiou\s]", text, re.IGNORECASE), f"'an' before a consonant: {text!r}"


# ---------------------------------------------------------------- translation quality


def _english_noun(noun: str) -> str:
    return EN_DETERMINERS.sub("", noun).strip().casefold()


@pytest.mark.parametrize("lang", TRANSLATED)
def test_colours_and_gender_translated(lang, lexicons):
    en, lex = lexicons["en"]["values"], lexicons[lang]["values"]
    for attr in ("color", "gender"):
        allowed = LOANWORDS[attr][lang]
        same = [v for v, form in lex[attr].items() if form.casefold() == en[attr][v].casefold() and v not in allowed]
        assert not same, f"{lang}: {attr} values left in English: {same}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_category_nouns_translated(lang, lexicons):
    en, lex = lexicons["en"]["nouns"]["category"], lexicons[lang]["nouns"]["category"]
    allowed = LOANWORDS["category"][lang]
    same = [c for c, noun in lex.items() if noun.casefold() == _english_noun(en[c]) and c not in allowed]
    assert not same, f"{lang}: category nouns left in English: {same}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_frames_translated(lang, templates):
    en_frames = set(templates["en"]["frames"])
    assert not en_frames & set(templates[lang]["frames"]), f"{lang}: English frames copied"


def test_thai_is_in_thai_script(lexicons, templates):
    thai = re.compile(r"[\u0E00-\u0E7F]")
    lex, tpl = lexicons["th"], templates["th"]
    texts = [*lex["nouns"]["category"].values(), *lex["nouns"]["type"].values(), *lex["values"]["color"].values()]
    texts += [*tpl["frames"], *tpl["image_phrases"].values()]
    latin_only = [t for t in texts if not thai.search(t)]
    assert not latin_only, f"th: not in Thai script: {latin_only}"


def test_vietnamese_has_diacritics(lexicons):
    """A file stripped of tone marks reads as different (or no) words. Some correct words are plain
    ASCII ("cam", "xanh than", "be"), so require diacritics in most entries rather than in each."""
    lex = lexicons["vi"]
    words = [*lex["nouns"]["category"].values(), *lex["nouns"]["type"].values()]
    words += [w for table in lex["values"].values() for w in table.values()]
    marked = [w for w in words if not w.isascii()]
    assert len(marked) >= 0.6 * len(words), f"vi: only {len(marked)}/{len(words)} entries carry diacritics"


def test_malay_and_indonesian_differ(lexicons):
    ms, id_ = lexicons["ms"], lexicons["id"]
    assert ms["values"]["gender"] != id_["values"]["gender"]
    assert ms["values"]["gender"]["men"] != id_["values"]["gender"]["men"]  # lelaki / pria
    for category in ("shoes", "pants"):  # kasut / sepatu, seluar / celana
        assert ms["nouns"]["category"][category] != id_["nouns"]["category"][category], category
    assert ms["attributes"]["brand"] != id_["attributes"]["brand"]  # jenama / merek
