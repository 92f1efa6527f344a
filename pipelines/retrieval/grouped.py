"""Category-local search: each query is searched only among the documents of its own group.

The rule (README, "Category-local retrieval"): a query's positives are all of the query's
category, so a document of another category can never be a positive. Searching the query's
category alone therefore never loses a positive, and costs a search over that category's
documents instead of the catalog's (7 categories in a MERIT-style catalog: about 7x less).
Scores do not change: a subset index keeps the whole corpus's statistics (`BM25Index.subset`,
`DenseIndex.subset`), so a document scores the same as in a full search, and the subset's
ranking is the full ranking with the other categories' documents left out. What changes is
who fills the top k: documents of other categories are replaced by the next ones of the
query's own category (see the README for what that means for each stage).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from pipelines import progress
from pipelines.retrieval.index import TextIndex, hits_table


class GroupedSearch:
    """Category-local search over one index, each group's subset index built once and reused by
    every batch of queries searched through it (a streamed step searches batch by batch)."""

    def __init__(self, index: TextIndex, doc_groups: Mapping[str, str]) -> None:
        self.index = index
        self.members: dict[str, list[str]] = defaultdict(list)
        for doc_id, group in doc_groups.items():
            self.members[group].append(doc_id)
        self._subsets: dict[str, TextIndex] = {}

    def _searched(self, group: str | None) -> TextIndex:
        if group is None:
            return self.index
        if group not in self._subsets:
            self._subsets[group] = self.index.subset(self.members.get(group, []))
        return self._subsets[group]

    def search(self, query_ids: Sequence[str], texts: Sequence[str], query_groups: Sequence[str | None],
               k: int) -> pa.Table:
        """Hits table (one row per query, in input order), each query searched among its group's
        documents (None: the whole index); k is capped by the searched documents' count."""
        positions: dict[str | None, list[int]] = defaultdict(list)
        for i, group in enumerate(query_groups):
            positions[group].append(i)
        ids: list[np.ndarray] = [np.empty(0, dtype=object)] * len(query_ids)
        scores: list[np.ndarray] = [np.empty(0, dtype=np.float32)] * len(query_ids)
        progress.add_total(len(texts))
        for group, at in positions.items():
            searched = self._searched(group)
            found, values = searched.search([texts[i] for i in at], min(k, len(searched)))
            for row, i in enumerate(at):
                ids[i], scores[i] = found[row], values[row]
            progress.advance(len(at))  # one category's queries at a time
        return hits_table(query_ids, ids, scores)


def search_grouped(index: TextIndex, query_ids: Sequence[str], texts: Sequence[str], query_groups: Sequence[str | None],
                   doc_groups: Mapping[str, str], k: int) -> pa.Table:
    """Hits table (one row per query, in input order) with each query searched among the
    documents whose group (`doc_groups[doc_id]`) equals the query's group; a query whose
    group is None searches the whole index. k is capped by the searched documents' count."""
    return GroupedSearch(index, doc_groups).search(query_ids, texts, query_groups, k)
