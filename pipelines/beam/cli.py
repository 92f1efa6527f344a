"""`meritgen beam run`: the Beam build from the command line; options it does not know go to Beam.

Examples are in RUN_DESCRIPTION (the command's --help). Apache Beam is imported only when the
command runs, so `meritgen --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_OUT = "runs"
BEAM_LOGS = "beam-logs"  # <out>/beam-logs/<run_id>.log: Beam's and its workers' own log lines
RUN_DESCRIPTION = """Build a dataset on Apache Beam: the same export, MERIT layout and data card as `meritgen build`,
with the build summary printed when the pipeline finishes (not with --no-wait). Options this command
does not know are handed to Beam as pipeline options, for example:

    meritgen beam run --demo --out runs --direct_num_workers 2 --direct_running_mode multi_processing
    meritgen beam run --catalog gs://B/catalog.parquet --out gs://B/runs --config configs/production.toml \\
        --runner DataflowRunner --project P --region R --temp_location gs://B/tmp \\
        --sdk_container_image R-docker.pkg.dev/P/meritgen/beam:TAG --sdk_location container
"""


class PassThroughParser(argparse.ArgumentParser):
    """A parser that keeps the options it does not know, in order, as `pipeline_args`."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)  # `--region` must never be taken for one of ours
        super().__init__(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        parsed, extras = super().parse_known_args(args, namespace)
        parsed.pipeline_args = list(getattr(parsed, "pipeline_args", None) or []) + extras
        return parsed, []


def add_beam_commands(subparsers) -> None:
    """Add `beam run` to the `meritgen` subcommands."""
    from pipelines.runners.cli_common import SET_HELP
    beam = subparsers.add_parser("beam", help="run the build as an Apache Beam pipeline (DirectRunner, Dataflow)",
                                 description="The same dataset as `meritgen build`, built as an Apache Beam "
                                 "pipeline: on this machine (DirectRunner) or scaled out on Google Cloud Dataflow.")
    sub = beam.add_subparsers(dest="beam_command", required=True, parser_class=PassThroughParser, metavar="COMMAND")
    run = sub.add_parser("run", help="build a dataset on Beam; unknown options are Beam pipeline options",
                         description=RUN_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("--catalog", help="catalog file or glob on any Beam filesystem: .csv, .jsonl or .parquet "
                                       "(no default: give it or --demo)")
    run.add_argument("--demo", action="store_true", help="use the bundled demo catalog")
    run.add_argument("--out", default=DEFAULT_OUT, help="output folder, local or gs:// (default: runs)")
    run.add_argument("--config", help="TOML config file (README, Configuration; default: built-in defaults)")
    run.add_argument("--run-id", help="run folder name (default: catalog file stem)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)
    run.add_argument("--batch-rows", type=int, default=1000, help="rows per batch of a sharded step (default: 1000)")
    run.add_argument("--max-failure-ratio", type=float, default=0.1,
                     help="fail when a step loses more than this share of its records (default 0.1)")
    run.add_argument("--no-wait", action="store_true", help="submit and return (Dataflow); no report or card")
    run.add_argument("--verbose", action="store_true", help="Beam's own INFO log lines too (default: warnings only)")
    run.set_defaults(func=cmd_beam_run)


def settings_from(args: argparse.Namespace):
    from pipelines.beam.pipeline import BeamSettings
    from pipelines.runners.cli_common import llm_endpoint

    return BeamSettings(batch_rows=args.batch_rows, max_failure_ratio=args.max_failure_ratio, llm_endpoint=llm_endpoint())


def cmd_beam_run(args: argparse.Namespace) -> int:
    """Run the build on the runner the pipeline options name (DirectRunner by default)."""
    from pipelines.beam.quiet import quiet_logs, workers_log

    quiet_logs(args.verbose)  # before Beam is imported
    from pipelines.beam.dry_run import DRY_RUN
    from pipelines.beam.progress import show_progress
    from pipelines.beam.run import run_beam_build, run_id_of
    from pipelines.config import load_config
    from pipelines.errors import MeritgenError
    from pipelines.resources import DEMO_DIR
    from pipelines.runners.cli_common import console, overrides_of, print_summary, report_audit

    if args.demo == (args.catalog is not None):
        raise MeritgenError("give exactly one of --catalog PATH or --demo")
    catalog = str(DEMO_DIR / "catalog.jsonl") if args.demo else args.catalog
    cfg = load_config(args.config, overrides_of(args.set))
    run_id = args.run_id or ("demo" if args.demo else run_id_of(catalog))
    log_path = None if args.verbose or "://" in args.out else Path(args.out) / BEAM_LOGS / f"{run_id}.log"
    with workers_log(log_path) as terminal:
        show_progress(terminal)
        run = run_beam_build(catalog, args.out, cfg, args.pipeline_args, run_id, settings_from(args), wait=not args.no_wait)
    show_progress(sys.stderr)
    if log_path is not None and log_path.exists() and log_path.stat().st_size:
        console.print(f"Beam's own log lines: {log_path}", markup=False, highlight=False)
    if run.state == DRY_RUN:
        graph = run.graph
        console.print(f"dry run: the Dataflow job graph was built ({graph['transforms']} transforms, "
                      f"{graph['run_inference']} RunInference; workers run {', '.join(graph['images'])}); nothing was "
                      f"submitted, and neither the catalog nor {run.run_root} was read or written", markup=False)
        return 0
    if run.report is None:
        console.print(f"submitted ({run.state}); output: {run.run_root}")
        return 0
    print_summary(run.report)
    if run.report.get("audit") is None:  # remote output: audit a local copy with `meritgen audit`
        console.print(f"not audited (remote output): copy {run.run_root} and run `meritgen audit` on it")
        return 0
    return report_audit(run.report["audit"], cfg.audit.fail_build)  # exit 1 when the audit fails, as `build`
