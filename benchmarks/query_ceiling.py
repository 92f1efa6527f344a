"""How many label-safe queries a catalog's mined attributes allow at most: every 2-4-condition set of every product's
usable values, judged by compose's own rules (issue #21: is a low yield the catalog's or compose's?).

    python benchmarks/query_ceiling.py RUN_DIR [RUN_DIR ...]

Reads a finished build's ingest and mine outputs and its config. A set counts when it has a visual condition, its
positives are within compose's bounds, its unverified share is within `compose.max_unverified_share` and each
condition has a minimal pair; the other sets are counted by the first rule they break. Compose draws its attempts at
random, so its plans are at most these sets times the ways of carrying them by image or text.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from itertools import combinations
from pathlib import Path

import pyarrow.parquet as pq

from pipelines.config import config_from_dict
from pipelines.io import layout
from pipelines.stages.catalog_index import build_index
from pipelines.stages.compose import ComposeParams, _usable
from pipelines.stages.matching import unverified_share
from pipelines.stages.minimal_pairs import untestable
from pipelines.vocab.vocabulary import load_vocabulary


def ceiling(run: Path) -> dict:
    cfg = config_from_dict(json.loads((run / layout.CONFIG_FILE).read_text(encoding="utf-8")))
    params = ComposeParams(cfg.compose, load_vocabulary(cfg.mine.vocabulary), cfg.seed)
    index = build_index(pq.read_table(run / "ingest" / "products.parquet"), pq.read_table(run / "mine" / "attributes.parquet"),
                        pq.read_table(run / "mine" / "families.parquet"), params.matcher)
    valid, anchored, broken = set(), 0, Counter()
    for product in range(index.size):
        found = False
        for condition_set in _sets(_usable(index, product, params), cfg.compose.condition_counts):
            reason = _broken(index, index.category[product], condition_set, params)
            broken[reason or "valid"] += 1
            if reason is None:
                valid.add((index.category[product], condition_set))
                found = True
        anchored += found
    return {"products": index.size, "products_with_a_valid_set": anchored, "distinct_valid_sets": len(valid),
            "sets_by_outcome": dict(broken.most_common())}


def _sets(usable: dict[str, str], counts) -> list[tuple]:
    items = sorted(usable.items())
    return [c for n in counts for c in combinations(items, n)]


def _broken(index, category: str, conditions: tuple, params: ComposeParams) -> str | None:
    cfg, pairs = params.cfg, list(conditions)
    if any(a not in dict(pairs) for a in params.required(category)):
        return "required_condition_missing"
    if not any(params.vocabulary.is_visual(a) for a, _ in pairs):
        return "no_visual_condition"
    bits = index.positives(category, pairs)
    count = bits.bit_count()
    if count / index.size > cfg.max_positive_share or count > cfg.max_positives:
        return "too_many_positives"
    if unverified_share(count, index.unverified(category, pairs, bits).bit_count()) > cfg.max_unverified_share:
        return "too_many_unverified"
    return "untestable_condition" if untestable(index, category, pairs) else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders (<out>/<run_id>) with finished ingest and mine")
    for run in parser.parse_args(argv).runs:
        print(json.dumps({"run": str(run), **ceiling(run)}))


if __name__ == "__main__":
    main()
