"""CPU seconds of the four BM25-driven steps (passages, caption_filter, retriever_negatives,
difficulty), each re-run in-process on the inputs a finished build stored.

    meritgen build --catalog cat.parquet --out runs --set compose.queries_per_product=2.4 \\
        --set 'retrieval.bm25_backend="numba"' --no-progress
    python benchmarks/retrieval_stages.py runs/cat --catalog cat.parquet --dump /tmp/outs-after

Every step reads the same stored inputs (an output the stored run lacks comes from the step
timed before), so two versions of the code can be compared step by
step on one machine: CPU seconds (user + system of this process, all threads) rather than wall
time, because the development machine is shared. `--dump` writes each step's outputs as Parquet,
`--compare DIR` reports which of them differ from an earlier dump.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

STEPS = ("passages", "caption_filter", "retriever_negatives", "difficulty")


def _planner():
    try:  # since #15 the planner lives in pipelines.plan (older checkouts: pipelines.steps, for "before" runs)
        from pipelines.plan.build import plan_build as plan_from
        from pipelines.plan.step import file_tables, input_tables

        try:  # since #27 the runner loads the resources and the plan receives them
            from pipelines.io.build_resources import load_resources

            def plan_build(catalog, cfg):
                return plan_from(catalog, cfg, load_resources(cfg))
        except ImportError:
            plan_build = plan_from

        def inputs_of(step, read):
            return {**input_tables(step, read), **file_tables(step)}
    except ImportError:
        from pipelines.steps import input_tables as inputs_of
        from pipelines.steps import plan_build
    return plan_build, inputs_of


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def time_steps(run_dir: Path, catalog: Path, overrides: dict, steps: tuple[str, ...], dump: Path | None) -> dict[str, dict]:
    from pipelines.config import load_config
    from pipelines.store import RunStore

    plan_build, input_tables = _planner()
    store = RunStore(run_dir)
    cfg = load_config(overrides=overrides)  # the build's own --set overrides
    planned = {s.name: s for s in plan_build(catalog, cfg)}
    _warm_up(cfg.retrieval.bm25_backend)
    out, produced = {}, {}

    def read(stage: str, output: str) -> pa.Table:
        # the stored run's table when it has one (every version then reads the same inputs), else
        # the output of a step timed before (an output a newer version added, e.g. shared hits)
        if (store.stage_dir(stage) / f"{output}.parquet").exists() or (stage, output) not in produced:
            return store.read(stage, output)
        return produced[(stage, output)]

    for name in steps:
        inputs = input_tables(planned[name], read)
        cpu0, wall0 = _cpu(), time.perf_counter()
        result = planned[name].call(**inputs)
        produced.update({(name, key): table for key, table in result.outputs.items()})
        out[name] = {"cpu_s": round(_cpu() - cpu0, 2), "wall_s": round(time.perf_counter() - wall0, 2),
                     "rows": {k: t.num_rows for k, t in result.outputs.items()}}
        if dump is not None:
            (dump / name).mkdir(parents=True, exist_ok=True)
            for key, table in {**result.outputs, "rejects": result.rejects}.items():
                pq.write_table(table, dump / name / f"{key}.parquet")
    return out


def _warm_up(backend: str) -> None:
    """Compile bm25s's numba kernels before timing: a fixed cost once per process, not per step."""
    from pipelines.retrieval import BM25Config, BM25Index

    index = BM25Index(BM25Config(backend=backend))
    index.build(["a", "b"], ["red shirt", "blue jeans"])
    index.search(["red"], 1)


def compare(a: Path, b: Path) -> list[str]:
    """Names of the dumped tables that differ (same rows in the same order, same values)."""
    differ = []
    for path in sorted(a.rglob("*.parquet")):
        other = b / path.relative_to(a)
        left = pq.read_table(path)
        if not other.exists() or not left.equals(pq.read_table(other).cast(left.schema)):
            differ.append(str(path.relative_to(a)))
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="the build's overrides (JSON value)")
    parser.add_argument("--steps", nargs="+", default=list(STEPS))
    parser.add_argument("--dump", type=Path)
    parser.add_argument("--compare", type=Path, help="an earlier --dump folder")
    args = parser.parse_args()
    overrides = {k: json.loads(v) for k, _, v in (pair.partition("=") for pair in args.set)}
    timings = time_steps(args.run_dir, args.catalog, overrides, tuple(args.steps), args.dump)
    for name, t in timings.items():
        print(f"| {name} | {t['cpu_s']:.1f} | {t['wall_s']:.1f} | {t['rows']} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"steps": timings, "peak_rss_mib": round(peak)}))
    if args.compare and args.dump:
        print("differ:", compare(args.dump, args.compare) or "none")


if __name__ == "__main__":
    pa.set_cpu_count(1)  # Arrow's own thread pool would add CPU time that is not the stage's
    main()
