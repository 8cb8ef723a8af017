"""The AI module through its own HTTP API (no router): answers, prompts, memory, fallbacks,
late answers, per-community settings."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import pytest

from flask_core.testing import FakeHttpServer, service_headers, started
from waddlebot_ai.app import create_app
from waddlebot_ai.settings import AiSettings

BASE = "/ai/api/v1"


def auth() -> dict[str, str]:
    return service_headers("ai", issuer="router")


def command_body(*args: Any, **kwargs: Any) -> dict[str, Any]:
    return sys.modules["waddlebot_ai_test_fakes"].command_body(*args, **kwargs)  # type: ignore[no-any-return]


async def ask(client: Any, question: str, command: str = "ai", **kwargs: Any) -> Any:
    body = command_body(command, question, **kwargs)
    return await client.post(f"{BASE}/commands/{command}", json=body, headers=auth())


async def text_of(response: Any) -> str:
    assert response.status_code == 200, await response.get_data(as_text=True)
    [answer] = (await response.get_json())["responses"]
    assert answer["type"] == "chat"
    return str(answer["text"])


async def test_the_manifest_offers_ai_and_ask_and_listens_to_mentions_and_greetings(client: Any) -> None:
    manifest = await (await client.get(f"{BASE}/manifest", headers=auth())).get_json()
    assert manifest["name"] == "ai"
    assert [c["path"] for c in manifest["commands"]] == ["ai", "ask"]
    assert set(manifest["events"]) == {"chat_message", "follow", "subscription", "raid", "cheer"}


async def test_ai_and_ask_answer_with_the_system_prompt_and_the_earlier_turns(
    client: Any, fake_ollama: Any
) -> None:
    assert await text_of(await ask(client, "what is the lore?")) == "Answer 1: what is the lore?"
    assert await text_of(await ask(client, "and then?", "ask")) == "Answer 2: and then?"
    first, second = [c.json for c in fake_ollama.chat_calls()]
    assert first["stream"] is False and first["model"] == "llama3.2"
    assert first["messages"][0]["role"] == "system" and "WaddleBot" in first["messages"][0]["content"]
    assert first["messages"][1:] == [{"role": "user", "content": "what is the lore?"}]
    assert second["messages"][1:] == [
        {"role": "user", "content": "what is the lore?"},
        {"role": "assistant", "content": "Answer 1: what is the lore?"},
        {"role": "user", "content": "and then?"},
    ]
    # another channel has its own conversation
    await text_of(await ask(client, "hello", channel_id="c2"))
    assert fake_ollama.chat_calls()[2].json["messages"][1:] == [{"role": "user", "content": "hello"}]


async def test_an_empty_question_gets_the_usage(client: Any, fake_ollama: Any) -> None:
    assert await text_of(await ask(client, "   ")) == "Usage: !ai <question>"
    assert fake_ollama.chat_calls() == []


@pytest.mark.parametrize("backend", ["embedded", "fleet"])
async def test_memory_keeps_the_last_turns_and_expires(
    ai_settings: Callable[..., AiSettings], backend: str, request: pytest.FixtureRequest, fake_ollama: Any
) -> None:
    storage: dict[str, Any] = {}
    if backend == "fleet":
        storage = {"redis_url": request.getfixturevalue("redis_url")}
    settings = ai_settings(ai_memory_turns=2, ai_memory_ttl=0.5, ai_inline_wait=5.0, **storage)
    app = create_app(settings)
    async with started(app, settings=settings):
        client = app.test_client()
        for n in range(3):
            await text_of(await ask(client, f"q{n}"))
        third = fake_ollama.chat_calls()[2].json["messages"]
        assert [m["content"] for m in third[1:]] == ["q0", "Answer 1: q0", "q1", "Answer 2: q1", "q2"]
        fourth_body = command_body("ai", "q3")
        await text_of(await client.post(f"{BASE}/commands/ai", json=fourth_body, headers=auth()))
        fourth = fake_ollama.chat_calls()[3].json["messages"]
        assert [m["content"] for m in fourth[1:]] == [
            "q1",
            "Answer 2: q1",
            "q2",
            "Answer 3: q2",
            "q3",
        ]  # 2 turns
        await asyncio.sleep(0.6)  # the TTL (scaled down from 30 min) passes
        await text_of(await ask(client, "q4"))
        assert [m["content"] for m in fake_ollama.chat_calls()[4].json["messages"][1:]] == ["q4"]


async def test_a_provider_error_and_a_timeout_give_the_fallback(
    ai_settings: Callable[..., AiSettings], fake_ollama: Any
) -> None:
    settings = ai_settings(ai_answer_budget=0.3, ai_inline_wait=5.0)
    app = create_app(settings)
    async with started(app, settings=settings):
        client = app.test_client()
        fake_ollama.fail_with = 500
        assert await text_of(await ask(client, "hi")) == settings.ai_fallback_text
        fake_ollama.fail_with, fake_ollama.stall = None, 2.0
        started_at = asyncio.get_running_loop().time()
        assert await text_of(await ask(client, "hi again")) == settings.ai_fallback_text
        assert asyncio.get_running_loop().time() - started_at < 1.5
        fake_ollama.stall = 0.0
        # failures are not remembered: the next question has no earlier turns
        await text_of(await ask(client, "third"))
        assert fake_ollama.chat_calls()[-1].json["messages"][1:] == [{"role": "user", "content": "third"}]
        exposed = await (await client.get("/metrics")).get_data(as_text=True)
        for line in (
            'waddlebot_ai_fallbacks_total{reason="http_500",service="ai"}',
            'waddlebot_ai_fallbacks_total{reason="timeout",service="ai"}',
            'waddlebot_ai_provider_latency_seconds_count{outcome="ok",provider="ollama",service="ai"}',
            'waddlebot_ai_tokens_total{direction="out",provider="ollama",service="ai"}',
            'waddlebot_ai_queue_depth{service="ai"}',
        ):
            assert line in exposed, line
        ready = await (await client.get("/readyz")).get_json()
        assert ready["checks"]["provider"]["ok"] is True, ready


async def test_a_slow_answer_is_accepted_and_posted_to_the_router_once(
    ai_settings: Callable[..., AiSettings], fake_ollama: Any, fake_http: FakeHttpServer
) -> None:
    fake_http.route("POST", "/router/api/v1/responses", _accepted)
    settings = ai_settings(ai_inline_wait=0.1, router_url=fake_http.url)
    app = create_app(settings)
    async with started(app, settings=settings):
        client = app.test_client()
        fake_ollama.stall = 0.5
        body = command_body("ai", "slow one")
        first = await client.post(f"{BASE}/commands/ai", json=body, headers=auth())
        assert first.status_code == 202 and await first.get_json() == {"accepted": True}
        again = await client.post(f"{BASE}/commands/ai", json=body, headers=auth())  # the router retries
        assert again.status_code == 202
        [late] = await fake_http.wait_for("/router/api/v1/responses", within=5)
        assert late.json == {
            "invocation_id": body["invocation_id"],
            "responses": [{"type": "chat", "text": "Answer 1: slow one"}],
        }
        assert late.headers["Authorization"].startswith("Bearer ")
        await asyncio.sleep(0.2)
        assert len(fake_http.calls("/router/api/v1/responses")) == 1
        assert len(fake_ollama.chat_calls()) == 1


async def _accepted(call: Any) -> Any:
    from aiohttp import web

    return web.json_response({"invocation_id": call.json["invocation_id"], "delivered": True}, status=202)


async def test_community_settings_override_provider_model_persona_and_prompt(
    client: Any, fake_ollama: Any, fake_openai: Any
) -> None:
    url = f"{BASE}/communities/7/settings"
    default = await (await client.get(url, headers=auth())).get_json()
    assert default["effective"] == {"provider": "ollama", "model": "llama3.2"}
    assert default["greetings"] == {"follow": False, "subscription": False, "raid": False, "cheer": False}
    changed = await client.put(
        url,
        json={"provider": "waddleai", "model": "gpt-4o", "persona": "a pirate", "system_prompt": "Be brief.",
              "greetings": {"raid": True}},
        headers=auth(),
    )  # fmt: skip
    assert changed.status_code == 200, await changed.get_data(as_text=True)
    out = await changed.get_json()
    assert (
        out["effective"] == {"provider": "waddleai", "model": "gpt-4o"} and out["greetings"]["raid"] is True
    )
    assert await text_of(await ask(client, "ahoy?", community_id="7")) == "Answer 1: ahoy?"
    [call] = fake_openai.chat_calls()
    assert call.json["model"] == "gpt-4o"
    assert call.json["messages"][:2] == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Persona: a pirate"},
    ]
    assert call.headers["Authorization"] == "Bearer wa-test-key"
    # community 8 is untouched (the tenant is the path's id)
    other = await (await client.get(f"{BASE}/communities/8/settings", headers=auth())).get_json()
    assert other["provider"] is None and other["effective"]["provider"] == "ollama"
    await text_of(await ask(client, "plain?", community_id="8"))
    assert fake_ollama.chat_calls()[-1].json["messages"][0]["content"].startswith("You are WaddleBot")
    # null goes back to the default; unknown fields and another community id are refused
    reset = await (await client.put(url, json={"provider": None}, headers=auth())).get_json()
    assert reset["effective"]["provider"] == "ollama" and reset["persona"] == "a pirate"
    bad = await client.put(url, json={"community_id": 8, "persona": "x"}, headers=auth())
    assert bad.status_code == 422 and (await bad.get_json())["error"]["code"] == "validation_error"
    assert (await client.get(url)).status_code == 401
