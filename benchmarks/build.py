"""Time every CPU stage of the offline build on a synthetic catalog and record peak RSS.

    python benchmarks/build.py --products 10000 --queries-per-product 2.4
    python benchmarks/build.py --products 135000 --queries-per-product 2.4 --languages en,ms,id,vi,th
    python benchmarks/build.py --products 10000 50000 135000 400000 --catalogs /tmp/cats \
        --set 'retrieval.bm25_backend="numba"' --set workers=1    # the #14 growth table

Prints one markdown table per size (per stage: wall and CPU seconds, peak RSS after it, rows out;
and the peak PSS of the build with its pool processes, sampled every 0.5 s) and, for several sizes,
one growth table across them, ready for RESULTS.md. Each size runs in a
fresh subprocess so peak RSS is that build's alone. On a shared machine compare CPU seconds, not
wall, with `--set workers=1`: pool workers are children of the forkserver, so their CPU is in no stage.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, os, resource, sys, threading, time
from benchmarks import process_memory  # the child runs in the repo root
from pipelines.config import load_config
from pipelines.runners.local import execute_step, run_build
catalog, out, qpp, langs = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4].split(",")
extra = json.loads(sys.argv[5])
cfg = load_config(overrides={"compose.queries_per_product": qpp, "render.languages": langs, **extra})
cpu, peak_after, with_io = {}, {}, {}

def cpu_now():
    # this process and its reaped children (not forkserver pool workers: compare with workers=1)
    return sum(r.ru_utime + r.ru_stime for r in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)))

def timed(step, *args):
    start, started = cpu_now(), time.perf_counter()
    result = execute_step(step, *args)
    cpu[step.name] = cpu_now() - start
    with_io[step.name] = time.perf_counter() - started  # the stage plus reading its inputs and writing its files
    peak_after[step.name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the step that raised it
    return result

def tree_pss_mib():
    return process_memory.tree_pss_mib(os.getpid())[0]  # this build and its pool processes

tree_peak, tree_peak_at, current = [0.0], [None], [None]
step_pss = {}  # step (or "audit and card") -> its peak PSS with the pool

def sample():
    while True:
        value = tree_pss_mib()
        if value > tree_peak[0]:
            tree_peak[0], tree_peak_at[0] = value, current[0]
        if current[0] is not None and value > step_pss.get(current[0], 0.0):
            step_pss[current[0]] = value
        time.sleep(0.5)

threading.Thread(target=sample, daemon=True).start()
_timed = timed

def timed(step, *args):
    current[0] = step.name
    result = _timed(step, *args)
    current[0] = "audit and card" if step.name == "export" else f"between {step.name} and the next step"
    last_end[0] = time.perf_counter()
    return result

last_end = [None]

t0, c0 = time.perf_counter(), cpu_now()
report = run_build(catalog, out, cfg, run_id="bench", progress=False, execute=timed)
end = time.perf_counter()
wall, total_cpu, after_steps = end - t0, cpu_now() - c0, end - (last_end[0] or end)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
steps = [{**s.__dict__, "cpu_s": cpu.get(s.name, 0.0), "peak_rss_mib": peak_after.get(s.name),
          "with_io_s": with_io.get(s.name), "peak_tree_pss_mib": step_pss.get(s.name)} for s in report.steps]
print(json.dumps({"wall_s": wall, "cpu_s": total_cpu, "peak_rss_mib": peak, "steps": steps,
                  "peak_tree_pss_mib": tree_peak[0], "peak_tree_step": tree_peak_at[0],
                  "audit_passed": report.audit["passed"], "after_steps_s": after_steps,
                  "after_steps_pss_mib": step_pss.get("audit and card")}))
"""


def run(products: int, qpp: float, languages: str, workdir: Path, overrides: dict,
        catalogs: Path | None = None) -> dict:
    catalog = (catalogs or workdir) / f"catalog-{products}.parquet"
    t0 = time.perf_counter()
    if not catalog.exists():  # make_catalog.py is deterministic: a kept catalog is the same catalog
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_catalog.py"), "--products", str(products),
                        "--out", str(catalog)], check=True)
    gen = time.perf_counter() - t0
    out = subprocess.run([sys.executable, "-c", CHILD, str(catalog), str(workdir / "runs"), str(qpp), languages,
                          json.dumps(overrides)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["generate_s"] = gen
    return result


def table(products: int, result: dict) -> str:
    lines = [f"### {products:,} products", "",
             "| stage | wall s | wall s with its reads and writes | CPU s | peak RSS after (MiB) "
             "| peak PSS with the pool, during the step (MiB) | rows out |",
             "|---|---|---|---|---|---|---|"]
    for s in result["steps"]:
        outs = ", ".join(f"{k}={v:,}" for k, v in s["rows_out"].items() if k != "rejects")
        lines.append(f"| {s['name']} | {s['wall_s']:.1f} | {s.get('with_io_s') or 0:.1f} | {s.get('cpu_s', 0):.1f} "
                     f"| {s.get('peak_rss_mib') or 0:,.0f} | {_mib(s.get('peak_tree_pss_mib'))} | {outs} |")
    if result.get("after_steps_s") is not None:
        lines.append(f"| audit and card (after the last step) | | {result['after_steps_s']:.1f} | | "
                     f"| {_mib(result.get('after_steps_pss_mib'))} | |")
    lines.append(f"| **total build** | **{result['wall_s']:.1f}** | | **{result.get('cpu_s', 0):.1f}** "
                 f"| **{result['peak_rss_mib']:,.0f}** | **{_mib(result.get('peak_tree_pss_mib'))}** | |")
    if "audit_passed" in result:  # the build's own `meritgen audit` of its export
        lines.append(f"\nThe build's audit {'passed' if result['audit_passed'] else '**FAILED**'}.")
    if result.get("peak_tree_pss_mib"):
        lines.append(f"\nWith the pool's processes (PSS of the build and its descendants, sampled every 0.5 s): "
                     f"peak {result['peak_tree_pss_mib']:,.0f} MiB, during {result.get('peak_tree_step')}.")
    return "\n".join(lines)


def _mib(value: float | None) -> str:
    return "-" if not value else f"{value:,.0f}"  # "-": the step ended before a sample (every 0.5 s)


def growth(results: dict[int, dict], per_stage: str = "wall_s") -> str:
    """One table across sizes: seconds per stage (`per_stage`: wall_s on a quiet machine, cpu_s on a
    shared one), then the whole build's wall, CPU and peak RSS, and each size's time over the smallest's."""
    sizes = sorted(results)
    names = [s["name"] for s in results[sizes[0]]["steps"]]
    per = {n: {s["name"]: s.get(per_stage, 0.0) for s in results[n]["steps"]} for n in sizes}
    label = "wall s" if per_stage == "wall_s" else "CPU s"
    lines = [f"| {label} per stage | " + " | ".join(f"{n:,}" for n in sizes) + " |", "|---|" + "---|" * len(sizes)]
    lines += [f"| {name} | " + " | ".join(f"{per[n].get(name, 0):.1f}" for n in sizes) + " |" for name in names]
    for label, key, fmt in (("**wall s**", "wall_s", "{:,.0f}"), ("**CPU s**", "cpu_s", "{:,.0f}"),
                            ("**peak RSS MiB**", "peak_rss_mib", "{:,.0f}"),
                            ("peak PSS MiB, with pool processes", "peak_tree_pss_mib", "{:,.0f}")):
        lines.append(f"| {label} | " + " | ".join(fmt.format(results[n].get(key) or 0) for n in sizes) + " |")
    base = results[sizes[0]]["wall_s"]
    lines.append(f"| wall / {sizes[0]:,}'s | " + " | ".join(f"{results[n]['wall_s'] / base:.1f}x" for n in sizes) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, nargs="+", default=[10_000])
    parser.add_argument("--queries-per-product", type=float, default=2.4, help="MERIT: 320K queries / 135K products")
    parser.add_argument("--languages", default="en,ms,id,vi,th")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--catalogs", type=Path, help="keep generated catalogs here and reuse them")
    parser.add_argument("--keep", action="store_true", help="keep each build's run folder (printed) to compare outputs")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override (JSON value)")
    args = parser.parse_args()
    results = {}
    for n in args.products:
        overrides = {k: json.loads(v) for k, _, v in (pair.partition("=") for pair in args.set)}
        if args.keep:
            tmp = tempfile.mkdtemp(prefix=f"build-{n}-", dir=args.workdir)
            result = run(n, args.queries_per_product, args.languages, Path(tmp), overrides, args.catalogs)
            print(f"run folder: {tmp}/runs/bench")
        else:
            with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
                result = run(n, args.queries_per_product, args.languages, Path(tmp), overrides, args.catalogs)
        print(table(n, result), "\n")
        raw = {k: result.get(k) for k in ("wall_s", "cpu_s", "peak_rss_mib", "peak_tree_pss_mib")}
        print(f"<!-- raw: {json.dumps({'products': n, **raw})} -->\n")
        results[n] = result
    if len(results) > 1:
        print(growth(results, "wall_s"), "\n")
        print(growth(results, "cpu_s"))


if __name__ == "__main__":
    main()
