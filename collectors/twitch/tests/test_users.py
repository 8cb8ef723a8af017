"""The collector's user lookup and native shoutout API against the fake Helix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from flask_core.testing import service_headers, started
from waddlebot_twitch.app import create_app
from waddlebot_twitch.runtime import RUNTIME_KEY
from waddlebot_twitch.settings import TwitchSettings

USERS = "/twitch/api/v1/users"
SHOUTOUTS = "/twitch/api/v1/shoutouts"


async def refuse(call: Any) -> web.Response:
    return web.json_response({"status": 403, "message": "invalid client secret"}, status=403)


def auth() -> dict[str, str]:
    return service_headers("twitch", issuer="shoutout")


async def test_lookup_joins_users_channels_and_streams(
    twitch_settings: Callable[..., TwitchSettings], fake_twitch: Any
) -> None:
    fake_twitch.add_user("cool_user", "1234", game="Just Chatting", title="vibes", live=True)
    fake_twitch.add_user("sleepy", "4321", game="Celeste", title="runs", live=False)
    settings = twitch_settings()
    app = create_app(settings)
    async with started(app, settings=settings):
        client = app.test_client()
        assert (await client.get(f"{USERS}/cool_user")).status_code == 401
        live = await (await client.get(f"{USERS}/Cool_User", headers=auth())).get_json()
        assert live == {
            "status": "found",
            "user": {"id": "1234", "login": "cool_user", "display_name": "Cool_User"},
            "channel": {"game_name": "Just Chatting", "title": "vibes"},
            "stream": {"game_name": "Just Chatting", "title": "vibes", "viewer_count": 78365},
        }
        offline = await (await client.get(f"{USERS}/sleepy", headers=auth())).get_json()
        assert offline["stream"] is None and offline["channel"]["game_name"] == "Celeste"
        assert (await client.get(f"{USERS}/nobody", headers=auth())).status_code == 404
        assert (await client.get(f"{USERS}/bad%20login", headers=auth())).status_code == 404
        fake_twitch.app_tokens.clear()
        fake_twitch.token_requests.clear()
        app.extensions[RUNTIME_KEY].helix._app_token = None  # so the next call asks for one
        fake_twitch.server.route("POST", "/oauth2/token", refuse)  # credentials revoked
        down = await client.get(f"{USERS}/sleepy", headers=auth())
        assert down.status_code == 200
        assert await down.get_json() == {
            "status": "unavailable",
            "user": None,
            "channel": None,
            "stream": None,
        }
    paths = [path for _, path, _ in fake_twitch.requests]
    assert {"/helix/users", "/helix/channels", "/helix/streams"} <= set(paths)


async def test_native_shoutout_only_where_the_bot_moderates_and_within_twitchs_limits(
    twitch_settings: Callable[..., TwitchSettings], fake_twitch: Any, bot_user_id: str
) -> None:
    settings = twitch_settings()
    app = create_app(settings)
    async with started(app, settings=settings):
        client = app.test_client()

        async def shout(source: str, target: str) -> str:
            body = {"from_broadcaster_id": source, "to_broadcaster_id": target}
            answer = await client.post(SHOUTOUTS, json=body, headers=auth())
            assert answer.status_code == 200, await answer.get_data(as_text=True)
            status: str = (await answer.get_json())["status"]
            return status

        assert await shout("111", "222") == "not_moderator"
        assert fake_twitch.shoutouts == []
        await app.extensions[RUNTIME_KEY].channels.record("111", True)
        assert await shout("111", "222") == "sent"
        assert await shout("111", "333") == "rate_limited"  # one per channel per 2 minutes
        assert await shout("111", "222") == "rate_limited"  # one per target per hour
        await app.extensions[RUNTIME_KEY].channels.record("112", True)
        fake_twitch.shoutout_script.append(429)
        assert await shout("112", "222") == "rate_limited"  # Twitch's 429: an outcome, not an error
    assert fake_twitch.shoutouts == [
        {"from_broadcaster_id": "111", "to_broadcaster_id": "222", "moderator_id": bot_user_id},
        {"from_broadcaster_id": "112", "to_broadcaster_id": "222", "moderator_id": bot_user_id},
    ]
