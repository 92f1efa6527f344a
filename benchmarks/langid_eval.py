"""Language check before/after: acceptance and confusion matrices, and speed.

    python benchmarks/langid_eval.py --ntrex ../shared/data/ntrex128-dev --talpco ../shared/data/talpco-dev \
        --run /tmp/langid-runs/demo --export-run /tmp/r23b-fp/catalog

Test sets: the held-out third of TALPCo dev (`pipelines.langid.evaluation.is_talpco_held_out`) whose
Malay and Indonesian differ (short everyday minimal pairs); the held-out half of NTREX-128 dev
(documents chosen by `pipelines.langid.evaluation.is_held_out`; the shipped Malay/Indonesian model
never saw either) as full sentences and cut into 5-15-word spans; product queries: the ms/id rows
of a demo build's rendered queries (`meritgen build --demo --out /tmp/langid-runs`, run here when
--run is missing) plus the hand-written shopping queries in
`benchmarks/data/langid_product_queries.tsv`; and the exported queries (all five languages) of
the demo build and of every --export-run.
"Before" is `pipelines/langid.py` as of --baseline-rev, loaded from git.
Prints Markdown for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.langid.evaluation import (  # noqa: E402
    language_check_figures,
    ntrex_samples,
    read_ntrex,
    read_talpco,
    span_samples,
    talpco_samples,
)
from pipelines.langid.identify import LANGUAGE_CODES, UNDETERMINED  # noqa: E402

HAND_WRITTEN = ROOT / "benchmarks" / "data" / "langid_product_queries.tsv"


def _git_show(rev: str, path: str) -> str:
    return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def _module_at(rev: str, path: str, name: str, file: Path | None = None) -> types.ModuleType:
    module = types.ModuleType(name)
    if file is not None:
        module.__file__ = str(file)
    exec(compile(_git_show(rev, path), f"{rev}:{path}", "exec"), module.__dict__)  # noqa: S102 - our own file
    return module


# Where the modules an old checker imports live now (the packages of #27 moved them).
OLD_NAMES = {"pipelines.languages": "pipelines.langid.languages", "pipelines.placeholders": "pipelines.text.placeholders"}


def baseline_checker(rev: str) -> types.ModuleType:
    """`pipelines/langid.py` as it was at git revision `rev`, as a module. Where that version
    uses the Malay/Indonesian model, the model code and its JSON are taken from `rev` too (so
    "before" is the old discriminator, not the old checker wired to the new model)."""
    import importlib

    saved = {name: sys.modules.get(name) for name in (*OLD_NAMES, "pipelines.langid_msid")}
    sys.modules.update({old: importlib.import_module(new) for old, new in OLD_NAMES.items()})
    try:
        return _old_checker(rev)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _old_checker(rev: str) -> types.ModuleType:
    source = _git_show(rev, "pipelines/langid.py")
    if "pipelines.langid_msid" not in source:
        return _module_at(rev, "pipelines/langid.py", "langid_baseline")
    folder = Path(tempfile.mkdtemp(prefix="langid-baseline-"))
    (folder / "langid_data").mkdir()
    (folder / "langid_data" / "msid_model.json").write_text(
        _git_show(rev, "pipelines/langid_data/msid_model.json"), encoding="utf-8")
    sys.modules["pipelines.langid_msid"] = _module_at(rev, "pipelines/langid_msid.py", "langid_msid_baseline",
                                                      folder / "langid_msid.py")
    # the old langid.py binds the old model's names at import
    return _module_at(rev, "pipelines/langid.py", "langid_baseline")


def product_queries(run: Path) -> list[tuple[str, str]]:
    """ms/id rendered queries of a demo build plus the hand-written ones."""
    import pyarrow.parquet as pq

    queries = run / "render" / "queries.parquet"
    if not queries.exists():
        subprocess.run([sys.executable, "-m", "pipelines.runners.cli", "build", "--demo", "--out", str(run.parent), "--no-progress"],
                       cwd=ROOT, check=True, capture_output=True)
    rendered = [(r["text"], r["language"]) for r in pq.read_table(queries, columns=["text", "language"]).to_pylist()
                if r["language"] in ("ms", "id")]
    lines = HAND_WRITTEN.read_text(encoding="utf-8").splitlines()[1:]
    return rendered + [(text, lang) for lang, text in (line.split("\t") for line in lines if line)]


def export_queries(run: Path) -> list[tuple[str, str]]:
    """(text, language) of every query a build exported (all five languages)."""
    import pyarrow.parquet as pq

    files = sorted((run / "export" / "data" / "queries").glob("*.parquet"))
    return [(r["text"], r["language"]) for f in files for r in pq.read_table(f, columns=["text", "language"]).to_pylist()]


def matrix(before: dict, after: dict, kind: str) -> str:
    """Markdown table: rows = true language, columns = accepted/predicted language, before -> after."""
    columns = [*LANGUAGE_CODES, *([UNDETERMINED] if kind == "predicted" else [])]
    lines = [f"| true \\ {kind} | n | " + " | ".join(columns) + " |", "|---|---|" + "---|" * len(columns)]
    for true in after[kind]:
        cells = []
        for col in columns:
            b, a = before[kind][true][col], after[kind][true][col]
            cell = f"{a:.3f}" if abs(a - b) < 5e-4 else f"{b:.3f} → {a:.3f}"
            cells.append(f"**{cell}**" if col == true else cell)
        lines.append(f"| {true} | {after['counts'][true]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _verdict_of(module) -> Callable:
    """A checker module's `language_verdict`, or the same built from its public functions
    (the old checker has no `language_verdict`)."""
    if hasattr(module, "language_verdict"):
        return module.language_verdict

    def verdict(text: str):
        return module.detect_language(text), frozenset(c for c in LANGUAGE_CODES if module.is_language(text, c))
    return verdict


def measure(name: str, samples: list[tuple[str, str]], old, new) -> None:
    figures = {}
    for label, module in (("before", old), ("after", new)):
        figures[label] = language_check_figures(samples, verdict=_verdict_of(module))
    print(f"\n#### {name}\n\nAccepted (`is_language(text, column)`):\n")
    print(matrix(figures["before"], figures["after"], "accepted"))
    print("\nPredicted (`detect_language(text)`):\n")
    print(matrix(figures["before"], figures["after"], "predicted"))


def margin_sweep(sets: dict[str, list[tuple[str, str]]], margins=(0.0, 0.05, 0.1, 0.2, 0.3)) -> str:
    """Own/cross acceptance of ms and id for other acceptance margins (the shipped one is the
    model's `margin`): a wider margin lets more ambiguous texts pass as both."""
    from pipelines.langid.identify import language_confidences

    lines = ["| test set | margin | ms own | ms as id | id own | id as ms |", "|---|---|---|---|---|---|"]
    for name, samples in sets.items():
        shares = {"ms": [], "id": []}
        for text, lang in samples:
            scores = language_confidences(text)
            pair = scores.get("ms", 0.0) + scores.get("id", 0.0)
            if lang in shares:  # a text lingua puts outside the pair passes as neither
                shares[lang].append(scores["ms"] / pair if pair and max(scores, key=scores.get) in ("ms", "id") else None)
        for margin in margins:
            low, high = 0.5 - margin, 0.5 + margin
            ms, id_ = [v for v in shares["ms"] if v is not None], [v for v in shares["id"] if v is not None]
            n_ms, n_id = len(shares["ms"]), len(shares["id"])
            ms_own, ms_as_id = sum(v >= low for v in ms) / n_ms, sum(v <= high for v in ms) / n_ms
            id_own, id_as_ms = sum(v <= high for v in id_) / n_id, sum(v >= low for v in id_) / n_id
            lines.append(f"| {name} | {margin:.2f} | {ms_own:.3f} | {ms_as_id:.3f} | {id_own:.3f} | {id_as_ms:.3f} |")
    return "\n".join(lines)


def speed(texts: list[str], module, repeat: int = 3) -> float:
    """Best-of-`repeat` texts per CPU second of `is_language` (one check per text). CPU time,
    not wall time: the development machine is shared, and wall time measures the neighbours."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for text in texts:
            module.is_language(text, "ms")
        best = min(best, time.process_time() - start)
    return len(texts) / best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ntrex", type=Path, default=ROOT.parent / "shared" / "data" / "ntrex128-dev")
    parser.add_argument("--talpco", type=Path, default=ROOT.parent / "shared" / "data" / "talpco-dev")
    parser.add_argument("--run", type=Path, default=Path("/tmp/langid-runs/demo"), help="a demo build's run folder")
    parser.add_argument("--export-run", type=Path, action="append", default=[],
                        help="another build's run folder whose exported queries are measured too")
    parser.add_argument("--baseline-rev", default="5066c40", help="git revision of the old checker")
    args = parser.parse_args(argv)

    from pipelines.langid import identify as langid

    old = baseline_checker(args.baseline_rev)
    held_out = ntrex_samples(read_ntrex(args.ntrex), held_out=True)
    queries = product_queries(args.run)
    talpco = talpco_samples(read_talpco(args.talpco), held_out=True)
    measure("TALPCo held-out sentences whose Malay and Indonesian differ", talpco, old, langid)
    measure("NTREX-128 held-out sentences", held_out, old, langid)
    measure("NTREX-128 held-out sentences cut into 5-15-word spans", span_samples(held_out), old, langid)
    measure("Product queries (demo build ms/id + hand-written)", queries, old, langid)
    for run in (args.run, *args.export_run):
        measure(f"Exported queries of {run}", export_queries(run), old, langid)
    print("\n#### Acceptance margin (ms/id)\n")
    print(margin_sweep({"TALPCo differing": talpco, "sentences": held_out, "5-15-word spans": span_samples(held_out),
                        "product queries": queries}))
    texts = [t for t, _ in queries]
    print(f"\nSpeed, `is_language` on the {len(texts)} product queries (best of 3, one thread): "
          f"before {speed(texts, old):,.0f} texts per CPU second, after {speed(texts, langid):,.0f}")


if __name__ == "__main__":
    main()
