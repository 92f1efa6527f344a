"""The build plan (`plan.plan_build`) as one Beam pipeline; every step a labelled transform.

Sharded steps (render, negatives, passages, caption_filter, retriever_negatives, and any new
step with `shard_by`) go through the generic adapter; some steps have their own transforms, chosen by the type of the step's params
(`OWN_TRANSFORMS`): ingest (group by id), compose (attempt ranges + dedupe), export (joins) and
the LLM steps (`LLMStepCall`: rows through RunInference with the handler of `[llm] backend`).
Other global steps run once on one worker. Whole-table side inputs are built once per
(stage, output) and shared by the steps that read them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.pvalue import AsSingleton

from pipelines.beam.adapter import REJECTS, TALLY, RunGlobal, RunStep
from pipelines.beam.batch_files import from_file, rows_of
from pipelines.beam.catalog_io import is_remote
from pipelines.beam.compose import ComposeQueries
from pipelines.beam.export import PRODUCT_SIDES, ExportDataset
from pipelines.beam.failures import CheckFailures
from pipelines.beam.ingest import IngestCatalog
from pipelines.beam.order import BY_PRODUCT, in_local_order
from pipelines.beam.progress import StepProgress
from pipelines.beam.sinks import WriteExport, WriteRejects
from pipelines.beam.tables import INDEX_COLUMNS, WholeTable
from pipelines.beam.whole_files import folder_for, load, write_whole
from pipelines.config import BuildConfig
from pipelines.errors import CatalogError
from pipelines.io.build_resources import load_resources
from pipelines.io.layout import LLM_CACHE_FILE
from pipelines.llm.client import NO_ENDPOINT, LLMEndpoint
from pipelines.llm.step import LLMStepCall
from pipelines.plan import Step, plan_build
from pipelines.stages import compose, export, ingest, negatives

# Steps (by params type) whose side inputs feed only `build_index`: they get the index columns, not whole rows.
INDEX_READERS = (compose.ComposeParams, negatives.NegativesParams)
# The export inputs ExportDataset takes (argument -> contract): products and queries in batches, the
# others of `export.PRODUCT_SIDES` whole; any other input passes through on one worker.
EXPORT_INPUTS = {"products": "product", "images": "image", "attributes": "attribute", "queries": "query",
                 "product_splits": "product_split"}


@dataclass(frozen=True)
class BeamSettings:
    """Knobs of the Beam build that do not change its result (batching, failure threshold)."""

    batch_rows: int = 1000
    # negatives rebuilds the catalog index per call, so it gets fewer, larger batches.
    step_batch_rows: dict[str, int] = field(default_factory=lambda: {"negatives": 10_000})
    attempts_per_range: int = 2000
    groups_per_batch: int = 200
    max_failure_ratio: float = 0.1
    llm_endpoint: LLMEndpoint = NO_ENDPOINT  # the LLM server the environment names, read by the launcher
    # (backend, task, settings, pipeline options, cache_path=, stage=) -> RunInference handler; tests script it.
    # None: `inference.task_handler`, imported only for a build with an LLM step (see `_llm`).
    llm_handler: Callable | None = None
    llm_options: PipelineOptions | None = None  # meritgen's --llm_* (options.split_llm_args); None: the pipeline's

    def rows_for(self, step: str) -> int:
        return self.step_batch_rows.get(step, self.batch_rows)


def check_catalog(catalog: str) -> None:
    """Fail before launching when the catalog (file or glob) matches nothing."""
    if not FileSystems.match([catalog])[0].metadata_list:
        raise CatalogError(f"catalog file not found: {catalog}")


def plan_for(catalog: str, cfg: BuildConfig, endpoint: LLMEndpoint = NO_ENDPOINT, llm_cache: Path | None = None) -> list[Step]:
    """The build plan as is: its calls are serial (Beam workers are the parallelism; the local
    runner's process pool never runs here) and `cfg.workers=1` keeps the retrieval searches on
    one thread per worker. Beam runs do not resume, so no catalog fingerprint is needed (a
    gs:// catalog is never read while planning). `llm_cache`: the request cache of a local output
    folder (`<out>/llm_cache.sqlite`, the local runner's). Resources loaded here, at the edge."""
    cfg = dataclasses.replace(cfg, workers=1)
    return plan_build(catalog, cfg, load_resources(cfg), llm_cache=llm_cache, endpoint=endpoint)


class BuildGraph:
    """Adds the build's transforms to a pipeline, keeping every output table PCollection by (stage, output)."""

    def __init__(self, pipeline: beam.Pipeline, catalog: str, cfg: BuildConfig, settings: BeamSettings,
                 table_folder: str, llm_cache: Path | None = None) -> None:
        self.p, self.catalog, self.cfg, self.settings = pipeline, catalog, cfg, settings
        self.table_folder = table_folder  # whole tables (side inputs) and batches crossing a stage boundary
        self.steps = plan_for(catalog, cfg, settings.llm_endpoint, llm_cache)
        self.contracts = {(s.name, out): c for s in self.steps for out, c in s.contracts.items()}
        self.tables: dict[tuple[str, str], beam.PCollection] = {}
        self.rejects: list[beam.PCollection] = []
        self.tallies: list[beam.PCollection] = []
        self._wholes: dict[tuple, beam.PCollection] = {}
        self.single: set[tuple[str, str]] = set()  # outputs emitted as one whole table (global steps)

    def outputs_of(self, step: Step) -> list[str]:
        """Outputs with a contract, and any other output a later step reads."""
        read = [out for s in self.steps for stage, out in s.inputs.values() if stage == step.name]
        return list(dict.fromkeys([*step.contracts, *read]))

    def whole(self, source: tuple[str, str], for_step: Step | None = None) -> beam.PCollection:
        """The whole table of `source` (projected for index readers) as a one-element PCollection
        holding its file (`whole_files.WholeFile`)."""
        contract = self.contracts.get(source)
        columns = INDEX_COLUMNS.get(contract) if isinstance(getattr(for_step, "params", None), INDEX_READERS) else None
        key = (source, tuple(columns or ()))
        if key not in self._wholes:
            label = f"Whole_{source[0]}_{source[1]}" + ("_index" if columns else "")
            folder = self.table_folder
            if source in self.single:  # one call's output: already whole, in its own order
                file = (self.tables[source] | label >> beam.Map(_project, columns)
                        | f"{label}_File" >> beam.Map(write_whole, folder, label))
            elif columns:  # the index sorts by product_id: no order to restore
                file = self.tables[source] | label >> WholeTable(contract, columns, folder, label)
            else:
                unordered = self.tables[source] | label >> WholeTable(contract, folder=folder, name=f"{label}_unordered")
                file = (self._in_local_order(unordered, contract, label)
                        | f"{label}_File" >> beam.Map(write_whole, folder, label))
            self._wholes[key] = file
        return self._wholes[key]

    def _in_local_order(self, whole: beam.PCollection, contract: str | None, label: str) -> beam.PCollection:
        products = None
        if contract in BY_PRODUCT or contract == "image":
            products = AsSingleton(self.whole(("ingest", "products")))
        return whole | f"{label}_LocalOrder" >> beam.Map(_in_local_order, contract, products, self.cfg.render.languages)

    def sides(self, step: Step, skip: set[str] = frozenset()) -> dict[str, beam.PCollection]:
        return {arg: self.whole(src, step) for arg, src in step.inputs.items() if arg not in skip}

    def add_step(self, step: Step) -> None:
        out = self._expand(step)
        watched = {name: pcoll for name, pcoll in out.items() if name != TALLY}  # outputs and rejects
        watched | f"Progress_{step.name}" >> StepProgress(step.name, self.steps.index(step) + 1, len(self.steps))
        for name, pcoll in out.items():
            if name == REJECTS:
                self.rejects.append(pcoll)
            elif name == TALLY:
                self.tallies.append(pcoll)
            else:
                self.tables[(step.name, name)] = pcoll

    def _expand(self, step: Step) -> dict:
        own = OWN_TRANSFORMS.get(type(step.params))
        if own is not None:
            return own(self, step)
        if step.shard_by is None:  # a global step without its own transform: one worker, whole tables
            return self._global(step, step.name, self.outputs_of(step), self.sides(step))
        sharded, sides = self.tables[step.inputs[step.shard_by]], self.sides(step, {step.shard_by})
        once = step.per_shard.once_outputs if step.per_shard else ()
        whole = {}
        if once:  # made once from the side tables (the caption filter's captions), not per batch
            whole = self._global(dataclasses.replace(step, call=step.per_shard.once), f"{step.name}_once", list(once), sides)
        # `prepare` gets the once outputs as side tables of their names (not made again per worker): their
        # whole files, the same ones later steps that read them get.
        self.tables.update({(step.name, name): whole[name] for name in once})
        once_files = {name: self.whole((step.name, name)) for name in once}
        out = sharded | step.name >> RunStep(step, self.settings.rows_for(step.name), {**sides, **once_files},
                                             [name for name in self.outputs_of(step) if name not in once],
                                             self.table_folder)
        if once:
            out[REJECTS] = (out[REJECTS], whole[REJECTS]) | f"{step.name}_OnceRejects" >> beam.Flatten()
            out.update({name: whole[name] for name in once})
        return out

    def _ingest(self, step: Step) -> dict:
        """Catalog rows read in parallel, grouped by product id, each group validated with the plan's params."""
        s, rows = self.settings, step.files["rows"]
        return self.p | step.name >> IngestCatalog(rows.path, step.params, rows.cfg, s.groups_per_batch, s.batch_rows)

    def _compose(self, step: Step) -> dict:
        s, count = self.settings, self._product_count()
        return count | step.name >> ComposeQueries(step.params, self.sides(step), s.attempts_per_range,
                                                            self.table_folder)

    def _llm(self, step: Step) -> dict:
        """The step's request rows spread over the workers, asked through RunInference, answers applied."""
        # Imported here, not at the top: Beam's inference module imports torch where it is installed, and a
        # worker imports this module to unpickle the graph's functions; a build without an LLM step needs neither.
        from pipelines.beam.inference import task_handler
        from pipelines.beam.llm_step import RunLLMStep

        call, outputs, s = step.params, self.outputs_of(step), self.settings
        handler = (s.llm_handler or task_handler)(call.backend, call.task.name, call.settings,
                                                  s.llm_options or self.p.options, cache_path=call.cache_path,
                                                  stage=step.name)
        out = self.p | step.name >> RunLLMStep(step, handler, self.sides(step), outputs)
        self.single.update((step.name, name) for name in outputs)  # each output one whole table
        return out

    def _global(self, step: Step, label: str, outputs: list[str], sides: dict, empty: dict | None = None) -> dict:
        out = self.p | label >> RunGlobal(step, outputs, sides, empty)
        self.single.update((step.name, name) for name in outputs)
        return out

    def _export(self, step: Step) -> dict:
        """Products and queries batch by batch (`export.ExportDataset`); any other input (difficulty) passes
        through the export stage on one worker and is written as export/<name>.parquet."""
        standard = {arg: src for arg, src in step.inputs.items() if arg in EXPORT_INPUTS}
        batched = {arg: self.tables[src] for arg, src in standard.items() if arg not in PRODUCT_SIDES}
        product_sides = self.sides(step, set(step.inputs) - set(PRODUCT_SIDES))
        out = batched | step.name >> ExportDataset(step, self.settings.rows_for(step.name), product_sides,
                                                   self.table_folder)
        extras = sorted(set(step.inputs) - set(standard))
        if extras:
            sides = self.sides(step, set(standard))
            extra = self._global(step, "export_extras", extras, sides, EXPORT_INPUTS)
            out[REJECTS] = (out[REJECTS], extra[REJECTS]) | "ExportRejects" >> beam.Flatten()
            out.update({name: extra[name] for name in extras})
        return out

    def _product_count(self) -> beam.PCollection:
        return (self.tables[("ingest", "products")]
                | "CountProducts" >> beam.Map(rows_of)
                | "SumProducts" >> beam.CombineGlobally(sum))


# Steps with a transform of their own, by the type of the params the plan gave them (the transform
# runs the stage with those params; nothing is rebuilt from config here).
OWN_TRANSFORMS = {ingest.IngestParams: BuildGraph._ingest, compose.ComposeParams: BuildGraph._compose,
                  export.ExportParams: BuildGraph._export, LLMStepCall: BuildGraph._llm}


def _in_local_order(table, contract, products, languages):
    return in_local_order(load(table), contract, load(products), languages)


def _project(table, columns):
    table = from_file(table)
    return table.select(columns) if columns else table


def build_pipeline(pipeline: beam.Pipeline, catalog: str, run_root: str, cfg: BuildConfig,
                   settings: BeamSettings | None = None) -> beam.PCollection:
    """Add the whole build to `pipeline`; returns the failure summary (one element)."""
    settings = settings or BeamSettings()
    llm_cache = None if is_remote(run_root) else Path(run_root).parent / LLM_CACHE_FILE  # the local runner's
    graph = BuildGraph(pipeline, catalog, cfg, settings, folder_for(run_root), llm_cache)
    for step in graph.steps:
        graph.add_step(step)
    written = tuple(graph.rejects) | "AllRejects" >> beam.Flatten() | "Rejects" >> WriteRejects(run_root)
    summary = tuple(graph.tallies) | "AllTallies" >> beam.Flatten() | "FailureRatio" >> CheckFailures(
        settings.max_failure_ratio, after=written)
    exported = next(s.name for s in graph.steps if isinstance(s.params, export.ExportParams))  # by type, not name
    tables = {name: pcoll for (stage, name), pcoll in graph.tables.items() if stage == exported}
    tables | "WriteExport" >> WriteExport(FileSystems.join(run_root, "export"), cfg, summary, graph.table_folder)
    summary | "SummaryJson" >> beam.Map(json.dumps, sort_keys=True) | "WriteSummary" >> beam.io.WriteToText(
        FileSystems.join(run_root, "failures"), file_name_suffix=".json", num_shards=1, shard_name_template="")
    return summary
