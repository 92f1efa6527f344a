"""Malay vs Indonesian: the probability that a Malay-or-Indonesian text is Malay.

lingua alone confuses the two standards on about one sentence in seven. This combines four
pieces of evidence in a logistic model shipped as `data/msid_model.json` (built by
`tools/train_langid.py`):

- word evidence: the sum over the text's words of log(frequency in Malay / frequency in
  Indonesian) from the wordfreq word lists, with a dead zone so that words common to both
  (whose ratio mostly reflects what the corpora were about) count nothing, mixed with a
  naive-Bayes ratio from the NTREX-128 training documents (one weight per word);
- marker words: `MALAY_MARKERS` / `INDONESIAN_MARKERS`, a hand-made list of well-known
  Malaysian/Indonesian word differences (kerana/karena, kasut/sepatu, ...);
- lingua's own Malay/Indonesian log-odds;
- sparse terms (`terms`): a weight per word and per pair of neighbouring words, sentence edges
  included, for the short text where word order and small words are all there is.

The first three are the NTREX-only model of 5066c40 (the base, refitted by the tool); the terms are
fitted on top of it (its logit an offset) on the training documents of NTREX-128 dev and the
training sentences of TALPCo dev, so that they correct short everyday text without undoing what
the base gets right on news. A threshold shift is folded into the intercept. Names
must not sway the decision, so capitalised words inside a sentence and all-capital words (brands,
places, people) are left out of every feature, except that the marker lexicon reads capitalised
markers that are not also English words (day, month and country names whose spelling differs:
Ahad/Minggu, Sepanyol/Spanyol; see `marker_words`) and the terms read capitalised forms of
address (`TITLES`: Encik, Pak, ...).
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

from pipelines.text.placeholders import without_placeholders

MODEL_PATH = Path(__file__).resolve().parent / "data" / "msid_model.json"

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
# A word right after one of these (or at the start) begins a sentence: its capital says nothing.
_SENTENCE_OPENERS = frozenset(".!?:;\"'“‘(«")
_LOGIT_CLIP = 30.0

# Words (and two-word terms) used in one standard but not, or rarely, in the other.
MALAY_MARKERS = frozenset(
    """kerana bahawa sahaja wang semasa cadangan mahupun sebarang polis telefon kereta bas
    percuma seluar kasut beg saiz hendak semula universiti aktiviti kualiti komuniti identiti
    kapasiti majoriti minoriti prioriti kerajaan manakala iaitu jabatan syarikat pejabat
    pelancong hospital doktor filem muzik muzium disember ogos julai jun mac sukan jurulatih
    perlawanan mahkamah peguam negeri bilion peratus sekiranya ramai cuba mencuba dicuba faham
    fikir berfikir kongsi berkongsi mesyuarat selepas menerusi justeru pelbagai mengikut
    kelabu lelaki oren teksi bola_sepak lapangan_terbang cermin_mata merah_jambu dalam_kalangan
    beg_galas jenama soalan majlis merangkumi boleh mahu mesti sebahagian bahagian sesetengah
    baharu kenderaan antarabangsa tempatan luar_negara jawatankuasa kedai selesa tentera
    parlimen kempen awam pilihan_raya hujung_minggu minit eksport trilion berjalur tudung
    beg_tangan musim_luruh baju_t kemeja_t selipar stokin butang poket kolar
    tali_pinggang subang baju_sejuk baju_hujan kanak_kanak diskaun penghantaran dibasuh digosok
    seterika komputer_riba telefon_bimbit ada_tak je kat lawa
    amat apabila awak bajet basikal berbual bercakap berjaya budak cikgu comel cukai emak encik
    esok askar akhbar akaun almari aiskrim bapa bilik jiran kad kata_laluan kemas_kini keretapi
    kerusi kilang khabar kuih lembu maklumat makluman macam_mana mak_cik motosikal nampak nak
    nombor pakcik pautan pelancongan percutian perisian perkhidmatan perniagaan persendirian
    peribadi pesakit peti_sejuk petang puan pusingan rawatan sedap selsema semalam semakan sila
    stesen talian tandas tarikh televisyen tengok tetikus ubat usah lazat muat_turun muat_naik
    laman_web emel jururawat kewangan belanjawan lebuh_raya sempadan kuantiti realiti fakulti
    sekuriti projek ejen ahad isnin khamis jumaat oleh_itu walau_bagaimanapun sesiapa
    bagaimanapun pasukan pusat_membeli_belah sutera baju_kurung baju_melayu isteri kapal_terbang
    sepanyol perancis jepun inggeris itali belgium
    hantar dahaga penat seronok jemu bising hodoh sihat pensyarah pensel sudu pinggan cawan periuk
    katil tilam tuala bumbung lampu_isyarat beritahu menaip taip kahwin berkahwin membasuh basuh
    ringgit ais tomato lobak kobis tembikai betik limau epal sotong pawagam panggung_wayang
    pasar_raya gerai peti_ais penghawa_dingin atuk makcik kolej""".split()
)
INDONESIAN_MARKERS = frozenset(
    """karena bahwa uang pemerintah telepon mobil polisi bus gratis celana sepatu tas ukuran
    universitas aktivitas kualitas komunitas identitas kapasitas mayoritas minoritas
    prioritas yaitu departemen kantor wisatawan turis bandara dokter film musik museum
    desember agustus juli juni maret olahraga pelatih pengadilan pengacara provinsi miliar
    persen coba mencoba dicoba paham pikir berpikir berbagi setelah sesudah bisa nggak gak
    banget aja udah mengatakan berbagai kacamata ransel katun pria cowok cewek rok kaus
    sepak_bola rumah_sakit abu_abu merek rencana pertanyaan majelis mendapatkan kerja_sama tim
    mau sebagian bagian kendaraan internasional lokal luar_negeri komite panitia karyawan toko
    nyaman tentara parlemen kampanye publik pemilu akhir_pekan pekan menit detik ekspor triliun
    laki_laki teman gedung diberitakan mengungkapkan ujar jilbab cocok saat_ini
    tas_tangan musim_gugur aksesoris atasan kayak dong sih deh kok nih gimana pengen pengin
    cariin lagi_cari jas_hujan ikat_pinggang anting kalung ritsleting resleting kerah saku
    kancing diskon ongkir pengiriman disetrika ponsel piyama bergaris oranye merah_muda
    sandal_jepit kapan kemarin besok sore bapak mbak pabrik kursi lemari kulkas kamar toilet
    sepeda stasiun taksi perbatasan pribadi kuantitas realitas fakultas sekuritas proyek agen
    televisi senin kamis jumat informasi layanan bisnis pasien perawat apotek keuangan pajak
    jalan_tol situs tautan unduh unggah surel kata_sandi pembaruan tanggal liburan pariwisata
    sapi enak lezat kue mie obat pilek perawatan ngobrol mengobrol berbicara berhasil lho tuh
    gitu enggak bilang kayaknya soalnya makanya emang obral unduhan kartu akun nomor kaos
    kaus_kaki sutra baju_koko istri spanyol prancis jepang inggris italia belgia meksiko swedia
    norwegia yunani skotlandia selandia_baru
    capek berisik jelek sehat dosen pensil sendok piring cangkir panci ranjang kasur handuk
    atap kasih_tahu mengetik ketik menikah kawin nikah rupiah es es_krim tomat wortel
    kol semangka pepaya jeruk apel cumi bioskop pasar_swalayan warung kulkas kakek tante""".split()
)


def _words(text: str, names_kept: frozenset[str] = frozenset()) -> list[str]:
    """Lower-case words of `text`; capitalised words that do not open a sentence and all-capital
    words are names and dropped, except capitalised ones spelled as in `names_kept`."""
    text = without_placeholders(text)
    words, end = [], 0
    opens_sentence = True
    for match in _WORD.finditer(text):
        between = text[end : match.start()].strip()
        if between:
            opens_sentence = between[-1] in _SENTENCE_OPENERS
        end = match.end()
        word = match.group()
        capitals = len(word) > 1 and word.isupper()
        named = capitals or (word[0].isupper() and not opens_sentence and word.lower() not in names_kept)
        opens_sentence = False
        if not named:
            words.append(word.lower())
    return words


def content_words(text: str) -> list[str]:
    """Lower-case words of `text` without names: capitalised words that do not open a sentence
    and all-capital words are dropped (a brand or a place says nothing about the variety)."""
    return _words(text)


def marker_words(text: str, capitalised: frozenset[str]) -> list[str]:
    """`content_words` plus the capitalised words spelled as in `capitalised`: the markers that
    are not also English words (the model's `capitalised_markers`, chosen by
    `tools/train_langid.py`). Day, month and country names differ between the standards
    (Ahad/Minggu, Disember/Desember, Sepanyol/Spanyol) and are capitalised; a capitalised marker
    that is also English (Tim, Cuba, Wang, Museum) may be a name and stays out, and so do
    all-capital words (brands)."""
    return _words(text, capitalised)


def marker_balance(words: list[str]) -> int:
    """Malay markers minus Indonesian markers among `words` (hyphens and pairs as `_` terms)."""
    words = [w.replace("-", "_") for w in words]
    terms = {*words, *(f"{a}_{b}" for a, b in zip(words, words[1:]))}
    return len(terms & MALAY_MARKERS) - len(terms & INDONESIAN_MARKERS)


def lingua_log_odds(scores: dict[str, float]) -> float:
    """log(P(ms) / P(id)) from lingua's confidences, smoothed so neither side is ever zero."""
    eps = 1e-6
    return math.log((scores.get("ms", 0.0) + eps) / (scores.get("id", 0.0) + eps))


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> dict:
    """The shipped model: word weights, feature weights, intercept and acceptance margin."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


# Forms of address, read even when capitalised: they stand before a name but are not one, and the
# two standards use different ones (Encik/Cik/Puan in Malaysia, Pak/Bu/Mbak in Indonesia).
TITLES = frozenset("encik cik puan tuan pak bu ibu bapak mbak mas datin dato datuk".split())
SENTENCE_START, SENTENCE_END = "<s>", "</s>"


def terms(words: list[str]) -> list[str]:
    """The sparse terms of a word sequence: each word ("w:kasut") and each pair of neighbours,
    sentence edges included ("b:<s> di", "b:ada </s>"): word order differs between the standards
    on short text ("Di taman ada pohon" / "Ada pokok di taman")."""
    edged = [SENTENCE_START, *words, SENTENCE_END]
    return [*(f"w:{w}" for w in words), *(f"b:{a} {b}" for a, b in zip(edged, edged[1:]))]


@lru_cache(maxsize=4)
def _kept_capitalised(capitalised: frozenset[str]) -> frozenset[str]:
    return capitalised | TITLES


def text_terms(text: str, capitalised: frozenset[str]) -> list[str]:
    """`terms` of the text's words, names left out but markers and `TITLES` kept when capitalised."""
    return terms(_words(text, _kept_capitalised(capitalised)))


def features(text: str, lingua_scores: dict[str, float], word_weights: dict[str, float],
             capitalised: frozenset[str]) -> list[float]:
    """[word evidence, marker balance, lingua log-odds]: the model's dense inputs, in its order."""
    evidence = sum(word_weights.get(w, 0.0) for w in content_words(text))
    return [evidence, float(marker_balance(marker_words(text, capitalised))), lingua_log_odds(lingua_scores)]


@lru_cache(maxsize=1)
def shipped_capitalised_markers() -> frozenset[str]:
    """The shipped model's `capitalised_markers`, as a set."""
    return frozenset(load_model()["capitalised_markers"])


def malay_logit(text: str, lingua_scores: dict[str, float], model: dict | None = None) -> float:
    """log(P(Malay) / P(Indonesian)) for a Malay-or-Indonesian text and lingua's confidences on it:
    intercept + coefficients . dense features + the weights of the text's sparse terms."""
    capitalised = frozenset(model["capitalised_markers"]) if model else shipped_capitalised_markers()
    model = model or load_model()
    x = features(text, lingua_scores, model["word_weights"], capitalised)
    term_weights = model.get("term_weights", {})
    sparse = sum(term_weights.get(t, 0.0) for t in text_terms(text, capitalised))
    return model["intercept"] + sum(w * v for w, v in zip(model["coefficients"], x)) + sparse


def malay_probability(text: str, lingua_scores: dict[str, float], model: dict | None = None) -> float:
    """P(Malay | the text is Malay or Indonesian) for a text and lingua's confidences on it."""
    logit = malay_logit(text, lingua_scores, model)
    return 1.0 / (1.0 + math.exp(-max(-_LOGIT_CLIP, min(_LOGIT_CLIP, logit))))
