"""Time every CPU stage of the offline build on a synthetic catalog and record peak RSS.

    python benchmarks/build.py --products 10000 --queries-per-product 2.4
    python benchmarks/build.py --products 135000 --queries-per-product 2.4 --languages en,ms,id,vi,th

Prints one markdown table row per stage (seconds, rows out) plus totals, ready for RESULTS.md.
Each size runs in a fresh subprocess so peak RSS is that build's alone.
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
import json, resource, sys, time
from pipelines.config import load_config
from pipelines.runners.local import run_build
catalog, out, qpp, langs = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4].split(",")
extra = json.loads(sys.argv[5])
cfg = load_config(overrides={"compose.queries_per_product": qpp, "render.languages": langs, **extra})
t0 = time.perf_counter()
report = run_build(catalog, out, cfg, run_id="bench", progress=False)
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall_s": wall, "peak_rss_mib": peak, "steps": [s.__dict__ for s in report.steps]}))
"""


def run(products: int, qpp: float, languages: str, workdir: Path, overrides: dict) -> dict:
    catalog = workdir / f"catalog-{products}.parquet"
    t0 = time.perf_counter()
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
    lines = [f"### {products:,} products", "", "| stage | seconds | rows out |", "|---|---|---|"]
    for s in result["steps"]:
        outs = ", ".join(f"{k}={v:,}" for k, v in s["rows_out"].items() if k != "rejects")
        lines.append(f"| {s['name']} | {s['wall_s']:.1f} | {outs} |")
    lines.append(f"| **total build** | **{result['wall_s']:.1f}** | peak RSS **{result['peak_rss_mib']:,.0f} MiB** |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, nargs="+", default=[10_000])
    parser.add_argument("--queries-per-product", type=float, default=2.4, help="MERIT: 320K queries / 135K products")
    parser.add_argument("--languages", default="en,ms,id,vi,th")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="config override (JSON value)")
    args = parser.parse_args()
    for n in args.products:
        with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
            overrides = {k: json.loads(v) for k, _, v in (pair.partition("=") for pair in args.set)}
            result = run(n, args.queries_per_product, args.languages, Path(tmp), overrides)
        print(table(n, result), "\n")
        print(f"<!-- raw: {json.dumps({'products': n, 'wall_s': result['wall_s'], 'peak_rss_mib': result['peak_rss_mib']})} -->\n")


if __name__ == "__main__":
    main()
