"""Local fake AI providers that record requests and speak the real wire formats.

- `FakeOllama`: `POST /api/chat` (`stream: false` → one JSON object; `stream: true` →
  `application/x-ndjson`, one object per piece, the last with `done: true`,
  `done_reason`, `prompt_eval_count`, `eval_count`), `GET /api/tags`.
- `FakeOpenAI`: `POST /v1/chat/completions` (JSON `chat.completion`, or SSE
  `chat.completion.chunk` events with a usage chunk and `data: [DONE]`), `GET /v1/models`;
  checks `Authorization: Bearer <api_key>`.

Both answer "Answer N: <the last user message>" (N counts the calls), can be made to
fail (`fail_with = 500`), to stall (`stall = seconds`) and serve TLS (`ssl_context`).
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import uuid
from typing import Any

from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded


class _FakeProvider(FakeHttpServer):
    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self.ssl_context = ssl_context
        self.fail_with: int | None = None
        self.stall = 0.0
        self.answers = 0
        self.reply: str | None = None  # a fixed answer instead of "Answer N: ..."
        self.in_flight = 0
        self.most_in_flight = 0

    CHAT_PATH = ""  # where the provider's chat requests arrive (each fake sets it)

    def chat_calls(self) -> list[Recorded]:
        return self.calls(self.CHAT_PATH)

    def answer_for(self, body: dict[str, Any]) -> str:
        self.answers += 1
        if self.reply is not None:
            return self.reply
        users = [m["content"] for m in body.get("messages", []) if m.get("role") == "user"]
        return f"Answer {self.answers}: {users[-1] if users else ''}"

    async def _wait(self) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.stall:
                await asyncio.sleep(self.stall)
        finally:
            self.in_flight -= 1

    async def start(self, port: int = 0) -> str:
        if self.ssl_context is None:
            return await super().start(port)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, ssl_context=self.ssl_context)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"https://localhost:{bound}"
        return self.url


class FakeOllama(_FakeProvider):
    def __init__(
        self, ssl_context: ssl.SSLContext | None = None, models: tuple[str, ...] = ("llama3.2:latest",)
    ):
        super().__init__(ssl_context)
        self.models = models
        self.route("POST", "/api/chat", self.chat)
        self.route("GET", "/api/tags", self.tags)

    CHAT_PATH = "/api/chat"

    async def tags(self, call: Recorded) -> web.StreamResponse:
        models = [{"name": m, "model": m, "modified_at": "2024-10-01T12:00:00Z", "size": 2019393189,
                   "digest": "a80c4f17acd5", "details": {"format": "gguf", "family": "llama",
                   "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}} for m in self.models]  # fmt: skip
        return web.json_response({"models": models})

    async def chat(self, call: Recorded) -> web.StreamResponse:
        await self._wait()
        if self.fail_with:
            return web.json_response({"error": "model runner crashed"}, status=self.fail_with)
        body = call.json
        text = self.answer_for(body)
        model = body.get("model", "llama3.2")
        created = "2024-10-01T12:00:00.000000Z"
        if not body.get("stream", True):
            return web.json_response({
                "model": model, "created_at": created, "message": {"role": "assistant", "content": text},
                "done_reason": "stop", "done": True, "total_duration": 4883583458, "load_duration": 1334875,
                "prompt_eval_count": 26, "prompt_eval_duration": 342546000, "eval_count": 7,
                "eval_duration": 4535599000,
            })  # fmt: skip
        raise RuntimeError("unreachable")  # streamed answers are written by `_ndjson`

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/api/chat" and request.method == "POST":
            raw = await request.read()
            body = json.loads(raw)
            if body.get("stream", True):
                return await self._ndjson(request, raw, body)
        return await super()._dispatch(request)

    async def _ndjson(self, request: web.Request, raw: bytes, body: dict[str, Any]) -> web.StreamResponse:
        from multidict import CIMultiDict

        call = Recorded(
            request.method, request.path, dict(request.query), CIMultiDict(request.headers), raw, body
        )
        self.requests.append(call)
        self._changed.set()
        await self._wait()
        if self.fail_with:
            return web.json_response({"error": "model runner crashed"}, status=self.fail_with)
        text = self.answer_for(body)
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        model = body.get("model", "llama3.2")
        words = text.split(" ")
        for index, word in enumerate(words):
            piece = word if index == 0 else " " + word
            line = {"model": model, "created_at": "2024-10-01T12:00:00Z",
                    "message": {"role": "assistant", "content": piece}, "done": False}  # fmt: skip
            await response.write(json.dumps(line).encode() + b"\n")
        final = {"model": model, "created_at": "2024-10-01T12:00:01Z", "message": {"role": "assistant", "content": ""},
                 "done_reason": "stop", "done": True, "total_duration": 4883583458, "prompt_eval_count": 26,
                 "eval_count": len(words)}  # fmt: skip
        await response.write(json.dumps(final).encode() + b"\n")
        await response.write_eof()
        return response


class FakeOpenAI(_FakeProvider):
    """An OpenAI-compatible server at `{url}/v1`."""

    def __init__(self, api_key: str = "wa-test-key") -> None:
        super().__init__()
        self.api_key = api_key
        self.route("POST", "/v1/chat/completions", self.completions)
        self.route("GET", "/v1/models", self.models)

    CHAT_PATH = "/v1/chat/completions"

    def _refused(self, call: Recorded) -> web.StreamResponse | None:
        if call.headers.get("Authorization") != f"Bearer {self.api_key}":
            error = {"message": "Incorrect API key provided.", "type": "invalid_request_error", "param": None,
                     "code": "invalid_api_key"}  # fmt: skip
            return web.json_response({"error": error}, status=401)
        return None

    async def models(self, call: Recorded) -> web.StreamResponse:
        if (refused := self._refused(call)) is not None:
            return refused
        data = [
            {"id": m, "object": "model", "created": 1686935002, "owned_by": "waddleai"}
            for m in ("auto", "gpt-4o")
        ]
        return web.json_response({"object": "list", "data": data})

    async def completions(self, call: Recorded) -> web.StreamResponse:
        if (refused := self._refused(call)) is not None:
            return refused
        await self._wait()
        if self.fail_with:
            error = {
                "message": "The server had an error",
                "type": "server_error",
                "param": None,
                "code": None,
            }
            return web.json_response({"error": error}, status=self.fail_with)
        body = call.json
        text = self.answer_for(body)
        created = int(time.time())
        model = body.get("model", "auto")
        if not body.get("stream"):
            return web.json_response({
                "id": "chatcmpl-abc123", "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29},
                "system_fingerprint": "fp_test",
            })  # fmt: skip
        raise RuntimeError("unreachable")

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/v1/chat/completions" and request.method == "POST":
            raw = await request.read()
            body = json.loads(raw) if raw else {}
            if body.get("stream"):
                from multidict import CIMultiDict

                call = Recorded(request.method, request.path, dict(request.query), CIMultiDict(request.headers),
                                raw, body)  # fmt: skip
                self.requests.append(call)
                self._changed.set()
                if (refused := self._refused(call)) is not None:
                    return refused
                await self._wait()
                return await self._sse(request, body)
        return await super()._dispatch(request)

    async def _sse(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        if self.fail_with:
            error = {
                "message": "The server had an error",
                "type": "server_error",
                "param": None,
                "code": None,
            }
            return web.json_response({"error": error}, status=self.fail_with)
        text = self.answer_for(body)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": "chatcmpl-abc123", "object": "chat.completion.chunk", "created": int(time.time()),
                "model": body.get("model", "auto"), "system_fingerprint": "fp_test"}  # fmt: skip

        async def send(choices: list[Any], **extra: Any) -> None:
            await response.write(
                b"data: " + json.dumps({**base, "choices": choices, **extra}).encode() + b"\n\n"
            )

        await send(
            [
                {
                    "index": 0,
                    "delta": {"role": "assistant", "content": ""},
                    "logprobs": None,
                    "finish_reason": None,
                }
            ]
        )
        for index, word in enumerate(text.split(" ")):
            piece = word if index == 0 else " " + word
            await send([{"index": 0, "delta": {"content": piece}, "logprobs": None, "finish_reason": None}])
        await send([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}])
        if (body.get("stream_options") or {}).get("include_usage"):
            await send([], usage={"prompt_tokens": 19, "completion_tokens": 10, "total_tokens": 29})
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def command_body(
    command: str,
    args_text: str,
    *,
    community_id: str = "1",
    platform: str = "twitch",
    channel_id: str = "c1",
    invocation_id: str | None = None,
) -> dict[str, Any]:
    """A CommandRequest body as the router sends it (§4.3)."""
    return {
        "event": {
            "event_id": f"{platform}:{uuid.uuid4()}",
            "platform": platform,
            "server_id": "s1",
            "channel_id": channel_id,
            "user": {"platform_user_id": "u1", "username": "amy", "display_name": "Amy"},
            "text": f"!{command} {args_text}".strip(),
        },
        "community_id": community_id,
        "command": command,
        "args": args_text.split(),
        "args_text": args_text,
        "invocation_id": invocation_id or uuid.uuid4().hex,
    }
