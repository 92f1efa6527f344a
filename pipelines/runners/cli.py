"""meritgen builds multilingual, multi-condition, interleaved image+text retrieval datasets
(MERIT / Coral style) from a product catalog: queries in en/ms/id/vi/th with exact positive sets
and hard negatives, exported as Parquet for `datasets`, in MERIT's own layout, with a data card.

Start with `meritgen build --demo`, then `meritgen inspect --run runs/demo`. Every command is
documented in README.md; `meritgen COMMAND --help` lists its options."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points
from pathlib import Path

from rich.table import Table

from pipelines.errors import CatalogError, MeritgenError
from pipelines.io import layout
from pipelines.resources import DEMO_DIR
from pipelines.runners.cli_common import (
    SET_HELP,
    llm_endpoint,
    overrides_of,
    print_summary,
    report_audit,
    summary_rejects,
)
from pipelines.runners.consoles import diagnostics_console, results_console


def cmd_build(args: argparse.Namespace) -> int:
    from pipelines.config import load_config
    from pipelines.runners.local import run_build

    if args.demo == (args.catalog is not None):
        raise MeritgenError("give exactly one of --catalog PATH or --demo")
    catalog = DEMO_DIR / "catalog.jsonl" if args.demo else Path(args.catalog)
    if not args.demo and not catalog.exists():  # checked before a run folder is made
        raise CatalogError(f"catalog {args.catalog} does not exist")
    overrides = overrides_of(args.set)
    for flag, key in ((args.llm_url, "llm.url"), (args.llm_model, "llm.model"), (args.vlm_model, "llm.vlm_model")):
        if flag:
            overrides[key] = flag
    cfg = load_config(args.config, overrides)
    endpoint = llm_endpoint()
    run_id = args.run_id or ("demo" if args.demo else catalog.stem)
    if not args.force:
        from pipelines.runners.qa_guard import refuse_replacing_qa_export
        from pipelines.vocab.buildable import buildable_config

        refuse_replacing_qa_export(catalog, Path(args.out), run_id, buildable_config(cfg)[0], endpoint)
    report = run_build(catalog, args.out, cfg, run_id=run_id, progress=not args.no_progress, endpoint=endpoint)
    print_summary(report.to_dict())
    code = report_audit(report.audit, cfg.audit.fail_build)
    from pipelines.runners.empty_build import no_queries_message

    empty = no_queries_message(report.to_dict(), summary_rejects(report.to_dict()))
    if empty:
        return user_error(empty)
    from pipelines.card.llm_fallback import gate_error  # an export that fell back to templates is no LLM build

    fell_back = gate_error(report.to_dict(), cfg.llm.max_failed_share)
    if fell_back is not None:  # one line, exit 1 like a failed audit: the build ran, its outcome is not good
        user_error(str(fell_back))
        return 1
    return code


def cmd_audit(args: argparse.Namespace) -> int:
    from pipelines.runners.local import audit_with_card

    if (args.run is None) == (args.run_opt is None):
        raise MeritgenError("give the run folder once: meritgen audit RUN or meritgen audit --run RUN")
    return report_audit(audit_with_card(Path(args.run or args.run_opt)))


def cmd_inspect(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.store import RunStore

    if not (Path(args.run) / layout.CONFIG_FILE).is_file():
        raise MeritgenError(f"{args.run} is not a meritgen run folder (no config.json); "
                            "give the folder `meritgen build` printed, e.g. runs/demo")
    store = RunStore(args.run)
    views = store.refresh_views()
    with duckdb.connect(str(store.duckdb_path), read_only=True) as con:
        if args.sql:
            try:
                result = con.execute(args.sql)
            except duckdb.Error as exc:
                raise MeritgenError(f"--sql failed: {' '.join(str(exc).split())}; views: {', '.join(views)}") from exc
            cols = [d[0] for d in result.description]
            table = Table(*cols)
            for row in result.fetchmany(args.limit):
                table.add_row(*(str(v)[:80] for v in row))
            results_console().print(table)
            return 0
        table = Table("view", "rows")
        for name in listed_views(views):
            table.add_row(name, str(con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]))
        results_console().print(table)
    diagnostics_console().print(inspect_footer(args.run, store.duckdb_path, views), markup=False, highlight=False)
    return 0


def listed_views(views: list[str]) -> list[str]:
    """The stage outputs, then `rejects` (every stage's rejects in one view) when there are any."""
    return [*views, "rejects"] if any(name.endswith("__rejects") for name in views) else list(views)


def inspect_footer(run: str, db: Path, views: list[str]) -> str:
    """How to query further with what is installed (meritgen and the duckdb Python package; the
    duckdb command-line program is a separate install, so it is not suggested)."""
    example = "SELECT stage, reason, count(*) AS n FROM rejects GROUP BY ALL" if "rejects" in listed_views(views) \
        else f"SELECT * FROM {next(iter(views), 'rejects')}"
    return (f"query: meritgen inspect --run {run} --sql '{example}'\n"
            f"or in Python: python -c \"import duckdb; print(duckdb.connect('{db}', read_only=True)"
            f".sql('{example}'))\"")


def cmd_card(args: argparse.Namespace) -> int:
    from pipelines.card.writer import regenerate_card

    path = regenerate_card(Path(args.run), args.config, Path(args.out) if args.out else None)
    results_console().print(f"card: {path}", markup=False, highlight=False)
    return 0


class DefaultsShown(argparse.HelpFormatter):
    """Shows `(default: X)` for options whose default means something (not None, False or [])."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default not in (None, False, [], argparse.SUPPRESS) and "default" not in text:
            text += " (default: %(default)s)"
        return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meritgen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"meritgen {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    b = sub.add_parser("build", help="build a dataset from a catalog (or the bundled demo catalog)",
                       description="Build a retrieval dataset from a product catalog: multi-condition queries in "
                       "every configured language with exact positive sets and hard negatives, a leak-free "
                       "train/test split, written to OUT/RUN_ID/export as Parquet (for `datasets`), in MERIT's "
                       "layout and with a data card, then audited. Prints a summary per stage. A rerun skips "
                       "what is already built and redoes only what a changed input or setting affects.",
                       formatter_class=DefaultsShown)
    b.add_argument("--catalog", help="catalog file: .csv, .jsonl or .parquet (no default: give it or --demo)")
    b.add_argument("--demo", action="store_true", help="use the bundled demo catalog")
    b.add_argument("--out", default="runs", help="output folder; the run goes to OUT/RUN_ID")
    b.add_argument("--config", help="TOML config file (README, Configuration); default: built-in defaults")
    b.add_argument("--run-id", help="run folder name (default: the catalog file's stem, or demo)")
    b.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=SET_HELP)
    b.add_argument("--no-progress", "--quiet", action="store_true",
                   help="no progress bars (they show only on a terminal anyway; config: progress = false)")
    b.add_argument("--force", action="store_true", help="rebuild even when it replaces an export QA rounds were applied to")
    b.add_argument("--llm-url", help="OpenAI-compatible server (e.g. vLLM at http://localhost:8000/v1): enables LLM stages "
                                     "(default: llm.url or MERITGEN_LLM_URL; none: offline templates only)")
    b.add_argument("--llm-model", help="text model served there (default Qwen/Qwen2.5-7B-Instruct)")
    b.add_argument("--vlm-model", help="vision-language model for mining/judging (default Qwen/Qwen2.5-VL-7B-Instruct)")
    b.set_defaults(func=cmd_build)
    from pipelines.beam.cli import add_beam_commands  # `beam run`: the same build on Apache Beam

    add_beam_commands(sub)
    i = sub.add_parser("inspect", help="list a run's stage outputs as DuckDB views, or query them",
                       description="List the tables of a run (every stage's outputs and rejects) with their row "
                       "counts, or run SQL over them with DuckDB, e.g. to see why records were rejected.",
                       formatter_class=DefaultsShown)
    i.add_argument("--run", required=True, help="run folder, e.g. runs/demo")
    i.add_argument("--sql", help="SQL (DuckDB) over the views, e.g. 'SELECT reason, count(*) FROM rejects GROUP BY 1' "
                                 "(default: list the views and their row counts)")
    i.add_argument("--limit", type=int, default=20, help="rows of --sql output to print")
    i.set_defaults(func=cmd_inspect)
    c = sub.add_parser("card", help="regenerate the data card of a finished run",
                       description="Write the data card (README.md with the dataset's YAML header, figures and "
                       "plots) of a finished run again, e.g. after editing its source note in the config.")
    c.add_argument("--run", required=True, help="run folder, e.g. runs/demo")
    c.add_argument("--config", help="the TOML config the run was built with (default: the run's config.json)")
    c.add_argument("--out", help="write the card here, plots beside it (default: <run>/export/README.md)")
    c.set_defaults(func=cmd_card)
    a = sub.add_parser("audit", help="re-check a finished export independently (labels, placeholders, split leakage, ids); "
                                     "writes <run>/audit.json and the card's Audit section, exits 1 when a check fails",
                       description="Check a finished export from its files alone: every positive and hard negative "
                       "against the exported products' attributes, image placeholders against images, no product "
                       "shared across the split, unique ids. Writes <run>/audit.json and the card's Audit section; exits 1 "
                       "when a check fails.")
    a.add_argument("run", nargs="?", help="run folder, e.g. runs/demo (or give it as --run, as inspect and card take it)")
    a.add_argument("--run", dest="run_opt", metavar="RUN", help="run folder, the same as the positional RUN (no default: give one of the two)")
    a.set_defaults(func=cmd_audit)
    from pipelines.evaluate.command import add_eval_command  # `eval`: score a retriever on a run

    add_eval_command(sub)
    from pipelines.hub.push import add_push_command  # `push`: publish an export to the Hugging Face Hub

    add_push_command(sub)
    from pipelines.runners.vocab_cli import add_vocab_commands  # `vocab induce`

    add_vocab_commands(sub)
    add_plugin_commands(sub)
    return parser


def package_version() -> str:
    """The installed meritgen's version (pyproject.toml), or `unknown` when run from an uninstalled tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("meritgen")
    except PackageNotFoundError:
        return "unknown"


COMMANDS_GROUP = "meritgen.commands"  # entry point group: `name = "package.module:add_commands"`


def add_plugin_commands(sub) -> None:
    """Commands of packages above pipelines (annotation_ui's `annotate` and `qa ...`), found through
    the `meritgen.commands` entry point group (pyproject.toml), so pipelines never imports them."""
    for entry in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        entry.load()(sub)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except MeritgenError as exc:
        return user_error(str(exc))
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        return user_error(f"{exc.strerror}: {exc.filename}")  # a path the user gave (or its folder)
    except OSError as exc:  # a full disk or read-only --out: one line naming the path, not a traceback
        from pipelines.runners.outcome import path_error_message

        message = path_error_message(exc, getattr(args, "out", None))
        if message is None:
            raise
        return user_error(message)


def user_error(message: str) -> int:
    """The one way a user mistake is reported: `error: <message>` verbatim on one line, exit 2."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
