"""`meritgen annotate` and `meritgen qa sample|apply|status`: argparse wiring over the QA modules.

`add_qa_commands(subparsers)` is registered in the `meritgen.commands` entry point group
(pyproject.toml); pipelines/runners/cli.py's build_parser loads that group, so the command line stays in
one place while pipelines never imports this package.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from annotation_ui.errors import QAError
from pipelines.io import layout

console = Console(stderr=True)
out = Console()  # tokens and status go to stdout so they can be piped


def cmd_annotate(args: argparse.Namespace) -> int:
    import uvicorn

    from annotation_ui.app import create_app

    if args.host not in ("127.0.0.1", "localhost", "::1") and not args.secure_cookies:
        console.print("[yellow]warning:[/] serving beyond localhost without --secure-cookies; put it behind HTTPS")
    app = create_app(Path(args.run), secure_cookies=args.secure_cookies)
    console.print(f"annotation UI: http://{args.host}:{args.port}/  (tokens: {Path(args.run) / 'qa' / '<round>' / 'tokens.json'})")
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level="info")  # one writer process
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from annotation_ui.config import load_qa_config
    from annotation_ui.rounds import open_round

    annotators = [a.strip() for a in args.annotators.split(",") if a.strip()] if args.annotators else None
    cfg = load_qa_config(args.config, {"size": args.size, "annotators": annotators,
                                       "double_share": args.double_share, "seed": args.seed})
    opened = open_round(Path(args.run), args.round, cfg.size, list(cfg.annotators), cfg.double_share, cfg.seed)
    table = Table("annotator", "token", title=f"round {opened.name}: {opened.counts['items']} items, "
                                              f"{opened.counts['double_annotated']} double-annotated")
    for name, token in opened.tokens.items():
        table.add_row(name, token)
    out.print(table)
    console.print(f"tokens stored in {opened.tokens_path} (owner-only); start the UI with "
                  f"`meritgen annotate --run {args.run}`; when done: "
                  f"`meritgen qa apply --run {args.run} --round {opened.name}`", markup=False, highlight=False)
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    from annotation_ui.apply import apply_round

    summary = apply_round(Path(args.run), args.round, partial=args.partial)
    applied = summary["applied"]
    console.print(f"round {args.round}: {summary['reviewed']} reviewed, {summary['accepted']} accepted; export "
                  f"{applied['queries_before']} -> {applied['queries_after']} queries ({applied['removed']} removed, "
                  f"{applied['edited']} edited); card: {layout.export_dir(Path(args.run)) / layout.CARD_FILE}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from annotation_ui.errors import StoreLockedError
    from annotation_ui.rounds import export_decisions, open_store, read_status_snapshots, round_status

    try:
        store = open_store(Path(args.run))
    except StoreLockedError:  # `annotate` holds the database: show what it last published
        statuses = read_status_snapshots(Path(args.run), args.round)
        console.print(f"(the annotation server holds the QA database; status as of {statuses[-1]['as_of']})",
                      markup=False)
    else:
        try:
            names = [args.round] if args.round else store.rounds()
            if not names:
                raise QAError(f"no QA round in {args.run}; open one with `meritgen qa sample`")
            statuses = [round_status(store, name) for name in names]
            for name in names:
                export_decisions(Path(args.run), store, name)
        finally:
            store.close()
    if args.json:
        out.print_json(json.dumps(statuses))
        return 0
    for s in statuses:
        table = Table("annotator", "done", "assigned", title=f"round {s['round']}: {s['items']} items, "
                      + ", ".join(f"{n} {k}" for k, n in sorted(s["status"].items())))
        for name, p in s["progress"].items():
            table.add_row(name, str(p["done"]), str(p["total"]))
        out.print(table)
        kappa = s["agreement"]["kappa"]
        out.print(f"agreement: {s['agreement']['pairs']} double-annotated pairs, kappa "
                  f"{'n/a' if kappa is None else f'{kappa:.2f}'}")
    return 0


def add_qa_commands(subparsers) -> None:
    """Register `annotate` and `qa {sample,apply,status}` on the main parser's subparsers."""
    a = subparsers.add_parser("annotate", help="serve the annotation UI for a run's QA rounds",
                              description="Serve the web app where annotators judge and correct the queries of "
                              "a run's open QA rounds; each logs in with the token `qa sample` printed. "
                              "Progress is readable meanwhile with `meritgen qa status`.")
    a.add_argument("--run", required=True, help="run folder, e.g. runs/demo")
    a.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    a.add_argument("--port", type=int, default=8765, help="port to listen on (default: 8765)")
    a.add_argument("--secure-cookies", action="store_true", help="mark the login cookie Secure (serve over HTTPS)")
    a.set_defaults(func=cmd_annotate)
    qa = subparsers.add_parser("qa", help="human QA rounds: sample, apply, status",
                               description="Human QA of a built dataset: open a round of sampled queries "
                               "(`sample`), follow it (`status`) and fold its decisions into the export and "
                               "its card (`apply`).").add_subparsers(dest="qa_command", required=True,
                                                                   metavar="COMMAND")
    s = qa.add_parser("sample", help="open a QA round: stratified sample, assignments, annotator tokens",
                      description="Open a QA round on a run's export: a sample stratified by language, category and "
                      "condition count, assigned to annotators (a share of it to two of them, for agreement), "
                      "with a login token per annotator. Prints the tokens and the matching `qa apply` command.")
    s.add_argument("--run", required=True, help="run folder, e.g. runs/demo")
    s.add_argument("--round", help="round name (default: round-N, the next free number)")
    s.add_argument("--size", type=int, help="queries to sample (default 200 or [qa] size)")
    s.add_argument("--annotators", help="comma-separated annotator names (default: annotator1,annotator2 or [qa] "
                                        "annotators)")
    s.add_argument("--double-share", type=float, help="share of items annotated twice (default 0.2 or [qa] "
                                                        "double_share)")
    s.add_argument("--seed", type=int, help="sampling seed (default 13 or [qa] seed)")
    s.add_argument("--config", help="TOML file with a [qa] table (default: the values above)")
    s.set_defaults(func=cmd_sample)
    p = qa.add_parser("apply", help="apply a finished round to the export and the data card",
                      description="Fold a finished round into the run's export: rejected queries are removed, "
                      "edited texts replace the originals, and the data card reports the round's figures.")
    p.add_argument("--run", required=True, help="run folder, e.g. runs/demo")
    p.add_argument("--round", required=True, help="round name as `qa sample` printed it (e.g. round-1)")
    p.add_argument("--partial", action="store_true", help="apply even with undecided items or open disagreements")
    p.set_defaults(func=cmd_apply)
    t = qa.add_parser("status", help="progress and agreement per round (also refreshes decisions.parquet)",
                      description="Show each round's progress per annotator and the agreement (Cohen's kappa) "
                      "on double-annotated items; readable while `annotate` is running.")
    t.add_argument("--run", required=True, help="run folder, e.g. runs/demo")
    t.add_argument("--round", help="one round (default: every round)")
    t.add_argument("--json", action="store_true", help="print the status as JSON")
    t.set_defaults(func=cmd_status)
