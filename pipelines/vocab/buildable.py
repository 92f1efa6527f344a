"""The vocabulary and phrasing a build uses, and which of its languages they can write, decided before any stage runs.

A language whose lexicon lacks a word the vocabulary needs (a category's noun, a value's
translation) would write a broken or half-English query; `buildable_config` drops it with a
reason (`render.incomplete_lexicons = "skip"`, the default) or stops with the missing piece
("error"), and `require_complete` is the plan's last word: no runner renders an incomplete language.
"""

from __future__ import annotations

import dataclasses

from pipelines.config import BuildConfig
from pipelines.errors import ConfigError
from pipelines.vocab.check import SHOWN
from pipelines.vocab.paths import LEXICON_DIR, TEMPLATES_DIR, beside_vocabulary
from pipelines.vocab.templates import Templates, load_templates
from pipelines.vocab.vocabulary import Vocabulary, load_vocabulary


def templates_for(cfg: BuildConfig, languages: tuple[str, ...] | None = None) -> Templates:
    """The shipped templates of `render.templates` with your lexicon and template additions over them."""
    additions = {"lexicon": beside_vocabulary(cfg.mine.vocabulary, cfg.render.lexicon_dir, LEXICON_DIR),
                 "templates": beside_vocabulary(cfg.mine.vocabulary, cfg.render.templates_dir, TEMPLATES_DIR)}
    for kind, folder in additions.items():
        if folder is not None and not folder.is_dir():
            raise ConfigError(f"render.{kind if kind == 'lexicon' else 'templates'}_dir: {folder} is not a folder")
    return load_templates(cfg.render.templates, languages or cfg.render.languages, additions)


def language_gaps(vocab: Vocabulary, templates: Templates, languages: tuple[str, ...]) -> dict[str, list[str]]:
    """{language: what its lexicon lacks for `vocab`} for the languages that lack something."""
    from pipelines.vocab.check import lexicon_gaps

    english = templates.pack("en").lexicon if "en" in templates.packs else {}
    gaps = {}
    for lang in languages:
        pack = templates.pack(lang)
        found = lexicon_gaps(vocab, pack.template, pack.lexicon, None if lang == "en" else english)
        if found:
            gaps[lang] = found
    return gaps


def summary(gaps: list[str]) -> str:
    more = f" (and {len(gaps) - SHOWN} more)" if len(gaps) > SHOWN else ""
    return "; ".join(gaps[:SHOWN]) + more


def buildable_config(cfg: BuildConfig) -> tuple[BuildConfig, dict[str, str]]:
    """`cfg` with only the languages its lexicons can write, and {skipped language: why}.

    English must be complete (every other language is rendered beside it); another incomplete
    language is skipped, or a ConfigError when `render.incomplete_lexicons = "error"`."""
    vocab = load_vocabulary(cfg.mine.vocabulary)
    templates = templates_for(cfg)
    gaps = language_gaps(vocab, templates, cfg.render.languages)
    if "en" in gaps or (gaps and cfg.render.incomplete_lexicons == "error"):
        lang = "en" if "en" in gaps else next(iter(gaps))
        raise ConfigError(f"lexicon for {lang!r} is incomplete for mine.vocabulary {cfg.mine.vocabulary!r}: "
                          f"{summary(gaps[lang])}; add the words to {_where(cfg, lang)}"
                          + ("" if lang == "en" else " or set render.incomplete_lexicons = \"skip\""))
    if not gaps:
        return cfg, {}
    kept = tuple(lang for lang in cfg.render.languages if lang not in gaps)
    skipped = {lang: summary(found) for lang, found in gaps.items()}
    return dataclasses.replace(cfg, render=dataclasses.replace(cfg.render, languages=kept)), skipped


def skipped_line(skipped: dict[str, str]) -> str:
    """The one line a build prints (stderr) before any stage runs."""
    return (f"note: building languages without a complete lexicon is refused, skipping {', '.join(skipped)} "
            f"(first gap: {next(iter(skipped.values()))}); see report.json 'languages_skipped'")


def require_complete(vocab: Vocabulary, templates: Templates, languages: tuple[str, ...]) -> None:
    """Plan-time refusal: no runner renders a language whose lexicon lacks a word the vocabulary needs."""
    gaps = language_gaps(vocab, templates, languages)
    if gaps:
        lang = next(iter(gaps))
        raise ConfigError(f"language {lang!r} cannot be rendered with mine.vocabulary {vocab.version!r}: "
                          f"{summary(gaps[lang])}; complete its lexicon or drop it from render.languages")


def _where(cfg: BuildConfig, lang: str) -> str:
    folder = beside_vocabulary(cfg.mine.vocabulary, cfg.render.lexicon_dir, LEXICON_DIR)
    return f"{folder / f'{lang}.json'}" if folder else f"render.lexicon_dir (a folder with {lang}.json)"
