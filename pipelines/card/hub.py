"""Card sections a Hugging Face dataset user looks for: how to load it, what each field means
(generated from the contracts in `schemas/`), and how to cite it. Pure text from the config and
the schema files; `meritgen push` (pipelines/runners/push.py) swaps the repo placeholder for the
repo it publishes to.
"""

from __future__ import annotations

from pipelines import __version__, schemas

REPO_PLACEHOLDER = "ORG/NAME"  # `meritgen push` writes the real repo id here
FIELD_TABLES = (("queries", "query"), ("products", "export_product"))

MERIT_BIBTEX = """@article{chow2025merit,
  title   = {MERIT: Multilingual Semantic Retrieval with Interleaved Multi-Condition Query},
  author  = {Chow, Wei and Gao, Yuan and Li, Linfeng and others},
  journal = {arXiv preprint arXiv:2506.03144},
  year    = {2025}
}"""


def load_section(merit_layout: bool) -> str:
    """A snippet that loads every config (from the Hub once pushed, or from the export folder)."""
    lines = ["from datasets import load_dataset", "",
             f'queries = load_dataset("{REPO_PLACEHOLDER}", "queries")  # train / test: one row per query and language',
             f'products = load_dataset("{REPO_PLACEHOLDER}", "products")["catalog"]  # `images` decode to PIL images']
    if merit_layout:
        lines.append(f'merit = load_dataset("{REPO_PLACEHOLDER}", "merit")  # MERIT\'s layout: each split\'s product pool')
    return ("## Load\n\n```python\n" + "\n".join(lines) + "\n```\n\n"
            "A query's `<image_k>` is `images[k-1]`, whose `product_id` (and `image_id`) find the picture in "
            "`products`; `positive_ids` and `hard_negative_ids` are `product_id`s there. Before `meritgen push`, "
            "load from the export folder instead of the repo id.")


def field_rows(contract_name: str) -> list[list[str]]:
    """[field, type, description] of a contract's top-level fields."""
    rows = []
    for field in schemas.contract(contract_name)["fields"]:
        kind = _type_name(field["type"])
        doc = " ".join(str(field.get("doc", "")).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
        rows.append([f"`{field['name']}`", kind + ("" if field.get("nullable", True) is False else ", nullable"), doc])
    return rows


def _type_name(spec) -> str:
    """`list of {kind, text}` for a contract's nested type."""
    if isinstance(spec, str):
        return spec
    if "list" in spec:
        return f"list of {_type_name(spec['list'])}"
    if "struct" in spec:
        return "{" + ", ".join(f["name"] for f in spec["struct"]) + "}"
    return "nested"


def reference_sections() -> list[str]:
    """The field tables of the `queries` and `products` configs, then the citation block."""
    from pipelines.card.parts import md_table

    parts = ["## Fields"]
    for config, contract_name in FIELD_TABLES:
        parts += [f"`{config}` ({schemas.contract(contract_name)['doc']})",
                  md_table(["field", "type", "description"], field_rows(contract_name))]
    parts += ["## Citation",
              "The task and layout are MERIT's; the data was built with meritgen " + __version__ + ".",
              "```bibtex\n" + MERIT_BIBTEX + "\n\n@software{meritgen,\n  title   = {meritgen: multilingual multi-condition "
              "interleaved retrieval datasets from product catalogs},\n  version = {" + __version__ + "},\n"
              "  note    = {https://arxiv.org/abs/2506.03144 (MERIT) data construction pipeline}\n}\n```"]
    return parts
