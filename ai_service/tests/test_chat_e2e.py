"""`!ai` the whole way: a signed Twitch webhook → outbox → router → ai → the fake provider,
and the answer back through the router to the fake Helix, in one process (the cli
Dispatcher, real HTTP). Late answers, mentions and greetings take the same path."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from flask_core.testing import service_headers
from waddlebot_ai.app import create_app as create_ai
from waddlebot_ai.settings import DEFAULT_FALLBACK, AiSettings
from waddlebot_cli.testing import Fleet, run_fleet
from waddlebot_memories.app import create_app as create_memories
from waddlebot_memories.settings import MemoriesSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.settings import TwitchSettings

BROADCASTER = "1971641"  # the recorded chat fixture's channel
RAIDED = "1337"  # the recorded raid fixture's channel
WEBHOOK = "/twitch/webhooks/eventsub"


def chat(text: str) -> Callable[[dict[str, Any]], None]:
    message_id = str(uuid.uuid4())

    def change(payload: dict[str, Any]) -> None:
        payload["event"].update(message_id=message_id, message={"text": text, "fragments": []})

    return change


@asynccontextmanager
async def fleet_with_ai(
    make_settings: Any, ai_settings: Callable[..., AiSettings], twitch_env: dict[str, Any], bot_user_id: str,
    port: int, **ai: Any,
) -> AsyncIterator[tuple[Fleet, httpx.AsyncClient]]:  # fmt: skip
    common = {"port": port}
    router = make_settings(
        RouterSettings, default_modules=["ai", "memories"], twitch_bot_user_id=bot_user_id,
        router_manifest_interval=0.5, router_user_rate_limit="200/30s", **common,
    )  # fmt: skip
    twitch: TwitchSettings = make_settings(TwitchSettings, **twitch_env, **common)
    apps = {
        "router": create_router(router),
        "twitch": create_twitch(twitch),
        "ai": create_ai(ai_settings(**common, **ai)),
        "memories": create_memories(make_settings(MemoriesSettings, **common)),
    }
    async with run_fleet(twitch, apps) as fleet, httpx.AsyncClient(base_url=fleet.url, timeout=30) as http:
        yield fleet, http


async def say(http: httpx.AsyncClient, eventsub: Any, text: str) -> None:
    signed = eventsub("channel.chat.message", change=chat(text))
    assert (await http.post(WEBHOOK, content=signed.body, headers=signed.headers)).status_code == 204


@pytest.mark.parametrize(
    ("provider", "stream"),
    [("ollama", False), ("ollama", True), ("waddleai", False), ("waddleai", True)],
    ids=["ollama", "ollama-ndjson", "waddleai", "waddleai-sse"],
)
async def test_ai_is_answered_in_twitch_chat_through_each_provider(
    make_settings: Any, ai_settings: Any, twitch_env: dict[str, Any], fake_twitch: Any, bot_user_id: str,
    eventsub: Any, eventually: Any, free_port: int, fake_ollama: Any, fake_openai: Any,
    provider: str, stream: bool,
) -> None:  # fmt: skip
    fake = fake_ollama if provider == "ollama" else fake_openai
    settings = {"ai_provider": provider, "ai_provider_stream": stream, "ai_inline_wait": 0.05}
    async with fleet_with_ai(make_settings, ai_settings, twitch_env, bot_user_id, free_port, **settings) as (
        _,
        http,
    ):
        fake.reply = "**Yes**: the lore is *deep*.\n\n- read the `wiki`"
        await say(http, eventsub, "!ai what's the lore?")
        await eventually(lambda: fake_twitch.messages(BROADCASTER))
        fake.reply = None
        await say(http, eventsub, "!ask and the sequel?")
        await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) >= 2)
        first, second = (m["message"] for m in fake_twitch.messages(BROADCASTER))
        assert first == "Yes: the lore is deep. • read the wiki"  # markdown stripped for Twitch
        assert second == "Answer 2: and the sequel?"
        calls = [c.json for c in fake.chat_calls()]
        assert len(calls) == 2 and calls[0]["stream"] is stream
        assert calls[1]["messages"][0]["role"] == "system"
        assert calls[1]["messages"][1:] == [
            {"role": "user", "content": "what's the lore?"},
            {"role": "assistant", "content": "**Yes**: the lore is *deep*.\n\n- read the `wiki`"},
            {"role": "user", "content": "and the sequel?"},
        ]
        fake.fail_with = 500
        await say(http, eventsub, "!ai are you there?")
        await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) >= 3)
        assert fake_twitch.messages(BROADCASTER)[2]["message"] == DEFAULT_FALLBACK
        await asyncio.sleep(0.2)
        assert len(fake_twitch.messages(BROADCASTER)) == 3  # each answered once


async def test_a_mention_is_answered_and_greetings_are_off_until_a_community_turns_them_on(
    make_settings: Any, ai_settings: Any, twitch_env: dict[str, Any], fake_twitch: Any, bot_user_id: str,
    eventsub: Any, eventually: Any, free_port: int, fake_ollama: Any,
) -> None:  # fmt: skip
    async with fleet_with_ai(make_settings, ai_settings, twitch_env, bot_user_id, free_port) as (fleet, http):
        await say(http, eventsub, "hey @WaddleBot, is the stream live?")
        await say(http, eventsub, "just chatting, nothing for the bot")
        await eventually(lambda: fake_twitch.messages(BROADCASTER))
        [answer] = fake_twitch.messages(BROADCASTER)
        assert answer["message"] == "Answer 1: hey is the stream live?"
        assert len(fake_ollama.chat_calls()) == 1

        raid = eventsub("channel.raid")
        assert (await http.post(WEBHOOK, content=raid.body, headers=raid.headers)).status_code == 204
        found = await fleet.http.get(
            f"/router/api/v1/communities/by-platform/twitch/{RAIDED}", headers=service_headers("router")
        )
        for _ in range(100):  # the raid provisions its community
            if found.status_code == 200:
                break
            await asyncio.sleep(0.05)
            found = await fleet.http.get(
                f"/router/api/v1/communities/by-platform/twitch/{RAIDED}", headers=service_headers("router")
            )
        community = found.json()["community_id"]
        await asyncio.sleep(0.3)
        assert fake_twitch.messages(RAIDED) == []  # off by default
        turned_on = await fleet.http.put(
            f"/ai/api/v1/communities/{community}/settings", json={"greetings": {"raid": True}},
            headers=service_headers("ai", issuer="portal"),
        )  # fmt: skip
        assert turned_on.status_code == 200
        fake_ollama.reply = "Welcome, Cool_User and the 9001 raiders!"
        raid = eventsub("channel.raid")
        assert (await http.post(WEBHOOK, content=raid.body, headers=raid.headers)).status_code == 204
        await eventually(lambda: fake_twitch.messages(RAIDED))
        [greeting] = fake_twitch.messages(RAIDED)
        assert greeting["message"] == "Welcome, Cool_User and the 9001 raiders!"
        greet_call = fake_ollama.chat_calls()[-1].json["messages"]
        assert greet_call[-1] == {"role": "user", "content": "Cool_User"}  # the name is data


async def test_a_stalled_provider_never_slows_help_or_quote_and_every_question_is_answered_once(
    make_settings: Any, ai_settings: Any, twitch_env: dict[str, Any], fake_twitch: Any, bot_user_id: str,
    eventsub: Any, eventually: Any, free_port: int, fake_ollama: Any,
) -> None:  # fmt: skip
    limits = {"ai_community_concurrency": 32, "ai_max_concurrency": 32, "ai_answer_budget": 20.0}
    async with fleet_with_ai(make_settings, ai_settings, twitch_env, bot_user_id, free_port, **limits) as (
        _,
        http,
    ):
        sent = 0

        async def timed(text: str) -> float:
            nonlocal sent
            before = len(fake_twitch.messages(BROADCASTER))
            started = time.monotonic()
            await say(http, eventsub, text)
            await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) > before, within=10)
            return time.monotonic() - started

        # the normal latency, measured now on this machine
        await timed("!help")
        baseline = [await timed(t) for t in ("!help", "!quote", "!help", "!quote")]
        bound = 3 * max(baseline) + 0.25

        fake_ollama.stall = 8.0
        questions = [f"question number {i}" for i in range(20)]
        await asyncio.gather(*(say(http, eventsub, f"!ai {q}") for q in questions))
        await eventually(lambda: fake_ollama.in_flight == 20, within=5)
        chatted = len(fake_twitch.messages(BROADCASTER))
        under_load = [await timed(t) for t in ("!help", "!quote", "!help", "!quote")]
        assert max(under_load) <= bound, (baseline, under_load)
        assert fake_ollama.in_flight == 20  # still stalled while they were answered

        await eventually(lambda: len(fake_twitch.messages(BROADCASTER)) >= chatted + 4 + 20, within=15)
        await asyncio.sleep(0.3)
        texts = [m["message"] for m in fake_twitch.messages(BROADCASTER)]
        answers = [t for t in texts if t.startswith("Answer ")]
        assert len(answers) == 20
        assert sorted(a.split(": ", 1)[1] for a in answers) == sorted(questions)  # each once
        assert len(fake_ollama.chat_calls()) == 20
