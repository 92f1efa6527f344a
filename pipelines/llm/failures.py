"""What a failed chat request is: `LLMRequestError`, its reject reason, and the client's rules for
which failures are worth asking again.

A request fails for good on a 4xx, after its retries on a transient failure (transport error,
timeout, 429, 5xx, a 200 whose body is not a chat completion or is over the byte cap), or when
the step's deadline (`llm.step_deadline_s`) has passed. Its `reason` is the reject reason the
task runner writes; both reasons in `UNANSWERED` mean "the server gave no usable answer", which
says nothing about the record, so a rerun asks again (runners/local.py) and the build's
failed-share gate counts them (runners/llm_gate.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pipelines.errors import MeritgenError

REQUEST_FAILED = "llm_request_failed"
DEADLINE = "llm_deadline"
UNANSWERED = frozenset({REQUEST_FAILED, DEADLINE})
# Words a server uses when it refuses the structured-output parameter itself (vLLM without a
# guided-decoding backend, servers that predate json_schema) rather than the request content.
_STRUCTURED_REJECTION_WORDS = ("response_format", "guided", "structured_output", "json_schema")


class LLMRequestError(MeritgenError):
    """A chat request failed for good: a 4xx, retries exhausted on a transient failure
    (transport error, timeout, 429, 5xx, or a 200 whose body is not a chat completion), or the
    step's deadline passed (`reason` = "llm_deadline")."""

    def __init__(self, message: str, *, status: int | None, body: str, attempts: int,
                 reason: str = REQUEST_FAILED) -> None:
        super().__init__(message)
        self.status = status  # None when no HTTP response arrived (connect error, timeout)
        self.body = body
        self.attempts = attempts
        self.reason = reason


def transient(status: int | None) -> bool:
    """No answer (transport error, deadline), rate limited, or a server error: worth asking again."""
    return status is None or status == 429 or status >= 500


def body_text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def mentions_structured_output(body: bytes) -> bool:
    text = body_text(body).lower()
    return any(word in text for word in _STRUCTURED_REJECTION_WORDS)


def malformed(exc: Exception, body: bytes, attempts: int) -> LLMRequestError:
    message = f"malformed response after {attempts} attempt(s): {type(exc).__name__}: {exc}"
    return LLMRequestError(message, status=200, body=body_text(body), attempts=attempts)


def failure(status: int | None, body: bytes, attempts: int) -> LLMRequestError:
    what = f"HTTP {status}" if status is not None else "transport error"
    message = f"chat request failed after {attempts} attempt(s): {what}: {body_text(body)[:300]}"
    return LLMRequestError(message, status=status, body=body_text(body), attempts=attempts)


def deadline_passed(deadline_s: float, attempts: int) -> LLMRequestError:
    message = (f"no answer within the step's {deadline_s:g} s deadline (llm.step_deadline_s) after {attempts} "
               "attempt(s); a rerun asks again")
    return LLMRequestError(message, status=None, body="", attempts=attempts, reason=DEADLINE)


@dataclass(frozen=True)
class StepDeadline:
    """The end of a step's time budget (`llm.step_deadline_s`), on the monotonic clock."""

    seconds: float
    at: float

    @classmethod
    def starting_now(cls, seconds: float) -> StepDeadline:
        return cls(seconds, time.monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()
