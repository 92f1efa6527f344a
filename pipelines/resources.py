"""Where the project's versioned resources (schemas/, prompts/) live.

They sit at the repository root, beside the package, so that they are reviewed as files
rather than hidden in code; an editable install (`pip install -e .`) keeps them reachable.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
PROMPTS_DIR = PROJECT_ROOT / "prompts"
DEMO_DIR = Path(__file__).resolve().parent / "demo_data"
