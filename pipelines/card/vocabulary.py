"""The card's "Vocabulary coverage" section: languages skipped for incomplete lexicons, catalog attributes mapped to nothing."""

from __future__ import annotations

from pipelines.card.parts import md_table
from pipelines.stages.unmapped import PREFIX as UNMAPPED


def unmapped_attributes(report: dict) -> dict[str, int]:
    """{catalog attribute name: products carrying it} for fields the vocabulary maps to nothing."""
    counters = next((s["counters"] for s in report.get("steps", []) if s["name"] == "mine"), {})
    return {k[len(UNMAPPED):]: v for k, v in counters.items() if k.startswith(UNMAPPED)}


def vocabulary_sections(report: dict) -> list[str]:
    out = []
    skipped = report.get("languages_skipped") or {}
    if skipped:
        out += ["## Languages skipped",
                "These configured languages were not built: their lexicons lack words the vocabulary needs "
                "(a query would have been half English). Complete the lexicon files named below, or build them "
                "through an LLM server (`meritgen vocab induce` translates a lexicon).",
                md_table(["language", "first gaps"], sorted(skipped.items()))]
    unmapped = unmapped_attributes(report)
    if unmapped:
        out += ["## Catalog attributes the vocabulary does not map",
                "Structured fields no attribute of the product's category takes: they were not mined "
                "(add them to your vocabulary to use them, README \"Your own categories and attributes\").",
                md_table(["catalog attribute", "products"], sorted(unmapped.items(), key=lambda kv: (-kv[1], kv[0])))]
    return out
