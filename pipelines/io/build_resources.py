"""The resource files a build plan is made from, loaded at the runner's edge (planning reads no file).

Every runner (local, Prefect through it, Beam) loads them here and hands them to `plan.plan_build`;
each is a frozen value with a content digest, so a vocabulary, lexicon or template file edited in
place changes the digest of every step that reads it, and only of those.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.config import BuildConfig
from pipelines.vocab.buildable import templates_for
from pipelines.vocab.templates import Templates
from pipelines.vocab.vocabulary import Vocabulary, load_vocabulary


@dataclass(frozen=True)
class BuildResources:
    vocabulary: Vocabulary  # `mine.vocabulary`
    templates: Templates  # `render.templates` with your lexicon and template additions


def load_resources(cfg: BuildConfig) -> BuildResources:
    return BuildResources(load_vocabulary(cfg.mine.vocabulary), templates_for(cfg))
