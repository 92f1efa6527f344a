"""Launch the Beam build and, once it is done, write the run's config, report and data card.

The run folder mirrors the local one: `<out>/<run_id>/export/` (+ README.md card for local
output), `config.json`, `report.json` (Beam metrics per step), `failures.json` (the
failure-ratio summary) and `rejects/`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import apache_beam as beam
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines import __version__, schemas
from pipelines.beam.adapter import PREPARED, WALL_MS
from pipelines.beam.catalog_io import is_remote
from pipelines.beam.dry_run import DRY_RUN, graph_summary, is_dry_run
from pipelines.beam.failures import FailureRatioExceeded
from pipelines.beam.options import split_llm_args
from pipelines.beam.pipeline import BeamSettings, build_pipeline, check_catalog, plan_for
from pipelines.beam.vllm_server import stop_servers
from pipelines.beam.whole_files import remove_folder
from pipelines.beam.worker_cache import drop as drop_prepared
from pipelines.config import BuildConfig
from pipelines.errors import CatalogError
from pipelines.io.export_files import FILES_KEY, listing, merit_pool_rows, verify_card
from pipelines.io.layout import AUDIT_FILE, CONFIG_FILE, EXPORT, MARKER, REJECTS, REPORT_FILE
from pipelines.io.run_lock import run_lock
from pipelines.llm.client import NO_ENDPOINT, LLMEndpoint
from pipelines.merit_layout import merit_rows_out
from pipelines.stages.export import ExportParams

log = logging.getLogger(__name__)


@dataclass
class BeamRun:
    run_root: str
    state: str
    report: dict | None  # None when the run was submitted without waiting
    graph: dict | None = None  # a dry run's job graph (dry_run.graph_summary)


def run_id_of(catalog: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", PurePosixPath(catalog).stem) or "catalog"


def run_beam_build(catalog: str, out: str, cfg: BuildConfig, pipeline_args: list[str] = (), run_id: str | None = None,
                   settings: BeamSettings | None = None, wait: bool = True) -> BeamRun:
    """Build the dataset for `catalog` under `<out>/<run_id>/` on the runner `pipeline_args` name."""
    catalog, settings = str(catalog), settings or BeamSettings()
    llm_options, beam_args = split_llm_args(pipeline_args)  # ours never reach the workers' option parser
    dry_run = is_dry_run(beam_args)
    if not dry_run:  # a dry run reads and writes nothing: it needs neither the catalog nor credentials
        check_catalog(catalog)
    run_root = FileSystems.join(str(out), run_id or run_id_of(catalog))
    with run_lock(run_root):  # one build per run folder, as the local runner (a gs:// root is not locked)
        settings = dataclasses.replace(settings, llm_options=llm_options)
        pipeline = beam.Pipeline(options=PipelineOptions(beam_args))
        build_pipeline(pipeline, catalog, run_root, cfg, settings)
        result = pipeline.run()
        if dry_run:
            return BeamRun(run_root, DRY_RUN, None, graph_summary(result))
        if not wait:
            return BeamRun(run_root, str(result.state), None)
        try:
            result.wait_until_finish()
        except Exception as exc:  # runners wrap worker errors; surface ours as themselves
            known = _known_failure(exc)
            if known is None:
                raise
            raise known from exc
        finally:
            stop_servers()  # the vLLM servers this process started (DirectRunner): the GPU is free again
            remove_folder(run_root)  # the whole tables the steps read (whole_files): not part of the output
            drop_prepared()  # an in-process runner's last index (in_memory DirectRunner, tests)
        return BeamRun(run_root, str(result.state), finish_run(run_root, catalog, cfg, result, settings.llm_endpoint))


def _known_failure(exc: Exception) -> Exception | None:
    text = str(exc)
    for cls in (FailureRatioExceeded, CatalogError):
        match = re.search(rf"{cls.__name__}: (.+)", text)
        if match:
            return cls(match.group(1).strip())
    return None


def finish_run(run_root: str, catalog: str, cfg: BuildConfig, result, endpoint: LLMEndpoint = NO_ENDPOINT) -> dict:
    """Write config.json, report.json and the markers; render the data card when the output is local."""
    report = build_report(run_root, catalog, cfg, result, endpoint)
    write_text(FileSystems.join(run_root, CONFIG_FILE), json.dumps(cfg.to_dict(), indent=1, sort_keys=True, default=str))
    write_text(FileSystems.join(run_root, REPORT_FILE), json.dumps(report, indent=1, sort_keys=True, default=str))
    copy_rejects_to_export(run_root)  # export/rejects.parquet, as the local export writes it
    local = not is_remote(run_root)
    if local:  # the card before the markers, as the local runner writes it: a finished export always loads
        _card_before_marker(Path(run_root), report, cfg)
    for folder in (EXPORT, REJECTS):
        marker = {"runner": "beam", "pipeline_version": __version__}
        if local:
            marker[FILES_KEY] = listing(Path(run_root, folder))
        write_text(FileSystems.join(run_root, folder, MARKER), json.dumps(marker))
    if not local:
        log.info("data card not rendered for remote output %s: run `meritgen card` on a local copy", run_root)
        return report
    # The audit's verdict rides along (not in report.json): the caller's outcome follows it (runners/outcome.py).
    return {**report, "audit": _render_card(Path(run_root))}


def _card_before_marker(run_dir: Path, report: dict, cfg: BuildConfig) -> None:
    from pipelines.card.writer import write_card

    (run_dir / AUDIT_FILE).unlink(missing_ok=True)  # a previous build's audit does not describe this export
    write_card(run_dir / EXPORT, report, cfg, run_dir)
    verify_card(run_dir / EXPORT)


def copy_rejects_to_export(run_root: str) -> None:
    """export/rejects.parquet, as the local export writes it: the export stage's own reject rows (Beam
    writes every stage's, sharded, under rejects/)."""
    shards = FileSystems.match([FileSystems.join(run_root, REJECTS, "rejects-*.parquet")])[0].metadata_list
    tables = []
    for meta in sorted(shards, key=lambda m: m.path):
        with FileSystems.open(meta.path) as fh:
            tables.append(pq.read_table(fh))
    table = pa.concat_tables(tables) if tables else schemas.empty("reject")
    table = table.filter(pc.equal(table.column("stage"), EXPORT))
    with FileSystems.create(FileSystems.join(run_root, EXPORT, "rejects.parquet")) as fh:
        pq.write_table(table, fh)


def _render_card(run_dir: Path) -> dict:
    """The independent audit, then the card with its Audit section: as the local runner ends."""
    from pipelines.runners.local import audit_with_card

    return audit_with_card(run_dir)


def build_report(run_root: str, catalog: str, cfg: BuildConfig, result, endpoint: LLMEndpoint = NO_ENDPOINT) -> dict:
    """The local report's shape (steps with rows in/out, counters, rejects) from Beam metrics."""
    counters = metric_counters(result)
    failures = json.loads(read_text(FileSystems.join(run_root, "failures.json")))
    steps = []
    for step in plan_for(catalog, cfg, endpoint):
        mine = dict(counters.get(step.name, {}))
        mine.pop(PREPARED, None)  # once per worker: the runner's, not the data's
        if step.per_shard is not None and step.per_shard.finish is not None:
            mine = step.per_shard.finish(mine)  # counters summed over the batches -> the step's (rates)
        rejects = sum(v for k, v in mine.items() if k.startswith("rejected_"))
        # as the local runner counts it: the rows of every input table (a source step: its records)
        rows_in = (sum(counters.get(stage, {}).get(f"rows_out.{name}", 0) for stage, name in step.inputs.values())
                   if step.inputs else failures.get(step.name, {}).get("rows_in", 0))
        wall_ms = mine.pop(WALL_MS, 0)  # summed over batches and workers: work done, not elapsed time
        rows_out = {k.removeprefix("rows_out."): v for k, v in sorted(mine.items()) if k.startswith("rows_out.")}
        if isinstance(step.params, ExportParams):  # MERIT's counts as merit/ holds them, as the local runner states them
            rows_out = merit_rows_out(rows_out, merit_pool_rows(FileSystems.join(run_root, EXPORT), _opened))
        steps.append({
            "name": step.name, "skipped": False, "wall_s": round(wall_ms / 1000, 3),
            "rows_in": rows_in,
            "rows_out": rows_out,
            "counters": {k: v for k, v in sorted(mine.items()) if not k.startswith("rows_out.")},
            "rejects": rejects, "failed": failures.get(step.name, {}).get("failed", 0),
        })
    return {"run_dir": run_root, "catalog": catalog, "runner": "beam", "steps": steps}


def _opened(pattern: str):
    """The files matching `pattern` on any Beam filesystem, opened for reading."""
    return (FileSystems.open(m.path) for m in sorted(FileSystems.match([pattern])[0].metadata_list, key=lambda m: m.path))


def metric_counters(result) -> dict[str, dict[str, int]]:
    """{stage: {counter: value}} of the `meritgen.<stage>` Beam counters."""
    out: dict[str, dict[str, int]] = {}
    for counter in result.metrics().query(MetricsFilter())["counters"]:
        namespace = counter.key.metric.namespace
        if namespace.startswith("meritgen."):
            value = counter.committed if counter.committed is not None else counter.attempted
            stage = out.setdefault(namespace.removeprefix("meritgen."), {})
            stage[counter.key.metric.name] = stage.get(counter.key.metric.name, 0) + value
    return out


def write_text(path: str, text: str) -> None:
    with FileSystems.create(path) as fh:
        fh.write(text.encode("utf-8"))


def read_text(path: str) -> str:
    with FileSystems.open(path) as fh:
        return fh.read().decode("utf-8")
