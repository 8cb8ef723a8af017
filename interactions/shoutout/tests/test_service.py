"""Shoutout settings and templates against the real database (both backends)."""

from __future__ import annotations

from typing import Any

from flask_core.testing import service_headers
from waddlebot_shoutout import service
from waddlebot_shoutout.settings import DEFAULT_LIVE, DEFAULT_OFFLINE

FOUND = {
    "user": {"id": "1", "login": "amy", "display_name": "Amy"},
    "channel": {"game_name": "Celeste", "title": "offline title"},
    "stream": None,
}


def test_render_inserts_values_once_and_literally() -> None:
    sneaky = {**FOUND, "channel": {"game_name": "$(url)", "title": "{0.__class__}"}}
    assert service.render("$(user) $(game) $(title) $(url) $(other)", sneaky) == (
        "Amy $(url) {0.__class__} https://twitch.tv/amy $(other)"
    )
    live = {**FOUND, "stream": {"game_name": "Tetris", "title": "live now", "viewer_count": 3}}
    assert service.render("$(game): $(title)", live) == "Tetris: live now"


async def test_settings_default_then_change_then_reset(res: Any) -> None:
    first = await service.community_settings(res, 5)
    assert (first.live_template, first.offline_template) == (DEFAULT_LIVE, DEFAULT_OFFLINE)
    assert first.auto_raid is True and first.cooldown == 3600.0
    changed = await service.set_community_settings(
        res, 5, {"auto_raid": False, "live_template": "hi $(user)"}
    )
    assert changed.auto_raid is False and changed.live_template == "hi $(user)"
    assert (await service.community_settings(res, 6)).auto_raid is True  # per community
    back = await service.set_community_settings(res, 5, {"live_template": None})
    assert back.live_template == DEFAULT_LIVE and back.auto_raid is False


async def test_the_settings_api_needs_a_service_token(client: Any) -> None:
    url = "/shoutout/api/v1/communities/3/settings"
    assert (await client.get(url)).status_code == 401
    headers = service_headers("shoutout", issuer="portal")
    answer = await client.put(url, json={"cooldown": 60}, headers=headers)
    assert answer.status_code == 200, await answer.get_data(as_text=True)
    assert (await answer.get_json())["cooldown"] == 60
    bad = await client.put(url, json={"cooldown": -1}, headers=headers)
    assert bad.status_code == 422


async def test_the_manifest_offers_so_and_subscribes_to_raids(client: Any) -> None:
    headers = service_headers("shoutout", issuer="router")
    manifest = await (await client.get("/shoutout/api/v1/manifest", headers=headers)).get_json()
    assert [(c["path"], c["role"], c["aliases"]) for c in manifest["commands"]] == [
        ("so", "moderator", ["shoutout"])
    ]
    assert manifest["events"] == ["raid"]
