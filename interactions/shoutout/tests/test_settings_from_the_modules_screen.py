"""Shoutout's settings in its manifest's `settings_schema` (decision 0078): the modules screen
(through the marketplace) changes the message template and the per-channel cooldown, and
the very next `!so` uses them. The template is filled in once, literally (never str.format)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from quart import Blueprint

from flask_core import CoreSettings, require_service
from flask_core import create_app as core_app
from flask_core.testing import free_tcp_port, release_tcp_port, service_headers, wait_until
from waddlebot_cli.testing import run_fleet
from waddlebot_marketplace.app import create_app as create_marketplace
from waddlebot_marketplace.settings import MarketplaceSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings
from waddlebot_shoutout.app import create_app as create_shoutout
from waddlebot_shoutout.settings import ShoutoutSettings


@pytest.fixture(params=["embedded"])
def backend(request: Any, data_dir: Any) -> dict[str, Any]:
    return {"database_url": f"sqlite://{(data_dir / 'test.sqlite').resolve()}"}


def fake_twitch(settings: CoreSettings) -> Any:
    """The Twitch collector's lookup and native-shoutout routes, as it answers them."""
    bp = Blueprint("twitch", __name__)

    @bp.get("/api/v1/users/<login>")
    @require_service
    async def user(login: str) -> Any:
        return {"status": "found", "user": {"id": "42", "login": login, "display_name": login.title()},
                "channel": {"game_name": "Celeste", "title": "speedruns"}, "stream": None}  # fmt: skip

    @bp.post("/api/v1/shoutouts")
    @require_service
    async def shoutouts() -> Any:
        return {"status": "sent"}

    return core_app("twitch", settings, [bp], "twitch")


def so(target: str) -> dict[str, Any]:
    return {
        "event_id": f"twitch:{uuid.uuid4()}", "platform": "twitch", "server_id": "chan1", "channel_id": "chan1",
        "user": {"platform_user_id": "mod1", "username": "mod", "roles": ["moderator"]},
        "type": "chat_message", "text": f"!so @{target}", "reply": {"kind": "inline"},
    }  # fmt: skip


async def test_the_template_and_cooldown_set_on_the_modules_screen_shape_the_next_shoutout(
    make_settings: Any, backend: dict[str, Any]
) -> None:
    port = free_tcp_port()
    common = {"port": port, "default_modules": ["shoutout"], **backend}
    router = make_settings(RouterSettings, router_manifest_interval=0.5, **common)
    apps = {
        "router": create_router(router),
        "shoutout": create_shoutout(make_settings(ShoutoutSettings, **common)),
        "twitch": fake_twitch(make_settings(CoreSettings, **common)),
        "marketplace": create_marketplace(make_settings(MarketplaceSettings, marketplace_manifest_interval=0.3,
                                                        **common)),
    }  # fmt: skip
    try:
        async with run_fleet(router, apps) as fleet:

            async def say(target: str) -> str:
                answer = (await fleet.post(so(target))).json()
                return " | ".join(r.get("text", "") for r in answer["responses"])

            assert (
                await say("amy") == "Go check out Amy at https://twitch.tv/amy - last seen playing Celeste!"
            )
            assert await say("amy") == "Amy got a shoutout recently."  # the default: one per hour
            headers = service_headers("marketplace", issuer="portal")
            found = await fleet.http.get(
                "/router/api/v1/communities/by-platform/twitch/chan1", headers=service_headers("router")
            )
            url = f"/marketplace/api/v1/communities/{found.json()['community_id']}/modules/shoutout"

            async def schema_known() -> bool:
                answer = await fleet.http.get(url, headers=headers)
                return answer.status_code == 200 and bool(answer.json()["settings_schema"])

            await wait_until(schema_known)
            bad = await fleet.http.put(url, json={"settings": {"offline_template": "", "cooldown": -1}},
                                       headers=headers)  # fmt: skip
            assert bad.status_code == 422
            fields = [d["loc"][-1] for d in bad.json()["error"]["details"]]
            assert fields == ["cooldown", "offline_template"]

            template = "Follow $(user) {0.__class__} $(url) $(title) $(nope)"
            changed = await fleet.http.put(
                url, json={"settings": {"offline_template": template, "cooldown": 0}}, headers=headers
            )
            assert changed.status_code == 200, changed.text
            assert changed.json()["settings"]["offline_template"] == template
            expected = "Follow Amy {0.__class__} https://twitch.tv/amy speedruns $(nope)"
            assert await say("amy") == expected  # the next line: no cooldown, the new template
            assert await say("amy") == expected
    finally:
        release_tcp_port(port)
