"""`meritgen vocab induce`: propose a vocabulary (and its lexicons) from a catalog, for review and for `meritgen build`.

Writes OUT/vocabulary.json, OUT/lexicon/<lang>.json, OUT/templates/<lang>.json and OUT/report.md (the
folder `mine.vocabulary` takes) and OUT/config.toml (that folder, and the catalog columns it reads). English is written from the catalog itself; the other languages are
translated entry by entry through the LLM server when one is configured (`MERITGEN_LLM_*` or llm.url;
answers cached in OUT/.llm_cache.sqlite), else left out (the build then skips them and says so).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from pipelines.errors import CatalogError, ConfigError
from pipelines.langid.languages import LANGUAGES

console = Console(stderr=True)
CACHE_FILE = ".llm_cache.sqlite"


def cmd_induce(args: argparse.Namespace) -> int:
    from pipelines.config import MineConfig, load_config
    from pipelines.induce.config_file import config_toml
    from pipelines.induce.lexicon import english_lexicon, template_additions
    from pipelines.induce.propose import propose
    from pipelines.induce.report import report_markdown
    from pipelines.io.catalog_reader import catalog_records
    from pipelines.vocab.check import document_problems
    from pipelines.vocab.paths import is_path
    from pipelines.vocab.templates import load_templates
    from pipelines.vocab.vocabulary import load_vocabulary

    cfg = load_config(args.config)
    records = catalog_records(args.catalog, cfg.catalog)
    if not records:
        raise CatalogError(f"{args.catalog}: no readable row to propose a vocabulary from")
    shipped = load_vocabulary(MineConfig().vocabulary if is_path(cfg.mine.vocabulary) else cfg.mine.vocabulary)
    proposal = propose(records, shipped, cfg.mine.alias_threshold)
    problems = document_problems(proposal.vocabulary, "vocabulary")
    if problems:  # a bug of induce, not of the catalog: say what, never write a file the build refuses
        raise ConfigError(f"the proposed vocabulary does not follow schemas/vocabulary/v1.json: {problems[0]}")
    templates = load_templates(cfg.render.templates, LANGUAGES)
    english, notes = english_lexicon(proposal.vocabulary, templates, proposal.type_nouns, proposal.surfaces,
                                    proposal.compounds)
    out = Path(args.out)
    _write(out / "vocabulary.json", proposal.vocabulary)
    _write(out / "lexicon" / "en.json", english)
    for lang, doc in template_additions(proposal.vocabulary, templates).items():
        _write(out / "templates" / f"{lang}.json", doc)
    languages = _other_languages(cfg, proposal.vocabulary, english, templates, out, notes)
    (out / "config.toml").write_text(config_toml(cfg.catalog, proposal.columns, args.catalog), encoding="utf-8")
    _as_the_build_reads_them(out, languages)
    (out / "report.md").write_text(report_markdown(proposal, args.catalog, notes, languages), encoding="utf-8")
    console.print(f"vocabulary: {len(proposal.vocabulary['categories'])} categories, "
                  f"{len(proposal.vocabulary['attributes'])} attributes -> {out} (review {out / 'report.md'}); "
                  f"build: meritgen build --catalog {args.catalog} --config {out / 'config.toml'}", markup=False,
                  soft_wrap=True)
    return 0


def _other_languages(cfg, doc: dict, english: dict, templates, out: Path, notes: list[str]) -> dict[str, str]:
    """Translate what the other languages lack through the LLM server, or say they are left out."""
    from pipelines.induce.lexicon import needed, translated_lexicon, translation_rows
    from pipelines.plan.llm import llm_settings
    from pipelines.runners.cli_common import llm_endpoint

    others = [lang for lang in cfg.render.languages if lang != "en"]
    status = {"en": "written from the catalog"}
    entries = {lang: needed(doc, english, templates, lang) for lang in others}
    settings = llm_settings(cfg.llm, endpoint=llm_endpoint())
    if settings is None:
        for lang in others:
            status[lang] = f"not written: {len(entries[lang])} entries need a translation (no LLM server configured)"
        if others:
            console.print(f"note: no LLM server (MERITGEN_LLM_URL or llm.url): lexicons for {', '.join(others)} not "
                          "written; `meritgen build` builds English only and says so", markup=False, soft_wrap=True)
        return status
    from pipelines.llm.step import run_task
    from pipelines.stages.llm_tasks import translate_lexicon

    rows = [row for lang in others for row in translation_rows(entries[lang], lang)]
    run = run_task(rows, translate_lexicon.TASK, settings, Path(cfg.llm.cache or out / CACHE_FILE), progress=False)
    answers = {r["record_id"]: r["value"] for r in run.parsed}
    for lang in others:
        lexicon, missing = translated_lexicon(entries[lang], answers, lang)
        _write(out / "lexicon" / f"{lang}.json", lexicon)
        status[lang] = (f"translated by {settings.model}: {len(entries[lang]) - len(missing)} entries"
                        + (f", {len(missing)} refused (the build skips {lang} until they are added)" if missing else ""))
        notes += [f"{lang}: no accepted translation for {m['kind']} {m['text']!r} ({'.'.join(m['key'])})"
                  for m in missing]
    return status


def _as_the_build_reads_them(out: Path, status: dict[str, str]) -> None:
    """Add to each translated language's status what the build's own check (vocab/buildable.py) finds: a refused
    entry, an English word kept, two values written alike. The report says now what the build would skip."""
    from pipelines.config import load_config
    from pipelines.vocab.buildable import buildable_config

    skipped = buildable_config(load_config(out / "config.toml"))[1]
    for lang, why in skipped.items():
        if status.get(lang, "").startswith("translated"):
            status[lang] += f"; the build skips {lang} until this is mended: {why}"


def _write(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def add_vocab_commands(sub) -> None:
    vocab = sub.add_parser("vocab", help="work with vocabularies: `vocab induce` proposes one from a catalog",
                           description="Vocabularies of your own (README \"Your own categories and attributes\").")
    commands = vocab.add_subparsers(dest="vocab_command", required=True, metavar="COMMAND")
    induce = commands.add_parser(
        "induce", help="propose a vocabulary, lexicons and a report from a catalog",
        description="Propose a vocabulary from a catalog: categories from its category column (spellings merged), "
        "attributes from its fields (values clustered, numbers with units normalised, visual flags proposed for "
        "review), English nouns from category names, and report.md of what it could not decide. With an LLM server "
        "(MERITGEN_LLM_URL or llm.url) the other languages' lexicons are translated; without one they are left "
        "out and the build makes English only. Then: meritgen build --catalog FILE --config OUT/config.toml")
    induce.add_argument("--catalog", required=True, help="catalog file: .csv, .jsonl or .parquet")
    induce.add_argument("--config", help="TOML config: its [catalog] column mapping, render.languages and [llm] are read "
                        "(default: built-in defaults)")
    induce.add_argument("--out", required=True,
                        help="folder to write (vocabulary.json, lexicon/, templates/, report.md, config.toml)")
    induce.set_defaults(func=cmd_induce)
