"""Our OpenAI-compatible API with the official `openai` SDK as the client (real HTTP).

Keys are verified by identity's contract (`POST /identity/api/v1/keys:verify`), faked here
by a recording server; positive answers are cached briefly, usage is counted per key.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import openai
import pytest
import pytest_asyncio
from aiohttp import web

from flask_core.testing import FakeHttpServer, Recorded, live_server, service_headers
from waddlebot_ai.app import create_app
from waddlebot_ai.settings import AiSettings

GOOD_KEY = "wbk_k1.s3cr3t-value"
VERIFY = "/identity/api/v1/keys:verify"


class FakeIdentity(FakeHttpServer):
    def __init__(self) -> None:
        super().__init__()
        self.route("POST", VERIFY, self.verify)

    async def verify(self, call: Recorded) -> web.StreamResponse:
        if not call.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"error": {"code": "unauthorized"}}, status=401)
        if call.json.get("key") == GOOD_KEY:
            found = {"key_id": "k1", "user_id": "42", "name": "my tool", "expires_at": None}
            return web.json_response(found)
        body = {
            "error": {"code": "unauthorized", "message": "invalid API key", "details": {}, "request_id": None}
        }
        return web.json_response(body, status=401)


@pytest_asyncio.fixture
async def identity() -> AsyncIterator[FakeIdentity]:
    async with FakeIdentity().serving() as fake:
        yield fake


@pytest_asyncio.fixture
async def served(
    ai_settings: Callable[..., AiSettings], identity: FakeIdentity, free_port: int
) -> AsyncIterator[tuple[str, Any]]:
    settings = ai_settings(identity_url=identity.url, port=free_port)
    app = create_app(settings)
    from flask_core.testing import reset_database

    await reset_database(settings, [app])
    async with live_server(app, free_port) as url:
        yield url, app


async def test_the_sdk_creates_completions_with_and_without_streaming(
    served: tuple[str, Any], fake_ollama: Any, identity: FakeIdentity
) -> None:
    url, _app = served
    client = openai.AsyncOpenAI(base_url=f"{url}/ai/v1", api_key=GOOD_KEY, max_retries=0)
    try:
        done = await client.chat.completions.create(
            model="auto",
            messages=[{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hi"}],
        )
        assert done.object == "chat.completion" and done.id.startswith("chatcmpl-")
        assert done.choices[0].message.role == "assistant"
        assert done.choices[0].message.content == "Answer 1: hi"
        assert done.choices[0].finish_reason == "stop"
        assert done.usage is not None and (done.usage.prompt_tokens, done.usage.completion_tokens) == (26, 7)
        sent = fake_ollama.chat_calls()[0].json
        assert sent["model"] == "llama3.2"  # "auto" is the configured model
        assert sent["messages"] == [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "hi"},
        ]

        stream = await client.chat.completions.create(
            model="llama3.2", messages=[{"role": "user", "content": "tell me more"}], stream=True,
            stream_options={"include_usage": True},
        )  # fmt: skip
        pieces, finishes, usage = [], [], None
        async for chunk in stream:
            assert chunk.object == "chat.completion.chunk"
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                pieces.append(choice.delta.content or "")
                finishes.append(choice.finish_reason)
        assert "".join(pieces) == "Answer 2: tell me more"
        assert finishes[-1] == "stop" and all(f is None for f in finishes[:-1])
        assert usage is not None and usage.completion_tokens == 5
        assert fake_ollama.chat_calls()[1].json["stream"] is True
        assert len(identity.calls(VERIFY)) == 1  # the verification is cached
    finally:
        await client.close()


async def test_the_raw_stream_ends_with_done_in_openais_chunk_format(served: tuple[str, Any]) -> None:
    url, _app = served
    body = {"model": "auto", "messages": [{"role": "user", "content": "x"}], "stream": True}
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{url}/ai/v1/chat/completions", json=body,
                                   headers={"Authorization": f"Bearer {GOOD_KEY}"})  # fmt: skip
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = [e for e in response.text.split("\n\n") if e]
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert {c["id"] for c in chunks} == {chunks[0]["id"]} and len({c["created"] for c in chunks}) == 1
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert "usage" not in chunks[0]


async def test_models_and_a_wrong_key(served: tuple[str, Any], identity: FakeIdentity) -> None:
    url, _app = served
    client = openai.AsyncOpenAI(base_url=f"{url}/ai/v1", api_key=GOOD_KEY, max_retries=0)
    wrong = openai.AsyncOpenAI(base_url=f"{url}/ai/v1", api_key="wbk_k1.wrong", max_retries=0)
    try:
        models = await client.models.list()
        assert [m.id for m in models.data] == ["llama3.2", "llama3.2:latest"]
        assert all(m.object == "model" and m.owned_by == "ollama" for m in models.data)
        with pytest.raises(openai.AuthenticationError) as refused:
            await wrong.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
        assert refused.value.status_code == 401
        assert refused.value.code == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            await wrong.models.list()
        assert len(identity.calls(VERIFY)) == 3  # refusals are never cached
    finally:
        await client.close()
        await wrong.close()


async def test_errors_are_in_openais_shape_and_usage_is_counted_per_key(
    served: tuple[str, Any], fake_ollama: Any
) -> None:
    url, app = served
    headers = {"Authorization": f"Bearer {GOOD_KEY}"}
    async with httpx.AsyncClient(base_url=url) as http:
        missing = await http.post("/ai/v1/chat/completions", json={"model": "auto", "messages": []})
        assert missing.status_code == 401
        assert set(missing.json()["error"]) == {"message", "type", "param", "code"}
        bad = await http.post(
            "/ai/v1/chat/completions", json={"model": "auto", "messages": []}, headers=headers
        )
        assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
        assert bad.json()["error"]["param"] == "messages"
        garbage = await http.post("/ai/v1/chat/completions", content=b"{nope", headers=headers)
        assert garbage.status_code == 400 and garbage.json()["error"]["type"] == "invalid_request_error"
        fake_ollama.fail_with = 500
        failed = await http.post("/ai/v1/chat/completions", headers=headers,
                                 json={"model": "auto", "messages": [{"role": "user", "content": "x"}]})  # fmt: skip
        assert failed.status_code == 502 and failed.json()["error"]["type"] == "server_error"
        fake_ollama.fail_with = None
        for _ in range(2):
            ok = await http.post("/ai/v1/chat/completions", headers=headers,
                                 json={"model": "auto", "messages": [{"role": "user", "content": "x"}]})  # fmt: skip
            assert ok.status_code == 200
        await app.extensions["ai.keys"].flush()
        usage = await http.get("/ai/api/v1/keys/k1/usage", headers=service_headers("ai", issuer="portal"))
        assert usage.status_code == 200
        assert usage.json() | {"last_used_at": None} == {
            "key_id": "k1", "user_id": "42", "requests": 2, "prompt_tokens": 52, "completion_tokens": 14,
            "last_used_at": None,
        }  # fmt: skip


async def test_the_sdk_with_a_key_made_by_waddlebot_keys_create_and_the_real_identity(
    make_settings: Any,
    ai_settings: Callable[..., AiSettings],
    free_port: int,
    data_dir: Any,
    fake_ollama: Any,
) -> None:
    import asyncio
    import sys

    from flask_core.testing import TEST_SECRET
    from waddlebot_cli.testing import process_env, run_fleet
    from waddlebot_identity.app import create_app as create_identity
    from waddlebot_identity.settings import IdentitySettings

    identity_settings = make_settings(IdentitySettings, port=free_port)
    apps = {"identity": create_identity(identity_settings), "ai": create_app(ai_settings(port=free_port))}
    async with run_fleet(identity_settings, apps) as fleet:
        env = process_env(data_dir, 0, INTERNAL_JWT_SECRET=TEST_SECRET, LOG_FORMAT="json")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "waddlebot_cli.main", "keys", "create", "--name", "sdk test", "--url", fleet.url,
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        key = out.decode().strip().splitlines()[-1]
        assert key.startswith("wbk_")
        client = openai.AsyncOpenAI(base_url=f"{fleet.url}/ai/v1", api_key=key, max_retries=0)
        forged = openai.AsyncOpenAI(base_url=f"{fleet.url}/ai/v1", api_key=key[:-2] + "xx", max_retries=0)
        try:
            done = await client.chat.completions.create(
                model="auto", messages=[{"role": "user", "content": "hi"}]
            )
            assert done.choices[0].message.content == "Answer 1: hi"
            pieces = [
                c.choices[0].delta.content or ""
                async for c in await client.chat.completions.create(
                    model="auto", messages=[{"role": "user", "content": "again"}], stream=True
                )
                if c.choices
            ]
            assert "".join(pieces) == "Answer 2: again"
            assert [m.id for m in (await client.models.list()).data][0] == "llama3.2"
            with pytest.raises(openai.AuthenticationError):
                await forged.chat.completions.create(
                    model="auto", messages=[{"role": "user", "content": "hi"}]
                )
        finally:
            await client.close()
            await forged.close()
