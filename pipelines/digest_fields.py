"""Field metadata for the plan's parameter digest (`plan.step.digest`), kept below every package so that
params defined outside the plan (the LLM step's, in `pipelines.llm`, which may not import the plan)
mark their fields with the same value the digest looks for."""

# A dataclass field that never changes a step's output (workers, batch sizes, where the server is):
# left out of the digest, so changing it reruns nothing.
NOT_DIGESTED = {"digested": False}


def digested(field) -> bool:
    """Whether the digest reads this dataclass field (all but those marked `NOT_DIGESTED`)."""
    return field.metadata.get("digested", True)
