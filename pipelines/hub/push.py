"""`meritgen push RUN --repo ORG/NAME [--private]`: the finished export, with its card, to a
Hugging Face dataset repo through `huggingface_hub` (its own login: `hf auth login` or HF_TOKEN;
HF_ENDPOINT names another Hub). One commit holds every file, so the repo never shows half an export."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipelines.errors import MeritgenError
from pipelines.hub.card import card_for_repo
from pipelines.io import layout

SKIPPED = (layout.MARKER,)  # the run's completion marker means nothing on the Hub


def add_push_command(sub) -> None:
    p = sub.add_parser("push", help="publish a finished export to the Hugging Face Hub (dataset repo)",
                       description="Upload a run's export (Parquet configs queries, products and merit, MERIT's "
                       "layout, plots and the data card) to a Hugging Face dataset repo in one commit, creating "
                       "the repo if needed. Uses huggingface_hub's login (`hf auth login` or HF_TOKEN).")
    p.add_argument("run", help="run folder, e.g. runs/demo")
    p.add_argument("--repo", required=True, help="dataset repo id, ORG/NAME")
    p.add_argument("--private", action="store_true", help="create the repo private (an existing repo keeps its visibility)")
    p.add_argument("--message", help="commit message (default: 'meritgen export of <run>')")
    p.set_defaults(func=cmd_push)


def cmd_push(args: argparse.Namespace) -> int:
    from pipelines.runners.consoles import results_console

    url = push_export(Path(args.run), args.repo, private=args.private, message=args.message)
    results_console().print(f"pushed: {url}", markup=False, highlight=False)
    return 0


def push_export(run: Path, repo_id: str, private: bool = False, message: str | None = None) -> str:
    """Upload `run`'s export to `repo_id`; returns the commit's URL."""
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.errors import HfHubHTTPError

    export = layout.export_dir(run)
    if not layout.marker_path(export).exists() or not (export / layout.CARD_FILE).exists():
        raise MeritgenError(f"{run} has no finished export with a card; run `meritgen build` first")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise MeritgenError(f"--repo expects ORG/NAME, got {repo_id!r}")
    card = card_for_repo((export / layout.CARD_FILE).read_text(encoding="utf-8"), repo_id)
    operations = [CommitOperationAdd(path_in_repo=layout.CARD_FILE, path_or_fileobj=str(card).encode("utf-8"))]
    for path in sorted(p for p in export.rglob("*") if p.is_file()):
        rel = path.relative_to(export).as_posix()
        if rel != layout.CARD_FILE and path.name not in SKIPPED and not path.name.startswith("."):
            operations.append(CommitOperationAdd(path_in_repo=rel, path_or_fileobj=str(path)))
    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        commit = api.create_commit(repo_id, operations, repo_type="dataset",
                                   commit_message=message or f"meritgen export of {run.name}")
    except HfHubHTTPError as exc:
        raise MeritgenError(f"push to {repo_id} failed: {' '.join(str(exc).split())[:300]}") from exc
    return commit.commit_url
