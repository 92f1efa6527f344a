"""The local runner: executes the build plan against a run store, skipping finished steps.

A step is skipped when its completion marker holds the same fingerprint: a hash of the
step's version, its parameters (config section, resource digests, catalog fingerprint) and
the fingerprints of the steps it reads. Killing a build and rerunning it redoes only the
step that was running.

A step whose rejects include requests the LLM server never answered (`llm_request_failed`, `llm_deadline`:
unreachable, retries exhausted) is written but not finished: its marker holds a fingerprint
the next run cannot match, so that run re-asks exactly the unanswered requests (answered ones
come from the request cache). Its downstream steps see a fingerprint naming the unanswered
records, so they rerun as soon as the answers change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import cycle_collection, free_memory, schemas
from pipelines.card import writer as card_writer
from pipelines.config import BuildConfig, require_server_backend, worker_count
from pipelines.errors import NoValidProducts
from pipelines.io import layout
from pipelines.io.build_resources import BuildResources, load_resources
from pipelines.io.catalog_reader import catalog_state
from pipelines.io.export_files import merit_pool_rows, verify_card
from pipelines.io.export_writer import write_export_stream
from pipelines.io.inputs import CatalogFile
from pipelines.io.run_lock import run_lock
from pipelines.io.verify import verify_export_dir
from pipelines.llm import failures
from pipelines.llm.client import NO_ENDPOINT, LLMEndpoint
from pipelines.merit_layout import merit_rows_out
from pipelines.plan import Step, fingerprint, plan_build
from pipelines.plan.step import Streamed, conform_result, file_tables, input_tables
from pipelines.results import StageResult
from pipelines.runners import ingest_pool, parallel, shard_pool
from pipelines.runners.progress_bars import bars_wanted, build_bar, step_bar
from pipelines.runners.streamed import StreamTally, rows_in_of, streamed_results, write_stage_files
from pipelines.runners.volatile import ContentHash, content_fingerprint
from pipelines.stages import compose, export, ingest, negatives, render
from pipelines.stages.matching import Matcher
from pipelines.store import RunStore, write_json
from pipelines.vocab.buildable import buildable_config, skipped_line

# Reject reasons that say nothing about the record, only that the server did not answer
# (llm_request_failed, llm_deadline).
UNANSWERED = failures.UNANSWERED
# Steps whose independent work items this runner spreads over processes, by their params' type:
# the same result as the plan's serial call (tests/runners/test_parallel.py), `workers` at a time.
PARALLEL_CALLS = {ingest.IngestParams: ingest_pool.validate_catalog,
                  compose.ComposeParams: parallel.compose_queries,
                  negatives.NegativesParams: parallel.mine_overlap_negatives,
                  render.RenderParams: parallel.render_queries}
# ... and those of them this runner also streams (one pool serving every batch), by the input streamed.
PARALLEL_STREAMS = {ingest.IngestParams: (ingest_pool.validate_stream, "rows"),
                    negatives.NegativesParams: (parallel.negatives_stream, "queries"),
                    render.RenderParams: (parallel.render_stream, "plans")}


# Writes a step's files into its temp folder from its (conformed) results.
Writer = Callable[[Path, Iterable[StageResult]], None]


@dataclass
class StepReport:
    name: str
    skipped: bool
    wall_s: float
    rows_in: int
    rows_out: dict[str, int]
    counters: dict
    rejects: int


@dataclass
class BuildReport:
    run_dir: Path
    steps: list[StepReport] = field(default_factory=list)
    audit: dict | None = None  # `meritgen audit` of the export (pipelines/audit/), run last
    catalog: str = ""  # the card's default source note names it
    languages_skipped: dict[str, str] = field(default_factory=dict)  # {language: its lexicon's first gaps}

    def to_dict(self) -> dict:
        return {"run_dir": str(self.run_dir), "catalog": self.catalog, "steps": [s.__dict__ for s in self.steps],
                "languages_skipped": self.languages_skipped}


def unanswered_fingerprint(fp: str, rejects) -> tuple[str, int]:
    """`fp`, or (when requests went unanswered) a fingerprint no rerun matches, and their count."""
    rows = [r for r in rejects.select(["reason", "record_id"]).to_pylist() if r["reason"] in UNANSWERED]
    if not rows:
        return fp, 0
    ids = sorted(str(r["record_id"]) for r in rows)
    return "unanswered-" + hashlib.sha256("|".join([fp, *ids]).encode()).hexdigest()[:20], len(rows)


def execute_step(step: Step, store: RunStore, upstream: dict[str, str],
                 write: Writer | None = None) -> tuple[str, StepReport]:
    """Run one step unless it is already complete; returns its fingerprint and report.

    `write(tmp, results)` writes the step's files itself (the export); a streamed step's results
    come batch by batch, a whole-table step's as one."""
    fp = fingerprint(step, upstream)
    marker = store.marker(step.name)
    if marker is not None and marker.get("fingerprint") == fp and not step.volatile:
        return fp, StepReport(step.name, True, 0.0, marker["rows_in"], marker["rows_out"], marker["counters"], marker["rejects"])
    if step.streamed is not None:
        return _execute_streamed(step, store, fp, write)
    inputs = input_tables(step, store.read)
    started = time.perf_counter()
    result = conform_result(step, step.call(**inputs, **file_tables(step)))
    outputs, rejects = result.outputs, result.rejects
    wall = time.perf_counter() - started
    rows_in = sum(t.num_rows for t in inputs.values()) if inputs else int(result.counters.get("rows_in", 0))
    report = StepReport(step.name, False, round(wall, 3), rows_in,
                        {k: v.num_rows for k, v in outputs.items()}, result.counters, rejects.num_rows)
    if step.volatile:  # later steps see what it read, not only its parameters
        fp = content_fingerprint(fp, outputs)
    fp, unanswered = unanswered_fingerprint(fp, rejects)
    marker = {"fingerprint": fp, "version": step.version, "unanswered": unanswered,
              **{k: v for k, v in report.__dict__.items() if k != "skipped"}}
    if write is None:
        store.write_stage(step.name, {**outputs, "rejects": rejects}, marker)
    else:
        def write_files(tmp: Path) -> None:
            write(tmp, [StageResult(outputs, rejects, result.counters)])
            report.rows_out = written_rows(step, tmp, report.rows_out)
            marker["rows_out"] = report.rows_out

        store.write_dir(step.name, write_files, lambda: marker)
    return fp, report


def written_rows(step: Step, folder: Path, rows_out: dict[str, int]) -> dict[str, int]:
    """rows_out as the step's folder holds it: the export's MERIT counts per split pool (merit_layout.py)."""
    return merit_rows_out(rows_out, merit_pool_rows(folder)) if isinstance(step.params, export.ExportParams) else rows_out


def _execute_streamed(step: Step, store: RunStore, fp: str, write: Writer | None = None) -> tuple[str, StepReport]:
    """`execute_step` for a streamed step: its outputs written batch by batch (runners/streamed.py)."""
    started = time.perf_counter()
    results, rows_in = streamed_results(step, store)
    tally, content = StreamTally(step), ContentHash()
    done: dict = {}

    def write_files(tmp: Path) -> None:
        passing = tally.passing(results)
        if step.volatile:  # later steps see what it read, not only its parameters
            passing = (content.add(r.outputs) or r for r in passing)
        if write is None:
            write_stage_files(tmp, passing, step.contracts)
        else:
            write(tmp, passing)
        done["rows"] = written_rows(step, tmp, dict(tally.rows))

    def marker() -> dict:
        rejects = tally.rejects_table()
        done["report"] = StepReport(step.name, False, round(time.perf_counter() - started, 3),
                                    rows_in_of(step, rows_in, tally.counters), done["rows"], tally.counters, rejects.num_rows)
        done["fp"], unanswered = unanswered_fingerprint(content.fingerprint(fp) if step.volatile else fp, rejects)
        return {"fingerprint": done["fp"], "version": step.version, "unanswered": unanswered,
                **{k: v for k, v in done["report"].__dict__.items() if k != "skipped"}}

    store.write_dir(step.name, write_files, marker)
    return done["fp"], done["report"]


def run_build(catalog: str | Path, out: str | Path, cfg: BuildConfig, run_id: str | None = None,
              progress: bool = True, execute: Callable = execute_step, endpoint: LLMEndpoint = NO_ENDPOINT) -> BuildReport:
    """Build the dataset for `catalog` under `<out>/<run_id>/` and return the build report.

    `execute` runs one step; the Prefect flow passes a task-wrapped `execute_step`. `endpoint` is
    the LLM server the environment names, read by the caller (CLI, flow) at the edge.
    """
    require_server_backend(cfg, "local")  # before anything is written: beam_vllm is Beam's alone
    cfg, skipped = buildable_config(cfg)  # languages whose lexicons lack words are skipped (or refused) here
    if skipped:
        print(skipped_line(skipped), file=sys.stderr)
    run_id = run_id or Path(catalog).stem
    with run_lock(Path(out) / run_id):  # a second build into this run folder is refused, not interleaved
        return _run_build(catalog, out, cfg, run_id, progress, execute, endpoint, skipped)


def _run_build(catalog, out, cfg: BuildConfig, run_id: str, progress: bool, execute: Callable,
               endpoint: LLMEndpoint, skipped: dict[str, str]) -> BuildReport:
    store = RunStore(Path(out) / run_id)
    store.remove_stale_temp()
    resources = load_resources(cfg)  # once per build: the plan and the export's check read the same files
    steps = local_plan(catalog, Path(out), cfg, endpoint, resources)
    report = BuildReport(store.root, catalog=str(catalog), languages_skipped=skipped)
    write_json(store.root / layout.CONFIG_FILE, cfg.to_dict())
    fingerprints: dict[str, str] = {}
    show = bars_wanted(progress and cfg.progress)  # on a terminal only: never in logs or captured output
    bar = build_bar(steps, show)
    for step in steps:
        bar.set_postfix_str(step.name)
        writer = WRITERS[type(step.params)](cfg, report, resources) if type(step.params) in WRITERS else None
        # the stages make rows, dicts and lists without cycles: the cyclic collector walking the build's heap
        # only costs (pipelines/cycle_collection.py; at 135K fashion 41.6 s of 366 s, audit included)
        with step_bar(step.name, show), _keeping_rejects(store, step), cycle_collection.paused():
            fingerprints[step.name], step_report = execute(step, store, fingerprints, writer)
        free_memory.release()  # or the step's peak stays in this process through every later step
        report.steps.append(step_report)
        bar.update(1)
    store.refresh_views()
    write_json(store.root / layout.REPORT_FILE, report.to_dict())
    report.audit = audit_with_card(store.root, phase=bar.phase)
    bar.close()
    return report


@contextmanager
def _keeping_rejects(store: RunStore, step: Step):
    """A step that refuses every record still leaves its reject rows (and the `rejects` view) behind,
    under a marker no rerun matches, so `meritgen inspect` shows why before the error is reported."""
    try:
        yield
    except NoValidProducts as exc:
        rejects = schemas.conform(exc.rejects, "reject")
        store.write_stage(step.name, {"rejects": rejects}, {"fingerprint": "failed", "version": step.version,
                                                             "rejects": rejects.num_rows, "rows_out": {}})
        store.refresh_views()
        raise


def local_plan(catalog: str | Path, out: Path, cfg: BuildConfig, endpoint: LLMEndpoint = NO_ENDPOINT,
               resources: BuildResources | None = None) -> list[Step]:
    """The build plan for this machine: the resources loaded unless given (planning reads no file), the catalog
    fingerprinted (so a changed catalog reruns ingest; a catalog with image URLs reruns it every
    build, see `Step.volatile`), the request cache beside the runs, compose, render and negatives
    on `cfg.workers` processes, and the batches of a sharded step marked `python_bound` too
    (runners/shard_pool.py)."""
    catalog_fp, urls = catalog_state(Path(catalog), cfg.catalog)
    steps = plan_build(catalog, cfg, resources or load_resources(cfg), llm_cache=out / layout.LLM_CACHE_FILE, endpoint=endpoint,
                       catalog_fingerprint=catalog_fp)
    if urls:
        steps = [dataclasses.replace(s, volatile=True) if _reads_catalog(s) else s for s in steps]
    workers = worker_count(cfg.workers)
    return [_spread(step, workers, cfg.batch_rows) if type(step.params) in PARALLEL_CALLS
            else shard_pool.pooled(step, workers, cfg.pool_max_products) for step in steps]


def _reads_catalog(step: Step) -> bool:
    return any(isinstance(spec, CatalogFile) for spec in step.files.values())


def _spread(step: Step, workers: int, batch_rows: int) -> Step:
    params, call = step.params, PARALLEL_CALLS[type(step.params)]
    spread = dataclasses.replace(step, call=lambda **tables: call(**tables, params=params, workers=workers))
    if type(params) not in PARALLEL_STREAMS:
        return spread
    stream, by = PARALLEL_STREAMS[type(params)]
    rows = step.streamed.batch_rows if step.streamed is not None else batch_rows  # the plan's bound (ingest's) holds
    return dataclasses.replace(spread, streamed=Streamed(
        lambda **tables: stream(**tables, params=params, workers=workers), by, rows))


def audit_with_card(run_dir: Path, phase: Callable[[str], None] = lambda name: None) -> dict:
    """The independent audit of the export, written to <run>/audit.json and the card's Audit section.

    `phase` hears "audit" and "card" as each begins (the build's progress bar shows them). The card's
    costly facts are computed beside the audit (card/facts_ahead.py): the export step's card left them out.
    """
    from pipelines.audit.run import audit_run
    from pipelines.card.facts_ahead import FactsAhead
    from pipelines.card.writer import regenerate_card

    try:
        phase("audit")
        with FactsAhead(run_dir) as facts:
            result = audit_run(run_dir)
            facts.collect()
        free_memory.release()  # the audit's lookups, before the card (which may compute its facts here)
    except Exception:
        # The local export writes no card of its own (it is rendered once, here): an audit that
        # crashes must still leave the export with one, if without an Audit section.
        if not (layout.export_dir(run_dir) / layout.CARD_FILE).exists() and (run_dir / layout.REPORT_FILE).exists():
            regenerate_card(run_dir)
        raise
    if (run_dir / layout.REPORT_FILE).exists():  # the card is rebuilt from the run's report
        phase("card")
        regenerate_card(run_dir)
    phase("")
    return result


def _export_writer(cfg: BuildConfig, report: BuildReport, resources: BuildResources):
    def write(tmp: Path, results: Iterable[StageResult]) -> None:
        write_export_stream(tmp, results, cfg)
        # Verified before the marker exists: an export that failed (or never reached) the
        # DuckDB check is never "done", so a rerun after a kill here verifies again.
        verify_export_dir(tmp, Matcher.from_vocabulary(resources.vocabulary))
        # The card too, before the marker: a finished export always loads with `datasets`. The old
        # export's audit no longer applies; the card gains the new one's section after the audit, and
        # the facts that take a pass over the export (computed beside the audit: audit_with_card).
        (report.run_dir / layout.AUDIT_FILE).unlink(missing_ok=True)
        card_writer.write_card(tmp, report.to_dict(), cfg, report.run_dir, costly=False)
        verify_card(tmp)

    return write


# Steps whose files this runner writes its own way (`Writer`), by their params' type, never by name:
# the export (shards, MERIT layout, DuckDB verification and the card, before its marker).
WRITERS: dict[type, Callable[[BuildConfig, BuildReport, BuildResources], Writer]] = {export.ExportParams: _export_writer}
