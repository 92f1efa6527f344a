"""The OpenAI chat-completions wire format: image content parts, the request payload (with the
structured-output parameter in each server dialect) and the fields of a response body.

Pure functions, no I/O: `client.py` decides when to send and what a failure means.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.llm.request import ChatRequest

# What parsing a 200 body that is not a chat completion raises (RecursionError: JSON nested
# thousands deep; OverflowError: a token count of 1e400, which json reads as infinity).
MALFORMED = (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError, OverflowError)
_MAX_TOKENS = 2**31  # a token count beyond this is a broken server, not a long answer


def image_part(data: bytes) -> tuple[dict, str]:
    """An OpenAI image content part (data URI) for encoded image bytes, and its sha256."""
    mime = _sniff_mime(data)
    url = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return {"type": "image_url", "image_url": {"url": url}}, hashlib.sha256(data).hexdigest()


def _sniff_mime(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return "image/jpeg"  # ingest normalises every image to JPEG


def request_body(model: str, req: ChatRequest, structured: str) -> bytes:
    """The JSON body of `req`; `structured` names how this server takes a JSON schema."""
    payload: dict[str, Any] = {"model": model, "messages": list(req.messages), **req.sampling}
    schema = req.json_schema
    if schema is not None and structured == "json_schema":
        payload["response_format"] = {"type": "json_schema", "json_schema": {"name": req.schema_name, "schema": schema}}
    elif schema is not None and structured == "guided_json":
        payload["guided_json"] = schema
    elif schema is not None and structured == "structured_outputs":
        payload["structured_outputs"] = {"json": schema}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def completion_fields(body: bytes) -> dict[str, Any]:
    """Completion fields of the first choice of a response body; raises one of MALFORMED."""
    doc = json.loads(body)
    choice = doc["choices"][0]
    usage = doc.get("usage") or {}
    text = (choice.get("message") or {}).get("content") or ""
    if not isinstance(text, str):
        raise TypeError(f"message content is {type(text).__name__}, not a string")
    text.encode("utf-8")  # a lone surrogate ("\udcff" in the JSON) is no text: UnicodeEncodeError, a ValueError
    return {
        "text": text,
        "prompt_tokens": _tokens(usage, "prompt_tokens"),
        "completion_tokens": _tokens(usage, "completion_tokens"),
        "finish_reason": str(choice.get("finish_reason") or "").encode("utf-8", "replace").decode("utf-8"),
    }


def _tokens(usage: dict, name: str) -> int:
    count = int(usage.get(name) or 0)  # OverflowError for infinity, ValueError for NaN or text
    if not 0 <= count < _MAX_TOKENS:
        raise ValueError(f"usage.{name} = {count} is not a token count")
    return count
