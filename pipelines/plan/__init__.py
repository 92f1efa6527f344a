"""The build plan: `Step`s (pure stage calls, their inputs, params and contracts) and their wiring.

`build.plan_build` assembles the plan; `llm` and `retrieval` add the steps of their areas (LLM
calls and index searches run there, between the pure halves in `pipelines/stages`). The plan
sits above the stages and below the runners (`pipelines/runners`, `pipelines/beam`), which it
never imports (import-linter).
"""

from pipelines.plan.build import plan_build
from pipelines.plan.step import Step, digest, fingerprint

__all__ = ["Step", "digest", "fingerprint", "plan_build"]
