"""Rating protocol for query phrasing (issue #13): a sheet for raters, and the per-language scores.

    python benchmarks/rate_queries.py sheet RUN_DIR --per-language 20 --seed 7 --out sheet.tsv
    (raters fill the `rating` column with 0/1/2 and `reason` with one line)
    python benchmarks/rate_queries.py score sheet.tsv [--worst 5]

Scale: 0 wrong (misleading, ungrammatical or unreadable), 1 understandable but unnatural,
2 natural (a shopper could have written it). A reason is required for every rating below 2.
The sample is N base queries per language, drawn with a fixed seed from the build's exported
queries (all splits), so the same sheet can be drawn again from the same build.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

COLUMNS = ("query_id", "language", "text", "conditions", "source_text_en", "template_id", "rating", "reason")


def load_queries(run_dir: Path) -> list[dict]:
    files = sorted((run_dir / "export" / "data" / "queries").glob("*.parquet"))
    if not files:
        raise SystemExit(f"no exported queries under {run_dir}/export/data/queries")
    cols = ["query_id", "base_query_id", "language", "text", "conditions", "source_text_en", "provenance"]
    return [row for f in files for row in pq.read_table(f, columns=cols).to_pylist()]


def sample(queries: list[dict], per_language: int, seed: int) -> list[dict]:
    """N queries per language, each from a different base query; the draw depends only on the ids and seed."""
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for q in queries:
        by_lang[q["language"]].append(q)
    picked = []
    for lang in sorted(by_lang):
        rows = sorted(by_lang[lang], key=lambda q: q["base_query_id"])
        picked += random.Random(f"{seed}:{lang}").sample(rows, min(per_language, len(rows)))
    return picked


def conditions_cell(conditions: list[dict]) -> str:
    return "; ".join(f"{c['attribute']}={c['value']} ({c['carried_by']})" for c in conditions)


def write_sheet(rows: list[dict], out: Path) -> None:
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for q in rows:
            writer.writerow({k: _inert(v) for k, v in {
                "query_id": q["query_id"], "language": q["language"], "text": q["text"],
                "conditions": conditions_cell(q["conditions"]), "source_text_en": q["source_text_en"],
                "template_id": (q.get("provenance") or {}).get("template_id", ""), "rating": "", "reason": ""}.items()})


def _inert(cell: str) -> str:
    """A one-line cell a spreadsheet will not run: text from a catalog (a brand "=HYPERLINK(...)") starting with
    a formula character gets a leading apostrophe, the spreadsheets' own "this is text" mark (OWASP)."""
    cell = " ".join(cell.splitlines())  # a line break inside a cell would split the row in some readers
    return "'" + cell if cell and cell[0] in "=+-@\t" else cell


def read_ratings(sheet: Path) -> list[dict]:
    """Rated rows; a blank rating is an error (an unfinished sheet), as is a low rating without a reason."""
    with sheet.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    problems = []
    for line, row in enumerate(rows, start=2):
        rating = (row.get("rating") or "").strip()
        if rating not in {"0", "1", "2"}:
            problems.append(f"{sheet}:{line}: rating must be 0, 1 or 2, got {rating!r}")
        elif rating != "2" and not (row.get("reason") or "").strip():
            problems.append(f"{sheet}:{line}: rating {rating} needs a one-line reason")
        row["rating"] = int(rating) if rating in {"0", "1", "2"} else None
    if problems:
        raise ValueError("\n".join(problems))
    return rows


def summarise(rows: list[dict], worst: int = 3) -> dict[str, dict]:
    """Per language: n, mean, zeros, and the lowest-rated examples (ties by query id)."""
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_lang[row["language"]].append(row)
    out = {}
    for lang, items in sorted(by_lang.items()):
        ratings = [r["rating"] for r in items]
        low = sorted((r for r in items if r["rating"] < 2), key=lambda r: (r["rating"], r["query_id"]))[:worst]
        out[lang] = {"n": len(items), "mean": round(sum(ratings) / len(ratings), 2),
                     "zeros": ratings.count(0), "worst": [{k: r[k] for k in ("query_id", "rating", "text", "reason")}
                                                          for r in low]}
    return out


def markdown(summary: dict[str, dict]) -> str:
    lines = ["| language | n | mean | zeros |", "|---|---|---|---|"]
    lines += [f"| {lang} | {s['n']} | {s['mean']:.2f} | {s['zeros']} |" for lang, s in summary.items()]
    for lang, s in summary.items():
        for w in s["worst"]:
            lines.append(f"- {lang} {w['rating']}: \"{w['text']}\" ({w['reason']})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sheet = sub.add_parser("sheet", help="write a rating sheet from a build")
    sheet.add_argument("run_dir", type=Path)
    sheet.add_argument("--per-language", type=int, default=20)
    sheet.add_argument("--seed", type=int, default=7)
    sheet.add_argument("--out", type=Path, required=True)
    score = sub.add_parser("score", help="per-language means of a filled sheet")
    score.add_argument("sheet", type=Path)
    score.add_argument("--worst", type=int, default=3)
    args = parser.parse_args(argv)
    if args.command == "sheet":
        rows = sample(load_queries(args.run_dir), args.per_language, args.seed)
        write_sheet(rows, args.out)
        print(f"{len(rows)} queries -> {args.out}")
        return 0
    try:
        print(markdown(summarise(read_ratings(args.sheet), args.worst)))
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
