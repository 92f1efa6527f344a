"""The LLM layer: an OpenAI-compatible client with a persistent request cache, versioned
prompts (pure render and parse per task) and a runner that turns failures into reject rows.

    client.py   LLMSettings, ChatRequest, Completion, LLMClient, LLMRequestError
    cache.py    RequestCache, request_key (what makes two requests the same)
    transport.py  HttpPool: keep-alive HTTP/1.1 (asyncio + httptools), a total deadline per attempt
    wire.py     chat-completions request body, response fields, image content parts
    request.py  ChatRequest (what prompts build, the wire writes, the cache keys, the client sends)
    prompts.py  load_prompt, render_messages, build_request (one Jinja block per chat role)
    task.py     LLMTask: a task's prompt, format_input, format_output (each task's module:
                pipelines/stages/llm_tasks/<task>.py, found by name there)
    parsers.py  Parsed and the checks every task's parser shares
    runner.py   run_llm_task / run_llm_task_sync -> TaskRun(parsed, rejects, counters)
    answer_checks.py  model output checked like catalog text before it is used or cached
    failures.py  LLMRequestError, reject reasons of unanswered requests, StepDeadline
"""

from pipelines.llm.cache import CacheError, RequestCache, request_key
from pipelines.llm.client import (
    ChatClient,
    ChatRequest,
    Completion,
    LLMClient,
    LLMRequestError,
    LLMSettings,
    image_part,
)
from pipelines.llm.parsers import Parsed
from pipelines.llm.prompts import PromptError, TaskPrompt, build_request, load_prompt, render_messages
from pipelines.llm.runner import TaskRun, run_llm_task, run_llm_task_sync
from pipelines.llm.task import LLMTask

__all__ = [
    "CacheError",
    "ChatClient",
    "ChatRequest",
    "Completion",
    "LLMClient",
    "LLMRequestError",
    "LLMSettings",
    "LLMTask",
    "Parsed",
    "PromptError",
    "RequestCache",
    "TaskPrompt",
    "TaskRun",
    "build_request",
    "image_part",
    "load_prompt",
    "render_messages",
    "request_key",
    "run_llm_task",
    "run_llm_task_sync",
]
