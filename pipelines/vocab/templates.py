"""Offline query templates and lexicons (prompts/templates/<v>/<lang>.json, prompts/lexicon/<v>/<lang>.json).

Loaded by adapters and handed to the render stage as a frozen object; `digest` covers
every file read, so editing a phrase re-renders and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.errors import ConfigError
from pipelines.resources import PROMPTS_DIR
from pipelines.vocab.check import read_document


@dataclass(frozen=True)
class LanguagePack:
    language: str
    template: dict = field(repr=False)
    lexicon: dict = field(repr=False)

    @property
    def template_id(self) -> str:
        return self.template.get("template_id", f"offline/{self.language}")


@dataclass(frozen=True)
class Templates:
    version: str
    packs: dict[str, LanguagePack] = field(repr=False)
    digest: str = ""

    def pack(self, language: str) -> LanguagePack:
        return self.packs[language]


def load_templates(version: str, languages: tuple[str, ...], additions: dict[str, Path | None] | None = None) -> Templates:
    """The shipped templates and lexicons of `version`; `additions` ({"templates": folder, "lexicon": folder},
    your own `<lang>.json` files, checked against schemas/) add to and override them key by key."""
    h = hashlib.sha256()
    packs = {}
    for lang in languages:
        docs = []
        for kind in ("templates", "lexicon"):
            path = PROMPTS_DIR / kind / version / f"{lang}.json"
            if not path.exists():
                raise ConfigError(f"no {kind} for language {lang!r} in version {version!r}: {path}")
            raw = path.read_bytes()
            h.update(raw)
            doc = json.loads(raw)
            folder = (additions or {}).get(kind)
            if folder is not None and (folder / f"{lang}.json").is_file():
                h.update((folder / f"{lang}.json").read_bytes())
                doc = deep_merge(doc, read_document(folder / f"{lang}.json", kind))
            docs.append(doc)
        packs[lang] = LanguagePack(lang, *docs)
    return Templates(version=version, packs=packs, digest=h.hexdigest()[:16])


def deep_merge(base: dict, extra: dict) -> dict:
    """`extra` over `base`: tables merge key by key, anything else (a list, a string) replaces."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
