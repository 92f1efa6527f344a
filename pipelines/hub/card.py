"""The export's card as the Hub reads it: the repo id put into its load snippet, and its YAML
header checked with huggingface_hub's own card classes before anything is uploaded."""

from __future__ import annotations

from huggingface_hub import DatasetCard

from pipelines.card.hub import REPO_PLACEHOLDER
from pipelines.errors import MeritgenError

REQUIRED_CONFIGS = ("queries", "products")


def card_for_repo(card_text: str, repo_id: str) -> DatasetCard:
    """The card with `repo_id` in its load snippet, parsed and checked the way the Hub reads it."""
    card = DatasetCard(card_text.replace(f'"{REPO_PLACEHOLDER}"', f'"{repo_id}"'))
    check_card(card)
    return card


def check_card(card: DatasetCard) -> None:
    """Refuse a card whose header the Hub would not apply (raises MeritgenError naming what is off)."""
    data = card.data.to_dict()
    configs = {c.get("config_name"): c for c in data.get("configs") or []}
    missing = [name for name in REQUIRED_CONFIGS if name not in configs]
    if missing:
        raise MeritgenError(f"the card's YAML header has no config {', '.join(missing)}; regenerate it with "
                            "`meritgen card --run RUN`")
    for name, config in configs.items():
        for item in config.get("data_files") or []:
            if not item.get("split") or not item.get("path"):
                raise MeritgenError(f"the card's config {name} has a data_files entry without split or path: {item}")
    if not data.get("license"):
        raise MeritgenError("the card has no license; set export.license (and export.license_name) in the config")
