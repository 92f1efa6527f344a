"""Time and memory of the first steps of a build alone (ingest, mine, ...), on a catalog you name.

    python benchmarks/catalog_steps.py --catalog /tmp/cats-a/catalog-400000.parquet --out /tmp/steps
    python benchmarks/catalog_steps.py --catalog C --out /tmp/steps --steps ingest,mine,compose

Runs the local runner's plan (the same steps, pool and streaming as `meritgen build`) up to the last
step named, in this process, and prints per step: wall seconds, the process's peak RSS so far, and the
peak PSS of this process with its pool processes (sampled every 0.5 s while the step ran). A step
already complete in `--out` is skipped, as a rerun of the build would skip it: delete its folder to
time it again. Run by hand (#26 item 4: how much of the catalog a step holds); results in RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import process_memory  # noqa: E402  (benchmarks/ helper, run as a script)

from pipelines.config import load_config  # noqa: E402
from pipelines.runners.local import execute_step, local_plan  # noqa: E402
from pipelines.store import RunStore  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", default="ingest,mine")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override (JSON value)")
    args = parser.parse_args()
    import json

    cfg = load_config(overrides={k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)})
    wanted = args.steps.split(",")
    peak = [0.0]

    def sample() -> None:
        while True:
            peak[0] = max(peak[0], process_memory.tree_pss_mib(os.getpid())[0])
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()
    store, fingerprints = RunStore(args.out), {}
    print("| step | wall s | peak RSS so far (MiB) | peak PSS with the pool (MiB) | rows out |\n|---|---|---|---|---|")
    for step in local_plan(args.catalog, args.out, cfg):
        if set(wanted) <= set(fingerprints):  # every step asked for has run (with the steps before it)
            break
        peak[0], started = 0.0, time.perf_counter()
        fingerprints[step.name], report = execute_step(step, store, fingerprints)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows = ", ".join(f"{k}={v:,}" for k, v in report.rows_out.items())
        print(f"| {step.name}{' (skipped)' if report.skipped else ''} | {time.perf_counter() - started:.1f} | {rss:,.0f} "
              f"| {peak[0]:,.0f} | {rows} |", flush=True)


if __name__ == "__main__":  # the pool's forkserver imports this module: run nothing there
    main()
