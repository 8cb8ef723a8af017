"""The queue settings in the manifest's `settings_schema` (decision 0078): set through the
marketplace (the modules screen's owner), checked per field there, kept by this service and
honoured by `!sr` on the very next chat line."""

from __future__ import annotations

from typing import Any

from flask_core.testing import free_tcp_port, release_tcp_port, service_headers, wait_until
from waddlebot_cli.testing import run_fleet
from waddlebot_marketplace.app import create_app as create_marketplace
from waddlebot_marketplace.settings import MarketplaceSettings
from waddlebot_router.app import create_app as create_router
from waddlebot_router.settings import RouterSettings

from .conftest import Music
from .test_song_requests import community


async def test_a_per_viewer_limit_set_on_the_modules_screen_applies_to_the_next_request(
    make_settings: Any, backend: dict[str, Any], youtube_music: Any, fake_youtube: Any
) -> None:
    for n in range(4):
        fake_youtube.add(f"song{n}aaaaaa", f"Song {n}")
    port = free_tcp_port()
    common = {"port": port, "default_modules": ["youtube_music"], **backend}
    router = make_settings(RouterSettings, router_manifest_interval=0.5, **common)
    market = make_settings(MarketplaceSettings, marketplace_manifest_interval=0.3, **common)
    apps = {"router": create_router(router), "youtube_music": youtube_music(common),
            "marketplace": create_marketplace(market)}  # fmt: skip
    try:
        async with run_fleet(router, apps) as fleet:
            m = Music(fleet)
            headers = service_headers("marketplace", issuer="portal")
            assert (await m.say("!sr song0aaaaaa")).startswith("Now playing")  # provisions; plays at once
            assert (await m.say("!sr song1aaaaaa")).startswith('Added "Song 1"')
            assert (await m.say("!sr song2aaaaaa")).startswith('Added "Song 2"')  # 2 waiting: default 3
            cid = await community(m)
            url = f"/marketplace/api/v1/communities/{cid}/modules/youtube_music"

            async def listed() -> Any:
                answer = await fleet.http.get(url, headers=headers)
                return answer.status_code == 200 and answer.json()["settings_schema"]

            await wait_until(listed)  # the catalogue has read the manifest
            bad = await fleet.http.put(url, json={"settings": {"user_limit": 0}}, headers=headers)
            assert bad.status_code == 422
            [detail] = bad.json()["error"]["details"]
            assert detail["loc"] == ["body", "settings", "user_limit"]
            assert (await m.say("!sr song3aaaaaa", user="bob")).startswith('Added "Song 3"')  # unchanged

            changed = await fleet.http.put(url, json={"settings": {"user_limit": 2}}, headers=headers)
            assert changed.status_code == 200, changed.text
            assert changed.json()["settings"]["user_limit"] == 2
            assert (
                await m.say("!sr song3aaaaaa") == "You already have 2 requests in the queue (the limit is 2)."
            )
            item = (await fleet.http.get(url, headers=headers)).json()
            assert item["settings"]["user_limit"] == 2 and item["enabled"] is True
    finally:
        release_tcp_port(port)
