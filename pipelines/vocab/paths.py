"""Where a vocabulary, its lexicons and its template additions live: a shipped version or your own files.

`mine.vocabulary` is either a shipped version name (`v1`: `prompts/vocabulary/v1.json`) or a path
(anything with a `/`, or ending in `.json`): a vocabulary JSON file, or a folder holding
`vocabulary.json` with optional `lexicon/<lang>.json` and `templates/<lang>.json` beside it (the
layout `meritgen vocab induce` writes). Paths in a config file resolve from that file's folder
(`resolve_config_paths`), so a run's config.json names absolute files. Read by the loaders and by
the audit (which must not import `pipelines.vocab.vocabulary`), so this module imports nothing of ours
but `resources`.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.resources import PROMPTS_DIR

VOCABULARY_FILE = "vocabulary.json"
LEXICON_DIR = "lexicon"
TEMPLATES_DIR = "templates"
# Config keys that hold a path (besides a path-valued mine.vocabulary): resolved like it.
PATH_KEYS = (("render", "lexicon_dir"), ("render", "templates_dir"))


def is_path(value: str) -> bool:
    """A path rather than a shipped version name."""
    return "/" in value or "\\" in value or value.endswith(".json") or value in (".", "..")


def vocabulary_file(value: str) -> Path:
    """The vocabulary JSON `mine.vocabulary` names."""
    if not is_path(value):
        return PROMPTS_DIR / "vocabulary" / f"{value}.json"
    path = Path(value)
    if path.is_dir():
        return path / VOCABULARY_FILE
    legacy = path.with_name(path.name + ".json")  # the old spelling: "/abs/my" meant "/abs/my.json"
    return legacy if not path.exists() and legacy.is_file() else path


def vocabulary_folder(value: str) -> Path | None:
    """The folder of your own vocabulary (its lexicons and templates default to sub-folders); None when shipped."""
    return vocabulary_file(value).parent if is_path(value) else None


def beside_vocabulary(value: str, explicit: str, kind: str) -> Path | None:
    """`explicit` (render.lexicon_dir / templates_dir), else `<vocabulary folder>/<kind>` when it exists."""
    if explicit:
        return Path(explicit)
    folder = vocabulary_folder(value)
    return folder / kind if folder is not None and (folder / kind).is_dir() else None


def resolve_config_paths(data: dict, base: Path) -> dict:
    """Make relative path keys of a config dict absolute from `base` (the config file's folder, or the cwd)."""
    mine = data.get("mine")
    if isinstance(mine, dict) and isinstance(mine.get("vocabulary"), str) and is_path(mine["vocabulary"]):
        mine["vocabulary"] = _absolute(mine["vocabulary"], base)
    for section, key in PATH_KEYS:
        table = data.get(section)
        if isinstance(table, dict) and isinstance(table.get(key), str) and table[key]:
            table[key] = _absolute(table[key], base)
    return data


def _absolute(value: str, base: Path) -> str:
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())
