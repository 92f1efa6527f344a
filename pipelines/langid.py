"""Language identification for the five meritgen languages (en, ms, id, vi, th).

langdetect has no Malay, so this uses lingua restricted to the five languages: restricting
the candidate set is what makes short shopping queries reliable. Malay and Indonesian share
most of their vocabulary and lingua confuses them on about one sentence in seven, so when
lingua's best guess is Malay or Indonesian a small lexicon of well-known
Malaysian/Indonesian word differences (kerana/karena, wang/uang, kasut/sepatu, ...) shifts the
balance between them. `<image_k>` placeholders are removed first: they are not language.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

LANGUAGE_CODES = ("en", "ms", "id", "vi", "th")
UNDETERMINED = "und"

_PLACEHOLDER = re.compile(r"<image_\d+>")
_WORD = re.compile(r"[^\W\d_]+")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
# Among the five languages only Thai uses Thai script, so a Thai query full of Latin brand
# and place names is still Thai; lingua alone calls such mixed text English.
_THAI_SCRIPT_SHARE = 0.3
# lingua is over-confident between Malay and Indonesian (0.98 on sentences valid in both), so
# its log-odds are damped before the marker words, each worth a strong shift, are added.
_LINGUA_DAMPING = 0.5
_MARKER_WEIGHT = 3.0
# A Malay/Indonesian text passes as the requested one of the pair unless marker words push
# the requested variety's share of the pair below this.
_PAIR_MIN_SHARE = 0.2

# Words (and two-word terms) used in one standard but not, or rarely, in the other.
_MALAY_MARKERS = frozenset(
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
    beg_tangan""".split()
)
_INDONESIAN_MARKERS = frozenset(
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
    tas_tangan""".split()
)


@lru_cache(maxsize=1)
def _detector():
    """Build the lingua detector once per process (its models load lazily on first use)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = (Language.ENGLISH, Language.MALAY, Language.INDONESIAN, Language.VIETNAMESE, Language.THAI)
    return LanguageDetectorBuilder.from_languages(*languages).build()


def strip_placeholders(text: str) -> str:
    """Text without `<image_k>` placeholders, spaces collapsed."""
    return " ".join(_PLACEHOLDER.sub(" ", text).split())


def _tokens(text: str) -> set[str]:
    """Lower-case words plus adjacent pairs joined by `_` (for two-word markers)."""
    words = _WORD.findall(text.lower())
    return {*words, *(f"{a}_{b}" for a, b in zip(words, words[1:]))}


def _marker_balance(text: str) -> int:
    """Malay markers minus Indonesian markers found in `text`."""
    tokens = _tokens(text)
    return len(tokens & _MALAY_MARKERS) - len(tokens & _INDONESIAN_MARKERS)


def _shift_malay_indonesian(scores: dict[str, float], balance: int) -> dict[str, float]:
    """Move probability mass between ms and id by the marker balance, keeping their sum."""
    ms, id_ = scores.get("ms", 0.0), scores.get("id", 0.0)
    mass = ms + id_
    if balance == 0 or mass <= 0.0:
        return scores
    eps = 1e-6
    logit = _LINGUA_DAMPING * math.log((ms + eps) / (id_ + eps)) + _MARKER_WEIGHT * balance
    p_ms = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, logit))))
    return {**scores, "ms": mass * p_ms, "id": mass * (1.0 - p_ms)}


def language_confidences(text: str) -> dict[str, float]:
    """Confidence (0..1, summing to 1) for each of en/ms/id/vi/th; empty when no letters."""
    clean = strip_placeholders(text)
    letters = sum(len(w) for w in _WORD.findall(clean))
    if not letters:
        return {}
    if len(_THAI.findall(clean)) / letters >= _THAI_SCRIPT_SHARE:
        return {"th": 1.0}
    values = _detector().compute_language_confidence_values(clean)
    scores = {v.language.iso_code_639_1.name.lower(): float(v.value) for v in values}
    if max(scores, key=scores.__getitem__) in ("ms", "id"):
        scores = _shift_malay_indonesian(scores, _marker_balance(clean))
    return scores


def detect_language(text: str) -> tuple[str, float]:
    """The most likely of en/ms/id/vi/th and its confidence; ("und", 0.0) without letters."""
    scores = language_confidences(text)
    if not scores:
        return UNDETERMINED, 0.0
    code = max(scores, key=scores.__getitem__)
    return code, scores[code]


def is_language(text: str, code: str) -> bool:
    """Whether `text` reads as language `code`.

    Malay and Indonesian are often indistinguishable in a short query ("Saya cari baju hitam"
    is both), so for them the text passes when the pair wins and the requested variety keeps a
    fair share of the pair; marker words of the other variety (kasut vs sepatu) still fail it.
    """
    scores = language_confidences(text)
    if not scores:
        return False
    best = max(scores, key=scores.__getitem__)
    if code not in ("ms", "id") or best not in ("ms", "id"):
        return best == code
    pair = scores.get("ms", 0.0) + scores.get("id", 0.0)
    return pair > 0.0 and scores.get(code, 0.0) / pair >= _PAIR_MIN_SHARE
