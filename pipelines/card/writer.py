"""Write a run's data card from its exported files, the same way for every runner.

The local build (once, after its audit: `runners/local.audit_with_card`), `meritgen card`, `qa apply`
and the Beam run all call `write_card`, which reads the tables back from the export folder, so the
card of a Beam build and of a local build of the same data differ only in timings. Facts the card states are computed here from the final files:
language ID on the exported texts, rejects counted from every stage's reject rows, split sizes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from pipelines.card.plots import write_card_plots
from pipelines.card.render import audit_section, render_card
from pipelines.card.testability import testability_section
from pipelines.config import BuildConfig, config_from_dict, load_config
from pipelines.errors import MeritgenError
from pipelines.evaluate.card import condition_rows
from pipelines.io import layout
from pipelines.io.ipc_size import ipc_size, ipc_sizes_by
from pipelines.last_value import LastValue
from pipelines.stages.llm_tasks import language_agreement

# The query columns the card reads (card_queries); every column only for split sizes, batch by batch.
CARD_COLUMNS = ["query_id", "language", "category", "n_conditions", "split", "text", "conditions", "n_unverified"]
BATCH_ROWS = 20_000
LANGID_SAMPLE = 2000  # exported texts per language checked for the card (first by query id: hash-random)
_FACTS = LastValue()  # the last export's card facts (cached_facts), in this process only


def regenerate_card(run_dir: Path, config_path: str | None = None, out: Path | None = None,
                    extra_sections: list[str] = ()) -> Path:
    """Rewrite `<run>/export/README.md` (and its plots) from the run's files."""
    export_dir = layout.export_dir(run_dir)
    if not layout.marker_path(export_dir).exists():
        raise MeritgenError(f"{run_dir} has no finished export; run `meritgen build` first")
    report = json.loads((run_dir / layout.REPORT_FILE).read_text(encoding="utf-8"))
    cfg = load_config(config_path) if config_path else config_from_dict(
        json.loads((run_dir / layout.CONFIG_FILE).read_text(encoding="utf-8")))
    return write_card(export_dir, report, cfg, run_dir, out, extra_sections)


def write_card(export_dir: Path, report: dict, cfg: BuildConfig, run_dir: Path, target: Path | None = None,
               extra_sections: list[str] = (), costly: bool = True) -> Path:
    """Render the card of the export in `export_dir` (which may still be the build's temp folder).

    costly=False leaves out the facts that take a pass over the export (the BM25 baseline per
    condition, language ID of a sample: `export_facts`): the local build's first card, written before
    its export's marker, which the card after the audit replaces (`runners/local.audit_with_card`)."""
    read = CardInputs.read(export_dir)
    target = target or export_dir / layout.CARD_FILE
    plots = write_card_plots(target.parent / "plots", read.queries, report)
    difficulty = pq.read_table(export_dir / "difficulty.parquet") if (export_dir / "difficulty.parquet").exists() else None
    facts = cached_facts(export_dir, cfg, read) if costly else {"conditions": None, "langid": None,
                                                                "sizes": _sizes(read)}
    if (run_dir / layout.AUDIT_FILE).exists():  # written by `meritgen audit` (every build runs it last)
        audit = json.loads((run_dir / layout.AUDIT_FILE).read_text(encoding="utf-8"))
        extra_sections = [*extra_sections, audit_section(audit), *filter(None, [testability_section(audit)])]
    card = render_card(report, cfg, read.queries, read.product_table, plots, extra_sections, difficulty,
                       langid=facts["langid"], langid_sample=LANGID_SAMPLE,
                       rejects=reject_reasons(run_dir, export_dir), sizes=facts["sizes"],
                       query_schema=read.dataset.schema, conditions=facts["conditions"])
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")  # a kill mid-write never leaves half a card
    tmp.write_text(card, encoding="utf-8")
    os.replace(tmp, target)
    return target


@dataclass(frozen=True)
class CardInputs:
    """What the card reads of an export, read once for the card and its facts."""

    dataset: pads.Dataset  # the query shards
    queries: pa.Table  # the columns the card counts (card_queries)
    products: pads.Dataset
    product_table: pa.Table  # every product column but the image bytes

    @classmethod
    def read(cls, export_dir: Path) -> CardInputs:
        dataset = pads.dataset(layout.queries_dir(export_dir), format="parquet")
        products = pads.dataset(layout.products_dir(export_dir), format="parquet")
        return cls(dataset, card_queries(dataset), products,
                   products.to_table(columns=[n for n in products.schema.names if n != "images"]))


def cached_facts(export_dir: Path, cfg: BuildConfig, read: CardInputs) -> dict:
    """The card's costly facts (`export_facts`), computed once per export content: `meritgen card` and
    `qa apply` recompute them after the files change, never show a stale figure; the build's card after
    its audit takes them from `remember` (computed beside the audit, card/facts_ahead.py)."""
    return _FACTS.get(facts_key(export_dir, cfg), lambda: export_facts(export_dir, cfg, read))


def facts_key(export_dir: Path, cfg: BuildConfig) -> tuple:
    """What the facts depend on: the export's files (by content) and the settings `export_facts` reads."""
    return export_digest(export_dir), cfg.retrieval.difficulty_split, (export_dir / "difficulty.parquet").exists()


def remember(key: tuple, facts: dict) -> None:
    """Keep `facts` (computed here or in another process) as this process's facts for `key`."""
    _FACTS.put(key, facts)


def export_facts(export_dir: Path, cfg: BuildConfig, read: CardInputs) -> dict:
    """The BM25 baseline's per-condition report (meritgen eval, when the build ran retrieval), language ID of
    a sample of the exported texts, and the export's sizes."""
    with_conditions = (export_dir / "difficulty.parquet").exists()
    return {"conditions": condition_rows(export_dir, cfg.retrieval.difficulty_split) if with_conditions else None,
            "sizes": _sizes(read), "langid": language_agreement(read.queries, LANGID_SAMPLE)}


def _sizes(read: CardInputs) -> dict:
    return {"queries": ipc_sizes_by(read.dataset.to_batches(batch_size=BATCH_ROWS), read.dataset.schema, "split"),
            "products": {"catalog": ipc_size(read.product_table) + _image_bytes(read.products)}}


def export_digest(export_dir: Path) -> str:
    """sha256 over the export's data files (relative name and bytes): equal for the temp folder and
    the same files after the rename, different after any rewrite (`qa apply`)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in export_dir.rglob("*.parquet") if p.is_file()):
        digest.update(str(path.relative_to(export_dir)).encode() + b"\0")
        with path.open("rb") as f:
            digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()


def card_queries(dataset: pads.Dataset) -> pa.Table:
    """The query columns the card and its plots count (CARD_COLUMNS, and provenance's template_id and
    prompt_ids), not the whole export: no passages, segments or stage versions in memory."""
    names = set(dataset.schema.names)
    columns = {c: pc.field(c) for c in CARD_COLUMNS if c in names}
    fields = ("template_id", "prompt_ids")
    table = dataset.to_table(columns={**columns, **{f: pc.field("provenance", f) for f in fields}})
    kept = [dataset.schema.field("provenance").type.field(f) for f in fields]
    provenance = pa.chunked_array([pa.StructArray.from_arrays([table[f].chunk(i) for f in fields], fields=kept)
                                   for i in range(table[fields[0]].num_chunks)], pa.struct(kept))
    return table.drop_columns(list(fields)).append_column("provenance", provenance)


def _image_bytes(products: pads.Dataset) -> int:
    """Encoded image bytes of every product, streamed batch by batch (never all in memory)."""
    total = 0
    for batch in products.to_batches(columns=["images"]):
        images = pc.list_flatten(batch.column(0))
        total += int(pc.sum(pc.binary_length(pc.struct_field(images, "bytes"))).as_py() or 0)
    return total


def reject_reasons(run_dir: Path, export_dir: Path) -> list[list]:
    """[stage, reason, rows] over every stage's reject rows: `<stage>/rejects.parquet` of a local run
    (the export's own from `export_dir`, which may be the temp folder) or `rejects/*.parquet` of Beam."""
    files = [p for p in run_dir.glob("*/rejects.parquet") if p.parent.name != layout.EXPORT]
    files += sorted((run_dir / "rejects").glob("*.parquet")) + [p for p in [export_dir / "rejects.parquet"] if p.exists()]
    counts: Counter = Counter()
    for path in files:
        table = pq.read_table(path, columns=["stage", "reason"])
        counts.update(zip(table.column("stage").to_pylist(), table.column("reason").to_pylist()))
    return [[stage, reason, n] for (stage, reason), n in sorted(counts.items())]
