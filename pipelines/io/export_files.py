"""An export's file list, kept in its completion marker, and the checks that it is whole.

The marker (`_SUCCESS.json`) is written last, so every file it lists was complete when the export
was declared finished; the data card is written and checked before it (a kill, or a full disk,
after the marker can no longer leave an export that `datasets` cannot load). The card and its
plots are rendered again after the audit (its Audit section), so only their presence is compared;
every other file must still have the size the marker records.
"""

from __future__ import annotations

import fnmatch
import glob
import posixpath
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import pyarrow.parquet as pq
import yaml

from pipelines.errors import ReproducibilityError
from pipelines.io import layout
from pipelines.io.layout import MERIT_PRODUCTS_PARTS, SPLITS

FILES_KEY = "files"  # marker key: relative path -> size in bytes
REWRITTEN_AFTER_MARKER = (layout.CARD_FILE, "plots/")  # the card (and plots) gain the Audit section later


def listing(folder: Path) -> dict[str, int]:
    """relative path -> size of every file under `folder` but the marker and hidden temp files."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != layout.MARKER and not any(p.startswith(".") for p in rel.split("/")):
            out[rel] = path.stat().st_size
    return out


def card_problems(folder: Path) -> list[str]:
    """Why the export's card cannot serve `load_dataset(export, config)`: missing, no YAML header, or a
    config whose data_files match no file. Empty when the card is fine."""
    card = folder / layout.CARD_FILE
    if not card.is_file():
        return [f"{layout.CARD_FILE} is missing"]
    text = card.read_text(encoding="utf-8")
    head = text.split("---", 2)
    try:
        header = yaml.safe_load(head[1]) if text.startswith("---") and len(head) == 3 else None
    except yaml.YAMLError:
        header = None
    if not isinstance(header, dict) or not header.get("configs"):
        return [f"{layout.CARD_FILE} has no YAML header naming the dataset's configs"]
    files = list(listing(folder))
    problems = []
    for config in header["configs"]:
        for entry in config.get("data_files", []):
            if not any(fnmatch.fnmatch(name, entry["path"]) for name in files):
                problems.append(f"{layout.CARD_FILE} config {config.get('config_name')!r} names {entry['path']}, "
                                "which matches no file")
    return problems


def verify_card(folder: Path) -> None:
    """ReproducibilityError unless the card in `folder` is there and names existing data files."""
    problems = card_problems(folder)
    if problems:
        raise ReproducibilityError(f"the data card of {folder} is not usable: {'; '.join(problems)}")


def missing_files(folder: Path, marker: dict) -> list[str]:
    """Files the marker lists that are gone or changed size (card and plots: only gone), plus card problems."""
    present = listing(folder)
    problems = []
    for rel, size in (marker.get(FILES_KEY) or {}).items():
        if rel not in present:
            problems.append(f"{rel} is missing")
        elif present[rel] != size and not rel.startswith(REWRITTEN_AFTER_MARKER):
            problems.append(f"{rel} has {present[rel]} bytes, the marker recorded {size}")
    return problems + [p for p in card_problems(folder) if p not in problems]


def _local_matches(pattern: str) -> Iterable[BinaryIO]:
    return (open(path, "rb") for path in sorted(glob.glob(pattern)))


def merit_pool_rows(export: str | Path,
                    open_matches: Callable[[str], Iterable[BinaryIO]] = _local_matches) -> dict[str, int]:
    """split -> rows in `merit/products/<split>-*.parquet` under `export` (from the Parquet footers);
    empty when the export has no MERIT layout. open_matches(pattern) opens the matching files (local
    files by default; Beam passes its FileSystems, so a gs:// export is counted the same way)."""
    counts = {}
    for split in SPLITS:
        rows, found = 0, False
        for fh in open_matches(posixpath.join(str(export), *MERIT_PRODUCTS_PARTS, f"{split}-*.parquet")):
            with fh:
                rows, found = rows + pq.ParquetFile(fh).metadata.num_rows, True
        if found:
            counts[split] = rows
    return counts
