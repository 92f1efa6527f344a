"""Refuse request bodies over a size cap before the app buffers them (ASGI middleware).

Starlette parses a multipart form by spooling it to disk, and the app only learns who is asking
(the cookie check, 401) after the form is read: without a cap, anyone reaching the port makes the
server write hundreds of megabytes before being told no. The cap is checked on Content-Length
before anything is read (413 at once) and on the bytes actually received (chunked bodies, lying
headers); the app never sees more than `limit` bytes. Decisions and edits are a few kilobytes.
"""

from __future__ import annotations

MAX_BODY_BYTES = 256 * 1024
_BODY = b"request body too large"


class BodyLimit:
    def __init__(self, app, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.limit):
            await _too_large(send)
            return
        state = {"received": 0, "started": False, "refused": False}

        async def capped_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.limit:
                    if not state["started"]:
                        state["refused"] = True
                        await _too_large(send)
                    return {"type": "http.disconnect"}  # the app stops reading: the rest is never buffered
            return message

        async def guarded_send(message) -> None:
            if state["refused"]:
                return  # the 413 is already out; whatever the app answers after the disconnect is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, capped_receive, guarded_send)
        except Exception:
            if not state["refused"]:
                raise  # the app's own failure, not the disconnect this middleware made


async def _too_large(send) -> None:
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(_BODY)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": _BODY})
