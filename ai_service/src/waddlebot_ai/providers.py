"""AI providers behind one interface: Ollama's own API and any OpenAI-compatible server.

    provider.complete(messages, options) -> Completion        one answer (streamed or not)
    provider.stream(messages, options)   -> AsyncIterator[Chunk]   text as it is generated
    provider.models()                    -> list[str]         what the server offers

- `OllamaProvider`: `POST {base}/api/chat` (`stream: false` → one JSON object;
  `stream: true` → NDJSON lines, the last with `done: true` and the token counts
  `prompt_eval_count` / `eval_count`), `GET {base}/api/tags`. TLS with a custom CA
  (`OLLAMA_CERT_PATH`) or without verification (`OLLAMA_VERIFY_SSL=false`).
- `OpenAIProvider` (`AI_PROVIDER=waddleai`): `POST {base}/v1/chat/completions` (JSON, or
  server-sent events ending with `data: [DONE]`, usage in the last chunk with
  `stream_options.include_usage`), `GET {base}/v1/models`, `Authorization: Bearer`.

Every failure (connection, TLS, timeout, a non-2xx status, an unreadable body) raises
`ProviderError` with a short reason, which the service turns into the fallback text.
Clients are pooled per configuration (`Providers`), on flask_core's h11 transport (§7,
decision 0089).
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from flask_core.transport import H11Transport

from .settings import AiSettings

Message = dict[str, str]


class ProviderError(Exception):
    """The provider could not answer; `reason` is short and safe to log and count."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Options:
    model: str
    max_tokens: int
    temperature: float
    timeout: float  # seconds for the whole call


@dataclass(slots=True)
class Completion:
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"


@dataclass(slots=True)
class Chunk:
    """A piece of a streamed answer; the last one has `done` and the token counts."""

    text: str = ""
    done: bool = False
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None


class Provider(Protocol):
    name: str
    default_model: str

    async def complete(
        self, messages: list[Message], options: Options, *, stream: bool = False
    ) -> Completion: ...

    def stream(self, messages: list[Message], options: Options) -> AsyncIterator[Chunk]: ...

    async def models(self, timeout: float = 5.0) -> list[str]: ...  # noqa: ASYNC109


async def collect(chunks: AsyncIterator[Chunk], model: str) -> Completion:
    """One Completion from a stream of chunks."""
    parts: list[str] = []
    done = Chunk(model=model)
    async for chunk in chunks:
        parts.append(chunk.text)
        if chunk.done:
            done = chunk
    return Completion(
        "".join(parts),
        done.model or model,
        done.prompt_tokens,
        done.completion_tokens,
        done.finish_reason or "stop",
    )


def _is_tls(exc: BaseException) -> bool:
    """A TLS failure anywhere in the chain (the transport raises it as a connect error)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _wrap(exc: BaseException) -> ProviderError:
    if isinstance(exc, ProviderError):
        return exc
    if _is_tls(exc):
        return ProviderError("tls", str(exc)[:200])
    if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
        return ProviderError("timeout")
    if isinstance(exc, httpx.HTTPError | OSError):
        return ProviderError("connection", str(exc)[:200])
    return ProviderError("bad_answer", str(exc)[:200])


async def _error_of(response: httpx.Response) -> ProviderError:
    body = (await response.aread())[:500].decode("utf-8", "replace")
    return ProviderError(f"http_{response.status_code}", body)


@dataclass(slots=True)
class OllamaProvider:
    """Ollama's own API at `base` (`http(s)://host:port`)."""

    client: httpx.AsyncClient
    base: str
    default_model: str
    name: str = "ollama"

    def _body(self, messages: list[Message], options: Options, stream: bool) -> dict[str, Any]:
        return {
            "model": options.model or self.default_model,
            "messages": messages,
            "stream": stream,
            "options": {"temperature": options.temperature, "num_predict": options.max_tokens},
        }

    async def complete(
        self, messages: list[Message], options: Options, *, stream: bool = False
    ) -> Completion:
        if stream:
            return await collect(self.stream(messages, options), options.model or self.default_model)
        try:
            response = await self.client.post(
                f"{self.base}/api/chat", json=self._body(messages, options, False), timeout=options.timeout
            )
            if response.status_code != 200:
                raise await _error_of(response)
            data = response.json()
        except Exception as exc:
            raise _wrap(exc) from exc
        if not isinstance(data, dict) or "error" in data:
            raise ProviderError(
                "provider_error", str(data.get("error") if isinstance(data, dict) else data)[:200]
            )
        message = data.get("message") or {}
        return Completion(
            str(message.get("content") or ""),
            str(data.get("model") or options.model),
            int(data.get("prompt_eval_count") or 0),
            int(data.get("eval_count") or 0),
            str(data.get("done_reason") or "stop"),
        )

    async def stream(self, messages: list[Message], options: Options) -> AsyncIterator[Chunk]:
        body = self._body(messages, options, True)
        try:
            async with self.client.stream(
                "POST", f"{self.base}/api/chat", json=body, timeout=options.timeout
            ) as response:
                if response.status_code != 200:
                    raise await _error_of(response)
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    data = json.loads(line)
                    if "error" in data:
                        raise ProviderError("provider_error", str(data["error"])[:200])
                    message = data.get("message") or {}
                    done = bool(data.get("done"))
                    yield Chunk(
                        text=str(message.get("content") or ""),
                        done=done,
                        model=str(data.get("model") or ""),
                        prompt_tokens=int(data.get("prompt_eval_count") or 0),
                        completion_tokens=int(data.get("eval_count") or 0),
                        finish_reason=str(data.get("done_reason") or "stop") if done else None,
                    )
                    if done:
                        return
        except Exception as exc:
            raise _wrap(exc) from exc
        raise ProviderError("bad_answer", "the stream ended without done")

    async def models(self, timeout: float = 5.0) -> list[str]:  # noqa: ASYNC109
        try:
            response = await self.client.get(f"{self.base}/api/tags", timeout=timeout)
            if response.status_code != 200:
                raise await _error_of(response)
            data = response.json()
        except Exception as exc:
            raise _wrap(exc) from exc
        return [str(m.get("name") or m.get("model")) for m in data.get("models") or [] if isinstance(m, dict)]


@dataclass(slots=True)
class OpenAIProvider:
    """Any OpenAI-compatible server; `base` ends in `/v1`."""

    client: httpx.AsyncClient
    base: str
    default_model: str
    api_key: str | None = None
    name: str = "waddleai"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def _body(self, messages: list[Message], options: Options, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": options.model or self.default_model,
            "messages": messages,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
        return body

    async def complete(
        self, messages: list[Message], options: Options, *, stream: bool = False
    ) -> Completion:
        if stream:
            return await collect(self.stream(messages, options), options.model or self.default_model)
        try:
            response = await self.client.post(
                f"{self.base}/chat/completions",
                json=self._body(messages, options, False),
                headers=self._headers(),
                timeout=options.timeout,
            )
            if response.status_code != 200:
                raise await _error_of(response)
            data = response.json()
            choice = data["choices"][0]
            usage = data.get("usage") or {}
            return Completion(
                str((choice.get("message") or {}).get("content") or ""),
                str(data.get("model") or options.model),
                int(usage.get("prompt_tokens") or 0),
                int(usage.get("completion_tokens") or 0),
                str(choice.get("finish_reason") or "stop"),
            )
        except Exception as exc:
            raise _wrap(exc) from exc

    async def stream(self, messages: list[Message], options: Options) -> AsyncIterator[Chunk]:
        body = self._body(messages, options, True)
        model, finish = options.model, None
        usage: dict[str, Any] = {}
        try:
            async with self.client.stream(
                "POST",
                f"{self.base}/chat/completions",
                json=body,
                headers=self._headers(),
                timeout=options.timeout,
            ) as response:
                if response.status_code != 200:
                    raise await _error_of(response)
                async for line in response.aiter_lines():
                    if not line.startswith("data:"):
                        continue  # blank separators, comments (": ping"), event names
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        yield Chunk(done=True, model=model, finish_reason=finish or "stop",
                                    prompt_tokens=int(usage.get("prompt_tokens") or 0),
                                    completion_tokens=int(usage.get("completion_tokens") or 0))  # fmt: skip
                        return
                    data = json.loads(payload)
                    if "error" in data:
                        raise ProviderError("provider_error", str(data["error"])[:200])
                    model = str(data.get("model") or model)
                    usage = data.get("usage") or usage
                    for choice in data.get("choices") or []:
                        finish = choice.get("finish_reason") or finish
                        text = (choice.get("delta") or {}).get("content")
                        if text:
                            yield Chunk(text=str(text), model=model)
        except Exception as exc:
            raise _wrap(exc) from exc
        raise ProviderError("bad_answer", "the stream ended without [DONE]")

    async def models(self, timeout: float = 5.0) -> list[str]:  # noqa: ASYNC109
        try:
            response = await self.client.get(f"{self.base}/models", headers=self._headers(), timeout=timeout)
            if response.status_code != 200:
                raise await _error_of(response)
            data = response.json()
        except Exception as exc:
            raise _wrap(exc) from exc
        return [str(m["id"]) for m in data.get("data") or [] if isinstance(m, dict) and "id" in m]


def ssl_context(settings: AiSettings) -> ssl.SSLContext | bool:
    """The TLS verification for Ollama: the custom CA, the system's, or none (`VERIFY_SSL=false`)."""
    if not settings.ollama_verify_ssl:
        return False
    if settings.ollama_cert_path is not None:
        return ssl.create_default_context(cafile=str(settings.ollama_cert_path))
    return True


@dataclass(slots=True)
class Providers:
    """One pooled client per provider configuration, built on first use, closed at stop."""

    settings: AiSettings
    _clients: dict[tuple[Any, ...], httpx.AsyncClient] = field(default_factory=dict)
    _providers: dict[str, Provider] = field(default_factory=dict)

    def _client(self, key: tuple[Any, ...], verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
        client = self._clients.get(key)
        if client is None:
            limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
            # every call passes its own timeout (the remaining budget of its question)
            transport = H11Transport(verify=verify, limits=limits)
            client = httpx.AsyncClient(transport=transport, timeout=30.0)
            self._clients[key] = client
        return client

    def get(self, name: str | None = None) -> Provider:
        """The provider `name` (default AI_PROVIDER), built once."""
        key = name or self.settings.ai_provider
        found = self._providers.get(key)
        if found is None:
            found = self._providers[key] = self._build(key)
        return found

    def _build(self, name: str) -> Provider:
        s = self.settings
        match name:
            case "waddleai":
                key: tuple[Any, ...] = ("waddleai", s.waddleai_v1_url())
                api_key = s.waddleai_api_key.get_secret_value() if s.waddleai_api_key else None
                return OpenAIProvider(self._client(key, True), s.waddleai_v1_url(), s.waddleai_model, api_key)
            case _:
                base = s.ollama_base_url()
                key = ("ollama", base, str(s.ollama_cert_path), s.ollama_verify_ssl)
                return OllamaProvider(self._client(key, ssl_context(s)), base, s.ollama_model)

    async def aclose(self) -> None:
        clients, self._clients = self._clients, {}
        self._providers.clear()
        for client in clients.values():
            await client.aclose()
