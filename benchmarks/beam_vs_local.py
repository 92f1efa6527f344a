"""Wall time of the Beam pipeline on the DirectRunner against the local runner, same catalog and config.

    python benchmarks/beam_vs_local.py                       # 10K synthetic products, 2 Beam workers
    python benchmarks/beam_vs_local.py --products 2000 --workers 4 --languages en

The catalog comes from benchmarks/make_catalog.py (Parquet, image bytes inline). Each build
runs in a fresh subprocess; the script prints both wall times, their ratio, each build's peak
memory (PSS of the whole process tree, Beam's worker processes included, sampled every 0.5 s,
and of the largest Beam worker process alone),
the exact commands, and checks that both builds exported the same queries, every column of every row.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: its sibling modules by package name

from benchmarks.process_memory import tree_pss_mib  # noqa: E402

LOCAL = """
import json, sys
from pipelines.config import load_config
from pipelines.runners.local import run_build
catalog, out, overrides = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
run_build(catalog, out, load_config(overrides=overrides), run_id="bench", progress=False)
"""


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, peak process-tree PSS, peak PSS of one child process; MiB) of `cmd`."""
    started, peak, child = time.perf_counter(), 0.0, 0.0
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while proc.poll() is None:
        total, largest = tree_pss_mib(proc.pid)
        peak, child = max(peak, total), max(child, largest)
        time.sleep(0.5)
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return time.perf_counter() - started, peak, child


def queries(run_dir: Path):
    """Every exported query row, every column, sorted by query_id (Beam's files hold them in another order)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = sorted((run_dir / "export" / "data" / "queries").glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]).sort_by("query_id")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="DirectRunner worker processes")
    parser.add_argument("--languages", default="en,ms,id,vi,th")
    parser.add_argument("--workdir", type=Path, help="keep catalog and runs here (default: a temp folder)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="beam-vs-local-"))
    catalog = work / f"catalog-{args.products}.parquet"
    if not catalog.exists():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_catalog.py"), "--products", str(args.products),
                        "--out", str(catalog)], check=True)
    overrides = {"render.languages": args.languages.split(",")}
    local_cmd = [sys.executable, "-c", LOCAL, str(catalog), str(work / "local"), json.dumps(overrides)]
    beam_cmd = [sys.executable, "-m", "pipelines.runners.cli", "beam", "run", "--catalog", str(catalog), "--out",
                str(work / "beam"), "--run-id", "bench", "--set", f"render.languages={json.dumps(overrides['render.languages'])}",
                "--direct_num_workers", str(args.workers), "--direct_running_mode", "multi_processing"]
    (local_s, local_mib, _), (beam_s, beam_mib, worker_mib) = timed(local_cmd), timed(beam_cmd)
    same = queries(work / "local" / "bench").equals(queries(work / "beam" / "bench"))
    print(f"catalog: {catalog} ({args.products:,} products, languages {args.languages}), {os.cpu_count()} CPUs")
    print(f"local runner : {local_s:8.1f} s {local_mib:8,.0f} MiB   python -c <run_build> {shlex.join(local_cmd[3:])}")
    print(f"Beam Direct  : {beam_s:8.1f} s {beam_mib:8,.0f} MiB   python {shlex.join(beam_cmd[1:])}")
    print(f"largest Beam worker process: {worker_mib:,.0f} MiB PSS at its peak")
    print(f"ratio Beam/local: {beam_s / local_s:.2f}x   same exported queries (every column): {same}")


if __name__ == "__main__":
    main()
