"""The README opens with a table of contents that links every section, in order, by GitHub's anchors (#27)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def headings(text: str) -> list[tuple[int, str]]:
    """(level, title) of every `##`/`###` heading outside code blocks."""
    found, in_code = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (m := re.match(r"(#{2,3}) (.+)$", line)):
            found.append((len(m.group(1)), m.group(2).strip()))
    return found


def anchor(title: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces as `-`."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def test_anchor_follows_github():
    assert anchor('Categories the default vocabulary knows (`mine.vocabulary = "v2"`)') == \
        "categories-the-default-vocabulary-knows-minevocabulary--v2"
    assert anchor("A run's outcome can be trusted (red team, #24)") == "a-runs-outcome-can-be-trusted-red-team-24"


def test_contents_links_every_section_in_order():
    text = README.read_text(encoding="utf-8")
    sections = [(level, title) for level, title in headings(text) if title != "Contents"]
    contents = text.split("## Contents\n", 1)[1].split("\n## ", 1)[0]
    links = re.findall(r"^( *)- \[(.+)\]\(#([^)]+)\)$", contents, re.M)
    assert [(len(indent) // 2 + 2, title) for indent, title, _ in links] == sections
    assert [target for _, _, target in links] == [anchor(title) for _, title in sections]
    first_section = re.search(r"^## (.+)$", text.split("```bash", 1)[1], re.M).group(1)
    assert first_section == "Contents"  # right after the first screen's commands, before any section
