"""The one list of meritgen's languages and the facts kept per language.

A new language is added here (and given its phrasing files under `prompts/`): config validation,
language ID, the card, its plots, the LLM translate step and the NTREX evaluation all read these.
"""

from __future__ import annotations

ENGLISH = "en"
LANGUAGES: tuple[str, ...] = ("en", "ms", "id", "vi", "th")  # the order every table and plot uses
NON_ENGLISH: tuple[str, ...] = tuple(lang for lang in LANGUAGES if lang != ENGLISH)

LANGUAGE_NAMES = {"en": "English", "ms": "Malay", "id": "Indonesian", "vi": "Vietnamese", "th": "Thai"}
# lingua's `Language` member for each code (names, so this module imports nothing heavy)
LINGUA_NAMES = {"en": "ENGLISH", "ms": "MALAY", "id": "INDONESIAN", "vi": "VIETNAMESE", "th": "THAI"}
# the NTREX-128 column holding each language's sentences
NTREX_COLUMNS = {"en": "eng", "ms": "msa", "id": "ind", "vi": "vie", "th": "tha"}
