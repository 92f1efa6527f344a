"""report.md of `meritgen vocab induce`: what it proposed, from what, and what it could not decide."""

from __future__ import annotations

from pipelines.card.parts import md_table
from pipelines.induce.propose import Proposal


def report_markdown(proposal: Proposal, catalog: str, notes: list[str], languages: dict[str, str]) -> str:
    doc = proposal.vocabulary
    categories = [[name, sum(spellings.values()), ", ".join(f"{s} ({n})" for s, n in spellings.most_common())]
                  for name, spellings in proposal.categories.items()]
    attributes = [[a.name, "open" if a.open else len(a.values), "yes (review)" if a.review and a.visual else
                   ("yes" if a.visual else "no"), a.source, ", ".join(a.scope) if len(a.scope) < len(doc["categories"])
                   else "all", ", ".join(f"{v} ({n})" for v, n in a.counts.most_common(6))]
                  for a in proposal.attributes]
    undecided = [*proposal.undecided, *notes]
    return "\n\n".join([
        "# Vocabulary proposed by `meritgen vocab induce`",
        f"From `{catalog}`. Review `vocabulary.json` (entries with a `review` key especially) and the lexicons, "
        "then build with `--set mine.vocabulary=<this folder>/` (README \"Your own categories and attributes\").",
        "## Categories (spellings merged into each, with product counts)",
        md_table(["category", "products", "spellings"], categories),
        "## Attributes",
        md_table(["attribute", "values", "visual", "from", "categories", "most common values"], attributes),
        "## Languages",
        md_table(["language", "lexicon"], sorted(languages.items())),
        "## Not decided (review these)",
        "\n".join(f"- {line}" for line in undecided) if undecided else "Nothing.",
    ]) + "\n"
