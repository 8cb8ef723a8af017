"""Replies through `POST /twitch/api/v1/messages` to a fake Helix: rate, 429, 401, drops."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest_asyncio

from flask_core.metrics import REGISTRY
from flask_core.platform_tokens import PlatformToken
from flask_core.testing import service_headers, started
from waddlebot_twitch.app import create_app
from waddlebot_twitch.helix import _retry_after
from waddlebot_twitch.runtime import RUNTIME_KEY, TwitchRuntime
from waddlebot_twitch.settings import TwitchSettings


@pytest_asyncio.fixture
async def collector(twitch_settings: Callable[..., TwitchSettings], request: Any) -> AsyncIterator[Any]:
    overrides = getattr(request, "param", {})
    settings = twitch_settings(**overrides)
    app = create_app(settings)
    async with started(app, settings=settings):
        yield app


def runtime(app: Any) -> TwitchRuntime:
    rt: TwitchRuntime = app.extensions[RUNTIME_KEY]
    return rt


def channel() -> str:
    return str(uuid.uuid4().int % 10**9)  # unique: limiter keys and token rows never meet


async def deliver(app: Any, channel_id: str, *texts: str, invocation: str | None = None) -> dict[str, Any]:
    body = {
        "invocation_id": invocation or uuid.uuid4().hex, "server_id": channel_id, "channel_id": channel_id,
        "reply": {"kind": "chat", "message_id": "parent-1"},
        "responses": [{"type": "chat", "text": t} for t in texts],
    }  # fmt: skip
    answer = await app.test_client().post(
        "/twitch/api/v1/messages", json=body, headers=service_headers("twitch", issuer="router")
    )
    assert answer.status_code == 202
    result: dict[str, Any] = await answer.get_json()
    return result


def dropped(reason: str) -> float:
    labels = {"service": "twitch", "reason": reason}
    return REGISTRY.get_sample_value("waddlebot_delivery_dropped_total", labels) or 0.0


async def test_forty_replies_leave_at_the_configured_rate_in_order(
    twitch_settings: Callable[..., TwitchSettings], fake_twitch: Any, bot_user_id: str
) -> None:
    settings = twitch_settings(twitch_chat_rate_limit="10/0.5s")
    app = create_app(settings)
    target = channel()
    texts = [f"reply {n}" for n in range(40)]
    async with started(app, settings=settings):
        started_at = time.monotonic()
        assert (await deliver(app, target, *texts[:20]))["queued"] == 20
        assert (await deliver(app, target, *texts[20:]))["queued"] == 20
        await runtime(app).delivery.join()
    sent = fake_twitch.messages(target)
    assert [m["message"] for m in sent] == texts
    assert all(m["sender_id"] == bot_user_id and m["reply_parent_message_id"] == "parent-1" for m in sent)
    times = [t for t, body in fake_twitch.chat if body["broadcaster_id"] == target]
    # Times are when the fake Helix got each post, not when the limiter let it go: on a
    # loaded box one post can arrive late and the next on time, so allow 0.1 s of jitter.
    # Without the limiter the 40 arrive within milliseconds.
    assert all(times[i + 10] - times[i] >= 0.4 for i in range(30)), "more than 10 in a 0.5 s window"
    assert times[-1] - started_at >= 1.45


async def test_a_429_with_retry_after_is_waited_out_then_sent(collector: Any, fake_twitch: Any) -> None:
    limited = {"error": "Too Many Requests", "status": 429, "message": "slow down"}
    fake_twitch.chat_script = [(429, {"Retry-After": "1"}, limited)]
    target = channel()
    await deliver(collector, target, "patience")
    await runtime(collector).delivery.join()
    assert [m["message"] for m in fake_twitch.messages(target)] == ["patience"]
    [(first, _), (second, _)] = fake_twitch.chat_attempts
    assert second - first >= 0.95


async def test_a_401_refreshes_the_token_once_and_retries(collector: Any, fake_twitch: Any) -> None:
    fake_twitch.user_tokens = {"user-token-elsewhere"}  # the seeded token has expired
    fake_twitch.chat_delay = 0.2  # all three posts are in flight before the first 401 returns
    targets = [channel() for _ in range(3)]
    await asyncio.gather(*(deliver(collector, t, f"hello {t}") for t in targets))
    await runtime(collector).delivery.join()
    for target in targets:
        assert [m["message"] for m in fake_twitch.messages(target)] == [f"hello {target}"]
    assert [t for _, t in fake_twitch.chat_attempts].count("user-token-0") == 3  # three 401s ...
    refreshes = [r for r in fake_twitch.token_requests if r["grant_type"] == "refresh_token"]
    assert len(refreshes) == 1 and refreshes[0]["refresh_token"] == "refresh-0"  # ... one refresh
    stored = await runtime(collector).helix.user_tokens.load()
    assert stored is not None
    assert (stored.access_token, stored.refresh_token) == ("user-token-1", "refresh-1")
    assert stored.expires_at is not None


async def test_a_refused_refresh_drops_the_reply_with_a_reason(collector: Any, fake_twitch: Any) -> None:
    fake_twitch.user_tokens, fake_twitch.refresh_tokens = {"user-token-elsewhere"}, set()
    before = dropped("auth_failed_400")
    target = channel()
    await deliver(collector, target, "nobody hears this")
    await runtime(collector).delivery.join()
    assert fake_twitch.messages(target) == []
    assert dropped("auth_failed_400") == before + 1


async def test_a_stored_token_wins_over_the_environment(collector: Any, fake_twitch: Any) -> None:
    await runtime(collector).helix.user_tokens.save(PlatformToken("user-token-7", "refresh-7"))
    fake_twitch.user_tokens = {"user-token-7"}
    target = channel()
    await deliver(collector, target, "from the row")
    await runtime(collector).delivery.join()
    assert [m["message"] for m in fake_twitch.messages(target)] == ["from the row"]
    assert fake_twitch.token_requests == []


async def test_twitchs_own_drop_reason_is_counted(collector: Any, fake_twitch: Any) -> None:
    refused = {"data": [{"message_id": "", "is_sent": False,
                         "drop_reason": {"code": "msg_duplicate", "message": "duplicate"}}]}  # fmt: skip
    fake_twitch.chat_script = [(200, {}, refused)]
    before = dropped("twitch_msg_duplicate")
    await deliver(collector, channel(), "same as before")
    await runtime(collector).delivery.join()
    assert dropped("twitch_msg_duplicate") == before + 1


async def test_long_replies_are_split_to_500_characters(collector: Any, fake_twitch: Any) -> None:
    target = channel()
    words = " ".join(f"word{n:03d}" for n in range(120))  # 959 characters
    await deliver(collector, target, "/me " + words)
    await runtime(collector).delivery.join()
    sent = [m["message"] for m in fake_twitch.messages(target)]
    assert len(sent) == 2
    assert all(len(m) <= 500 and not m.startswith(("/", ".")) for m in sent)
    assert " ".join(sent) == "me " + words


def test_retry_after_falls_back_to_twitchs_ratelimit_reset() -> None:
    request = httpx.Request("POST", "http://helix.test/chat/messages")
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "3"}, request=request)) == 3.0
    reset = str(int(time.time()) + 5)
    assert 3.5 < _retry_after(httpx.Response(429, headers={"Ratelimit-Reset": reset}, request=request)) <= 5
    assert _retry_after(httpx.Response(429, request=request)) == 1.0
