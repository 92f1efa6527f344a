"""Files of a QA round under <run>/qa/<round>/: a snapshot of what annotators see.

items.parquet (the sampled query rows, full), products.parquet (the products those queries show,
without image bytes) and the image pack. A round is a snapshot so that applying it, or another
round, to the export never changes what an open round displays.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from annotation_ui.errors import QAError
from annotation_ui.images import ImagePack, build_pack
from pipelines.io import layout
from pipelines.store import write_json

ROUND_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PRODUCT_COLUMNS = ["product_id", "category", "title", "description", "attributes", "image_ids"]


def qa_dir(run_dir: Path) -> Path:
    return run_dir / "qa"


def round_dir(run_dir: Path, name: str) -> Path:
    if not ROUND_NAME.fullmatch(name):
        raise QAError(f"round name {name!r} must match {ROUND_NAME.pattern} (it names a folder)")
    return qa_dir(run_dir) / name


def export_dir(run_dir: Path) -> Path:
    """The run's finished export folder, or QAError telling the user to build first."""
    folder = layout.export_dir(run_dir)
    if not layout.marker_path(folder).exists():
        raise QAError(f"{run_dir} has no finished export; run `meritgen build` first")
    return folder


SOURCE_FILE = "source.json"  # the build a round was sampled from: its export's fingerprint


def export_fingerprint(run_dir: Path) -> str | None:
    """The fingerprint in the export's marker: it names the build (`qa apply` keeps it, a rebuild changes it)."""
    marker = json.loads(layout.marker_path(export_dir(run_dir)).read_text(encoding="utf-8"))
    return marker.get("fingerprint")


def refuse_stale_round(run_dir: Path, name: str) -> None:
    """QAError when round `name` was sampled from another build of this run's export (a forced rebuild
    since): its decisions would be applied to queries nobody reviewed, or to none."""
    path = round_dir(run_dir, name) / SOURCE_FILE
    if not path.is_file():
        return  # a round sampled before rounds recorded their build: `apply_round` checks the query ids
    sampled = json.loads(path.read_text(encoding="utf-8")).get("export_fingerprint")
    current = export_fingerprint(run_dir)
    if sampled != current:
        raise QAError(f"round {name!r} was sampled from another build of {export_dir(run_dir)} (export fingerprint "
                      f"{sampled}, now {current}): the run was rebuilt after the round was sampled. Open a new round on this export")


def export_queries(run_dir: Path, columns: list[str] | None = None) -> pa.Table:
    return pads.dataset(layout.queries_dir(export_dir(run_dir)), format="parquet").to_table(columns=columns)


def referenced_products(queries: pa.Table) -> set[str]:
    """Product ids a round page shows: positives, hard negatives and the query images' products."""
    ids: set[str] = set()
    for row in queries.select(["positive_ids", "hard_negative_ids", "images"]).to_pylist():
        ids.update(row["positive_ids"], row["hard_negative_ids"], (i["product_id"] for i in row["images"]))
    return ids


def snapshot_round(run_dir: Path, name: str, query_ids: list[str]) -> dict[str, int]:
    """Write the round's items, products and image pack atomically (temp folder + rename)."""
    final = round_dir(run_dir, name)
    if final.exists():
        raise QAError(f"{final} already exists; pick another --round name")
    tmp = qa_dir(run_dir) / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    order = {qid: i for i, qid in enumerate(query_ids)}
    queries = export_queries(run_dir)
    queries = queries.filter(pc.is_in(queries["query_id"], pa.array(query_ids, pa.string())))
    found = queries["query_id"].to_pylist()
    queries = queries.take(sorted(range(len(found)), key=lambda i: order[found[i]]))  # keep the sample's order
    products = pads.dataset(layout.products_dir(export_dir(run_dir)), format="parquet").to_table(
        columns=PRODUCT_COLUMNS, filter=pc.field("product_id").isin(sorted(referenced_products(queries))))
    pq.write_table(queries, tmp / "items.parquet")
    pq.write_table(products, tmp / "products.parquet")
    wanted = {i["image_id"] for row in queries["images"].to_pylist() for i in row}
    wanted |= {ids[0] for ids in products["image_ids"].to_pylist() if ids}
    n_images = build_pack(run_dir / "ingest" / "images.parquet", wanted, tmp)
    write_json(tmp / SOURCE_FILE, {"export_fingerprint": export_fingerprint(run_dir)})
    os.replace(tmp, final)
    return {"items": queries.num_rows, "products": products.num_rows, "images": n_images}


@dataclass
class RoundData:
    """A round's snapshot loaded for the UI: query rows and products by id, and its images."""

    queries: dict[str, dict]
    products: dict[str, dict]
    images: ImagePack

    @classmethod
    def load(cls, run_dir: Path, name: str) -> RoundData:
        folder = round_dir(run_dir, name)
        if not (folder / "items.parquet").exists():
            raise QAError(f"round {name!r} has no snapshot in {folder}; open it with `meritgen qa sample`")
        queries = {r["query_id"]: r for r in pq.read_table(folder / "items.parquet").to_pylist()}
        products = {r["product_id"]: r for r in pq.read_table(folder / "products.parquet").to_pylist()}
        return cls(queries, products, ImagePack(folder))
