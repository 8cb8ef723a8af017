"""Delivery to a platform: idempotent, ordered, rate-limited, split, neutralised, counted.

The platform is a `send` coroutine given to the service (what a collector supplies);
claims and limits run in-process (embedded) and on real Redis (fleet).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from quart import Blueprint

from flask_core.app import create_app
from flask_core.collector import SERVICE_KEY, CollectorStatus, collector_blueprint
from flask_core.delivery import (
    DISCORD_ALLOWED_MENTIONS,
    MAX_LENGTHS,
    DeliveryService,
    DeliverySettings,
    RetryAfter,
    SendRejected,
    fixed_rate,
    neutralise_discord,
    neutralise_slack,
    neutralise_twitch,
    split_text,
)
from flask_core.errors import DependencyUnavailable
from flask_core.events import Delivery, Reply
from flask_core.metrics import REGISTRY
from flask_core.resources import Resources
from flask_core.testing import service_headers, started, wait_until


class Platform:
    """A fake platform: records (time, channel, text, reply); raises what `script` says."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str, str, Reply]] = []
        self.calls = 0
        self.script: list[BaseException] = []

    async def send(self, channel_id: str, text: str, reply: Reply) -> None:
        self.calls += 1
        if self.script:
            raise self.script.pop(0)
        self.sent.append((time.monotonic(), channel_id, text, reply))

    def texts(self, channel_id: str | None = None) -> list[str]:
        return [text for _, ch, text, _ in self.sent if channel_id in (None, ch)]


def delivery(*texts: str, invocation: str = "inv-1", channel: str = "c1", kind: str = "chat") -> Delivery:
    responses = [{"type": kind, "text": t} for t in texts]
    return Delivery.model_validate(
        {
            "invocation_id": invocation,
            "server_id": "s1",
            "channel_id": channel,
            "reply": {"kind": "chat", "message_id": "m-1"},
            "responses": responses,
        }  # fmt: skip
    )


def dropped(platform: str, reason: str) -> float:
    labels = {"service": platform, "reason": reason}
    return REGISTRY.get_sample_value("waddlebot_delivery_dropped_total", labels) or 0.0


@pytest.fixture
def platform_name() -> str:
    return "p" + uuid.uuid4().hex[:8]


@pytest.fixture
def delivery_settings(make_settings: Any, backend: dict[str, Any]) -> DeliverySettings:
    settings: DeliverySettings = make_settings(
        DeliverySettings,
        delivery_retry_base=0.02,
        delivery_max_wait=1.0,
        delivery_drain_timeout=0.2,
        **backend,
    )
    return settings


@asynccontextmanager
async def service(
    settings: DeliverySettings, name: str, platform: Platform, rate: str = "100/1s", max_len: int = 500
) -> AsyncIterator[DeliveryService]:
    res = await Resources.open(settings)
    svc = DeliveryService(res, name, platform.send, fixed_rate(rate), max_len, neutralise=neutralise_twitch)
    try:
        yield svc
    finally:
        await svc.close()
        await res.close()


# --- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "max_len", "expected"),
    [
        ("hello world", 20, ["hello world"]),
        ("hello big world", 9, ["hello big", "world"]),
        ("aaaa bbbb cccc", 9, ["aaaa bbbb", "cccc"]),
        ("abcdefghij klm", 4, ["abcd", "efgh", "ij", "klm"]),
        ("  spaced    out   words  ", 8, ["spaced", "out", "words"]),
        ("line one\nline two", 9, ["line one", "line two"]),
        ("", 5, []),
    ],
    ids=["fits", "word-boundary", "exact", "long-word", "spaces", "newline", "empty"],
)
def test_split_text_cuts_on_word_boundaries(text: str, max_len: int, expected: list[str]) -> None:
    pieces = split_text(text, max_len)
    assert pieces == expected
    assert all(len(p) <= max_len for p in pieces)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/ban bob", "ban bob"),
        (".timeout bob 600", "timeout bob 600"),
        ("  /. /me dances", "me dances"),
        ("two\nlines", "two lines"),
        ("fine. really/ok", "fine. really/ok"),
    ],
    ids=["slash", "dot", "mixed", "newline", "inner"],
)
def test_twitch_text_never_starts_a_command(text: str, expected: str) -> None:
    assert neutralise_twitch(text) == expected


def test_slack_and_discord_neutralisers() -> None:
    assert neutralise_slack("<!channel> & <@U1> a>b") == "&lt;!channel&gt; &amp; &lt;@U1&gt; a&gt;b"
    assert neutralise_discord("@everyone hi") == "@everyone hi"
    assert DISCORD_ALLOWED_MENTIONS == {"parse": []}
    assert MAX_LENGTHS == {"twitch": 500, "slack": 4000, "discord": 2000}


# --- the service ------------------------------------------------------------------------------


async def test_a_repeated_delivery_never_posts_twice(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    platform = Platform()
    async with service(delivery_settings, platform_name, platform) as svc:
        first = await svc.accept(delivery("one", "two"))
        await svc.join()
        again = await svc.accept(delivery("one", "two"))
        await svc.join()
    assert first == {"queued": 2, "duplicates": 0, "skipped": 0}
    assert again == {"queued": 0, "duplicates": 2, "skipped": 0}
    assert platform.texts() == ["one", "two"]
    assert platform.sent[0][3].message_id == "m-1"


async def test_messages_wait_for_the_channel_limit_in_order(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    platform = Platform()
    texts = [f"msg {n}" for n in range(15)]
    async with service(delivery_settings, platform_name, platform, rate="5/0.5s") as svc:
        for n in range(0, 15, 5):
            await svc.accept(delivery(*texts[n : n + 5], invocation=f"inv-{n}"))
        await svc.accept(delivery("other channel", invocation="inv-x", channel="c2"))
        await svc.join()
    assert platform.texts("c1") == texts  # nothing dropped, order kept
    times = [t for t, ch, _, _ in platform.sent if ch == "c1"]
    assert all(times[i + 5] - times[i] >= 0.45 for i in range(len(times) - 5))
    assert times[-1] - times[0] >= 0.9
    assert platform.texts("c2") == ["other channel"]


async def test_retry_after_is_waited_out_then_sent(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    platform = Platform()
    platform.script = [RetryAfter(0.3)]
    async with service(delivery_settings, platform_name, platform) as svc:
        started_at = time.monotonic()
        await svc.accept(delivery("patience"))
        await svc.join()
    assert platform.calls == 2
    assert platform.texts() == ["patience"]
    assert platform.sent[0][0] - started_at >= 0.3


async def test_unavailable_platform_is_retried_with_backoff(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    platform = Platform()
    platform.script = [DependencyUnavailable("down"), DependencyUnavailable("down")]
    async with service(delivery_settings, platform_name, platform) as svc:
        await svc.accept(delivery("eventually"))
        await svc.join()
    assert platform.calls == 3
    assert platform.texts() == ["eventually"]


async def test_drops_are_counted_with_a_reason_and_can_be_redelivered(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    platform = Platform()
    platform.script = [SendRejected("http_400"), RetryAfter(5.0)]
    async with service(delivery_settings, platform_name, platform) as svc:
        await svc.accept(delivery("rejected", "too long a wait"))
        await svc.join()
        assert platform.texts() == []
        assert dropped(platform_name, "http_400") == 1
        assert dropped(platform_name, "rate_limited") == 1
        again = await svc.accept(delivery("rejected", "too long a wait"))  # nothing went out
        await svc.join()
    assert again["queued"] == 2
    assert platform.texts() == ["rejected", "too long a wait"]


async def test_long_texts_are_split_and_each_piece_neutralised(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    platform = Platform()
    async with service(delivery_settings, platform_name, platform, max_len=10) as svc:
        receipt = await svc.accept(delivery("/ban bob and then /ban alice"))
        await svc.join()
    assert receipt["queued"] == 1
    assert platform.texts() == ["ban bob", "and then", "ban alice"]


async def test_overlays_are_skipped_and_dms_dropped(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    platform = Platform()
    body = Delivery.model_validate(
        {
            "invocation_id": "inv-o",
            "server_id": "s",
            "channel_id": "c",
            "reply": {"kind": "chat"},
            "responses": [
                {"type": "overlay", "source": "alert"},
                {"type": "dm", "text": "psst"},
                {"type": "error", "code": "forbidden", "text": "needs moderator"},
                {"type": "chat", "text": "  /  "},
            ],
        }  # fmt: skip
    )
    async with service(delivery_settings, platform_name, platform) as svc:
        receipt = await svc.accept(body)
        await svc.join()
    assert receipt == {"queued": 1, "duplicates": 0, "skipped": 3}
    assert platform.texts() == ["needs moderator"]
    assert dropped(platform_name, "dm_unsupported") == 1
    assert dropped(platform_name, "empty") == 1


async def test_shutdown_releases_what_was_not_sent(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    platform = Platform()
    async with service(delivery_settings, platform_name, platform, rate="1/10s") as svc:
        await svc.accept(delivery("first", "second", "third"))
        await wait_until(lambda: platform.texts() == ["first"])  # the rest wait for the bucket
        await svc.close()
        with pytest.raises(DependencyUnavailable):
            await svc.accept(delivery("late", invocation="inv-2"))
        states = [await svc.claims.claim(f"inv-1:{i}") for i in range(3)]
    assert platform.texts() == ["first"]
    assert dropped(platform_name, "shutdown") == 2
    assert [s.value for s in states] == ["done", "claimed", "claimed"]  # a redelivery sends the rest


# --- the endpoint ------------------------------------------------------------------------------


def collector_app(settings: DeliverySettings, name: str, status: CollectorStatus) -> Any:
    app = create_app(name, settings, [collector_blueprint(name), Blueprint("empty", __name__)], name)
    status.install(app)
    return app


async def test_endpoint_needs_a_service_token_and_answers_202(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    platform = Platform()
    app = collector_app(delivery_settings, platform_name, CollectorStatus(platform_name, []))
    async with started(app, settings=delivery_settings) as res:
        svc = DeliveryService(res, platform_name, platform.send, fixed_rate("10/1s"), 500)
        app.extensions[SERVICE_KEY] = svc
        client = app.test_client()
        body = delivery("hi").model_dump(mode="json")
        path = f"/{platform_name}/api/v1/messages"
        assert (await client.post(path, json=body)).status_code == 401
        bad = await client.post(path, json={"invocation_id": "x"}, headers=service_headers(platform_name))
        assert bad.status_code == 422
        ok = await client.post(path, json=body, headers=service_headers(platform_name, issuer="router"))
        assert ok.status_code == 202
        assert await ok.get_json() == {"queued": 1, "duplicates": 0, "skipped": 0}
        await svc.join()
        await svc.close()
    assert platform.texts() == ["hi"]


async def test_a_collector_without_secrets_is_disabled_but_ready(
    delivery_settings: DeliverySettings, platform_name: str
) -> None:
    status = CollectorStatus.check(platform_name, delivery_settings, ["twitch_client_id", "slack_bot_token"])
    assert status.missing == ["TWITCH_CLIENT_ID", "SLACK_BOT_TOKEN"]
    app = collector_app(delivery_settings, platform_name, status)
    async with started(app, settings=delivery_settings):
        client = app.test_client()
        body = delivery("hi").model_dump(mode="json")
        answer = await client.post(
            f"/{platform_name}/api/v1/messages", json=body, headers=service_headers(platform_name)
        )
        assert answer.status_code == 503
        error = (await answer.get_json())["error"]
        assert error["code"] == "dependency_unavailable"
        assert error["details"]["missing"] == ["TWITCH_CLIENT_ID", "SLACK_BOT_TOKEN"]
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        check = (await ready.get_json())["checks"][platform_name]
        assert check == {
            "ok": False,
            "required": False,
            "detail": "disabled: missing TWITCH_CLIENT_ID, SLACK_BOT_TOKEN",
        }
