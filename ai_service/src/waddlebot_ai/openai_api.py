"""Our OpenAI-compatible API: `POST /ai/v1/chat/completions`, `GET /ai/v1/models`.

A drop-in for other tools (the official `openai` SDK included): `Authorization: Bearer
<user API key>` (identity's `wbk_…` keys, `keys.Keys`), the exact OpenAI shapes —
`chat.completion`, and with `stream: true` server-sent `chat.completion.chunk` events
(role first, then content deltas, then the finish reason, the usage chunk when
`stream_options.include_usage` is set, then `data: [DONE]`) — and errors as OpenAI
sends them: `{"error": {"message", "type", "param", "code"}}`. The configured provider
answers (`AI_PROVIDER`), inside the same isolation as chat (a slot per key and the
process's), and usage is counted per key.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from quart import Blueprint, Response, current_app, request
from quart_schema import hide

from flask_core import ServiceError, get_logger
from flask_core.app import resources

from . import service
from .communities import CommunityAi
from .keys import ApiKey, InvalidKey, Keys
from .providers import Chunk, Message, Options, ProviderError
from .settings import AiSettings

log = get_logger(__name__)
bp = Blueprint("ai_openai", __name__)
KEYS = "ai.keys"
MODELS_TTL = 60.0


class OpenAIError(Exception):
    """An error in OpenAI's shape."""

    def __init__(
        self, status: int, message: str, type_: str, code: str | None = None, param: str | None = None
    ):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param

    def response(self) -> tuple[dict[str, Any], int]:
        error = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        return {"error": error}, self.status


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    text: str | None = None


class ApiMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: Annotated[str, Field(max_length=100_000)] | list[ContentPart] | None = None

    def as_message(self) -> Message:
        if isinstance(self.content, list):
            content = "".join(p.text or "" for p in self.content if p.type == "text")
        else:
            content = self.content or ""
        role = {"developer": "system", "tool": "user"}.get(self.role, self.role)
        return {"role": role, "content": content}


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include_usage: bool = False


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: Annotated[str, Field(min_length=1, max_length=200)]
    messages: Annotated[list[ApiMessage], Field(min_length=1, max_length=500)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    n: Annotated[int, Field(ge=1, le=1)] | None = None


def _settings() -> AiSettings:
    settings = current_app.extensions["waddlebot.settings"]
    assert isinstance(settings, AiSettings)
    return settings


def keys() -> Keys:
    found = current_app.extensions.get(KEYS)
    if not isinstance(found, Keys):
        raise OpenAIError(503, "The server is starting.", "server_error", "service_unavailable")
    return found


async def _authenticate() -> ApiKey:
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise OpenAIError(
            401,
            "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'; "
            "create one with 'waddlebot keys create --name <label>'.",
            "invalid_request_error",
            "invalid_api_key",
        )
    try:
        return await keys().verify(key.strip())
    except InvalidKey:
        raise OpenAIError(
            401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        ) from None


@bp.errorhandler(OpenAIError)
async def _openai_error(exc: OpenAIError) -> Any:
    return exc.response()


@bp.errorhandler(ServiceError)
async def _service_error(exc: ServiceError) -> Any:
    kind = "server_error" if exc.status >= 500 else "invalid_request_error"
    return OpenAIError(exc.status, exc.message, kind, exc.code).response()


def _provider_failure(exc: ProviderError) -> OpenAIError:
    service.FALLBACKS.labels(service.PREFIX, exc.reason).inc()
    log.warning("ai.api_provider_failed", reason=exc.reason, detail=exc.detail[:200])
    if exc.reason == "busy":
        return OpenAIError(429, "The AI service is busy; try again shortly.", "rate_limit_error", "busy")
    if exc.reason == "timeout":
        return OpenAIError(504, "The model provider did not answer in time.", "server_error", "timeout")
    if exc.reason == "http_404":
        return OpenAIError(
            404, "The model does not exist on the provider.", "invalid_request_error", "model_not_found"
        )
    return OpenAIError(502, "The model provider failed to answer.", "server_error", "provider_error")


async def _request() -> CompletionRequest:
    raw = await request.get_data()
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise OpenAIError(
            400, "We could not parse the JSON body of your request.", "invalid_request_error"
        ) from None
    try:
        return CompletionRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        param = ".".join(str(p) for p in first.get("loc", ())) or None
        raise OpenAIError(
            400, f"Invalid request: {first.get('msg')}", "invalid_request_error", None, param
        ) from None


def _model_for(settings: AiSettings, asked: str) -> str:
    """The provider's model: what the client named, except our aliases for the default."""
    default = settings.waddleai_model if settings.ai_provider == "waddleai" else settings.ollama_model
    return default if asked in ("auto", "default", "waddlebot") else asked


@bp.post("/v1/chat/completions")
@hide  # OpenAI's own reference documents it; our OpenAPI keeps the one error shape (§3)
async def chat_completions() -> Any:
    key = await _authenticate()
    data = await _request()
    settings = _settings()
    eng = service.engine(resources())
    max_tokens = min(data.max_completion_tokens or data.max_tokens or settings.ai_api_max_tokens,
                     settings.ai_api_max_tokens)  # fmt: skip
    temperature = data.temperature if data.temperature is not None else settings.ai_temperature
    options = Options(_model_for(settings, data.model), max_tokens, temperature, settings.ai_api_budget)
    messages = [m.as_message() for m in data.messages]
    community = CommunityAi(community_id=0)
    created = int(time.time())
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    if data.stream:
        include_usage = bool(data.stream_options and data.stream_options.include_usage)
        return await _stream(eng, key, community, messages, options, completion_id, created, data.model,
                             include_usage)  # fmt: skip
    try:
        done = await eng.ask(
            community, messages, budget=settings.ai_api_budget, options=options, slot=f"key:{key.key_id}"
        )
    except ProviderError as exc:
        raise _provider_failure(exc) from None
    keys().count(key, done.prompt_tokens, done.completion_tokens)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": done.model or data.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": done.text, "refusal": None},
                "logprobs": None,
                "finish_reason": _finish(done.finish_reason),
            }
        ],
        "usage": _usage(done.prompt_tokens, done.completion_tokens),
        "system_fingerprint": None,
    }


def _finish(reason: str | None) -> str:
    return reason if reason in ("stop", "length", "content_filter", "tool_calls") else "stop"


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _sse(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


async def _stream(
    eng: service.Engine,
    key: ApiKey,
    community: CommunityAi,
    messages: list[Message],
    options: Options,
    completion_id: str,
    created: int,
    asked_model: str,
    include_usage: bool,
) -> Any:
    """The provider's stream as OpenAI chunks; a failure before the first piece is an error
    answer, one after it an `error` event (the SDK raises it), without `[DONE]`."""
    provider = eng.providers.get(eng.settings.ai_provider)
    store = keys()  # the body runs after the request context: take what it needs now
    slot = eng.slot(f"key:{key.key_id}")
    try:
        await slot.__aenter__()
    except ProviderError as exc:
        raise _provider_failure(exc) from None
    chunks = provider.stream(messages, options).__aiter__()
    started = time.perf_counter()
    try:
        first: Chunk | None = await _next(chunks, eng.settings.ai_api_budget)
    except ProviderError as exc:
        await slot.__aexit__(None, None, None)
        raise _provider_failure(exc) from None
    model = (first.model if first else "") or asked_model

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }  # fmt: skip
        if include_usage:
            body["usage"] = None
        return body

    async def body() -> AsyncIterator[bytes]:
        outcome = "error"
        last = first
        try:
            yield _sse(chunk({"role": "assistant", "content": "", "refusal": None}, None))
            piece = first
            while piece is not None:
                if piece.text:
                    yield _sse(chunk({"content": piece.text}, None))
                last = piece
                if piece.done:
                    break
                piece = await _next(chunks, eng.settings.ai_api_budget)
            finish = _finish(last.finish_reason if last else "stop")
            yield _sse(chunk({}, finish))
            prompt, completion = (last.prompt_tokens, last.completion_tokens) if last else (0, 0)
            if include_usage:
                yield _sse({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                            "model": model, "system_fingerprint": None, "choices": [],
                            "usage": _usage(prompt, completion)})  # fmt: skip
            yield b"data: [DONE]\n\n"
            outcome = "ok"
            store.count(key, prompt, completion)
            if last is not None:
                service.TOKENS.labels(service.PREFIX, provider.name, "in").inc(prompt)
                service.TOKENS.labels(service.PREFIX, provider.name, "out").inc(completion)
        except ProviderError as exc:
            outcome = exc.reason
            error = _provider_failure(exc).response()[0]
            yield _sse(error)
        finally:
            service.PROVIDER_LATENCY.labels(service.PREFIX, provider.name, outcome).observe(
                time.perf_counter() - started
            )
            closing = getattr(chunks, "aclose", None)
            if closing is not None:
                await closing()
            await slot.__aexit__(None, None, None)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(body(), status=200, mimetype="text/event-stream", headers=headers)


async def _next(chunks: AsyncIterator[Chunk], budget: float) -> Chunk | None:
    import asyncio

    try:
        async with asyncio.timeout(budget):
            return await anext(chunks)
    except StopAsyncIteration:
        return None
    except TimeoutError:
        raise ProviderError("timeout") from None


@bp.get("/v1/models")
@hide
async def list_models() -> Any:
    await _authenticate()
    settings = _settings()
    eng = service.engine(resources())
    provider = eng.providers.get(settings.ai_provider)
    res = resources()

    async def fetch() -> list[str]:
        try:
            return await provider.models()
        except ProviderError as exc:
            log.warning("ai.models_unavailable", reason=exc.reason)
            return []

    found = await res.cache.get_or_set(f"ai:models:{provider.name}", fetch, MODELS_TTL, local=True)
    names = [provider.default_model, *(n for n in found if n != provider.default_model)]
    data = [{"id": n, "object": "model", "created": 0, "owned_by": provider.name} for n in names]
    return {"object": "list", "data": data}
