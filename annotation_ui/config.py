"""QA round settings: defaults, overridable by a TOML file's [qa] table and by CLI flags.

The build config rejects unknown tables, so QA settings live in their own file (or in a
separate `[qa]` table of a file passed only to `meritgen qa sample --config`).
"""

from __future__ import annotations

import dataclasses
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path

from annotation_ui.errors import QAError
from pipelines.config_types import checked
from pipelines.errors import ConfigError


@dataclass(frozen=True)
class QAConfig:
    size: int = 200
    annotators: tuple[str, ...] = ("annotator1", "annotator2")
    double_share: float = 0.2
    seed: int = 13


def load_qa_config(path: str | Path | None, overrides: dict) -> QAConfig:
    """Defaults, then the file's [qa] table, then non-None `overrides` (CLI flags)."""
    data: dict = {}
    if path:
        try:
            data = dict(tomllib.loads(Path(path).read_text(encoding="utf-8")).get("qa", {}))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise QAError(f"cannot read QA config {path}: {exc}") from exc
    data.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in dataclasses.fields(QAConfig)}
    unknown = set(data) - known
    if unknown:
        raise QAError(f"unknown key(s) {sorted(unknown)} in [qa]; known: {sorted(known)}")
    hints = typing.get_type_hints(QAConfig)
    try:
        return QAConfig(**{k: checked(f"qa.{k}", v, hints[k]) for k, v in data.items()})
    except ConfigError as exc:
        raise QAError(str(exc)) from exc
