"""CPU time and peak RSS of a local build's export writer and data card(s) on a finished run (#14).

Re-runs the export stage on the run's stored inputs (not timed), then times what the local runner
does after it: `write_export` into a fresh folder, then the card rendered after the audit. Run it
with PYTHONPATH on an older checkout to time the old code (which rendered the card twice):

    PYTHONPATH=$PWD python benchmarks/export_card.py --run RUN_DIR --catalog CATALOG --out /tmp/x

Prints one JSON line: CPU seconds per phase, peak RSS before and after the timed phases.
"""

from __future__ import annotations

import argparse
import inspect
import json
import resource
import time
from pathlib import Path

from pipelines import schemas
from pipelines.card.writer import write_card
from pipelines.config import config_from_dict
from pipelines.io import layout
from pipelines.io.export_writer import write_export
from pipelines.plan.step import file_tables, input_tables
from pipelines.results import StageResult
from pipelines.runners.local import local_plan
from pipelines.store import RunStore


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--catalog", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    run, out = Path(args.run), Path(args.out)
    cfg = config_from_dict(json.loads((run / layout.CONFIG_FILE).read_text(encoding="utf-8")))
    report = json.loads((run / layout.REPORT_FILE).read_text(encoding="utf-8"))
    step = next(s for s in local_plan(args.catalog, run.parent, cfg) if s.name == "export")
    result = step.call(**input_tables(step, RunStore(run).read), **file_tables(step))
    outputs = {k: schemas.conform(t, step.contracts[k]) if k in step.contracts else t for k, t in result.outputs.items()}
    result = StageResult(outputs, schemas.conform(result.rejects, "reject"), result.counters)
    loaded = _peak_mib()
    out.mkdir(parents=True, exist_ok=True)
    once = "card" in inspect.signature(write_export).parameters  # the new code renders the card once
    cpu = time.process_time()
    write_export(out, result, cfg, report, **({"card": False} if once else {}))
    export_cpu = time.process_time() - cpu
    cpu = time.process_time()
    write_card(out, report, cfg, run)  # what audit_with_card's regenerate_card does after the audit
    card_cpu = time.process_time() - cpu
    print(json.dumps({"code": "new" if once else "old", "export_writer_cpu_s": round(export_cpu, 2),
                      "card_after_audit_cpu_s": round(card_cpu, 2), "total_cpu_s": round(export_cpu + card_cpu, 2),
                      "peak_rss_mib_inputs_loaded": round(loaded), "peak_rss_mib_end": round(_peak_mib())}))


if __name__ == "__main__":
    main()
