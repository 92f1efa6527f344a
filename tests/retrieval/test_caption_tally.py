"""The caption filter's counters from additive raw counts: batches run apart give one run's numbers."""

from collections import Counter

import pytest

from pipelines.shards import add_counters
from pipelines.stages.caption_filter import CaptionTally, counters_from_raw


def _check(i: int) -> dict:
    rank = [1, 3, None, 7, 12, 2, 9, None, 4][i % 9]
    blind = [None, 2, 5, None, 1, 11, 6, 10, None][i % 9]
    return {"query_id": f"q{i}", "captioned_rank": rank, "blind_rank": blind,
            "substitutable": rank is not None and rank <= 3, "image_blind": blind is not None and blind <= 3}


def _tally(ids) -> CaptionTally:
    checks = [_check(i) for i in ids]
    kept = [not c["substitutable"] and not c["image_blind"] for c in checks]
    return CaptionTally(queries=len(checks) + 1, blind_unchecked=sum(c["blind_rank"] is None for c in checks),
                        checks=checks, kept=kept,
                        by_reason=Counter(caption_substitutable=sum(c["substitutable"] for c in checks)))


def test_summed_raw_counts_of_batches_give_the_counters_of_one_run():
    whole = _tally(range(40)).counters()
    raw: dict = {}
    for ids in (range(0, 13), range(13, 14), range(14, 40)):  # three shards, as Beam's workers count them
        add_counters(raw, _tally(ids).raw())
    raw["queries"] -= 2  # each shard's tally counted one unchecked query; the whole run one
    parted = counters_from_raw(raw)
    assert list(parted) == list(whole)  # same counters, same order
    assert parted == pytest.approx(whole)  # rates and MRR are float sums in another order
    assert {k: v for k, v in parted.items() if isinstance(v, int)} == {k: v for k, v in whole.items() if isinstance(v, int)}
    assert whole["before_n"] == 40 and 0 < whole["after_captions_mrr"] < 1 and all(isinstance(v, int) for v in raw.values())
