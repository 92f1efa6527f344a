"""What every stage returns: its output tables, its rejects, and its counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from pipelines import schemas


@dataclass(frozen=True)
class StageResult:
    """Output tables by name, one rejects table (schemas/v1/reject.json) and plain counters."""

    outputs: dict[str, pa.Table]
    rejects: pa.Table = field(default_factory=lambda: schemas.empty("reject"))
    counters: dict[str, int | float] = field(default_factory=dict)


class RejectLog:
    """Collects reject rows for one stage and counts them by reason."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.rows: list[dict] = []
        self.by_reason: Counter[str] = Counter()

    def add(
        self,
        reason: str,
        message: str,
        *,
        record_id: str | None = None,
        source_file: str | None = None,
        source_row: int | None = None,
        field: str | None = None,
        raw: str | None = None,
    ) -> None:
        self.by_reason[reason] += 1
        self.rows.append(
            {
                "stage": self.stage,
                "reason": reason,
                "record_id": record_id,
                "source_file": source_file,
                "source_row": source_row,
                "field": field,
                "message": message,
                "raw": None if raw is None else raw[:20_000],  # a 1 MB title must not bloat rejects
            }
        )

    def table(self) -> pa.Table:
        return schemas.from_rows(self.rows, "reject")

    def extend(self, other: RejectLog) -> None:
        """Add another log's rows and counts (a stream's batches, told as one)."""
        self.rows += other.rows
        self.by_reason.update(other.by_reason)

    def counters(self) -> dict[str, int]:
        return {f"rejected_{reason}": n for reason, n in sorted(self.by_reason.items())}
