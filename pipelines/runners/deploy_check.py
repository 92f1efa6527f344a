"""`python -m pipelines.runners.deploy_check VAR ...`: refuse a `prefect deploy` whose deployment
would be rendered with empty settings. prefect.yaml runs it as the Dataflow deployment's build
step, so an unset MERITGEN_GCP_PROJECT fails the deploy (naming the variable), not the first run
days later with an empty project, region and a `gs:///` catalog."""

from __future__ import annotations

import os
import sys


def missing(names: list[str], environ=os.environ) -> list[str]:
    return [name for name in names if not environ.get(name, "").strip()]


def main(argv: list[str] | None = None) -> int:
    names = sys.argv[1:] if argv is None else argv
    empty = missing(names)
    if empty:
        print(f"error: refusing to deploy: {', '.join(empty)} {'is' if len(empty) == 1 else 'are'} not set; "
              "export them in the shell that runs `prefect deploy` (README, Scheduled builds)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
