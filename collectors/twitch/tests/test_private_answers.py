"""Private answers (§11, §12) from a signed Twitch webhook: a whisper from the bot to the
user who asked, and where Twitch will not let the bot whisper, one chat line pointing
to the portal. The answer never shows in the chat."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from aiohttp import web
from quart import Quart

from flask_core.app import create_app
from flask_core.events import Manifest, ManifestCommand
from flask_core.module import ModuleSpec, module_blueprint
from flask_core.settings import CoreSettings
from flask_core.testing import Recorded, free_tcp_port
from waddlebot_cli.testing import run_fleet
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_twitch.app import create_app as create_twitch
from waddlebot_twitch.runtime import RUNTIME_KEY
from waddlebot_twitch.settings import TwitchSettings

BROADCASTER = "1971641"
WEBHOOK = "/twitch/webhooks/eventsub"
pytestmark = pytest.mark.parametrize("backend", ["embedded"], indirect=True)


def secret_module(settings: CoreSettings) -> Quart:
    """A module (served as `shoutout`): `!secret` answers a code privately and a line publicly."""

    async def secret(res: Any, request: Any) -> list[dict[str, Any]]:
        return [
            {"type": "dm", "text": "Your code is 4242."},
            {"type": "chat", "text": "Check your whispers."},
        ]

    manifest = Manifest(name="shoutout", commands=[ManifestCommand(path="secret")])
    return create_app("shoutout", settings, [module_blueprint(ModuleSpec(manifest, {"secret": secret}))],
                      "shoutout")  # fmt: skip


def chat_from(user_id: str, login: str) -> Callable[[dict[str, Any]], None]:
    def change(payload: dict[str, Any]) -> None:
        payload["event"].update(
            message_id=str(uuid.uuid4()), message={"text": "!secret", "fragments": []},
            chatter_user_id=user_id, chatter_user_login=login, chatter_user_name=login, badges=[],
        )  # fmt: skip

    return change


async def test_a_dm_is_whispered_to_the_asker_or_pointed_to_the_portal(
    make_settings: Any, backend: dict[str, Any], twitch_settings: Callable[..., TwitchSettings],
    fake_twitch: Any, bot_user_id: str, eventsub: Any, eventually: Any,
) -> None:  # fmt: skip
    whispers: list[Recorded] = []

    async def whisper(call: Recorded) -> web.Response:
        whispers.append(call)
        if call.query.get("to_user_id") == "777":  # Twitch: the user blocks whispers from strangers
            body = {"error": "Forbidden", "status": 403, "message": "The recipient's settings prevent this"}
            return web.json_response(body, status=403)
        return web.Response(status=204)

    fake_twitch.server.route("POST", "/helix/whispers", whisper)
    common = {"port": free_tcp_port(), "default_modules": ["shoutout"], **backend}
    twitch = twitch_settings(router_url=None, **common)
    router = make_settings(RouterSettings, twitch_bot_user_id=bot_user_id, **common)
    apps = {
        "router": create_router(router),
        "shoutout": secret_module(make_settings(CoreSettings, **common)),
        "twitch": create_twitch(twitch),
    }
    async with run_fleet(twitch, apps) as fleet, httpx.AsyncClient(base_url=fleet.url) as http:
        signed = eventsub("channel.chat.message", change=chat_from("4145994", "viewer32"))
        assert (await http.post(WEBHOOK, content=signed.body, headers=signed.headers)).status_code == 204
        await eventually(lambda: len(whispers) == 1 and len(fake_twitch.messages()) == 1)
        [sent] = whispers
        assert sent.query == {"from_user_id": bot_user_id, "to_user_id": "4145994"}
        assert sent.json == {"message": "Your code is 4242."}
        assert sent.headers["Authorization"].startswith("Bearer user-token")
        assert [m["message"] for m in fake_twitch.messages()] == ["Check your whispers."]

        refused = eventsub("channel.chat.message", change=chat_from("777", "shyviewer"))
        assert (await http.post(WEBHOOK, content=refused.body, headers=refused.headers)).status_code == 204
        await eventually(lambda: len(fake_twitch.messages()) == 3)
        runtime = apps["twitch"].extensions[RUNTIME_KEY]
        await runtime.delivery.join()
        lines = [m["message"] for m in fake_twitch.messages()]
        assert len(whispers) == 2
        assert "@shyviewer, I can't whisper you here; your answer is waiting in the portal: " \
               "https://bot.example.com/" in lines  # fmt: skip
        assert not any("4242" in line for line in lines)  # the code never reaches the chat
        assert await runtime.delivery.outbox.dead_count() == 0
