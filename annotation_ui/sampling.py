"""Pure sampling for QA rounds: stratified draws and annotator assignment.

Both are deterministic functions of their inputs and a seed, so a round can be re-derived and
reviewed; no I/O happens here.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict

import pyarrow as pa

from annotation_ui.errors import QAError

NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
ADJUDICATOR = "adjudicator"  # reserved name of the per-round adjudicator account
STRATA = ("language", "category", "n_conditions")


def stratum_of(row: dict) -> str:
    """The stratum key of a query row: language x category x number of conditions."""
    return "|".join(str(row[k]) for k in STRATA)


def allocate(counts: dict[str, int], size: int) -> dict[str, int]:
    """Split `size` draws over strata proportionally (largest remainder).

    Every stratum then gets at least one draw when `size` allows it (taken from the largest
    allocation), so a rare language or category is never left out of a round for being small.
    """
    total = sum(counts.values())
    if size >= total:
        return dict(counts)
    keys = sorted(k for k in counts if counts[k] > 0)
    quotas = {k: size * counts[k] / total for k in keys}
    alloc = {k: int(quotas[k]) for k in keys}
    # Fractional parts are each < 1 and sum to the leftover, so the top ones never exceed a count.
    for k in sorted(keys, key=lambda k: (-(quotas[k] - alloc[k]), k))[: size - sum(alloc.values())]:
        alloc[k] += 1
    if size >= len(keys):
        for k in (k for k in keys if alloc[k] == 0):
            donor = max(keys, key=lambda d: (alloc[d], d))  # has >= 2 by pigeonhole
            alloc[donor] -= 1
            alloc[k] = 1
    return alloc


def stratified_sample(queries: pa.Table, size: int, seed: int, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Query ids drawn per stratum (see `allocate`), in a seeded shuffled order.

    queries: columns query_id, language, category, n_conditions. `exclude` holds ids already
    reviewed in earlier rounds. The shuffle interleaves strata so an annotator's queue mixes them.
    """
    if size < 1:
        raise QAError(f"sample size must be >= 1, got {size}")
    strata: dict[str, list[str]] = defaultdict(list)
    for row in queries.select(["query_id", *STRATA]).to_pylist():
        if row["query_id"] not in exclude:
            strata[stratum_of(row)].append(row["query_id"])
    if not strata:
        raise QAError("no query is left to sample (all were reviewed in earlier rounds, or the export is empty)")
    alloc = allocate({k: len(v) for k, v in strata.items()}, size)
    drawn = []
    for key in sorted(alloc):
        drawn += random.Random(f"{seed}:{key}").sample(sorted(strata[key]), alloc[key])
    random.Random(seed).shuffle(drawn)
    return drawn


def assign_items(item_ids: list[str], annotators: list[str], double_share: float, seed: int) -> dict[str, tuple[str, ...]]:
    """Annotators of each item: one each, two for a `double_share` of items (for agreement).

    Load is balanced: each item goes to the least-loaded annotator(s), ties broken by a seeded
    order, so pairs rotate and every annotator gets about the same number of items.
    """
    _check_assignment_args(annotators, double_share)
    rng = random.Random(seed)
    shuffled = list(item_ids)
    rng.shuffle(shuffled)
    double = set(shuffled[: round(double_share * len(item_ids))])
    rank = {a: i for i, a in enumerate(rng.sample(annotators, len(annotators)))}
    load = dict.fromkeys(annotators, 0)
    out = {}
    for item in item_ids:
        chosen = sorted(annotators, key=lambda a: (load[a], rank[a]))[: 2 if item in double else 1]
        for a in chosen:
            load[a] += 1
        out[item] = tuple(sorted(chosen))
    return out


def _check_assignment_args(annotators: list[str], double_share: float) -> None:
    if not annotators:
        raise QAError("give at least one annotator (--annotators a,b,c)")
    bad = [a for a in annotators if not NAME.match(a) or a == ADJUDICATOR]
    if bad:
        raise QAError(f"annotator names must match {NAME.pattern} and not be {ADJUDICATOR!r}; bad: {bad}")
    if len(set(annotators)) != len(annotators):
        raise QAError(f"annotator names must be unique, got {annotators}")
    if not 0 <= double_share <= 1:
        raise QAError(f"double-annotation share must be in [0, 1], got {double_share}")
    if double_share > 0 and len(annotators) < 2:
        raise QAError("double annotation needs at least two annotators (or pass --double-share 0)")
