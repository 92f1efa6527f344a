"""Offline query templates and lexicons (prompts/templates/<v>/<lang>.json, prompts/lexicon/<v>/<lang>.json).

Loaded by adapters and handed to the render stage as a frozen object; `digest` covers
every file read, so editing a phrase re-renders and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from pipelines.errors import ConfigError
from pipelines.resources import PROMPTS_DIR


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


def load_templates(version: str, languages: tuple[str, ...]) -> Templates:
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
            docs.append(json.loads(raw))
        packs[lang] = LanguagePack(lang, *docs)
    return Templates(version=version, packs=packs, digest=h.hexdigest()[:16])
