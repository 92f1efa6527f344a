"""Refuse a rebuild that would silently replace an export QA rounds were applied to.

`qa apply` rewrites the export in place and keeps its fingerprint. A rebuild with a changed
config or catalog would write a new export whose query ids differ, so re-applying the round
would match nothing. The export's fingerprint is known before any stage runs (it hashes step
versions, parameters and upstream fingerprints), so the build can say so up front.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.config import BuildConfig
from pipelines.errors import MeritgenError
from pipelines.io import layout
from pipelines.llm.client import NO_ENDPOINT, LLMEndpoint
from pipelines.plan import fingerprint
from pipelines.runners.local import local_plan
from pipelines.store import RunStore


def planned_fingerprints(catalog: Path, out: Path, cfg: BuildConfig, endpoint: LLMEndpoint = NO_ENDPOINT,
                         run: Path | None = None) -> dict[str, str]:
    """Each step's fingerprint before anything runs. A volatile step's (it reads URLs) is known only once
    it ran: the one its last run in `run` recorded stands in (what it fetches may still differ)."""
    store = RunStore(run) if run is not None and run.is_dir() else None
    upstream: dict[str, str] = {}
    for step in local_plan(catalog, out, cfg, endpoint):
        upstream[step.name] = fingerprint(step, upstream)
        marker = store.marker(step.name) if step.volatile and store is not None else None
        if marker is not None:
            upstream[step.name] = marker["fingerprint"]
    return upstream


def refuse_replacing_qa_export(catalog: Path, out: Path, run_id: str, cfg: BuildConfig,
                               endpoint: LLMEndpoint = NO_ENDPOINT) -> None:
    """MeritgenError when <out>/<run_id>/export has applied QA rounds and this build would replace it."""
    path = layout.marker_path(layout.export_dir(layout.run_dir(out, run_id)))
    if not path.is_file():
        return
    marker = json.loads(path.read_text(encoding="utf-8"))
    rounds = marker.get("qa_rounds") or []
    run = layout.run_dir(out, run_id)
    if rounds and marker.get("fingerprint") != planned_fingerprints(catalog, out, cfg, endpoint, run)["export"]:
        raise MeritgenError(
            f"{layout.export_dir(layout.run_dir(out, run_id))} has QA round(s) {', '.join(rounds)} applied, and this build (its config or "
            "catalog changed) would replace it with new queries the decisions no longer match. Build into another "
            "--run-id, or pass --force (Prefect flow: force=true) to replace it (decisions stay in qa/; open a new round on the new export)")
