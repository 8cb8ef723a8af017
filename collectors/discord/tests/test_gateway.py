"""The optional gateway: recorded MESSAGE_CREATE payloads, reconnects, /readyz."""

from __future__ import annotations

import asyncio
from typing import Any

from flask_core.testing import started, wait_until
from waddlebot_discord.app import create_app
from waddlebot_discord.gateway import Gateway
from waddlebot_discord.normalise import MANAGE_MESSAGES, GuildInfo
from waddlebot_discord.settings import DiscordSettings

GUILD = GuildInfo(
    "1690000000000000000", {"1300000000000000000": 1024, "1350000000000000000": MANAGE_MESSAGES}
)


class RecordedSession:
    """Connects, replays recorded gateway payloads, then stays connected."""

    def __init__(self, payloads: list[dict[str, Any]]) -> None:
        self.payloads = payloads

    async def run(self, on_message: Any, on_ready: Any) -> None:
        on_ready()
        for payload in self.payloads:
            await on_message(payload["d"], GUILD)
        await asyncio.Event().wait()

    async def close(self) -> None:
        return None


class FailingSession:
    attempts = 0

    async def run(self, on_message: Any, on_ready: Any) -> None:
        FailingSession.attempts += 1
        raise ConnectionError("gateway.discord.gg unreachable")

    async def close(self) -> None:
        return None


def gateway_app(make_settings: Any, env: dict[str, Any], factory: Any, **extra: Any) -> Any:
    settings = make_settings(DiscordSettings, discord_bot_token="test-bot-token", **{**env, **extra})
    return create_app(settings, gateway_factory=factory)


async def test_gateway_messages_reach_the_router_with_roles_and_bots_do_not(
    make_settings: Any, discord_env: dict[str, Any], fake_discord: Any, load: Any
) -> None:
    payloads = [load("message_create"), load("message_create_bot")]
    app = gateway_app(
        make_settings, discord_env, lambda: RecordedSession(payloads), router_url=fake_discord.url
    )
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        [forwarded] = await fake_discord.wait_for("/router/api/v1/events")
        ready = await (await app.test_client().get("/readyz")).get_json()
    event = forwarded.body
    assert event["event_id"] == "discord:1480000000000000000"
    assert (event["type"], event["text"]) == ("chat_message", "!quote 2")
    assert event["user"]["roles"] == ["moderator"]
    assert event["user"]["display_name"] == "Moddy"
    assert event["reply"] == {**event["reply"], "kind": "chat", "message_id": "1480000000000000000"}
    assert ready["checks"]["discord_gateway"] == {"ok": True, "detail": "connected", "required": False}


async def test_a_failing_gateway_retries_with_backoff_and_never_stops_the_collector(
    make_settings: Any, discord_env: dict[str, Any], post_interaction: Any, load: Any
) -> None:
    FailingSession.attempts = 0
    app = gateway_app(make_settings, discord_env, FailingSession, discord_gateway_backoff_base=0.02)
    async with started(app, settings=app.extensions["waddlebot.settings"]):
        client = app.test_client()
        await wait_until(lambda: FailingSession.attempts >= 3)
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        check = (await ready.get_json())["checks"]["discord_gateway"]
        assert check["ok"] is False and check["required"] is False
        assert "reconnecting" in check["detail"] and "unreachable" in check["detail"]
        assert await (await post_interaction(client, load("ping"))).get_json() == {"type": 1}


def test_the_backoff_doubles_up_to_its_cap_with_jitter(make_settings: Any) -> None:
    settings = make_settings(
        DiscordSettings, discord_gateway_backoff_base=1.0, discord_gateway_backoff_cap=8.0
    )
    gateway = Gateway(FailingSession, outbox=None, settings=settings)  # type: ignore[arg-type]
    for failures, full in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (10, 8.0)]:
        gateway.failures = failures
        delays = {gateway.backoff() for _ in range(20)}
        assert all(full / 2 <= d <= full for d in delays)
        assert len(delays) > 1  # jitter


async def test_without_a_bot_token_there_is_no_gateway(client: Any) -> None:
    check = (await (await client.get("/readyz")).get_json())["checks"]["discord_gateway"]
    assert check == {"ok": True, "detail": "off (no DISCORD_BOT_TOKEN)", "required": False}


async def test_the_pycord_session_feeds_raw_gateway_payloads_to_the_normaliser(load: Any) -> None:
    from waddlebot_discord.pycord_session import PycordSession

    session = PycordSession("not-used-offline")
    seen: list[tuple[Any, Any]] = []
    ready: list[bool] = []

    async def on_message(data: Any, guild: Any) -> None:
        seen.append((data, guild))

    session.listen(on_message, lambda: ready.append(True))
    session.client.dispatch("socket_raw_receive", {"op": 0, "t": "READY", "s": 1, "d": {}})
    session.client.dispatch("socket_raw_receive", load("message_create"))
    session.client.dispatch("socket_raw_receive", {"op": 11, "d": None})  # heartbeat ack: ignored
    for _ in range(5):
        await asyncio.sleep(0)
    await session.close()
    assert ready == [True]
    assert seen == [(load("message_create")["d"], None)]  # no guild cached offline
