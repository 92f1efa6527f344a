"""The vocabulary values a VLM task may answer with (mine_attributes, personalize): the rows carry
them as a plain mapping, so that schemas and parsers stay pure and need no vocabulary object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def vocabulary_options(
    vocab: Any, category: str, attributes: list[str] | None = None
) -> dict[str, dict[str, str] | None]:
    """{attribute: {surface form: canonical value}} (None for open attributes) for a category.

    `vocab` is a `pipelines.vocab.vocabulary.Vocabulary`.
    """
    names = attributes if attributes is not None else vocab.attributes_for(category)
    # Quantities (RAM, volume) are read from the text by the mine stage; a closed list could not hold them.
    names = [a for a in names if not vocab.quantity(a)]
    return {a: None if vocab.is_open(a) else dict(vocab.surface_forms(category, a)) for a in names}


def value_schema(forms: Mapping[str, str] | None, extra: tuple[str, ...] = ()) -> dict:
    """The JSON schema of one attribute's answer: any string when open (brand), else its values."""
    if forms is None:
        return {"type": "string"}
    return {"type": "string", "enum": sorted(set(forms.values())) + list(extra)}
