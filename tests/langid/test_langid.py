"""Language identification on shopping queries (always) and NTREX human translations."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from pipelines.langid.evaluation import (
    is_talpco_held_out,
    language_check_figures,
    ntrex_samples,
    read_ntrex,
    read_talpco,
    span_samples,
    talpco_samples,
    word_spans,
)
from pipelines.langid.identify import detect_language, is_language, language_confidences, strip_placeholders
from pipelines.langid.msid import content_words, marker_words, shipped_capitalised_markers, terms, text_terms

NTREX = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ntrex128-dev" / "ntrex128_dev_en_ms_id_vi_th.tsv"
)
TALPCO = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "talpco-dev" / "talpco-dev.jsonl"
COLUMNS = {"en": "eng", "ms": "msa", "id": "ind", "vi": "vie", "th": "tha"}

SHOPPING = [
    ("I'm looking for running shoes in the colour of <image_1>, made of leather.", "en"),
    ("Saya mahu kasut sukan dalam warna <image_1>, diperbuat daripada kulit.", "ms"),
    ("Saya cari seluar jeans seperti <image_1> dengan saiz yang selesa.", "ms"),
    ("Aku mau sepatu lari dengan warna seperti <image_1>, bahannya kulit.", "id"),
    ("Saya ingin celana jeans seperti <image_1> dengan ukuran yang nyaman.", "id"),
    ("Tôi muốn tìm giày chạy bộ có màu giống <image_1>, làm bằng da.", "vi"),
    ("ฉันกำลังหารองเท้าวิ่งสีเดียวกับ <image_1> ที่ทำจากหนัง", "th"),
    ("หากระเป๋า Nike สีดำแบบ <image_2>", "th"),
]


@pytest.mark.parametrize("text, code", SHOPPING)
def test_shopping_queries_are_identified(text, code):
    assert detect_language(text)[0] == code
    assert is_language(text, code)


def test_placeholders_are_not_language():
    assert strip_placeholders("Find <image_1> and <image_12> now") == "Find and now"
    assert detect_language("<image_1> <image_2>") == ("und", 0.0)
    assert language_confidences("<image_1> 123") == {}
    assert not is_language("<image_1>", "en")


def test_confidences_sum_to_one():
    scores = language_confidences("Tôi muốn tìm áo sơ mi màu xanh")
    assert set(scores) <= set(COLUMNS) and abs(sum(scores.values()) - 1.0) < 1e-6


def test_marker_words_split_malay_from_indonesian():
    assert not is_language("Saya mau sepatu dan tas dari toko itu", "ms")
    assert not is_language("Saya mahu kasut dan beg dari kedai itu", "id")
    # A sentence valid in both now passes as exactly one of them: the check decides, so that a
    # Malay answer to an Indonesian request (or the reverse) is caught (issue #13).
    ambiguous = "Saya cari baju warna hitam"
    assert is_language(ambiguous, "ms") != is_language(ambiguous, "id")


# Shopping queries that the old checker (lingua + marker words, accepting either variety when
# unsure) passed as BOTH Malay and Indonesian.
OLD_CONFUSIONS = [
    ("Saya nak cari baju kurung warna biru untuk raya", "ms"),
    ("Tunjukkan saya pakaian yang sama jenis dengan <image_1> dan berwarna hitam.", "ms"),
    ("Saya lagi cari pakaian untuk musim gugur yang sejenis dengan <image_1>.", "id"),
    ("Apakah ada aksesoris wanita dengan motif seperti <image_1>?", "id"),
    ("Tampilkan pakaian yang sejenis dengan <image_1> dan berwarna biru.", "id"),
]


# Day and country names are spelled differently in the two standards (Ahad/Minggu, Isnin/Senin,
# Sepanyol/Spanyol) but are capitalised, so the previous discriminator dropped them as names and
# let "sudah" (commoner in Indonesian) decide: it passed the Malay ones below as Indonesian only.
CAPITALISED_MARKERS = [
    ("Dia sudah pulang pada hari Ahad.", "ms"),
    ("Semua tiket sudah habis sejak hari Isnin.", "ms"),
    ("Mereka sudah tiba di Sepanyol.", "ms"),
    ("Dia sudah pulang pada hari Senin.", "id"),
    ("Mereka sudah tiba di Spanyol.", "id"),
]


@pytest.mark.parametrize("text, code", OLD_CONFUSIONS + CAPITALISED_MARKERS)
def test_malay_and_indonesian_queries_pass_only_as_their_own_variety(text, code):
    other = {"ms": "id", "id": "ms"}[code]
    assert is_language(text, code) and not is_language(text, other)
    assert detect_language(text)[0] == code


def test_names_and_placeholders_do_not_sway_malay_or_indonesian():
    malay = "Saya nak kasut sukan yang selesa"
    baseline = language_confidences(malay)
    # Indonesian place names and an all-capital brand inside the sentence say nothing.
    named = "Saya nak kasut sukan Jakarta Bandung yang selesa dari BATIK INDONESIA <image_1> <image_2>"
    assert content_words(named) == content_words(malay) + ["dari"]
    assert is_language(named, "ms") and not is_language(named, "id")
    assert language_confidences(f"{malay} <image_1>") == pytest.approx(baseline)


def test_capitalised_markers_count_unless_they_may_be_names():
    # Sepanyol (Malay for Spain) counts; a brand in capitals is never evidence, and neither is a
    # capitalised marker that is also an English word or name (Tim, Cuba, Wang).
    capitalised = shipped_capitalised_markers()
    assert {"sepanyol", "isnin", "senin"} <= capitalised and not {"tim", "cuba", "wang"} & capitalised
    text = "Kasut JENAMA Sepanyol untuk Tim dari Cuba <image_1>"
    assert marker_words(text, capitalised) == ["kasut", "sepanyol", "untuk", "dari"]


# What issue #13 asks for: reached on product queries, not on NTREX sentences or spans (see
# benchmarks/RESULTS.md, "Language ID: Malay/Indonesian lexicon").
TARGET_OWN, TARGET_CROSS = 0.97, 0.05
HAND_WRITTEN = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "langid_product_queries.tsv"


def test_issue_13_target_on_hand_written_product_queries():
    """Issue #13's figures (own >= 0.97, cross <= 0.05 for ms and id) on the 100 hand-written
    shopping queries shipped in the repo (always runs; the demo build's queries are measured by
    benchmarks/langid_eval.py)."""
    lines = HAND_WRITTEN.read_text(encoding="utf-8").splitlines()[1:]
    figures = language_check_figures([(text, lang) for lang, text in (line.split("\t") for line in lines if line)])
    assert figures["counts"] == {"ms": 50, "id": 50}
    for code in ("ms", "id"):
        assert figures["own_acceptance"][code] >= TARGET_OWN, figures["own_acceptance"]
        assert figures["cross_acceptance"][code] <= TARGET_CROSS, figures["cross_acceptance"]


def test_language_check_figures_is_a_confusion_table():
    samples = [("Saya mahu kasut dan beg dari kedai itu", "ms"), ("Saya mau sepatu dan tas dari toko itu", "id"),
               ("I want red running shoes like <image_1>", "en"), ("Saya mau sepatu merah", "ms")]
    figures = language_check_figures(samples)
    assert figures["counts"] == {"en": 1, "id": 1, "ms": 2}
    assert figures["accepted"]["ms"]["ms"] == 0.5 and figures["accepted"]["ms"]["id"] == 0.5
    assert figures["own_acceptance"] == {"en": 1.0, "id": 1.0, "ms": 0.5}
    assert figures["cross_acceptance"] == {"en": 0.0, "id": 0.0, "ms": 0.5}
    assert figures["predicted"]["id"] == {"en": 0.0, "ms": 0.0, "id": 1.0, "vi": 0.0, "th": 0.0, "und": 0.0}


def test_word_spans_are_5_to_15_words_and_deterministic():
    text = " ".join(f"w{i}" for i in range(47))
    spans = word_spans(text, "ms:3")
    assert spans == word_spans(text, "ms:3") and all(5 <= len(s.split()) <= 15 for s in spans)
    assert " ".join(spans) == " ".join(text.split()[: sum(len(s.split()) for s in spans)])


# Measured on the held-out half of NTREX-128 dev (documents the Malay/Indonesian model never
# saw; pipelines.langid.evaluation.is_held_out), a little below what the checker reaches:
# sentences ms 0.949/0.048, id 0.956/0.041 (own/cross acceptance); 5-15-word spans
# ms 0.886/0.107, id 0.909/0.085. en, vi, th are unchanged from the old checker.
OWN_FLOORS = {"sentences": {"en": 0.99, "ms": 0.94, "id": 0.945, "vi": 0.99, "th": 0.99},
              "spans": {"en": 0.99, "ms": 0.875, "id": 0.90, "vi": 0.99, "th": 0.98}}
CROSS_CEILINGS = {"sentences": {"ms": 0.06, "id": 0.055}, "spans": {"ms": 0.115, "id": 0.095}}
# With issue #23's short-text terms: sentences ms 0.954/0.043, id 0.949/0.048; spans ms 0.889/0.104,
# id 0.909/0.085 (the floors above are kept as they were).


@lru_cache(maxsize=1)
def _held_out_figures() -> dict[str, dict]:
    samples = ntrex_samples(read_ntrex(NTREX.parent), held_out=True)
    return {"sentences": language_check_figures(samples), "spans": language_check_figures(span_samples(samples))}


def _report(figures: dict, codes=tuple(COLUMNS)) -> str:
    return "; ".join(f"{kind}: " + " ".join(f"{c}={f['own_acceptance'][c]:.3f}/{f['cross_acceptance'][c]:.3f}" for c in codes)
                     for kind, f in figures.items())


@pytest.mark.shared_data
@pytest.mark.skipif(not NTREX.exists(), reason=f"NTREX-128 dev set not found at {NTREX} (../shared is absent)")
def test_accuracy_on_ntrex_human_translations(record_property):
    assert len(read_ntrex(NTREX.parent)) == 1005
    figures = _held_out_figures()
    record_property("langid_own_cross", _report(figures))
    for kind, f in figures.items():
        assert all(f["own_acceptance"][c] >= OWN_FLOORS[kind][c] for c in COLUMNS), _report(figures)
        assert all(f["cross_acceptance"][c] <= CROSS_CEILINGS[kind][c] for c in ("ms", "id")), _report(figures)
        assert all(f["cross_acceptance"][c] <= 0.02 for c in ("en", "vi", "th")), _report(figures)


@pytest.mark.shared_data
@pytest.mark.skipif(not NTREX.exists(), reason=f"NTREX-128 dev set not found at {NTREX} (../shared is absent)")
@pytest.mark.xfail(strict=True, reason="issue #13 target (own >= 0.97, cross <= 0.05 for ms/id) not reached on NTREX "
                                        "sentences (0.949/0.048, 0.956/0.041) nor 5-15-word spans (0.886/0.107, 0.909/0.085)")
def test_issue_13_target_on_ntrex():
    figures = _held_out_figures()
    for f in figures.values():
        assert all(f["own_acceptance"][c] >= TARGET_OWN and f["cross_acceptance"][c] <= TARGET_CROSS for c in ("ms", "id"))


def test_terms_are_words_and_neighbour_pairs_with_sentence_edges():
    assert terms(["di", "taman", "ada", "pohon"]) == [
        "w:di", "w:taman", "w:ada", "w:pohon", "b:<s> di", "b:di taman", "b:taman ada", "b:ada pohon", "b:pohon </s>"]
    # Forms of address count even capitalised (Encik/Pak differ between the standards); the names
    # after them, all-capital brands and placeholders do not.
    capitalised = shipped_capitalised_markers()
    assert [t for t in text_terms("Encik Tanaka bukan pelajar <image_1>", capitalised) if t.startswith("w:")] == [
        "w:encik", "w:bukan", "w:pelajar"]
    assert "w:pak" in text_terms("Pak Tanaka beli kasut NIKE", capitalised)
    assert not any("nike" in t or "tanaka" in t for t in text_terms("Pak Tanaka beli kasut NIKE", capitalised))


def test_talpco_split_is_fixed_and_holds_out_a_third():
    held = [n for n in range(1, 1373) if is_talpco_held_out(n)]
    assert held[:5] == [1, 2, 11, 15, 18] and 0.30 < len(held) / 1372 < 0.37
    rows = [{"n": n, "ms": "Saya mahu kasut.", "id": "Saya mau sepatu."} for n in (1, 3)]
    rows.append({"n": 2, "ms": "Ya.", "id": "Ya."})  # the same in both standards: not a minimal pair
    assert talpco_samples(rows, held_out=True) == [("Saya mahu kasut.", "ms"), ("Saya mau sepatu.", "id")]
    assert talpco_samples(rows, held_out=False, languages=("id",)) == [("Saya mau sepatu.", "id")]
    assert ("Ya.", "ms") in talpco_samples(rows, held_out=True, differing_only=False)


# Short everyday sentences (TALPCo dev, the held-out third: pipelines.langid.evaluation.is_talpco_held_out,
# 226 pairs whose Malay and Indonesian differ), measured a little below what the checker reaches:
# ms 0.916/0.084, id 0.814/0.186 own/cross acceptance (the checker before TALPCo: ms 0.929/0.071,
# id 0.757/0.243). Issue #23's target (own >= 0.90, cross <= 0.10) is not reached for id.
TALPCO_FLOORS = {"ms": 0.90, "id": 0.80}
TALPCO_CEILINGS = {"ms": 0.10, "id": 0.20}


@pytest.mark.shared_data
@pytest.mark.skipif(not TALPCO.exists(), reason=f"TALPCo dev set not found at {TALPCO} (../shared is absent)")
def test_accuracy_on_talpco_short_sentences(record_property):
    rows = read_talpco(TALPCO.parent)
    assert len(rows) == 686
    figures = language_check_figures(talpco_samples(rows, held_out=True))
    record_property("talpco_own_cross", _report({"talpco": figures}, ("ms", "id")))
    assert figures["counts"] == {"ms": 226, "id": 226}
    for code in ("ms", "id"):
        assert figures["own_acceptance"][code] >= TALPCO_FLOORS[code], _report({"talpco": figures}, ("ms", "id"))
        assert figures["cross_acceptance"][code] <= TALPCO_CEILINGS[code], _report({"talpco": figures}, ("ms", "id"))
    # en/vi/th of the same sentences stay as they were (every one accepted as its own).
    others = language_check_figures(talpco_samples(rows, held_out=True, languages=("en", "vi", "th"), differing_only=False))
    assert all(others["own_acceptance"][c] >= 0.99 and others["cross_acceptance"][c] <= 0.01 for c in ("en", "vi", "th"))


@pytest.mark.shared_data
@pytest.mark.skipif(not TALPCO.exists() or not NTREX.exists(), reason="TALPCo or NTREX-128 dev not found (../shared is absent)")
@pytest.mark.xfail(strict=True, reason="issue #23 target (short pairs own >= 0.90, cross <= 0.10; NTREX own >= 0.95, "
                                        "cross <= 0.05) not reached: TALPCo id 0.814/0.186, NTREX id 0.949/0.048")
def test_issue_23_target_on_short_sentences_and_ntrex():
    short = language_check_figures(talpco_samples(read_talpco(TALPCO.parent), held_out=True))
    news = _held_out_figures()["sentences"]
    for code in ("ms", "id"):
        assert short["own_acceptance"][code] >= 0.90 and short["cross_acceptance"][code] <= 0.10
        assert news["own_acceptance"][code] >= 0.95 and news["cross_acceptance"][code] <= 0.05
